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
