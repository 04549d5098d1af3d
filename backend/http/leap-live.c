/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-live"

#include "leap-live.h"
#include "leap-error.h"
#include "leap-json.h"

#include <string.h>

#define CHANNELS "leap:avail:*"
#define MAX_MESSAGE 4096
#define MAX_EVENTS_PER_CLIENT 200

struct _LeapLive
{
  GObject     parent_instance;

  /* Owned */
  LeapRedis  *subscriber;
  LeapHolds  *holds;
  GPtrArray  *clients; /* Client */
};

G_DEFINE_FINAL_TYPE (LeapLive, leap_live, G_TYPE_OBJECT)

typedef struct
{
  LeapLive                *live; /* Borrowed */
  SoupWebsocketConnection *conn;
  GHashTable              *events; /* event ids */
} Client;

static void
client_free (Client *client)
{
  g_signal_handlers_disconnect_by_data (client->conn, client);
  g_object_unref (client->conn);
  g_hash_table_unref (client->events);
  g_free (client);
}

static void
send_error (Client     *client,
            const char *message)
{
  g_autoptr(JsonObject) body = json_object_new ();
  JsonObject *error = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_string_member (error, "code", "malformed");
  json_object_set_string_member (error, "message", message);
  json_object_set_object_member (body, "error", error);
  text = leap_json_object_to_string (body);
  soup_websocket_connection_send_text (client->conn, text);
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
  soup_websocket_connection_send_text (conn, text);
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

  if (answer != NULL && soup_websocket_connection_get_state (snap->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    {
      JsonArray *tiers = json_object_get_array_member (answer, "tiers");

      for (guint i = 0; i < json_array_get_length (tiers); i++)
        {
          JsonObject *tier = json_array_get_object_element (tiers, i);
          send_tier (snap->conn, snap->event_id, json_object_get_int_member (tier, "tier_id"),
                     json_object_get_int_member (tier, "available"));
        }
    }
  g_object_unref (snap->conn);
  g_free (snap);
}

/* {"subscribe": [ids]} or {"unsubscribe": [ids]}; a subscription starts
 * with the current counts, so that a client never misses the state between
 * its read and its first change. */
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

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      send_error (client, "Send text messages of JSON");
      return;
    }
  object = leap_json_parse_object (g_bytes_get_data (message, NULL), g_bytes_get_size (message), &error);
  if (object == NULL)
    {
      send_error (client, error->message);
      return;
    }
  subscribe = json_object_has_member (object, "subscribe");
  ids = json_object_get_member (object, subscribe ? "subscribe" : "unsubscribe");
  if (ids == NULL || !JSON_NODE_HOLDS_ARRAY (ids) || json_object_get_size (object) != 1)
    {
      send_error (client, "Send {\"subscribe\": [event ids]} or {\"unsubscribe\": [event ids]}");
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (ids)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (ids), i);
      gint64 id = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64
                  ? json_node_get_int (node) : 0;

      if (id <= 0)
        {
          send_error (client, "Event ids are positive integers");
          return;
        }
      if (!subscribe)
        g_hash_table_remove (client->events, &id);
      else if (g_hash_table_size (client->events) >= MAX_EVENTS_PER_CLIENT)
        {
          send_error (client, "Too many subscriptions on one connection");
          return;
        }
      else if (!g_hash_table_contains (client->events, &id))
        {
          gint64 *key = g_new (gint64, 1);
          Snapshot *snap = g_new0 (Snapshot, 1);

          *key = id;
          g_hash_table_add (client->events, key);
          snap->conn = g_object_ref (conn);
          snap->event_id = id;
          leap_holds_availability_async (client->live->holds, id, snapshot_cb, snap);
        }
    }
}

static void
closed_cb (SoupWebsocketConnection *conn,
           Client                  *client)
{
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

  client->live = self;
  client->conn = g_object_ref (conn);
  client->events = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  soup_websocket_connection_set_max_incoming_payload_size (conn, MAX_MESSAGE);
  soup_websocket_connection_set_keepalive_interval (conn, 30);
  g_signal_connect (conn, "message", G_CALLBACK (message_cb), client);
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

      if (!g_hash_table_contains (client->events, &event_id) ||
          soup_websocket_connection_get_state (client->conn) != SOUP_WEBSOCKET_STATE_OPEN)
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
    leap_redis_unsubscribe_all (self->subscriber, self);
  g_clear_object (&self->subscriber);
  g_clear_object (&self->holds);
  if (self->clients != NULL)
    for (guint i = 0; i < self->clients->len; i++)
      {
        Client *client = g_ptr_array_index (self->clients, i);
        if (soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
          soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      }
  g_clear_pointer (&self->clients, g_ptr_array_unref);

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
}

LeapLive *
leap_live_new (SoupServer *server,
               LeapRedis  *subscriber,
               LeapHolds  *holds)
{
  LeapLive *self = g_object_new (LEAP_TYPE_LIVE, NULL);

  self->subscriber = g_object_ref (subscriber);
  self->holds = g_object_ref (holds);
  leap_redis_subscribe (subscriber, CHANNELS, published_cb, self);
  soup_server_add_websocket_handler (server, "/api/v1/live", NULL, NULL, websocket_cb, self, NULL);
  return self;
}
