/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-address.h"
#include "leap-error.h"

#include <string.h>

/* "HOST:PORT", "[v6]:PORT" or ":PORT" (the loopback address). On failure
 * host and port are left as they were. */
gboolean
leap_parse_host_port (const char  *text,
                      char       **host,
                      guint16     *port,
                      GError     **error)
{
  const char *colon = text ? strrchr (text, ':') : NULL;
  guint64 value = 0;
  g_autofree char *h = NULL;

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "“%s” is not HOST:PORT",
                   text ? text : "");
      return FALSE;
    }
  h = g_strndup (text, colon - text);
  if (h[0] == '[' && g_str_has_suffix (h, "]"))
    {
      char *inner = g_strndup (h + 1, strlen (h) - 2);

      g_free (h);
      h = inner;
    }
  if (h[0] == '\0')
    {
      g_free (h);
      h = g_strdup ("127.0.0.1");
    }
  g_free (*host);
  *host = g_steal_pointer (&h);
  *port = value;
  return TRUE;
}

#define SENTINEL_SCHEME "sentinel://"

/* "sentinel://HOST:PORT[,HOST:PORT…]/MASTER": the Sentinels to ask for the
 * primary they call MASTER. On failure the outputs are left as they were. */
static gboolean
parse_sentinel_url (const char   *text,
                    char       ***sentinels,
                    char        **master,
                    GError      **error)
{
  const char *rest = text + strlen (SENTINEL_SCHEME);
  const char *slash = strchr (rest, '/');
  g_autofree char *list = slash ? g_strndup (rest, slash - rest) : g_strdup (rest);
  g_auto(GStrv) addresses = g_strsplit (list, ",", -1);
  const char *name = slash ? slash + 1 : "";

  if (list[0] == '\0')
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "“%s” names no Sentinel: "
                   "write sentinel://HOST:PORT[,HOST:PORT…]/MASTER", text);
      return FALSE;
    }
  for (guint i = 0; addresses[i] != NULL; i++)
    {
      g_autofree char *host = NULL;
      g_autoptr(GError) bad = NULL;
      guint16 port = 0;

      if (!leap_parse_host_port (addresses[i], &host, &port, &bad) || port == 0)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "“%s”: the Sentinel “%s” is not "
                       "HOST:PORT with a port from 1 to 65535", text, addresses[i]);
          return FALSE;
        }
    }
  if (name[0] == '\0' || strpbrk (name, "/, \t\r\n") != NULL)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "“%s” names no primary: "
                   "write sentinel://HOST:PORT[,HOST:PORT…]/MASTER", text);
      return FALSE;
    }
  g_strfreev (*sentinels);
  *sentinels = g_steal_pointer (&addresses);
  g_free (*master);
  *master = g_strdup (name);
  return TRUE;
}

/* The Redis of --redis and redis=: "HOST:PORT" as leap_parse_host_port ()
 * reads it (and then no Sentinels), or a sentinel:// URL (and then host and
 * port are left as they were). */
gboolean
leap_parse_redis_address (const char   *text,
                          char        **host,
                          guint16      *port,
                          char       ***sentinels,
                          char        **master,
                          GError      **error)
{
  if (text != NULL && g_str_has_prefix (text, SENTINEL_SCHEME))
    return parse_sentinel_url (text, sentinels, master, error);
  if (!leap_parse_host_port (text, host, port, error))
    return FALSE;
  g_clear_pointer (sentinels, g_strfreev);
  g_clear_pointer (master, g_free);
  return TRUE;
}
