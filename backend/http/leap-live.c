/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-live"

#include "leap-live.h"
#include "leap-error.h"
#include "leap-http-context.h"
#include "leap-json.h"
#include "leap-keys.h"
#include "leap-router.h"

#include <glib/gi18n.h>

#include <string.h>

#define MAX_MESSAGE 4096
#define MAX_EVENTS_PER_CLIENT 200
#define MAX_ORDERS_PER_CLIENT 50
#define DEFAULT_PING_INTERVAL 30

struct _LeapLive
{
  GObject     parent_instance;

  /* Owned */
  LeapRedis  *subscriber;
  LeapHolds  *holds;
  LeapSessions *sessions; /* NULL until leap_live_watch_orders () */
  LeapOrders *orders;
  GPtrArray  *clients; /* Client */
  GHashTable *per_address; /* client address → its sockets and upgrades under way */
  guint       sweep_id;

  /* Borrowed */
  LeapHttpContext *ctx; /* NULL until leap_live_set_limits () */
  LeapLiveLimits   limits;
};

G_DEFINE_FINAL_TYPE (LeapLive, leap_live, G_TYPE_OBJECT)

typedef struct
{
  LeapLive                *live; /* Borrowed */
  SoupWebsocketConnection *conn;
  GHashTable              *events; /* event ids */
  GHashTable              *orders; /* order id → OrderWatch */
  char                    *token;  /* from the upgrade request, or NULL */
  char                    *address; /* as counted in per_address, or NULL */
  gint64                   heard;  /* monotonic µs of its last message or pong */
  gint64                   idle_since; /* monotonic µs; 0 while it follows something */
  gboolean                 signed_in; /* the token is a session's */
} Client;

/* An order a client follows. Until the client is known to may see it,
 * results are kept, not sent: the check reads the order after the
 * subscription began, so nothing published in between is lost. An order
 * not placed yet, whose hold the session keeps, is waited for: it is
 * checked again when a result is published. */
typedef struct
{
  char     *token;
  gboolean  allowed;
  gboolean  checking;
  char     *kept;    /* the last result published while it was being checked */
} OrderWatch;

static void
order_watch_free (OrderWatch *watch)
{
  g_free (watch->token);
  g_free (watch->kept);
  g_free (watch);
}

static void
client_free (Client *client)
{
  g_signal_handlers_disconnect_by_data (client->conn, client);
  g_object_unref (client->conn);
  g_hash_table_unref (client->events);
  g_hash_table_unref (client->orders);
  g_free (client->token);
  g_free (client->address);
  g_free (client);
}

/* libsoup refuses, with a critical, to send on a socket that is not open,
 * and a socket can close between two sends: a write that fails (the
 * client reset the connection) closes it at once. Every send checks. */
static void
send_text (SoupWebsocketConnection *conn,
           const char              *text)
{
  if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (conn, text);
}

static void
send_error_full (SoupWebsocketConnection *conn,
                 const char              *code,
                 const char              *message,
                 const char              *order_id)
{
  g_autoptr(JsonObject) body = json_object_new ();
  JsonObject *error = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_string_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  if (order_id != NULL)
    json_object_set_string_member (error, "order_id", order_id);
  json_object_set_object_member (body, "error", error);
  text = leap_json_object_to_string (body);
  send_text (conn, text);
}

static void
send_error (Client     *client,
            const char *message)
{
  send_error_full (client->conn, "malformed", message, NULL);
}

static void
send_order (SoupWebsocketConnection *conn,
            const char              *order_id,
            const char              *status)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_string_member (body, "type", "order");
  json_object_set_string_member (body, "order_id", order_id);
  json_object_set_string_member (body, "status", status);
  text = leap_json_object_to_string (body);
  send_text (conn, text);
}

static Client *
find_client (LeapLive                *self,
             SoupWebsocketConnection *conn)
{
  for (guint i = 0; self->clients != NULL && i < self->clients->len; i++)
    if (((Client *) g_ptr_array_index (self->clients, i))->conn == conn)
      return g_ptr_array_index (self->clients, i);
  return NULL;
}

