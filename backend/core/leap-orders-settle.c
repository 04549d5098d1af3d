/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-orders"

#include "leap-orders-private.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-keys.h"
#include "leap-reply.h"

/* Settling an order, what leap-worker does with each checkout message:
 * the payment is taken once, the order written with its payment and
 * tickets, and its hold confirmed or released in Redis. A settle that
 * fails leaves nothing half done that a second one would not finish. */

typedef struct
{
  JsonObject          *order;    /* the checkout message's */
  JsonObject          *written;  /* what to write: the order with its payment */
  char                *order_id;
  gint64               event_id;
  LeapPaymentProvider *provider;
  char                *unwritable; /* why an approved order could not be written */
} Settle;

static void
settle_free (Settle *s)
{
  g_clear_pointer (&s->order, json_object_unref);
  g_clear_pointer (&s->written, json_object_unref);
  g_clear_object (&s->provider);
  g_free (s->order_id);
  g_free (s->unwritable);
  g_free (s);
}

static void
run_hold_script (GTask              *task,
                 const char         *script,
                 LeapRedisReplyFunc  func)
{
  LeapOrders *self = g_task_get_source_object (task);
  Settle *s = g_task_get_task_data (task);
  g_autoptr(GPtrArray) argv = NULL;
  g_autofree char *hold_id = NULL;
  guint nkeys;

  /* leap_orders_settle_async () took only an order id that parses. */
  leap_order_id_parse (s->order_id, &hold_id, NULL);
  argv = leap_keys_inventory_script (s->event_id, hold_id);
  nkeys = argv->len;
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, s->event_id));
  g_ptr_array_add (argv, g_strdup (s->order_id));
  /* A disposed connection drops the reply, and the task with it. */
  leap_redis_eval_argv_full (self->redis, script, func, g_object_ref (task), g_object_unref,
                             nkeys, argv->len, (const char **) argv->pdata, NULL);
}

static void
confirmed_cb (LeapRedis        *redis,
              const redisReply *reply,
              const GError     *error,
              gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = g_task_get_source_object (task);
  Settle *s = g_task_get_task_data (task);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *reason = NULL;
  const char *hold_status;

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }
  if (g_str_equal (leap_reply_status (reply), "confirmed"))
    {
      g_task_return_pointer (task, g_strdup ("paid"), g_free);
      return;
    }
  /* Paid, but its hold is gone (a Redis that lost it): never dropped
   * silently, a person looks at it. */
  hold_status = leap_reply_element_string (reply, 1);
  reason = g_strdup_printf ("paid, but its hold is %s",
                            hold_status != NULL ? hold_status : "lost");
  if (!leap_store_set_order_status (self->store, s->order_id, "needs_review", reason,
                                    &local_error))
    {
      g_task_return_error (task, g_steal_pointer (&local_error));
      return;
    }
  g_warning ("Order %s needs review: %s", s->order_id, reason);
  g_task_return_pointer (task, g_strdup ("needs_review"), g_free);
}

static void
released_cb (LeapRedis        *redis,
             const redisReply *reply,
             const GError     *error,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Settle *s = g_task_get_task_data (task);

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }
  if (!g_str_equal (leap_reply_status (reply), "released"))
    g_message ("Order %s failed; its hold was already %s", s->order_id,
               leap_reply_status (reply));
  g_task_return_pointer (task, g_strdup ("failed"), g_free);
}

/* The database has the order: make Redis agree (both scripts do nothing
 * the second time for the same order). */
static void
settle_hold (GTask      *task,
             const char *status)
{
  if (g_str_equal (status, "paid"))
    run_hold_script (task, "confirm", confirmed_cb);
  else if (g_str_equal (status, "failed"))
    run_hold_script (task, "abort-checkout", released_cb);
  else
    g_task_return_pointer (task, g_strdup (status), g_free);
}

