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
 * process-wide locale. Messages with values are matched against the
 * catalogue's formats (see Pattern). $LEAP_LOCALEDIR replaces the
 * installed locale directory (the tests use the build's). */

/* The messages of one language. */
typedef struct
{
  GHashTable *messages; /* msgid → msgstr */
  GPtrArray  *patterns; /* of Pattern, the most literal text first */
} Catalogue;

/* A message with values, such as "Tier %lli no longer exists": the
 * backend makes it with g_set_error () and the like, so it arrives here
 * filled in ("Tier 7 no longer exists") and has no exact translation.
 * The msgid becomes a regular expression with a group per value, made
 * once at load; the translation is then filled with the text of the
 * groups, never used as a printf format. */
typedef struct
{
  GRegex     *regex;
  guint      *group_of_arg;  /* printf argument (1-based) → group, 0 none */
  guint       n_args;
  const char *translation;   /* Borrowed from Catalogue.messages */
  gsize       literal_length;
} Pattern;

static GHashTable *catalogues; /* language → Catalogue */

/* The longest message matched against the patterns, in bytes. */
#define MAX_MESSAGE 1024

/* Translations with values are made per call; the last ones made by
 * each thread stay alive for its callers (see leap_i18n_translate ()). */
#define N_KEPT 16

typedef struct
{
  char  *strings[N_KEPT];
  guint  next;
} Kept;

static void
kept_free (gpointer data)
{
  Kept *kept = data;

  for (guint i = 0; i < N_KEPT; i++)
    g_free (kept->strings[i]);
  g_free (kept);
}

static GPrivate kept_key = G_PRIVATE_INIT (kept_free);

static const char *
keep (char *string)
{
  Kept *kept = g_private_get (&kept_key);

  if (kept == NULL)
    {
      kept = g_new0 (Kept, 1);
      g_private_set (&kept_key, kept);
    }
  g_free (kept->strings[kept->next]);
  kept->strings[kept->next] = string;
  kept->next = (kept->next + 1) % N_KEPT;
  return string;
}

typedef enum
{
  CONVERSION_INVALID,
  CONVERSION_PERCENT,  /* %% */
  CONVERSION_STRING,
  CONVERSION_SIGNED,
  CONVERSION_UNSIGNED,
  CONVERSION_HEX,
  CONVERSION_OCTAL,
  CONVERSION_FLOAT,
  CONVERSION_CHAR,
} Conversion;

/* Reads the C format directive that starts at @p (a '%'), as gettext's
 * c-format knows them: %[N$][flags][width][.precision][length]conversion,
 * where width and precision may be '*' or '*N$' (an argument each).
 * Returns the length of the directive and sets @arg to the printf
 * argument of its value (1-based), counting on from *@next_arg when the
 * directive is not positional; 0 when it is not a directive. */
static gsize
read_directive (const char *p,
                guint      *next_arg,
                guint      *arg,
                Conversion *conversion)
{
  const char *start = p;
  guint position = 0;

  *conversion = CONVERSION_INVALID;
  *arg = 0;
  p++;
  if (*p == '%')
    {
      *conversion = CONVERSION_PERCENT;
      return 2;
    }
  if (g_ascii_isdigit (*p))
    {
      const char *q = p;
      guint n = 0;

      while (g_ascii_isdigit (*q) && n < 1000)
        n = n * 10 + (guint) (*q++ - '0');
      if (*q == '$' && n > 0 && n < 1000)
        {
          position = n;
          p = q + 1;
        }
    }
  while (*p != '\0' && strchr ("-+ #0'I", *p) != NULL)
    p++;
  for (guint part = 0; part < 2; part++)
    {
      if (part == 1)
        {
          if (*p != '.')
            break;
          p++;
        }
      if (*p == '*')
        {
          p++;
          if (g_ascii_isdigit (*p))
            {
              while (g_ascii_isdigit (*p))
                p++;
              if (*p != '$')
                return 0;
              p++;
            }
          else if (position == 0)
            ++*next_arg; /* the width or precision takes an argument */
        }
      else
        while (g_ascii_isdigit (*p))
          p++;
    }
  while (*p != '\0' && strchr ("hlLqjzZt", *p) != NULL)
    p++;
  switch (*p)
    {
    case 's': *conversion = CONVERSION_STRING; break;
    case 'd': case 'i': *conversion = CONVERSION_SIGNED; break;
    case 'u': *conversion = CONVERSION_UNSIGNED; break;
    case 'x': case 'X': *conversion = CONVERSION_HEX; break;
    case 'o': *conversion = CONVERSION_OCTAL; break;
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
      *conversion = CONVERSION_FLOAT;
      break;
    case 'c': *conversion = CONVERSION_CHAR; break;
    default: return 0; /* %p, %n, and what is not a directive */
    }
  *arg = position != 0 ? position : ++*next_arg;
  return (gsize) (p - start) + 1;
}

static void
pattern_free (gpointer data)
{
  Pattern *pattern = data;

  g_regex_unref (pattern->regex);
  g_free (pattern->group_of_arg);
  g_free (pattern);
}

/* A pattern for @msgid, or NULL when it has no values (an exact lookup
 * finds it), too little text of its own to be told apart from other
 * messages ("%s"), or a directive this cannot match. */
static Pattern *
pattern_new (const char *msgid,
             const char *translation)
{
  g_autoptr(GString) regex = g_string_new ("\\A");
  g_autofree guint *group_of_arg = NULL;
  guint next_arg = 0, n_groups = 0, n_args = 0, letters = 0;
  gsize literal_length = 0;
  const char *literal = msgid;
  const char *p = msgid;
  g_autoptr(GError) error = NULL;
  Pattern *pattern;

  if (strchr (msgid, '%') == NULL)
    return NULL;
  group_of_arg = g_new0 (guint, strlen (msgid) + 1);
  while (*p != '\0')
    {
      guint arg;
      Conversion conversion;
      gsize length;

      if (*p != '%')
        {
          if (g_ascii_isalnum (*p))
            letters++;
          p++;
          continue;
        }
      length = read_directive (p, &next_arg, &arg, &conversion);
      if (length == 0)
        return NULL;
      if (conversion == CONVERSION_PERCENT)
        {
          g_autofree char *text = g_regex_escape_string (literal, (int) (p - literal + 1));

          g_string_append (regex, text);
          literal_length += (gsize) (p - literal) + 1;
          literal = p += length;
          continue;
        }
      {
        g_autofree char *text = g_regex_escape_string (literal, (int) (p - literal));

        g_string_append (regex, text);
        literal_length += (gsize) (p - literal);
      }
      /* One argument twice (%1$s … %1$s) would need a back reference. */
      if (arg > strlen (msgid) || group_of_arg[arg] != 0)
        return NULL;
      switch (conversion)
        {
        case CONVERSION_STRING: g_string_append (regex, "(.*?)"); break;
        case CONVERSION_SIGNED: g_string_append (regex, " *([-+]?[0-9]+)"); break;
        case CONVERSION_UNSIGNED: g_string_append (regex, " *([0-9]+)"); break;
        case CONVERSION_HEX: g_string_append (regex, " *([0-9a-fA-F]+)"); break;
        case CONVERSION_OCTAL: g_string_append (regex, " *([0-7]+)"); break;
        case CONVERSION_FLOAT:
          g_string_append (regex, " *([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)");
          break;
        case CONVERSION_CHAR: g_string_append (regex, "(.)"); break;
        case CONVERSION_PERCENT:
        case CONVERSION_INVALID:
        default: g_assert_not_reached ();
        }
      group_of_arg[arg] = ++n_groups;
      n_args = MAX (n_args, arg);
      literal = p += length;
    }
  if (n_groups == 0 || letters < 4)
    return NULL;
  {
    g_autofree char *text = g_regex_escape_string (literal, -1);

    g_string_append (regex, text);
    g_string_append (regex, "\\z");
    literal_length += strlen (literal);
  }

  pattern = g_new0 (Pattern, 1);
  pattern->regex = g_regex_new (regex->str, G_REGEX_DOTALL | G_REGEX_OPTIMIZE, 0, &error);
  if (pattern->regex == NULL)
    {
      g_debug ("No pattern for “%s”: %s", msgid, error->message);
      g_free (pattern);
      return NULL;
    }
  pattern->group_of_arg = g_steal_pointer (&group_of_arg);
  pattern->n_args = n_args;
  pattern->translation = translation;
  pattern->literal_length = literal_length;
  return pattern;
}

static int
compare_patterns (gconstpointer a,
                  gconstpointer b)
{
  const Pattern *pa = *(const Pattern **) a;
  const Pattern *pb = *(const Pattern **) b;

  /* The most specific first: "This hold is %s and cannot be checked out"
   * before "%s and cannot be checked out". */
  if (pa->literal_length != pb->literal_length)
    return pa->literal_length < pb->literal_length ? 1 : -1;
  return strcmp (g_regex_get_pattern (pa->regex), g_regex_get_pattern (pb->regex));
}

static void
catalogue_free (gpointer data)
{
  Catalogue *catalogue = data;

  g_ptr_array_unref (catalogue->patterns);
  g_hash_table_unref (catalogue->messages);
  g_free (catalogue);
}

static Catalogue *
catalogue_new (GHashTable *messages)
{
  Catalogue *catalogue = g_new0 (Catalogue, 1);
  GHashTableIter iter;
  gpointer msgid, translation;

  catalogue->messages = messages;
  catalogue->patterns = g_ptr_array_new_with_free_func (pattern_free);
  g_hash_table_iter_init (&iter, messages);
  while (g_hash_table_iter_next (&iter, &msgid, &translation))
    {
      Pattern *pattern = pattern_new (msgid, translation);

      if (pattern != NULL)
        g_ptr_array_add (catalogue->patterns, pattern);
    }
  g_ptr_array_sort (catalogue->patterns, compare_patterns);
  return catalogue;
}

static char *translate_values (Catalogue  *catalogue,
                               const char *message,
                               guint       depth);

/* @translation with the values of @info: each directive becomes the text
 * of its argument's group, a value that is itself a sentence in its own
 * translation. NULL if the translation names an argument the message
 * did not have (msgfmt --check would have refused it). */
static char *
fill (Catalogue        *catalogue,
      const Pattern    *pattern,
      const GMatchInfo *info,
      guint             depth)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = pattern->translation;
  guint next_arg = 0;

  while (*p != '\0')
    {
      const char *percent = strchr (p, '%');
      guint arg;
      Conversion conversion;
      gsize length;
      g_autofree char *value = NULL;
      g_autofree char *translated = NULL;

      if (percent == NULL)
        {
          g_string_append (out, p);
          break;
        }
      g_string_append_len (out, p, percent - p);
      length = read_directive (percent, &next_arg, &arg, &conversion);
      if (length == 0)
        return NULL;
      p = percent + length;
      if (conversion == CONVERSION_PERCENT)
        {
          g_string_append_c (out, '%');
          continue;
        }
      if (arg > pattern->n_args || pattern->group_of_arg[arg] == 0)
        return NULL;
      value = g_match_info_fetch (info, (int) pattern->group_of_arg[arg]);
      if (value == NULL)
        return NULL;
      /* "%s and cannot be checked out" around another message: that one
       * in the language too. One word (a status, a name) is data. */
      if (conversion == CONVERSION_STRING && depth == 0 && strchr (value, ' ') != NULL)
        {
          const char *exact = g_hash_table_lookup (catalogue->messages, value);

          if (exact != NULL)
            g_string_append (out, exact);
          else if ((translated = translate_values (catalogue, value, depth + 1)) != NULL)
            g_string_append (out, translated);
          else
            g_string_append (out, value);
        }
      else
        g_string_append (out, value);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The translation of @message by the first pattern it matches, or NULL. */
static char *
translate_values (Catalogue  *catalogue,
                  const char *message,
                  guint       depth)
{
  for (guint i = 0; i < catalogue->patterns->len; i++)
    {
      const Pattern *pattern = g_ptr_array_index (catalogue->patterns, i);
      g_autoptr(GMatchInfo) info = NULL;

      if (g_regex_match (pattern->regex, message, 0, &info))
        return fill (catalogue, pattern, info, depth);
    }
  return NULL;
}

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

  catalogues = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, catalogue_free);
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
        g_hash_table_insert (catalogues, g_strdup (name), catalogue_new (table));
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
 * language or no translation of it. A message with values ("Tier 7 no
 * longer exists") is matched against the messages with directives of the
 * catalogue ("Tier %lli no longer exists") and its translation filled
 * with the same values. Such a translation is made for this call: it
 * stays valid until the same thread has translated 16 more of them (the
 * caller uses it at once). Messages that hold a '%' (they may be printf
 * formats) are only translated exactly, and a translation with values
 * never holds a '%', so either may be used as a format. */
const char *
leap_i18n_translate (const char *language,
                     const char *message)
{
  Catalogue *catalogue;
  const char *translated;
  char *filled;

  if (language == NULL || message == NULL)
    return message;
  ensure_catalogues ();
  catalogue = g_hash_table_lookup (catalogues, language);
  if (catalogue == NULL)
    return message;
  translated = g_hash_table_lookup (catalogue->messages, message);
  if (translated != NULL)
    return translated;
  /* A '%' may make it a format (see above); a long message would make
   * the matching slow, and the patterns are for valid UTF-8. */
  if (strchr (message, '%') != NULL || strlen (message) > MAX_MESSAGE ||
      !g_utf8_validate (message, -1, NULL))
    return message;
  filled = translate_values (catalogue, message, 0);
  if (filled == NULL || strchr (filled, '%') != NULL || g_str_equal (filled, message))
    {
      g_free (filled);
      return message;
    }
  return keep (filled);
}