/* Following an order */

typedef struct
{
  LeapLive                *live;
  SoupWebsocketConnection *conn;
  char                    *order_id;
  LeapSession             *session;
} OrderCheck;

static void
order_check_free (OrderCheck *check)
{
  g_object_unref (check->live);
  g_object_unref (check->conn);
  g_free (check->order_id);
  g_clear_pointer (&check->session, leap_session_free);
  g_free (check);
}

/* The watch a check is for, if the client still follows the order. */
static OrderWatch *
check_get_watch (OrderCheck  *check,
                 Client     **client)
{
  *client = find_client (check->live, check->conn);
  return *client != NULL ? g_hash_table_lookup ((*client)->orders, check->order_id) : NULL;
}

static void
refuse_order (Client     *client,
              const char *order_id,
              const char *code,
              const char *message)
{
  send_error_full (client->conn, code, message, order_id);
  g_hash_table_remove (client->orders, order_id);
}

static void order_check (LeapLive   *self,
                         Client     *client,
                         const char *order_id,
                         OrderWatch *watch);

/* An order that does not exist (yet): while its hold is the session's
 * (held, or being checked out meanwhile) it is waited for. */
static void
hold_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  OrderCheck *check = user_data;
  g_autoptr(JsonObject) hold = leap_holds_object_finish (LEAP_HOLDS (object), result, NULL);
  const char *status = hold != NULL ? leap_json_get_string (hold, "status", "") : "released";
  Client *client;
  OrderWatch *watch = check_get_watch (check, &client);

  if (watch != NULL)
    {
      watch->checking = FALSE;
      /* Settled between the two reads: read it again. */
      if (watch->kept != NULL)
        {
          g_clear_pointer (&watch->kept, g_free);
          order_check (check->live, client, check->order_id, watch);
        }
      else if (g_str_equal (status, "released") || g_str_equal (status, "expired"))
        refuse_order (client, check->order_id, "not_found", "No such order");
    }
  order_check_free (check);
}

static void
order_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  OrderCheck *check = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = leap_orders_object_finish (LEAP_ORDERS (object), result, &error);
  g_autofree char *hold_id = NULL;
  Client *client;
  OrderWatch *watch = check_get_watch (check, &client);
  const char *status;

  /* Gone, or unsubscribed meanwhile. */
  if (watch == NULL)
    {
      order_check_free (check);
      return;
    }
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND) &&
      leap_order_id_parse (check->order_id, &hold_id, NULL))
    {
      /* Not placed yet? Its hold tells: see hold_read_cb (). */
      leap_holds_get_async (check->live->holds, check->session, hold_id, hold_read_cb, check);
      return;
    }
  watch->checking = FALSE;
  if (order == NULL)
    {
      refuse_order (client, check->order_id,
                    g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND) ? "not_found"
                                                                              : "unavailable",
                    error->message);
      order_check_free (check);
      return;
    }
  watch->allowed = TRUE;
  status = leap_json_get_string (order, "status", "pending");
  if (!g_str_equal (status, "pending"))
    send_order (check->conn, check->order_id, status);
  else if (watch->kept != NULL)
    send_order (check->conn, check->order_id, watch->kept);
  g_clear_pointer (&watch->kept, g_free);
  order_check_free (check);
}

static void
order_session_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  OrderCheck *check = user_data;
  g_autoptr(GError) error = NULL;
  Client *client;
  OrderWatch *watch;

  check->session = leap_sessions_lookup_finish (LEAP_SESSIONS (object), result, &error);
  watch = check_get_watch (check, &client);
  if (watch != NULL && check->session == NULL)
    refuse_order (client, check->order_id, "unauthorized",
                  "Sign in first: the token is unknown or expired");
  if (watch == NULL || check->session == NULL)
    {
      order_check_free (check);
      return;
    }
  leap_orders_get_async (check->live->orders, check->session, check->order_id, order_read_cb,
                         check);
}

