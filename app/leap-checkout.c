/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include "leap-checkout.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-offline-cache.h"

#include <glib/gi18n.h>

/* Checkout: turns a held cart into a paid order. The order is written to
 * the offline cache before it is sent (an order's id is its hold's, so it
 * is known in advance) and again with every answer, so a sale the server
 * confirmed is never lost and never listed twice, whatever the network
 * does in between. The result is polled with a short back-off until the
 * worker has settled it. */
struct _LeapCheckout
{
  GObject parent_instance;

  /* Owned */
  LeapClient       *client;
  LeapOfflineCache *cache;
  GHashTable       *polling;  /* order id → GTask (borrowed) waiting for its result */
};

G_DEFINE_FINAL_TYPE (LeapCheckout, leap_checkout, G_TYPE_OBJECT)

/* Posting is retried when the answer may not have arrived; the order is
 * polled from 100 ms doubling to 1 s, up to 5 s while the server is away,
 * for at most two minutes (a card terminal can take a while). */
#define POST_ATTEMPTS   5
#define POLL_FIRST_MS   100
#define POLL_MAX_MS     1000
#define POLL_AWAY_MS    5000
#define POLL_DEADLINE_S 120

/* The two minutes, or LEAP_CHECKOUT_DEADLINE_S seconds: tests shorten
 * them to see what the device says once it has waited long enough. */
static gint64
poll_deadline_s (void)
{
  const char *env = g_getenv ("LEAP_CHECKOUT_DEADLINE_S");
  guint64 seconds;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, POLL_DEADLINE_S, &seconds, NULL))
    return seconds;
  return POLL_DEADLINE_S;
}

typedef struct
{
  JsonObject *record;
  JsonObject *payment;
  JsonObject *customer;
  char       *hold_id;
  char       *order_id;
  char       *key;
  guint       attempt;
  guint       delay_ms;
  guint       timeout_id;
  gint64      deadline;
  LeapPlaced  placed;
  gboolean    maybe_sent;   /* a POST left: the server may have the order */
  GError     *post_error;   /* set while asking the server whether it has it */
  GError     *pending_error;
} PayData;

static void
pay_data_free (PayData *data)
{
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  g_clear_pointer (&data->record, json_object_unref);
  g_clear_pointer (&data->payment, json_object_unref);
  g_clear_pointer (&data->customer, json_object_unref);
  g_clear_pointer (&data->hold_id, g_free);
  g_clear_pointer (&data->order_id, g_free);
  g_clear_pointer (&data->key, g_free);
  g_clear_error (&data->post_error);
  g_clear_error (&data->pending_error);
  g_free (data);
}

static void
leap_checkout_dispose (GObject *object)
{
  LeapCheckout *self = (LeapCheckout *) object;

  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_pointer (&self->polling, g_hash_table_unref);

  G_OBJECT_CLASS (leap_checkout_parent_class)->dispose (object);
}

static void
leap_checkout_class_init (LeapCheckoutClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = leap_checkout_dispose;
}

static void
leap_checkout_init (LeapCheckout *self)
{
  self->polling = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void poll_order (GTask *task);

/* The WebSocket says the order is settled: read it now rather than at the
 * next poll. */
static void
order_settled_cb (LeapCheckout *self,
                  const char   *order_id,
                  const char   *status)
{
  GTask *task = self->polling ? g_hash_table_lookup (self->polling, order_id) : NULL;
  PayData *data;

  if (task == NULL)
    return;
  data = g_task_get_task_data (task);
  if (data->timeout_id == 0)
    return;   /* a request is under way already */
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  poll_order (task);
}

LeapCheckout *
leap_checkout_new (LeapClient       *client,
                   LeapOfflineCache *cache)
{
  LeapCheckout *self;

  g_return_val_if_fail (LEAP_IS_CLIENT (client), NULL);
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (cache), NULL);

  self = g_object_new (LEAP_TYPE_CHECKOUT, NULL);
  self->client = g_object_ref (client);
  self->cache = g_object_ref (cache);
  g_signal_connect_object (client, "order-settled", G_CALLBACK (order_settled_cb), self,
                           G_CONNECT_SWAPPED);
  return self;
}

/* A copy of @record with every member of @server_order over it. */
JsonObject *
leap_checkout_merge (JsonObject *record,
                     JsonObject *server_order)
{
  g_autofree char *text = leap_json_object_to_string (record);
  JsonObject *merged = leap_json_parse_object (text, -1, NULL);
  GList *members;

  if (server_order == NULL)
    return merged;
  members = json_object_get_members (server_order);
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (merged, l->data,
                            json_node_copy (json_object_get_member (server_order, l->data)));
  g_list_free (members);
  return merged;
}

