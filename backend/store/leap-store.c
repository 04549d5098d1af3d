/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-store.h"
#include "leap-store-sqlite.h"
#include "leap-error.h"

typedef struct
{
  guint64 queries;
} LeapStorePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (LeapStore, leap_store, G_TYPE_OBJECT)

static void
leap_store_class_init (LeapStoreClass *klass)
{
}

static void
leap_store_init (LeapStore *self)
{
}

const char *
leap_kind_to_string (LeapKind kind)
{
  static const char *names[] = { "venue", "event", "tier", "offer" };

  g_return_val_if_fail (kind < LEAP_N_KINDS, "unknown");
  return names[kind];
}

/* Opens the database a URL names: sqlite:PATH (PostgreSQL to follow). */
LeapStore *
leap_store_open (const char *url,
                 GError    **error)
{
  g_return_val_if_fail (url != NULL, NULL);

  if (g_str_has_prefix (url, "sqlite:"))
    return leap_store_sqlite_new (url + strlen ("sqlite:"), error);

  g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
               "Unsupported database URL “%s”: use sqlite:PATH", url);
  return NULL;
}

guint64
leap_store_get_query_count (LeapStore *self)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);
  return priv->queries;
}

void
leap_store_count_query (LeapStore *self)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);
  priv->queries++;
}

#define FORWARD(name, ret, ...) LEAP_STORE_GET_CLASS (self)->name (self, __VA_ARGS__)

gboolean
leap_store_ping (LeapStore *self, GError **error)
{
  return FORWARD (ping, gboolean, error);
}

JsonObject *
leap_store_get (LeapStore *self, LeapKind kind, gint64 id, GError **error)
{
  return FORWARD (get, JsonObject *, kind, id, error);
}

JsonArray *
leap_store_list_venues (LeapStore *self, GError **error)
{
  return FORWARD (list_venues, JsonArray *, error);
}

JsonArray *
leap_store_list_events (LeapStore *self, const LeapEventFilter *filter, GError **error)
{
  return FORWARD (list_events, JsonArray *, filter, error);
}

JsonArray *
leap_store_list_children (LeapStore *self, LeapKind kind, gint64 event_id, GError **error)
{
  return FORWARD (list_children, JsonArray *, kind, event_id, error);
}

JsonArray *
leap_store_list_availability (LeapStore *self, gint64 event_id, GError **error)
{
  return FORWARD (list_availability, JsonArray *, event_id, error);
}

/* What Redis needs to count tickets: tier_id, event_id, capacity, sold,
 * max_per_order of one event, or of every event on sale with event_id 0. */
JsonArray *
leap_store_list_inventory (LeapStore *self, gint64 event_id, GError **error)
{
  return FORWARD (list_inventory, JsonArray *, event_id, error);
}

JsonArray *
leap_store_list_changes (LeapStore *self, gint64 since, guint limit, GError **error)
{
  return FORWARD (list_changes, JsonArray *, since, limit, error);
}

JsonObject *
leap_store_create (LeapStore *self, LeapKind kind, gint64 event_id, JsonObject *fields,
                   gint64 actor, GError **error)
{
  return FORWARD (create, JsonObject *, kind, event_id, fields, actor, error);
}

JsonObject *
leap_store_update (LeapStore *self, LeapKind kind, gint64 id, JsonObject *patch,
                   gint64 actor, GError **error)
{
  return FORWARD (update, JsonObject *, kind, id, patch, actor, error);
}

JsonObject *
leap_store_remove (LeapStore *self, LeapKind kind, gint64 id, gint64 actor, GError **error)
{
  return FORWARD (remove, JsonObject *, kind, id, actor, error);
}

gint64
leap_store_create_user (LeapStore *self, const char *username, const char *role,
                        const char *password_hash, GError **error)
{
  return FORWARD (create_user, gint64, username, role, password_hash, error);
}

JsonObject *
leap_store_get_user (LeapStore *self, const char *username, GError **error)
{
  return FORWARD (get_user, JsonObject *, username, error);
}

gboolean
leap_store_set_password_hash (LeapStore *self, gint64 user_id, const char *password_hash,
                              GError **error)
{
  return FORWARD (set_password_hash, gboolean, user_id, password_hash, error);
}

gboolean
leap_store_put_session (LeapStore *self, JsonObject *session, GError **error)
{
  return FORWARD (put_session, gboolean, session, error);
}

JsonObject *
leap_store_get_session (LeapStore *self, const char *token_hash, GError **error)
{
  return FORWARD (get_session, JsonObject *, token_hash, error);
}

gboolean
leap_store_revoke_session (LeapStore *self, const char *token_hash, gint64 now, GError **error)
{
  return FORWARD (revoke_session, gboolean, token_hash, now, error);
}