/* Reads the order with the watch's session (see OrderWatch). */
static void
order_check (LeapLive   *self,
             Client     *client,
             const char *order_id,
             OrderWatch *watch)
{
  OrderCheck *check = g_new0 (OrderCheck, 1);

  watch->checking = TRUE;
  check->live = g_object_ref (self);
  check->conn = g_object_ref (client->conn);
  check->order_id = g_strdup (order_id);
  check->session = leap_sessions_peek (self->sessions, watch->token);
  if (check->session != NULL)
    leap_orders_get_async (self->orders, check->session, order_id, order_read_cb, check);
  else
    leap_sessions_lookup_async (self->sessions, watch->token, order_session_cb, check);
}

/* {"subscribe": {"order": ID, "token": optional}} or {"unsubscribe": {"order": ID}} */
static void
order_message (Client     *client,
               gboolean    subscribe,
               JsonObject *request)
{
  LeapLive *self = client->live;
  const char *order_id = leap_json_get_string (request, "order", NULL);
  const char *token = leap_json_get_string (request, "token", client->token);
  OrderWatch *watch;

  if (order_id == NULL || strlen (order_id) > 100 ||
      (json_object_get_size (request) != 1 && !(subscribe && json_object_get_size (request) == 2 &&
                                                  json_object_has_member (request, "token"))))
    {
      send_error (client, "Send {\"subscribe\": {\"order\": order id}} or {\"unsubscribe\": "
                          "{\"order\": order id}}");
      return;
    }
  if (!subscribe)
    {
      g_hash_table_remove (client->orders, order_id);
      return;
    }
  if (self->sessions == NULL)
    {
      send_error_full (client->conn, "not_found", "Orders cannot be followed here", order_id);
      return;
    }
  if (token == NULL)
    {
      send_error_full (client->conn, "unauthorized",
                       "Sign in first: Authorization: Bearer TOKEN on the upgrade, or \"token\"",
                       order_id);
      return;
    }
  if (g_hash_table_contains (client->orders, order_id))
    return;
  if (g_hash_table_size (client->orders) >= MAX_ORDERS_PER_CLIENT)
    {
      send_error (client, "Too many subscriptions on one connection");
      return;
    }
  /* Subscribed first, checked after: see OrderWatch. */
  watch = g_new0 (OrderWatch, 1);
  watch->token = g_strdup (token);
  g_hash_table_insert (client->orders, g_strdup (order_id), watch);
  order_check (self, client, order_id, watch);
}

/* {"order_id", "status"} from leap-worker on leap:order:ID. */
static void
order_published_cb (LeapRedis  *redis,
                    const char *channel,
                    const char *message,
                    gsize       length,
                    gpointer    user_data)
{
  LeapLive *self = user_data;
  g_autoptr(JsonObject) object = NULL;
  const char *order_id = leap_keys_order_channel_order_id (channel);
  const char *status;

  if (self->clients->len == 0 || order_id == NULL)
    return;
  object = leap_json_parse_object (message, length, NULL);
  if (object == NULL || (status = leap_json_get_string (object, "status", NULL)) == NULL)
    return;
  for (guint c = 0; c < self->clients->len; c++)
    {
      Client *client = g_ptr_array_index (self->clients, c);
      OrderWatch *watch = g_hash_table_lookup (client->orders, order_id);

      if (watch == NULL)
        continue;
      if (watch->allowed)
        send_order (client->conn, order_id, status);
      else if (watch->checking)
        {
          g_free (watch->kept);
          watch->kept = g_strdup (status);
        }
      else
        order_check (self, client, order_id, watch);
    }
}

static void
send_tier (SoupWebsocketConnection *conn,
           gint64                   event_id,
           gint64                   tier_id,
           gint64                   available)
{
  char text[160];

  g_snprintf (text, sizeof text, "{\"event_id\":%" G_GINT64_FORMAT ",\"tier_id\":%" G_GINT64_FORMAT
              ",\"available\":%" G_GINT64_FORMAT "}", event_id, tier_id, available);
  send_text (conn, text);
}