static void post_order (GTask *task);

static void
final_saved_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PayData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  JsonObject *kept;

  kept = leap_offline_cache_save_order_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  if (kept == NULL)
    g_warning ("The order is not kept on this device: %s", error->message);
  else
    {
      g_clear_pointer (&data->record, json_object_unref);
      data->record = kept;
    }
  if (data->pending_error != NULL)
    g_task_return_error (task, g_steal_pointer (&data->pending_error));
  else
    g_task_return_pointer (task, json_object_ref (data->record),
                           (GDestroyNotify) json_object_unref);
}

/* Keeps the record as it is now, then completes the task. */
static void
pay_return (GTask *task)
{
  LeapCheckout *self = g_task_get_source_object (task);
  PayData *data = g_task_get_task_data (task);

  if (data->order_id != NULL && self->polling != NULL &&
      g_hash_table_lookup (self->polling, data->order_id) == task)
    g_hash_table_remove (self->polling, data->order_id);
  leap_offline_cache_save_order_async (self->cache, data->record, NULL, final_saved_cb, task);
}

static gboolean
poll_timeout_cb (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PayData *data = g_task_get_task_data (task);

  data->timeout_id = 0;
  poll_order (g_steal_pointer (&task));
  return G_SOURCE_REMOVE;
}

static void
poll_later (GTask *task,
            guint  delay_ms)
{
  PayData *data = g_task_get_task_data (task);

  data->timeout_id = g_timeout_add (delay_ms, poll_timeout_cb, task);
}

/* The server has the order: from now on it is never charged again, and
 * the WebSocket may tell its result sooner than the next poll. */
static void
order_taken (GTask *task)
{
  LeapCheckout *self = g_task_get_source_object (task);
  PayData *data = g_task_get_task_data (task);

  data->placed = LEAP_PLACED_YES;
  g_clear_error (&data->post_error);
  g_hash_table_replace (self->polling, g_strdup (data->order_id), task);
  leap_client_watch_order (self->client, data->order_id);
}

/* The server never had the order: nothing was sold, nothing charged. It is
 * kept so (not pending, which would wait for an answer that never comes,
 * and keep the shift open), with why in words, until the cashier voids it. */
static void
mark_not_placed (JsonObject *record,
                 GError     *why)
{
  g_autofree char *reason = g_strdup_printf (_("The order never reached the server, so nothing "
                                               "was sold or charged (%s)."), why->message);

  json_object_set_string_member (record, "status", "not_placed");
  json_object_set_string_member (record, "reason", reason);
}

/* After POST failed, GET /orders/o-HOLD says what happened: no such order
 * (nothing was sold, nothing charged), the order (it is followed as any),
 * or nothing yet (asked again while the server is away). Returns whether
 * @task was used up. */
static gboolean
verify_answer (GTask      *task,
               JsonObject *order,
               GError     *error)
{
  PayData *data = g_task_get_task_data (task);

  if (order != NULL)
    {
      order_taken (task);
      return FALSE;
    }
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
    {
      mark_not_placed (data->record, data->post_error);
      data->pending_error = g_steal_pointer (&data->post_error);
      pay_return (task);
      return TRUE;
    }
  if (g_get_monotonic_time () > data->deadline ||
      (!g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE) &&
       !g_error_matches (error, LEAP_ERROR, LEAP_ERROR_INTERNAL)))
    {
      /* Still unknown: it may have been taken, so it is never charged
       * again without looking (in Orders). */
      data->placed = LEAP_PLACED_MAYBE;
      data->pending_error = g_error_copy (error);
      pay_return (task);
      return TRUE;
    }
  data->delay_ms = MIN (MAX (data->delay_ms * 2, 500), POLL_AWAY_MS);
  poll_later (task, data->delay_ms);
  return TRUE;
}

