/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Messages on the WebSocket /api/v1/live, through the real thing: a
 * SoupServer on loopback with LeapLive (backend/http/leap-live.c), a
 * LeapHolds over an in-memory SQLite store holding one event with one tier,
 * and a Redis that cannot be reached (so availability comes from the
 * database, as it does while Redis is down). A libsoup client sends each
 * input as one message, text when it is UTF-8 and binary otherwise.
 *
 * The parser of client messages is static (message_cb): going through a
 * connection reaches it without changing the backend. With order following
 * (leap_live_watch_orders ()), {"subscribe": {"order": …}} is reached too,
 * over sessions and orders in the same database. Each input is followed by a
 * binary sentinel message; once the server has answered the sentinel it has
 * handled the input. Checked: the server answers within 5 s, keeps the
 * connection open (a client message must never make it close), and every
 * message it sends is a JSON object. */
#include <stdint.h>
#include <string.h>

#include <libsoup/soup.h>

#include "leap-error.h"
#include "leap-holds.h"
#include "leap-json.h"
#include "leap-live.h"
#include "leap-orders.h"
#include "leap-redis.h"
#include "leap-sessions.h"
#include "leap-store.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define BINARY_REFUSED "Send text messages of JSON"
#define MAX_MESSAGE 4096 /* as leap-live.c sets it */
#define RECONNECT_EVERY 64

static struct
{
  SoupServer              *server;
  LeapStore               *store;
  LeapRedis               *redis;
  LeapRedis               *subscriber;
  LeapHolds               *holds;
  LeapSessions            *sessions;
  LeapOrders              *orders;
  LeapLive                *live;
  SoupSession             *session;
  char                    *url;
  SoupWebsocketConnection *conn;
  GError                  *connect_error;
  gboolean                 connecting;
  guint                    refused; /* answers to binary messages so far */
  guint                    inputs;
} f;

static void
message_cb (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  object = leap_json_parse_object (g_bytes_get_data (message, NULL), g_bytes_get_size (message),
                                   &error);
  g_assert_no_error (error);
  if (json_object_has_member (object, "error") &&
      g_strcmp0 (json_object_get_string_member (json_object_get_object_member (object, "error"),
                                                "message"),
                 BINARY_REFUSED) == 0)
    f.refused++;
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  f.conn = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &f.connect_error);
  f.connecting = FALSE;
  if (f.conn != NULL)
    g_signal_connect (f.conn, "message", G_CALLBACK (message_cb), NULL);
}

static gboolean
deadline_cb (gpointer data)
{
  gboolean *expired = data;
  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until *flag is FALSE (or, with want_refused,
 * until that many binary refusals came), or dies after 5 s. */
static void
wait_for (gboolean *flag,
          guint     want_refused)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (5000, deadline_cb, &expired);

  while (!expired && (flag != NULL ? *flag : f.refused < want_refused))
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("The live WebSocket did not answer within 5 s");
  g_source_remove (id);
}

static void
reconnect (void)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", f.url);

  if (f.conn != NULL)
    {
      g_signal_handlers_disconnect_by_func (f.conn, message_cb, NULL);
      if (soup_websocket_connection_get_state (f.conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (f.conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&f.conn);
    }
  f.connecting = TRUE;
  soup_session_websocket_connect_async (f.session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        connected_cb, NULL);
  wait_for (&f.connecting, 0);
  g_assert_no_error (f.connect_error);
  f.refused = 0;
}

static JsonObject *
object_from (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = leap_json_parse_object (json, -1, &error);

  g_assert_no_error (error);
  return object;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) venue = NULL, event = NULL, tier = NULL;
  g_autoptr(JsonObject) v = NULL, e = NULL, t = NULL;
  g_autoptr(GSList) uris = NULL;
  LeapHoldsConfig config = { 600, 5, 10, 100 };
  g_autofree char *event_json = NULL;

  f.store = leap_store_open ("sqlite::memory:", &error);
  g_assert_no_error (error);
  venue = object_from ("{\"name\": \"Hall\", \"timezone\": \"Europe/Berlin\", \"capacity\": 100}");
  v = leap_store_create (f.store, LEAP_KIND_VENUE, 0, venue, 0, &error);
  g_assert_no_error (error);
  event_json = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Show\", "
                                "\"starts_at\": \"2030-01-01T19:00:00Z\", \"status\": \"on_sale\"}",
                                json_object_get_int_member (v, "id"));
  event = object_from (event_json);
  e = leap_store_create (f.store, LEAP_KIND_EVENT, 0, event, 0, &error);
  g_assert_no_error (error);
  tier = object_from (
      "{\"name\": \"Stalls\", \"price\": 2500, \"currency\": \"EUR\", \"capacity\": 50}");
  t = leap_store_create (f.store, LEAP_KIND_TIER, json_object_get_int_member (e, "id"), tier, 0,
                         &error);
  g_assert_no_error (error);

  /* Port 1 on loopback refuses at once: every Redis command fails fast. */
  f.redis = leap_redis_new ("127.0.0.1", 1);
  f.subscriber = leap_redis_new ("127.0.0.1", 1);
  f.holds = leap_holds_new (f.store, f.redis, &config);

  f.server = soup_server_new (NULL, NULL);
  f.live = leap_live_new (f.server, f.subscriber, f.holds);
#ifdef HAVE_LEAP_LIVE_WATCH_ORDERS
  /* {"subscribe": {"order": …}} too: sessions and orders from the database. */
  f.sessions = leap_sessions_new (f.store, f.redis, f.subscriber, 3600);
  f.orders = leap_orders_new (f.store, f.redis);
  leap_live_watch_orders (f.live, f.sessions, f.orders);
#endif
  soup_server_listen_local (f.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f.server);
  f.url = g_strdup_printf ("ws://127.0.0.1:%d/api/v1/live", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  f.session = soup_session_new ();
  reconnect ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) input = NULL;
  g_autoptr(GBytes) sentinel = g_bytes_new_static ("\x01", 1);
  gboolean text;
  guint want;

  /* Bigger messages are refused by libsoup before leap-live.c sees them. */
  if (size > MAX_MESSAGE)
    return 0;
  if (f.conn == NULL || soup_websocket_connection_get_state (f.conn) != SOUP_WEBSOCKET_STATE_OPEN ||
      ++f.inputs % RECONNECT_EVERY == 0)
    reconnect ();

  text = g_utf8_validate ((const char *) data, size, NULL);
  input = g_bytes_new (data, size);
  want = f.refused + (text ? 1 : 2);
  soup_websocket_connection_send_message (f.conn,
                                          text ? SOUP_WEBSOCKET_DATA_TEXT
                                               : SOUP_WEBSOCKET_DATA_BINARY,
                                          input);
  soup_websocket_connection_send_message (f.conn, SOUP_WEBSOCKET_DATA_BINARY, sentinel);
  wait_for (NULL, want);
  g_assert_cmpint (soup_websocket_connection_get_state (f.conn), ==, SOUP_WEBSOCKET_STATE_OPEN);
  g_assert_cmpuint (leap_live_get_n_clients (f.live), >=, 1);
  return 0;
}