/* The counts of an availability answer, one message a tier. */
static void
send_tiers (SoupWebsocketConnection *conn,
            gint64                   event_id,
            JsonObject              *answer)
{
  JsonArray *tiers = json_object_get_array_member (answer, "tiers");

  for (guint i = 0; i < json_array_get_length (tiers); i++)
    {
      JsonObject *tier = json_array_get_object_element (tiers, i);
      send_tier (conn, event_id, json_object_get_int_member (tier, "tier_id"),
                 json_object_get_int_member (tier, "available"));
    }
}

typedef struct
{
  SoupWebsocketConnection *conn;
  gint64                   event_id;
} Snapshot;

static void
snapshot_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Snapshot *snap = user_data;
  g_autoptr(JsonObject) answer = leap_holds_object_finish (LEAP_HOLDS (object), result, NULL);

  if (answer != NULL)
    send_tiers (snap->conn, snap->event_id, answer);
  g_object_unref (snap->conn);
  g_free (snap);
}

typedef struct
{
  LeapLive *live;
  gint64    event_id;
} Refresh;

static void
refresh_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Refresh *refresh = user_data;
  LeapLive *self = refresh->live;
  g_autoptr(JsonObject) answer = leap_holds_object_finish (LEAP_HOLDS (object), result, NULL);

  /* Every client that follows the event now, some perhaps since the read. */
  for (guint c = 0; answer != NULL && self->clients != NULL && c < self->clients->len; c++)
    {
      Client *client = g_ptr_array_index (self->clients, c);

      if (g_hash_table_contains (client->events, &refresh->event_id))
        send_tiers (client->conn, refresh->event_id, answer);
    }
  g_object_unref (refresh->live);
  g_free (refresh);
}

/* Redis confirmed the subscription to availability: after a cut (Redis
 * restarted, the connection lost or killed) the changes published
 * meanwhile never came, so each event that clients follow is read again
 * (once, whoever follows it) and its counts sent to them. The read is
 * sent after the confirmation, so that no change falls between the two. */
static void
subscribed_cb (LeapLive   *self,
               const char *channel)
{
  g_autoptr(GHashTable) events = NULL;
  GHashTableIter iter;
  gint64 *event_id;

  if (!g_str_equal (channel, leap_keys_avail_channel_pattern ()) || self->clients->len == 0)
    return;
  events = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint c = 0; c < self->clients->len; c++)
    {
      Client *client = g_ptr_array_index (self->clients, c);

      g_hash_table_iter_init (&iter, client->events);
      while (g_hash_table_iter_next (&iter, (gpointer *) &event_id, NULL))
        g_hash_table_add (events, event_id);
    }
  g_debug ("Subscribed to availability again: sending %u events' counts",
           g_hash_table_size (events));
  g_hash_table_iter_init (&iter, events);
  while (g_hash_table_iter_next (&iter, (gpointer *) &event_id, NULL))
    {
      Refresh *refresh = g_new0 (Refresh, 1);

      refresh->live = g_object_ref (self);
      refresh->event_id = *event_id;
      leap_holds_availability_async (self->holds, *event_id, refresh_cb, refresh);
    }
}

/* {"subscribe": [ids]} or {"unsubscribe": [ids]}; a subscription starts
 * with the current counts, so that a client never misses the state between
 * its read and its first change. Every id, and the limit, is checked
 * before anything changes: a refused message changes nothing. */
