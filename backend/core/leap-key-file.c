/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-keys"

#include "leap-key-file.h"
#include "leap-error.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

/* The secrets a backend keeps next to its database (the ticket signing
 * seed, the session MAC key): one line of base64, mode 0600, made on first
 * use. Every process started with the same --database on this machine
 * finds the same file. */

/* Where the backend and its workers keep the database unless told
 * otherwise, and so their key files too. */
char *
leap_default_database_url (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "leap-boxoffice", "leap.db",
                                            NULL);
  return g_strconcat ("sqlite:", path, NULL);
}

/* "sqlite:/var/lib/leap/leap.db", ".ticket-key" → "/var/lib/leap/leap.db.ticket-key";
 * NULL for a database server, which has no folder of ours to keep keys
 * beside: leap_key_file_load () then asks for the file. */
char *
leap_key_file_path_for_database (const char *database_url,
                                 const char *suffix)
{
  g_return_val_if_fail (database_url != NULL, NULL);

  if (!g_str_has_prefix (database_url, "sqlite:"))
    return NULL;
  return g_strconcat (database_url + strlen ("sqlite:"), suffix, NULL);
}

/* Writes new random bytes under a temporary name and links them into
 * place: of processes starting together, the first link wins and the
 * others read its file. */
static gboolean
create (const char *path,
        const char *what,
        gsize       length,
        GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  g_autofree guint8 *key = g_malloc (length);
  gsize size = sodium_base64_ENCODED_LEN (length, sodium_base64_VARIANT_ORIGINAL) + 1;
  g_autofree char *text = g_malloc (size);
  gsize len;
  int fd, saved = 0;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot create %s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot create a %s in %s: %s",
                   what, dir, g_strerror (saved));
      return FALSE;
    }
  randombytes_buf (key, length);
  sodium_bin2base64 (text, size - 1, key, length, sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero (key, length);
  len = strlen (text);
  text[len++] = '\n';
  if (write (fd, text, len) != (ssize_t) len || fsync (fd) != 0)
    saved = errno ? errno : EIO;
  sodium_memzero (text, size);
  close (fd);
  if (saved == 0 && link (tmp, path) != 0 && errno != EEXIST)
    saved = errno;
  g_unlink (tmp);
  if (saved != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot write the %s %s: %s",
                   what, path, g_strerror (saved));
      return FALSE;
    }
  g_message ("Created a new %s in %s", what, path);
  return TRUE;
}

/* Reads the @length bytes of the key file @path into @key, making the file
 * first if there is none. @what names it in messages ("ticket key"). */
gboolean
leap_key_file_load (const char *path,
                    const char *what,
                    guint8     *key,
                    gsize       length,
                    GError    **error)
{
  g_autofree char *contents = NULL;
  gsize size = 0, key_len = 0;

  g_return_val_if_fail (key != NULL, FALSE);

  if (path == NULL)
    {
      /* Every backend and worker of a database server signs with the same
       * keys, so they are files the operator shares, not ones made here:
       * "ticket key" is --ticket-key, or ticket-key= in the config file. */
      g_autofree char *option = g_strdelimit (g_strdup (what), " ", '-');

      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                   "With a PostgreSQL database, give the %s file (--%s FILE, or %s= in the "
                   "config file): the same file for every backend and worker",
                   what, option, option);
      return FALSE;
    }
  if (!g_file_test (path, G_FILE_TEST_EXISTS) && !create (path, what, length, error))
    return FALSE;
  if (!g_file_get_contents (path, &contents, &size, error))
    return FALSE;
  g_strstrip (contents);
  if (sodium_base642bin (key, length, contents, strlen (contents), NULL, &key_len, NULL,
                         sodium_base64_VARIANT_ORIGINAL) != 0 || key_len != length)
    {
      sodium_memzero (contents, size);
      sodium_memzero (key, length);
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                   "%s is not a %s (one line: %" G_GSIZE_FORMAT " bytes in base64)", path, what,
                   length);
      return FALSE;
    }
  sodium_memzero (contents, size);
  return TRUE;
}