static void
poll_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PayData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = NULL;
  const char *status;

  order = leap_client_get_order_finish (LEAP_CLIENT (source), result, &error);
  if (g_task_return_error_if_cancelled (task))
    {
      LeapCheckout *self = g_task_get_source_object (task);

      if (self->polling != NULL && g_hash_table_lookup (self->polling, data->order_id) == task)
        g_hash_table_remove (self->polling, data->order_id);
      return;
    }

  if (data->post_error != NULL && verify_answer (task, order, error))
    {
      g_steal_pointer (&task);
      return;
    }
  if (order == NULL)
    {
      /* Away or busy: the order is kept as pending; keep asking, slower. */
      if (g_get_monotonic_time () > data->deadline ||
          (!g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE) &&
           !g_error_matches (error, LEAP_ERROR, LEAP_ERROR_INTERNAL)))
        {
          data->pending_error = g_steal_pointer (&error);
          pay_return (g_steal_pointer (&task));
          return;
        }
      data->delay_ms = MIN (MAX (data->delay_ms * 2, 500), POLL_AWAY_MS);
      poll_later (g_steal_pointer (&task), data->delay_ms);
      return;
    }

  status = leap_json_get_string (order, "status", "pending");
  if (g_str_equal (status, "pending"))
    {
      if (g_get_monotonic_time () > data->deadline)
        {
          data->pending_error = g_error_new (LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                                             _("The payment of order %s is not settled yet"),
                                             data->order_id);
          pay_return (g_steal_pointer (&task));
          return;
        }
      data->delay_ms = MIN (data->delay_ms * 2, POLL_MAX_MS);
      poll_later (g_steal_pointer (&task), data->delay_ms);
      return;
    }

  {
    g_autoptr(JsonObject) merged = leap_checkout_merge (data->record, order);

    g_clear_pointer (&data->record, json_object_unref);
    data->record = g_steal_pointer (&merged);
  }
  pay_return (g_steal_pointer (&task));
}

static void
poll_order (GTask *task)
{
  LeapCheckout *self = g_task_get_source_object (task);
  PayData *data = g_task_get_task_data (task);

  leap_client_get_order_async (self->client, data->order_id, g_task_get_cancellable (task),
                               poll_cb, task);
}

static gboolean
post_timeout_cb (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PayData *data = g_task_get_task_data (task);

  data->timeout_id = 0;
  post_order (g_steal_pointer (&task));
  return G_SOURCE_REMOVE;
}

static void
post_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PayData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;

  answer = leap_client_place_order_finish (LEAP_CLIENT (source), result, &error);
  if (g_task_return_error_if_cancelled (task))
    return;

  data->delay_ms = POLL_FIRST_MS;
  data->deadline = g_get_monotonic_time () + poll_deadline_s () * G_USEC_PER_SEC;
  if (answer == NULL)
    {
      gboolean may_not_have_arrived = g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE) ||
                                      g_error_matches (error, LEAP_ERROR, LEAP_ERROR_INTERNAL);

      data->maybe_sent |= leap_client_place_order_sent (LEAP_CLIENT (source), result);
      /* The same key again: the server places the order at most once. */
      if (may_not_have_arrived && ++data->attempt < POST_ATTEMPTS)
        {
          data->timeout_id = g_timeout_add (250u << data->attempt, post_timeout_cb,
                                            g_steal_pointer (&task));
          return;
        }
      if (!data->maybe_sent)
        {
          /* Never reached the server: nothing was sold. */
          mark_not_placed (data->record, error);
          data->pending_error = g_steal_pointer (&error);
          pay_return (g_steal_pointer (&task));
          return;
        }
      /* Even a refusal may follow an attempt whose answer was lost (or
       * another device's): only the order itself says whether nothing was
       * charged. */
      data->post_error = g_steal_pointer (&error);
      poll_order (g_steal_pointer (&task));
      return;
    }

  g_free (data->order_id);
  data->order_id = g_strdup (leap_json_get_string (answer, "order_id", NULL));
  json_object_set_string_member (data->record, "order_id", data->order_id);
  order_taken (task);
  poll_later (g_steal_pointer (&task), data->delay_ms);
}

static void
post_order (GTask *task)
{
  LeapCheckout *self = g_task_get_source_object (task);
  PayData *data = g_task_get_task_data (task);

  leap_client_place_order_async (self->client, data->hold_id, data->payment, data->customer,
                                 data->key, g_task_get_cancellable (task), post_cb, task);
}

static void
first_saved_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) kept = NULL;

  kept = leap_offline_cache_save_order_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  if (kept == NULL)
    g_warning ("The order is not kept on this device: %s", error->message);
  if (g_task_return_error_if_cancelled (task))
    return;
  post_order (g_steal_pointer (&task));
}

/* Pays for a held cart. @sale has "hold_id", "payment" ({"method":
 * "cash", "tendered"} or {"method": "card"}), optionally "customer"
 * ({"name", "email"}), and what the device wants to keep with the order
 * for receipts and searches: "event", "tier_names", "total", "currency",
 * "lines". The result is the order as kept on the device, once the server
 * has settled it: "status" is "paid", "failed" (with "reason"),
 * "needs_review" or "refunded". An error means the order is not settled:
 * @placed in the finish tells whether the server took it (then the device
 * keeps it as pending, and it can be looked at again later) or may have
 * (a request left, and the server has not answered whether it has it). */