static JsonArray *
make_tickets (LeapOrders *self,
              Settle     *s)
{
  JsonArray *tickets = json_array_new ();
  JsonArray *lines = json_object_get_array_member (s->order, "lines");

  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);
      gint64 tier_id = leap_json_get_int (line, "tier_id", 0);

      for (gint64 n = 0; n < leap_json_get_int (line, "quantity", 0); n++)
        {
          g_autofree char *code = leap_ticket_code_new (self->signer, s->order_id, tier_id,
                                                        json_array_get_length (tickets));
          JsonObject *ticket = json_object_new ();

          json_object_set_string_member (ticket, "code", code);
          json_object_set_int_member (ticket, "tier_id", tier_id);
          json_array_add_object_element (tickets, ticket);
        }
    }
  return tickets;
}

static void
voided_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = g_task_get_source_object (task);
  Settle *s = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) voided = NULL;
  g_autofree char *reason = NULL;

  voided = leap_payment_provider_refund_finish (LEAP_PAYMENT_PROVIDER (object), result, &error);
  if (voided == NULL)
    {
      /* Retried: the next delivery finds the intent, gets the same answer
       * for the charge's key and voids it under the same key. */
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  reason = g_strdup_printf ("its payment was voided: the order could not be written (%s)",
                            s->unwritable);
  if (!leap_store_void_order (self->store, s->order_id, reason, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_warning ("Order %s failed and %s", s->order_id, reason);
  run_hold_script (task, "abort-checkout", released_cb);
}

/* Charged, but the order can never be written (its tier or event went,
 * a capacity under what it sells): the money goes back at once, under a
 * key of its own so that it goes back once, and the order fails. */
static void
void_charge (GTask        *task,
             const GError *why)
{
  Settle *s = g_task_get_task_data (task);
  JsonObject *payment = json_object_get_object_member (s->written, "payment");
  g_autoptr(JsonObject) refund = json_object_new ();
  g_autofree char *key = g_strconcat (s->order_id, ":void", NULL);

  s->unwritable = g_strdup (why->message);
  json_object_set_string_member (refund, "order_id", s->order_id);
  json_object_set_string_member (refund, "refund_key", key);
  json_object_set_string_member (refund, "kind", "void");
  json_object_set_int_member (refund, "amount", leap_json_get_int (payment, "amount", 0));
  json_object_set_string_member (refund, "currency",
                                 leap_json_get_string (payment, "currency", ""));
  json_object_set_member (refund, "charge_ref", json_object_dup_member (payment, "provider_ref"));
  leap_payment_provider_refund_async (s->provider, refund, g_task_get_cancellable (task),
                                      voided_cb, task);
}

/* A write that can never succeed, as opposed to one to try again. */
static gboolean
is_permanent (int code)
{
  return code == LEAP_ERROR_CONFLICT || code == LEAP_ERROR_INVALID ||
         code == LEAP_ERROR_NOT_FOUND;
}

/* Takes the tasks queued in @queue (those whose caller is gone end
 * here), and adds to @items what the store is to write for each: the
 * order with its payment if @written, else the checkout's order. */
static GPtrArray *
take_queue (GPtrArray **queue,
            gboolean    written,
            JsonArray  *items)
{
  g_autoptr(GPtrArray) queued = g_steal_pointer (queue);
  GPtrArray *batch = g_ptr_array_new_with_free_func (g_object_unref);

  *queue = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < queued->len; i++)
    {
      Settle *s = g_task_get_task_data (queued->pdata[i]);

      if (g_task_return_error_if_cancelled (queued->pdata[i]))
        continue;
      g_ptr_array_add (batch, g_object_ref (queued->pdata[i]));
      json_array_add_object_element (items, json_object_ref (written ? s->written : s->order));
    }
  return batch;
}

/* Every payment that ended in the same turn of the main loop is written
 * in one transaction (one fsync), each order still all-or-nothing. */
static gboolean
settle_flush_cb (gpointer data)
{
  LeapOrders *self = data;
  g_autoptr(JsonArray) orders = json_array_new ();
  g_autoptr(GPtrArray) batch = take_queue (&self->settling, TRUE, orders);
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(GError) error = NULL;

  self->settle_id = 0;
  if (batch->len > 0)
    results = leap_store_write_orders (self->store, orders, &error);
  for (guint i = 0; i < batch->len; i++)
    {
      GTask *task = batch->pdata[i];
      Settle *s = g_task_get_task_data (task);
      g_autoptr(GError) why = NULL;
      g_autoptr(JsonObject) stored = NULL;

      if (results == NULL)
        g_task_return_error (task, g_error_copy (error));
      else if ((stored = leap_store_batch_result (results, i, &why)) != NULL)
        settle_hold (task, leap_json_get_string (stored, "status", ""));
      else if (is_permanent (why->code) &&
               g_str_equal (leap_json_get_string (s->written, "status", ""), "paid"))
        void_charge (g_object_ref (task), why);
      else
        g_task_return_error (task, g_steal_pointer (&why));
    }
  return G_SOURCE_REMOVE;
}

static void
charged_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = g_task_get_source_object (task);
  Settle *s = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) payment = NULL;
  g_autoptr(JsonObject) order = NULL;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;
  gboolean approved;

  payment = leap_payment_provider_charge_finish (LEAP_PAYMENT_PROVIDER (object), result, &error);
  if (payment == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  approved = g_str_equal (leap_json_get_string (payment, "status", ""), "approved");
  order = json_object_new ();
  json_object_iter_init (&iter, s->order);
  while (json_object_iter_next (&iter, &member, &node))
    json_object_set_member (order, member, json_node_copy (node));
  json_object_set_string_member (order, "status", approved ? "paid" : "failed");
  if (!approved)
    json_object_set_string_member (order, "reason",
                                   leap_json_get_string (payment, "reason", "declined"));
  json_object_set_object_member (order, "payment", json_object_ref (payment));
  if (approved)
    json_object_set_array_member (order, "tickets", make_tickets (self, s));
  s->written = g_steal_pointer (&order);

  g_ptr_array_add (self->settling, g_steal_pointer (&task));
  /* At the default priority: an idle one waits while any other source is
   * ready, and in a process that also serves (a backend's answers from its
   * database pool) the batch waited without end. */
  if (self->settle_id == 0)
    self->settle_id = g_idle_add_full (G_PRIORITY_DEFAULT, settle_flush_cb, self, NULL);
}

