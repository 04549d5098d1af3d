/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapOrders: reading an order, written or still pending. */
#define G_LOG_DOMAIN "leap-orders"

#include "leap-orders-private.h"
#include "leap-error.h"
#include "leap-holds.h"
#include "leap-json.h"
#include "leap-keys.h"
#include "leap-order-code.h"
#include "leap-reply.h"

#include <glib/gi18n.h>

static const char * const staff[] = { "admin", "manager", "cashier", NULL };

/* Reading an order */

typedef struct
{
  char   *order_id;
  char   *hold_id;
  gint64  event_id;
  char   *owner;
  gboolean staff;
} Get;

static void
get_free (Get *g)
{
  g_free (g->order_id);
  g_free (g->hold_id);
  g_free (g->owner);
  g_free (g);
}

/* The prices of a hold the database has: its own (a hold of the database)
 * or, for an order Redis took, those of its checkout message. */
static const char *
held_prices (JsonObject *db_hold)
{
  g_autoptr(JsonObject) message = NULL;
  g_autofree char *prices = NULL;
  JsonNode *lines;

  if (!json_object_has_member (db_hold, "message"))
    return leap_json_get_string (db_hold, "prices", NULL);
  message = leap_json_parse_object (leap_json_get_string (db_hold, "message", ""), -1, NULL);
  lines = message ? json_object_get_member (message, "lines") : NULL;
  if (lines == NULL || !JSON_NODE_HOLDS_ARRAY (lines))
    return NULL;
  prices = leap_hold_prices_format (json_node_get_array (lines));
  json_object_set_string_member (db_hold, "prices", prices);
  return leap_json_get_string (db_hold, "prices", NULL);
}

/* What a pending order's answer is made of: the order asked for, and its
 * hold as Redis has it (or had it: Redis down or back without its data). */
typedef struct
{
  char     *order_id;
  char     *hold_id;
  gint64    event_id;
  char     *owner;
  gboolean  staff;
  gboolean  redis_failed;
  gboolean  in_redis;   /* Redis has the hold */
  char     *status;     /* the hold's, in Redis */
  char     *items;
  char     *prices;
} Pending;

static void
pending_free (Pending *pending)
{
  g_free (pending->order_id);
  g_free (pending->hold_id);
  g_free (pending->owner);
  g_free (pending->status);
  g_free (pending->items);
  g_free (pending->prices);
  g_free (pending);
}

/* A pending order's answer: its lines at the hold's prices. */
static JsonObject *
pending_answer (LeapStore  *store,
                Pending    *pending,
                const char *items,
                const char *prices,
                GError    **error)
{
  g_autofree char *currency = NULL;
  JsonObject *answer;
  JsonArray *lines;
  gint64 total = 0;

  lines = _leap_orders_price_lines (store, pending->event_id, items, prices, &total, &currency,
                                    error);
  if (lines == NULL)
    return NULL;
  answer = _leap_orders_pending_answer (pending->order_id, pending->hold_id, pending->event_id);
  json_object_set_array_member (answer, "lines", lines);
  json_object_set_int_member (answer, "total", total);
  json_object_set_string_member (answer, "currency", currency);
  json_object_set_null_member (answer, "payment");
  json_object_set_array_member (answer, "tickets", json_array_new ());
  return answer;
}

/* In a thread of the store's pool: the order's record, or its answer as
 * pending. */