void
leap_checkout_pay_async (LeapCheckout        *self,
                         JsonObject          *sale,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;
  PayData *data;
  JsonObject *record;
  GList *members;

  g_return_if_fail (LEAP_IS_CHECKOUT (self));
  g_return_if_fail (sale != NULL);
  g_return_if_fail (leap_json_get_string (sale, "hold_id", NULL) != NULL);
  g_return_if_fail (json_object_has_member (sale, "payment"));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_checkout_pay_async);

  data = g_new0 (PayData, 1);
  data->hold_id = g_strdup (leap_json_get_string (sale, "hold_id", NULL));
  data->order_id = g_strconcat ("o-", data->hold_id, NULL);
  data->key = g_uuid_string_random ();
  data->payment = json_object_ref (json_object_get_object_member (sale, "payment"));
  if (json_object_has_member (sale, "customer") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (sale, "customer")))
    data->customer = json_object_ref (json_object_get_object_member (sale, "customer"));

  record = json_object_new ();
  members = json_object_get_members (sale);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_str_equal (l->data, "payment"))
      json_object_set_member (record, l->data,
                              json_node_copy (json_object_get_member (sale, l->data)));
  g_list_free (members);
  json_object_set_string_member (record, "order_id", data->order_id);
  json_object_set_string_member (record, "status", "pending");
  json_object_set_object_member (record, "payment_request", json_object_ref (data->payment));
  json_object_set_string_member (record, "server", leap_client_get_base_url (self->client));
  if (leap_client_get_username (self->client) != NULL)
    json_object_set_string_member (record, "cashier", leap_client_get_username (self->client));
  json_object_set_int_member (record, "sold_at", g_get_real_time () / G_USEC_PER_SEC);
  data->record = record;
  g_task_set_task_data (task, data, (GDestroyNotify) pay_data_free);

  /* Kept before it is sent: if the network goes now, the order can be
   * looked up by its number later. */
  leap_offline_cache_save_order_async (self->cache, data->record, NULL, first_saved_cb, task);
}

JsonObject *
leap_checkout_pay_finish (LeapCheckout  *self,
                          GAsyncResult  *result,
                          LeapPlaced    *placed,
                          GError       **error)
{
  PayData *data;

  g_return_val_if_fail (LEAP_IS_CHECKOUT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  if (placed != NULL)
    *placed = data != NULL ? data->placed : LEAP_PLACED_NO;
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
refresh_saved_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonObject *kept = leap_offline_cache_save_order_finish (LEAP_OFFLINE_CACHE (source), result,
                                                           &error);

  if (kept == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, kept, (GDestroyNotify) json_object_unref);
}

static void
refresh_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapCheckout *self = g_task_get_source_object (task);
  JsonObject *record = g_task_get_task_data (task);
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(JsonObject) merged = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  order = leap_client_get_order_finish (LEAP_CLIENT (source), result, &error);
  /* A pending order the server does not have was never placed (the API
   * promises it), unless this device is still sending it. */
  if (order == NULL && g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND) &&
      g_strcmp0 (leap_json_get_string (record, "status", NULL), "pending") == 0 &&
      !g_hash_table_contains (self->polling, leap_json_get_string (record, "order_id", "")))
    {
      mark_not_placed (record, error);
      g_clear_error (&error);
      order = json_object_new ();
    }
  if (order == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Not in the call below: the task may be stolen before it is read. */
  cancellable = g_task_get_cancellable (task);
  merged = leap_checkout_merge (record, order);
  leap_offline_cache_save_order_async (self->cache, merged, cancellable, refresh_saved_cb,
                                       g_steal_pointer (&task));
}

/* Asks the server for @order (a kept order, or just {"order_id"}) as it
 * is now, and keeps the answer on the device. */
void
leap_checkout_refresh_async (LeapCheckout        *self,
                             JsonObject          *order,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LEAP_IS_CHECKOUT (self));
  g_return_if_fail (order != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_checkout_refresh_async);
  g_task_set_task_data (task, leap_checkout_merge (order, NULL), (GDestroyNotify)json_object_unref);
  leap_client_get_order_async (self->client, leap_json_get_string (order, "order_id", ""),
                               cancellable, refresh_cb, g_steal_pointer (&task));
}

JsonObject *
leap_checkout_refresh_finish (LeapCheckout  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (LEAP_IS_CHECKOUT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