/* The intent first: the order and its payment attempt, pending, before
 * any money moves (in a transaction that reads the order again: another
 * worker may have settled it meanwhile), for every order that came in
 * the same turn of the main loop at once. Pending: the provider is asked
 * with the same key, and answers as the first time. Settled before (a
 * message redelivered after a crash): no charge, only Redis to bring up
 * to date. */
static gboolean
begin_flush_cb (gpointer data)
{
  LeapOrders *self = data;
  g_autoptr(JsonArray) orders = json_array_new ();
  g_autoptr(GPtrArray) batch = take_queue (&self->beginning, FALSE, orders);
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(GError) error = NULL;

  self->begin_id = 0;
  if (batch->len > 0)
    results = leap_store_begin_orders (self->store, orders, &error);
  for (guint i = 0; i < batch->len; i++)
    {
      GTask *task = batch->pdata[i];
      Settle *s = g_task_get_task_data (task);
      g_autoptr(GError) why = NULL;
      g_autoptr(JsonObject) stored = NULL;
      const char *status;

      if (results == NULL)
        {
          g_task_return_error (task, g_error_copy (error));
          continue;
        }
      stored = leap_store_batch_result (results, i, &why);
      if (stored == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&why));
          continue;
        }
      status = leap_json_get_string (stored, "status", "");
      if (!g_str_equal (status, "pending"))
        settle_hold (task, status);
      else
        leap_payment_provider_charge_async (s->provider, s->order, g_task_get_cancellable (task),
                                            charged_cb, g_object_ref (task));
    }
  return G_SOURCE_REMOVE;
}