static gpointer
pending_run (LeapStore *store,
             gpointer   data,
             GError   **error)
{
  Pending *pending = data;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(JsonObject) db_hold = NULL;

  /* Redis down, or back without its data: an order placed while Redis was
   * down waits in the database's outbox, one Redis took is kept among the
   * accepted orders. */
  if (pending->redis_failed || !pending->in_redis)
    {
      db_hold = leap_store_get_accepted_order (store, pending->order_id, NULL);
      if (db_hold == NULL && leap_hold_id_is_db (pending->hold_id))
        {
          db_hold = leap_store_db_hold_get (store, pending->hold_id, NULL);
          if (db_hold != NULL &&
              g_strcmp0 (leap_json_get_string (db_hold, "order_id", NULL), pending->order_id) != 0)
            g_clear_pointer (&db_hold, json_object_unref);
        }
      if (db_hold == NULL && pending->redis_failed)
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               N_("Orders cannot be read right now"));
          return NULL;
        }
      if (db_hold == NULL ||
          (!pending->staff &&
           g_strcmp0 (leap_json_get_string (db_hold, "owner", NULL), pending->owner) != 0))
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such order"));
          return NULL;
        }
      return pending_answer (store, pending, leap_json_get_string (db_hold, "items", ""),
                             held_prices (db_hold), error);
    }
  /* The worker may have written it meanwhile. */
  if (g_strcmp0 (pending->status, "checking_out") != 0)
    {
      stored = leap_store_get_order (store, pending->order_id, error);
      if (stored == NULL)
        return NULL;
      json_object_remove_member (stored, "owner");
      json_object_remove_member (stored, "user_id");
      return g_steal_pointer (&stored);
    }
  return pending_answer (store, pending, pending->items, pending->prices, error);
}

static void
pending_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = g_task_get_source_object (task);
  Get *g = g_task_get_task_data (task);
  Pending *pending;

  if (error == NULL && leap_reply_n_elements (reply) > 0 &&
      ((!g->staff && g_strcmp0 (leap_reply_field (reply, "owner"), g->owner) != 0) ||
       g_strcmp0 (leap_reply_field (reply, "order"), g->order_id) != 0))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such order"));
      return;
    }
  pending = g_new0 (Pending, 1);
  pending->order_id = g_strdup (g->order_id);
  pending->hold_id = g_strdup (g->hold_id);
  pending->event_id = g->event_id;
  pending->owner = g_strdup (g->owner);
  pending->staff = g->staff;
  pending->redis_failed = error != NULL;
  pending->in_redis = error == NULL && leap_reply_n_elements (reply) > 0;
  if (pending->in_redis)
    {
      pending->status = g_strdup (leap_reply_field (reply, "status"));
      pending->items = g_strdup (leap_reply_field (reply, "items"));
      pending->prices = g_strdup (leap_reply_field (reply, "prices"));
    }
  leap_store_call_async (self->store, pending_run, pending, (GDestroyNotify) pending_free,
                         (GDestroyNotify) json_object_unref, NULL,
                         _leap_orders_return_answer_cb, g_steal_pointer (&task));
}

/* In a thread of the store's pool: the order a short code or an id
 * names, and its record if it is written. */
typedef struct
{
  char       *code;      /* normalized, or NULL */
  char       *order_id;  /* as asked; then the code's order */
  JsonObject *stored;
} Lookup;

static void
lookup_free (Lookup *l)
{
  g_free (l->code);
  g_free (l->order_id);
  g_clear_pointer (&l->stored, json_object_unref);
  g_free (l);
}