static void
events_message (Client    *client,
                gboolean   subscribe,
                JsonArray *ids)
{
  guint n = json_array_get_length (ids);
  g_autofree gint64 *values = g_new (gint64, MAX (n, 1));
  /* Ids not followed yet, once each; the keys point into values. */
  g_autoptr(GHashTable) fresh = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (ids, i);

      values[i] = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64
                  ? json_node_get_int (node) : 0;
      if (values[i] <= 0)
        {
          send_error (client, "Event ids are positive integers");
          return;
        }
      if (subscribe && !g_hash_table_contains (client->events, &values[i]))
        g_hash_table_add (fresh, &values[i]);
    }
  if (g_hash_table_size (client->events) + g_hash_table_size (fresh) > MAX_EVENTS_PER_CLIENT)
    {
      send_error (client, "Too many subscriptions on one connection");
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      gint64 *key;
      Snapshot *snap;

      if (!subscribe)
        {
          g_hash_table_remove (client->events, &values[i]);
          continue;
        }
      if (!g_hash_table_remove (fresh, &values[i]))
        continue;
      key = g_memdup2 (&values[i], sizeof values[i]);
      g_hash_table_add (client->events, key);
      snap = g_new0 (Snapshot, 1);
      snap->conn = g_object_ref (client->conn);
      snap->event_id = values[i];
      leap_holds_availability_async (client->live->holds, values[i], snapshot_cb, snap);
    }
}

static void
message_cb (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *message,
            Client                  *client)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  gboolean subscribe;
  JsonNode *ids;

  client->heard = g_get_monotonic_time ();
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      send_error (client, "Send text messages of JSON");
      return;
    }
  object = leap_json_parse_object (g_bytes_get_data (message, NULL), g_bytes_get_size (message),
                                   &error);
  if (object == NULL)
    {
      send_error (client, error->message);
      return;
    }
  subscribe = json_object_has_member (object, "subscribe");
  ids = json_object_get_member (object, subscribe ? "subscribe" : "unsubscribe");
  if (ids != NULL && JSON_NODE_HOLDS_OBJECT (ids) && json_object_get_size (object) == 1)
    {
      order_message (client, subscribe, json_node_get_object (ids));
      return;
    }
  if (ids == NULL || !JSON_NODE_HOLDS_ARRAY (ids) || json_object_get_size (object) != 1)
    {
      send_error (client, "Send {\"subscribe\": [event ids]} or {\"unsubscribe\": [event ids]}");
      return;
    }
  events_message (client, subscribe, json_node_get_array (ids));
}

/* Limits */

static gboolean
address_take (LeapLive   *self,
              const char *address)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));

  if (self->limits.max_per_address > 0 && n >= self->limits.max_per_address)
    return FALSE;
  g_hash_table_replace (self->per_address, g_strdup (address), GUINT_TO_POINTER (n + 1));
  return TRUE;
}

static void
address_release (LeapLive   *self,
                 const char *address)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_address, address));

  if (n > 1)
    g_hash_table_replace (self->per_address, g_strdup (address), GUINT_TO_POINTER (n - 1));
  else
    g_hash_table_remove (self->per_address, address);
}

/* The place an upgrade under way takes, so that upgrades sent at once
 * cannot pass the limit together; given back if the request ends without
 * becoming a socket (a bad handshake, a client gone). */
typedef struct
{
  LeapLive *live;
  char     *address;
} Slot;

static void
slot_free (Slot *slot)
{
  if (slot->address != NULL)
    address_release (slot->live, slot->address);
  g_object_unref (slot->live);
  g_free (slot->address);
  g_free (slot);
}

static const LeapRoute live_route = { "GET", "/api/v1/live", NULL, NULL };

/* Runs before libsoup's handshake: an upgrade past its address's limit is
 * answered 429, as an API error, and never becomes a socket. */
static void
upgrade_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  LeapLive *self = user_data;
  g_autoptr(LeapRequest) req = leap_request_new (self->ctx, msg, path, query);
  const char *address = leap_request_get_client (req);
  Slot *slot;

  if (!address_take (self, address))
    {
      req->route = &live_route;
      leap_router_add_common_headers (req);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "10");
      leap_request_reply_new_error (req, LEAP_ERROR_RATE_LIMITED,
                                    N_("Too many live connections from your address (at most %u)"),
                                    self->limits.max_per_address);
      return;
    }
  slot = g_new0 (Slot, 1);
  slot->live = g_object_ref (self);
  slot->address = g_strdup (address);
  g_object_set_data_full (G_OBJECT (msg), "leap-live-slot", slot, (GDestroyNotify) slot_free);
}