void
leap_orders_settle_async (LeapOrders          *self,
                          JsonObject          *order,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LeapPaymentProvider *provider;
  Settle *s;

  g_return_if_fail (LEAP_IS_ORDERS (self));
  g_return_if_fail (self->signer != NULL);
  g_return_if_fail (order != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_orders_settle_async);
  s = g_new0 (Settle, 1);
  g_task_set_task_data (task, s, (GDestroyNotify) settle_free);
  s->order = json_object_ref (order);
  s->order_id = g_strdup (leap_json_get_string (order, "order_id", ""));
  if (!leap_order_id_parse (s->order_id, NULL, &s->event_id) ||
      leap_json_get_int (order, "event_id", 0) != s->event_id ||
      !json_object_has_member (order, "lines") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (order, "lines")))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INVALID,
                               "the message's order is malformed");
      return;
    }

  provider = g_hash_table_lookup (self->providers, leap_json_get_string (order, "method", ""));
  if (provider == NULL)
    {
      /* A message that names no payment (one replayed by hand) can still
       * bring Redis up to date with an order that was settled. */
      g_autoptr(JsonObject) stored = leap_store_get_order (self->store, s->order_id, NULL);

      if (stored != NULL && !g_str_equal (leap_json_get_string (stored, "status", ""), "pending"))
        settle_hold (task, leap_json_get_string (stored, "status", ""));
      else
        g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INVALID, "unknown payment method");
      return;
    }
  s->provider = g_object_ref (provider);

  g_ptr_array_add (self->beginning, g_steal_pointer (&task));
  if (self->begin_id == 0)
    self->begin_id = g_idle_add_full (G_PRIORITY_DEFAULT, begin_flush_cb, self, NULL);
}

/* The order's status once settled: "paid", "failed", "needs_review" or
 * what the database had. An error means the order is not settled yet (the
 * payment had no answer, the database or Redis failed): settle it again
 * later. */
char *
leap_orders_settle_finish (LeapOrders    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == leap_orders_settle_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The provider that takes the payments of its method ("cash", "card"). */
void
leap_orders_add_payment_provider (LeapOrders          *self,
                                  LeapPaymentProvider *provider)
{
  g_return_if_fail (LEAP_IS_ORDERS (self));
  g_return_if_fail (LEAP_IS_PAYMENT_PROVIDER (provider));

  g_hash_table_replace (self->providers, g_strdup (leap_payment_provider_get_method (provider)),
                        g_object_ref (provider));
}

/* Orders as leap-worker settles them: on the database at database_url,
 * with tickets signed by the key in ticket_key (NULL: next to the
 * database), and holds kept on redis. */
LeapOrders *
leap_orders_new_for_settling (const char  *database_url,
                              const char  *ticket_key,
                              LeapRedis   *redis,
                              GError     **error)
{
  g_autoptr(LeapOrders) self = NULL;
  g_autofree char *key = NULL;

  g_return_val_if_fail (LEAP_IS_REDIS (redis), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (LEAP_TYPE_ORDERS, NULL);
  self->store = leap_store_open (database_url, error);
  if (self->store == NULL)
    return NULL;
  key = ticket_key != NULL ? g_strdup (ticket_key)
                           : leap_ticket_key_path_for_database (database_url);
  self->signer = leap_ticket_signer_new_from_file (key, error);
  if (self->signer == NULL)
    return NULL;
  self->redis = g_object_ref (redis);
  return g_steal_pointer (&self);
}

void
_leap_orders_settle_init (LeapOrders *self)
{
  self->providers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->beginning = g_ptr_array_new_with_free_func (g_object_unref);
  self->settling = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
end_queue (GPtrArray **queue,
           guint      *source_id)
{
  g_autoptr(GPtrArray) queued = g_steal_pointer (queue);

  g_clear_handle_id (source_id, g_source_remove);
  for (guint i = 0; queued != NULL && i < queued->len; i++)
    if (!g_task_return_error_if_cancelled (queued->pdata[i]))
      g_task_return_new_error (queued->pdata[i], G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The orders were closed before this one was written");
}

/* Paid but not written: the message stays pending, and settling it again
 * asks the provider again under the same idempotency key (no second
 * charge). Its caller cancels first, as leap-worker does, so that a
 * payment still under way ends too. */
void
_leap_orders_settle_dispose (LeapOrders *self)
{
  end_queue (&self->beginning, &self->begin_id);
  end_queue (&self->settling, &self->settle_id);
  g_clear_pointer (&self->providers, g_hash_table_unref);
  g_clear_object (&self->signer);
}
