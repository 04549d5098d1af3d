/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-test-utils.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "leap-json.h"

/* The start of the day @days_from_today after today, in local time, plus
 * @hour:@minute, as Unix time. */
gint64
leap_test_today_at (int hour,
                    int minute,
                    int days_from_today)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) day = g_date_time_new_local (g_date_time_get_year (now),
                                                    g_date_time_get_month (now),
                                                    g_date_time_get_day_of_month (now),
                                                    hour, minute, 0);
  g_autoptr(GDateTime) then = g_date_time_add_days (day, days_from_today);

  return g_date_time_to_unix (then);
}

static void
add_event (GString    *json,
           gint64      id,
           gint64      venue_id,
           const char *name,
           const char *description,
           gint64      starts_at,
           const char *status)
{
  g_autofree char *starts = leap_time_format (starts_at);
  g_autofree char *ends = leap_time_format (starts_at + 3 * 3600);

  g_string_append_printf (json,
                          "%s{\"id\": %" G_GINT64_FORMAT ", \"venue_id\": %" G_GINT64_FORMAT ", "
                          "\"name\": \"%s\", \"description\": \"%s\", \"starts_at\": \"%s\", "
                          "\"ends_at\": \"%s\", \"status\": \"%s\", "
                          "\"created_at\": \"2026-01-01T00:00:00Z\", "
                          "\"updated_at\": \"2026-01-01T00:00:00Z\"}",
                          json->str[json->len - 1] == '[' ? "" : ", ",
                          id, venue_id, name, description, starts, ends, status);
}

static void
add_tier (GString    *json,
          gint64      id,
          gint64      event_id,
          const char *name,
          gint64      price,
          gint64      capacity)
{
  g_string_append_printf (json,
                          "%s{\"id\": %" G_GINT64_FORMAT ", \"event_id\": %" G_GINT64_FORMAT ", "
                          "\"name\": \"%s\", \"price\": %" G_GINT64_FORMAT ", \"currency\": \"EUR\", "
                          "\"capacity\": %" G_GINT64_FORMAT ", \"max_per_order\": 10}",
                          json->str[json->len - 1] == '[' ? "" : ", ",
                          id, event_id, name, price, capacity);
}

/* A catalogue like the demo's: two venues, events today, tomorrow and in
 * the coming weeks, one cancelled, and one long past (that the cache must
 * not list). Venues are in UTC so that tests do not depend on the zone. */
JsonObject *
leap_test_demo_page (void)
{
  g_autoptr(GString) json = g_string_new (NULL);

  g_string_append (json,
                   "{\"cursor\": 42, \"more\": false, \"venues\": ["
                   "{\"id\": 1, \"name\": \"Grand Theatre\", \"city\": \"Vienna\", "
                   "\"timezone\": \"UTC\", \"capacity\": 800},"
                   "{\"id\": 2, \"name\": \"Blue Note Cellar\", \"city\": \"Vienna\", "
                   "\"timezone\": \"UTC\", \"capacity\": 120}], \"events\": [");
  add_event (json, 1, 1, "Hamlet", "Shakespeare's tragedy in a new staging.",
             leap_test_today_at (19, 30, 0), "on_sale");
  add_event (json, 2, 2, "Late Night Jazz", "A trio from Oslo.",
             leap_test_today_at (21, 0, 0), "on_sale");
  add_event (json, 3, 1, "The Magic Flute", "Mozart's opera for the whole family.",
             leap_test_today_at (18, 0, 1), "on_sale");
  add_event (json, 4, 2, "Swing Dance Evening", "Lessons at 19:00, band at 20:00.",
             leap_test_today_at (20, 0, 3), "on_sale");
  add_event (json, 5, 1, "Swan Lake", "The Vienna State Ballet.",
             leap_test_today_at (19, 0, 12), "on_sale");
  add_event (json, 6, 1, "Cancelled Concert", "Moved to next season.",
             leap_test_today_at (20, 0, 5), "cancelled");
  add_event (json, 7, 1, "Last Year's Gala", "Long over.",
             leap_test_today_at (20, 0, -400), "on_sale");
  g_string_append (json, "], \"tiers\": [");
  add_tier (json, 11, 1, "Stalls", 4500, 300);
  add_tier (json, 12, 1, "Balcony", 3000, 200);
  add_tier (json, 13, 1, "Standing", 1500, 100);
  add_tier (json, 21, 2, "Entry", 2200, 120);
  add_tier (json, 31, 3, "Stalls", 5500, 300);
  add_tier (json, 32, 3, "Children", 1200, 100);
  add_tier (json, 41, 4, "Dance floor", 1800, 120);
  add_tier (json, 51, 5, "Premium", 9500, 100);
  add_tier (json, 52, 5, "Stalls", 6500, 400);
  g_string_append (json, "], \"offers\": [{\"id\": 1, \"event_id\": 1, \"name\": \"Students\", "
                   "\"kind\": \"percent\", \"value\": 20}], \"deleted\": []}");

  return leap_json_parse_object (json->str, json->len, NULL);
}

char *
leap_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("leap-app-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
leap_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;
  if ((dir = g_dir_open (path, 0, NULL)) != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          leap_test_rm_rf (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

/* A loopback port that nobody listens on right now. */
guint16
leap_test_free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

typedef struct
{
  gboolean timed_out;
} Deadline;

static gboolean
deadline_cb (gpointer user_data)
{
  ((Deadline *) user_data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @condition holds or @timeout_ms pass.
 * A ticker wakes the loop every few milliseconds, so conditions that no
 * main-loop event signals (a port that starts to listen) are seen too. */
gboolean
leap_test_wait_for (LeapTestCondition condition,
                    gpointer          user_data,
                    guint             timeout_ms)
{
  Deadline deadline = { FALSE };
  guint id = g_timeout_add (timeout_ms, deadline_cb, &deadline);
  guint tick = g_timeout_add (10, tick_cb, NULL);
  gboolean ok;

  while (!(ok = condition (user_data)) && !deadline.timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!deadline.timed_out)
    g_source_remove (id);
  g_source_remove (tick);
  return ok;
}

static gboolean
flag_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

gboolean
leap_test_wait_flag (gboolean *flag,
                     guint     timeout_ms)
{
  return leap_test_wait_for (flag_set, flag, timeout_ms);
}

/* A libsoup server on a free loopback port of the test's main context;
 * @base_url gets its address, e.g. http://127.0.0.1:40123. */
SoupServer *
leap_test_server_new (char **base_url)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  g_assert_nonnull (uris);
  *base_url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return g_steal_pointer (&server);
}

void
leap_test_reply_json (SoupServerMessage *msg,
                      guint              status,
                      const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  if (json != NULL)
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json,
                                      strlen (json));
}