/* Once a second. Closing is asynchronous: no client leaves the array here. */
static gboolean
sweep_cb (gpointer user_data)
{
  LeapLive *self = user_data;
  gint64 now = g_get_monotonic_time ();
  /* Two pings unanswered; their timer fires on whole seconds, up to one late. */
  gint64 deaf = (2 * (gint64) self->limits.ping_interval_s + 1) * G_USEC_PER_SEC;
  gint64 idle = (gint64) self->limits.idle_timeout_s * G_USEC_PER_SEC;

  for (guint i = 0; i < self->clients->len; i++)
    {
      Client *client = g_ptr_array_index (self->clients, i);

      if (soup_websocket_connection_get_state (client->conn) != SOUP_WEBSOCKET_STATE_OPEN)
        continue;
      if (client->signed_in || g_hash_table_size (client->events) > 0 ||
          g_hash_table_size (client->orders) > 0)
        client->idle_since = 0;
      else if (client->idle_since == 0)
        client->idle_since = now;

      if (self->limits.ping_interval_s > 0 && now - client->heard > deaf)
        soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                         "No answer to ping");
      else if (idle > 0 && client->idle_since != 0 && now - client->idle_since >= idle)
        soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                         "Subscribed to nothing");
    }
  return G_SOURCE_CONTINUE;
}

static void
pong_cb (SoupWebsocketConnection *conn,
         GBytes                  *message,
         Client                  *client)
{
  client->heard = g_get_monotonic_time ();
}

/* A socket whose upgrade carried a session may wait for what it follows. */
typedef struct
{
  LeapLive                *live;
  SoupWebsocketConnection *conn;
} Upgrade;

static void
upgrade_session_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Upgrade *upgrade = user_data;
  g_autoptr(LeapSession) session = leap_sessions_lookup_finish (LEAP_SESSIONS (object), result,
                                                                NULL);
  Client *client = find_client (upgrade->live, upgrade->conn);

  if (client != NULL && session != NULL)
    client->signed_in = TRUE;
  g_object_unref (upgrade->live);
  g_object_unref (upgrade->conn);
  g_free (upgrade);
}

static void
closed_cb (SoupWebsocketConnection *conn,
           Client                  *client)
{
  if (client->address != NULL)
    address_release (client->live, client->address);
  g_ptr_array_remove (client->live->clients, client);
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  LeapLive *self = user_data;
  Client *client = g_new0 (Client, 1);
  Slot *slot = g_object_steal_data (G_OBJECT (msg), "leap-live-slot");
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");

  client->live = self;
  client->conn = g_object_ref (conn);
  client->events = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  client->orders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)order_watch_free);
  client->heard = client->idle_since = g_get_monotonic_time ();
  if (slot != NULL)
    {
      client->address = g_steal_pointer (&slot->address);
      slot_free (slot);
    }
  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0 && auth[7] != '\0')
    client->token = g_strdup (auth + 7);
  if (client->token != NULL && self->sessions != NULL)
    {
      g_autoptr(LeapSession) session = leap_sessions_peek (self->sessions, client->token);

      client->signed_in = session != NULL;
      if (session == NULL)
        {
          Upgrade *upgrade = g_new0 (Upgrade, 1);

          upgrade->live = g_object_ref (self);
          upgrade->conn = g_object_ref (conn);
          leap_sessions_lookup_async (self->sessions, client->token, upgrade_session_cb, upgrade);
        }
    }
  soup_websocket_connection_set_max_incoming_payload_size (conn, MAX_MESSAGE);
  soup_websocket_connection_set_keepalive_interval (conn, self->limits.ping_interval_s);
  g_signal_connect (conn, "message", G_CALLBACK (message_cb), client);
  g_signal_connect (conn, "pong", G_CALLBACK (pong_cb), client);
  g_signal_connect (conn, "closed", G_CALLBACK (closed_cb), client);
  g_ptr_array_add (self->clients, client);
}

