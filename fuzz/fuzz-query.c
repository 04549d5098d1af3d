/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Query strings and path segments as the server reads them. libsoup turns
 * the request target into a GUri and its query into a table with
 * soup_form_decode (); the handlers then read each parameter:
 * GET /api/v1/events?q=&venue_id=&from=&to=&cursor=&limit= and
 * GET /api/v1/sync?since=&limit= (backend/http/leap-http-catalogue.c, whose
 * query_*_or_reply () helpers are static: the same calls are made here), and
 * the ids in paths: /api/v1/holds/{hold id}, /api/v1/orders/{order id}.
 *
 * Checked beyond "does not crash": a cursor that decodes encodes back to the
 * same position; an id that parses names a positive event. */
#include <stdint.h>
#include <string.h>

#include <libsoup/soup.h>

#include "leap-catalogue.h"
#include "leap-holds.h"
#include "leap-json.h"
#include "leap-orders.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_int (GHashTable *query,
           const char *name,
           gint64      min,
           gint64      max)
{
  const char *text = g_hash_table_lookup (query, name);
  gint64 v;

  if (text != NULL && g_ascii_string_to_signed (text, 10, min, max, &v, NULL))
    {
      g_assert_cmpint (v, >=, min);
      g_assert_cmpint (v, <=, max);
    }
}

static void
check_value (const char *text)
{
  gint64 starts_at, id, event_id;
  g_autofree char *hold_id = NULL;

  if (leap_event_cursor_decode (text, &starts_at, &id))
    {
      g_autofree char *again = leap_event_cursor_encode (starts_at, id);
      gint64 starts_at2, id2;

      g_assert_cmpint (id, >, 0);
      g_assert_true (leap_event_cursor_decode (again, &starts_at2, &id2));
      g_assert_cmpint (starts_at, ==, starts_at2);
      g_assert_cmpint (id, ==, id2);
    }
  if (leap_time_parse (text, &starts_at))
    {
      g_autofree char *formatted = leap_time_format (starts_at);
      g_assert_nonnull (formatted);
    }
  if (leap_hold_id_parse (text, &event_id))
    {
      g_assert_cmpint (event_id, >, 0);
      g_assert_cmpuint (strlen (text), <=, 64);
    }
  if (leap_order_id_parse (text, &hold_id, &event_id))
    {
      g_assert_cmpint (event_id, >, 0);
      g_assert_true (g_str_has_prefix (text, "o-"));
      g_assert_cmpstr (hold_id, ==, text + 2);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *target = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GHashTable) query = NULL;
  GHashTableIter iter;
  const char *name, *value;

  /* The raw text itself, as a path segment would carry it. */
  check_value (text);

  /* As libsoup's server does with the request target. */
  target = g_strconcat ("http://127.0.0.1/api/v1/events?", text, NULL);
  uri = g_uri_parse (target, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || g_uri_get_query (uri) == NULL)
    return 0;
  query = soup_form_decode (g_uri_get_query (uri));
  if (query == NULL)
    return 0;

  /* GET /api/v1/events */
  value = g_hash_table_lookup (query, "q");
  if (value != NULL)
    (void) g_utf8_strlen (value, -1);
  check_int (query, "venue_id", 1, G_MAXINT64);
  check_int (query, "limit", 1, 100);
  /* GET /api/v1/sync */
  check_int (query, "since", 0, G_MAXINT64);
  check_int (query, "limit", 1, 5000);

  g_hash_table_iter_init (&iter, query);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &value))
    check_value (value);
  return 0;
}
