/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-http"

#include "leap-config.h"

#include "leap-i18n.h"

#include <libsoup/soup.h>
#include <string.h>

/* The messages the backend answers with, in the language the request
 * asks for (Accept-Language) among the installed catalogues, English
 * otherwise. The catalogues are the box office's .mo files, read once
 * into hash tables: a lookup is then a read of shared, never-changing
 * tables, safe from any thread, where gettext() would follow the one
 * process-wide locale. $LEAP_LOCALEDIR replaces the installed locale
 * directory (the tests use the build's). */

static GHashTable *catalogues; /* language → (msgid → msgstr) */

static guint32
read_u32 (const guint8 *data,
          gsize         offset,
          gboolean      swap)
{
  guint32 value;

  memcpy (&value, data + offset, sizeof value);
  return swap ? GUINT32_SWAP_LE_BE (value) : value;
}

/* Reads a GNU .mo file: a header, then two tables of (length, offset)
 * pairs for the originals and the translations. */
static GHashTable *
load_mo (const char *path)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, NULL);
  const guint8 *data;
  gsize size;
  guint32 magic, n, originals, translations;
  gboolean swap;
  GHashTable *table;

  if (file == NULL)
    return NULL;
  data = (const guint8 *) g_mapped_file_get_contents (file);
  size = g_mapped_file_get_length (file);
  if (size < 20)
    return NULL;
  memcpy (&magic, data, sizeof magic);
  if (magic == 0x950412de)
    swap = FALSE;
  else if (magic == 0xde120495)
    swap = TRUE;
  else
    return NULL;
  n = read_u32 (data, 8, swap);
  originals = read_u32 (data, 12, swap);
  translations = read_u32 (data, 16, swap);
  if ((guint64) originals + (guint64) n * 8 > size ||
      (guint64) translations + (guint64) n * 8 > size)
    return NULL;

  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint32 i = 0; i < n; i++)
    {
      guint32 olen = read_u32 (data, originals + i * 8, swap);
      guint32 ooff = read_u32 (data, originals + i * 8 + 4, swap);
      guint32 tlen = read_u32 (data, translations + i * 8, swap);
      guint32 toff = read_u32 (data, translations + i * 8 + 4, swap);

      if ((guint64) ooff + olen >= size || (guint64) toff + tlen >= size || olen == 0 || tlen == 0)
        continue;
      /* The msgid up to its first NUL: the singular of a plural. */
      g_hash_table_insert (table, g_strndup ((const char *) data + ooff, olen),
                           g_strndup ((const char *) data + toff, tlen));
    }
  return table;
}

static gpointer
load_catalogues (gpointer data)
{
  const char *localedir = g_getenv ("LEAP_LOCALEDIR");
  g_autoptr(GDir) dir = NULL;
  const char *name;

  catalogues = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) g_hash_table_unref);
  if (localedir == NULL || *localedir == '\0')
    localedir = LOCALEDIR;
  dir = g_dir_open (localedir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (localedir, name, "LC_MESSAGES",
                                                GETTEXT_PACKAGE ".mo", NULL);
      GHashTable *table;

      /* Only plain languages ("de", "fr"): the ones of po/LINGUAS. */
      if (strlen (name) != 2 || !g_ascii_islower (name[0]) || !g_ascii_islower (name[1]))
        continue;
      if ((table = load_mo (path)) != NULL)
        g_hash_table_insert (catalogues, g_strdup (name), table);
    }
  g_debug ("%u translations of the messages in %s", g_hash_table_size (catalogues), localedir);
  return NULL;
}

static void
ensure_catalogues (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, load_catalogues, NULL);
}

/* The installed language that @accept_language prefers most, or NULL for
 * English (asked for, or nothing installed matches). "de-AT;q=0.9" picks
 * "de". The string returned is static for the life of the process. */
const char *
leap_i18n_pick_language (const char *accept_language)
{
  GSList *languages;
  const char *picked = NULL;

  if (accept_language == NULL || *accept_language == '\0')
    return NULL;
  ensure_catalogues ();
  languages = soup_header_parse_quality_list (accept_language, NULL);
  for (GSList *l = languages; l != NULL; l = l->next)
    {
      g_autofree char *primary = g_ascii_strdown (l->data, -1);
      char *dash = strchr (primary, '-');
      gpointer key = NULL;

      if (dash != NULL)
        *dash = '\0';
      if (g_str_equal (primary, "en"))
        break;
      if (g_hash_table_lookup_extended (catalogues, primary, &key, NULL))
        {
          picked = key;
          break;
        }
    }
  soup_header_free_list (languages);
  return picked;
}

/* @message in @language, or @message itself when there is no such
 * language or no translation of it. */
const char *
leap_i18n_translate (const char *language,
                     const char *message)
{
  GHashTable *table;
  const char *translated;

  if (language == NULL || message == NULL)
    return message;
  ensure_catalogues ();
  table = g_hash_table_lookup (catalogues, language);
  translated = table != NULL ? g_hash_table_lookup (table, message) : NULL;
  return translated != NULL ? translated : message;
}