/* {"event_id": E, "tiers": [{"tier_id", "available"}]} from a script. */
static void
published_cb (LeapRedis  *redis,
              const char *channel,
              const char *message,
              gsize       length,
              gpointer    user_data)
{
  LeapLive *self = user_data;
  g_autoptr(JsonObject) object = NULL;
  JsonArray *tiers;
  gint64 event_id;

  /* A flash sale publishes on every hold: with no one listening here, skip
   * the parse. */
  if (self->clients->len == 0)
    return;
  object = leap_json_parse_object (message, length, NULL);
  if (object == NULL)
    return;
  event_id = leap_json_get_int (object, "event_id", 0);
  tiers = json_object_get_array_member (object, "tiers");
  if (tiers == NULL)
    return;
  for (guint c = 0; c < self->clients->len; c++)
    {
      Client *client = g_ptr_array_index (self->clients, c);

      if (!g_hash_table_contains (client->events, &event_id))
        continue;
      for (guint i = 0; i < json_array_get_length (tiers); i++)
        {
          JsonObject *tier = json_array_get_object_element (tiers, i);
          send_tier (client->conn, event_id, leap_json_get_int (tier, "tier_id", 0),
                     leap_json_get_int (tier, "available", 0));
        }
    }
}

guint
leap_live_get_n_clients (LeapLive *self)
{
  return self->clients->len;
}

static void
leap_live_dispose (GObject *object)
{
  LeapLive *self = LEAP_LIVE (object);

  if (self->subscriber != NULL)
    {
      leap_redis_unsubscribe_all (self->subscriber, self);
      g_signal_handlers_disconnect_by_data (self->subscriber, self);
    }
  g_clear_object (&self->subscriber);
  g_clear_object (&self->holds);
  g_clear_object (&self->sessions);
  g_clear_object (&self->orders);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->clients != NULL)
    for (guint i = 0; i < self->clients->len; i++)
      {
        Client *client = g_ptr_array_index (self->clients, i);
        if (soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
          soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      }
  g_clear_pointer (&self->clients, g_ptr_array_unref);
  g_clear_pointer (&self->per_address, g_hash_table_unref);

  G_OBJECT_CLASS (leap_live_parent_class)->dispose (object);
}

static void
leap_live_class_init (LeapLiveClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = leap_live_dispose;
}

static void
leap_live_init (LeapLive *self)
{
  self->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) client_free);
  self->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->limits.ping_interval_s = DEFAULT_PING_INTERVAL;
  self->sweep_id = g_timeout_add_seconds (1, sweep_cb, self);
}

LeapLive *
leap_live_new (SoupServer *server,
               LeapRedis  *subscriber,
               LeapHolds  *holds)
{
  LeapLive *self = g_object_new (LEAP_TYPE_LIVE, NULL);

  self->subscriber = g_object_ref (subscriber);
  self->holds = g_object_ref (holds);
  g_signal_connect_swapped (subscriber, "subscribed", G_CALLBACK (subscribed_cb), self);
  leap_redis_subscribe (subscriber, leap_keys_avail_channel_pattern (), published_cb, self);
  soup_server_add_websocket_handler (server, "/api/v1/live", NULL, NULL, websocket_cb, self, NULL);
  return self;
}

void
leap_live_watch_orders (LeapLive     *self,
                        LeapSessions *sessions,
                        LeapOrders   *orders)
{
  g_return_if_fail (LEAP_IS_LIVE (self));
  g_return_if_fail (self->sessions == NULL);

  self->sessions = g_object_ref (sessions);
  self->orders = g_object_ref (orders);
  leap_redis_subscribe (self->subscriber, leap_keys_order_channel_pattern (),
                        order_published_cb, self);
}

void
leap_live_set_limits (LeapLive             *self,
                      LeapHttpContext      *ctx,
                      const LeapLiveLimits *limits)
{
  g_return_if_fail (LEAP_IS_LIVE (self));
  g_return_if_fail (self->ctx == NULL);

  self->ctx = ctx;
  self->limits = *limits;
  soup_server_add_handler (ctx->server, "/api/v1/live", upgrade_cb, self, NULL);
}