static gpointer
lookup_run (LeapStore *store,
            gpointer   data,
            GError   **error)
{
  Lookup *l = data;
  g_autoptr(JsonObject) known = l->code ? leap_store_find_order_code (store, l->code, NULL)
                                        : NULL;
  g_autoptr(GError) local_error = NULL;

  /* A short code stands for its order's id. */
  if (known != NULL)
    {
      g_free (l->order_id);
      l->order_id = g_strdup (leap_json_get_string (known, "order_id", ""));
    }
  l->stored = leap_store_get_order (store, l->order_id, &local_error);
  if (l->stored == NULL && !g_error_matches (local_error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return l;
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = g_task_get_source_object (task);
  Get *g = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  Lookup *l = leap_store_call_finish (LEAP_STORE (object), result, &error);
  g_autofree char *key = NULL;

  if (l == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!leap_order_id_parse (l->order_id, &g->hold_id, &g->event_id))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such order"));
      return;
    }
  g->order_id = g_strdup (l->order_id);

  /* The database is the record of every finished order. */
  if (l->stored != NULL)
    {
      JsonObject *stored = g_steal_pointer (&l->stored);

      if (!g->staff && g_strcmp0 (leap_json_get_string (stored, "owner", NULL), g->owner) != 0)
        {
          json_object_unref (stored);
          g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such order"));
          return;
        }
      json_object_remove_member (stored, "owner");
      json_object_remove_member (stored, "user_id");
      g_task_return_pointer (task, stored, (GDestroyNotify) json_object_unref);
      return;
    }
  /* Not written yet: pending while its hold is being checked out. */
  key = leap_keys_hold (g->event_id, g->hold_id);
  leap_redis_command_full (self->redis, pending_cb, g_steal_pointer (&task), g_object_unref,
                           "HGETALL", key, NULL);
}

void
leap_orders_get_async (LeapOrders         *self,
                       const LeapSession  *session,
                       const char         *order_id,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  GTask *task = _leap_orders_task_new (self, leap_orders_get_async, callback, user_data);
  Get *g = g_new0 (Get, 1);
  Lookup *l = g_new0 (Lookup, 1);

  g_task_set_task_data (task, g, (GDestroyNotify) get_free);
  g->owner = g_strdup (session->token_hash);
  g->staff = leap_session_has_role (session, staff);
  l->code = leap_order_code_normalize (order_id);
  l->order_id = g_strdup (order_id);
  leap_store_call_async (self->store, lookup_run, l, (GDestroyNotify) lookup_free, NULL, NULL,
                         looked_up_cb, task);
}

/* Returns the pool's answer (or error) on the task given as user_data. */
void
_leap_orders_return_answer_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *answer = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
}

/* In a thread of the store's pool. */
static gpointer
code_run (LeapStore *store,
          gpointer   data,
          GError   **error)
{
  return leap_store_find_order_code (store, data, NULL);
}

static void
code_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  JsonObject *order = g_task_get_task_data (task);
  g_autoptr(JsonObject) known = leap_store_call_finish (LEAP_STORE (object), result, NULL);
  g_autofree char *first = NULL;

  if (known == NULL)
    first = leap_order_code_candidate (leap_json_get_string (order, "order_id", ""), 0);
  json_object_set_string_member (order, "code",
                                 known ? leap_json_get_string (known, "code", "") : first);
  g_task_return_pointer (task, json_object_ref (order), (GDestroyNotify) json_object_unref);
}

/* The answer of the inner task, with its short code. A pending order's
 * code is in the database from its acceptance on; until then (an answer
 * that did not wait for the write) it is the first candidate, which is the
 * one it gets unless another order took it. */
static void
with_code_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = LEAP_ORDERS (object);
  g_autoptr(GError) error = NULL;
  JsonObject *order = g_task_propagate_pointer (G_TASK (result), &error);
  const char *order_id = order ? leap_json_get_string (order, "order_id", NULL) : NULL;

  if (order == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (order_id == NULL || leap_json_get_string (order, "code", NULL) != NULL)
    g_task_return_pointer (task, order, (GDestroyNotify) json_object_unref);
  else
    {
      g_task_set_task_data (task, order, (GDestroyNotify) json_object_unref);
      leap_store_call_async (self->store, code_run, g_strdup (order_id), g_free,
                             (GDestroyNotify) json_object_unref, NULL, code_cb,
                             g_steal_pointer (&task));
    }
}

/* The task of placing or reading an order: the caller's is returned, with
 * the order's short code, by the one this returns (see
 * leap_orders_object_finish ()). */
GTask *
_leap_orders_task_new (LeapOrders         *self,
                       gpointer            source_tag,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  GTask *outer = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (outer, source_tag);
  return g_task_new (self, NULL, with_code_cb, outer);
}

JsonObject *
leap_orders_object_finish (LeapOrders   *self,
                           GAsyncResult *result,
                           GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
