/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-payment"

#include "leap-payment-provider.h"
#include "leap-error.h"
#include "leap-json.h"

G_DEFINE_INTERFACE (LeapPaymentProvider, leap_payment_provider, G_TYPE_OBJECT)

static void
leap_payment_provider_default_init (LeapPaymentProviderInterface *iface)
{
}

const char *
leap_payment_provider_get_method (LeapPaymentProvider *self)
{
  g_return_val_if_fail (LEAP_IS_PAYMENT_PROVIDER (self), NULL);
  return LEAP_PAYMENT_PROVIDER_GET_IFACE (self)->get_method (self);
}

void
leap_payment_provider_charge_async (LeapPaymentProvider *self,
                                    JsonObject          *order,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (LEAP_IS_PAYMENT_PROVIDER (self));
  LEAP_PAYMENT_PROVIDER_GET_IFACE (self)->charge_async (self, order, cancellable, callback,
                                                        user_data);
}

JsonObject *
leap_payment_provider_charge_finish (LeapPaymentProvider *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (LEAP_IS_PAYMENT_PROVIDER (self), NULL);
  return LEAP_PAYMENT_PROVIDER_GET_IFACE (self)->charge_finish (self, result, error);
}

void
leap_payment_provider_refund_async (LeapPaymentProvider *self,
                                    JsonObject          *refund,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (LEAP_IS_PAYMENT_PROVIDER (self));
  LEAP_PAYMENT_PROVIDER_GET_IFACE (self)->refund_async (self, refund, cancellable, callback,
                                                        user_data);
}

JsonObject *
leap_payment_provider_refund_finish (LeapPaymentProvider *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (LEAP_IS_PAYMENT_PROVIDER (self), NULL);
  return LEAP_PAYMENT_PROVIDER_GET_IFACE (self)->refund_finish (self, result, error);
}

static JsonObject *
refund_new (const char *method,
            JsonObject *refund)
{
  JsonObject *payment = json_object_new ();

  json_object_set_string_member (payment, "method", method);
  json_object_set_string_member (payment, "status", "refunded");
  json_object_set_int_member (payment, "amount", leap_json_get_int (refund, "amount", 0));
  json_object_set_string_member (payment, "currency",
                                 leap_json_get_string (refund, "currency", ""));
  return payment;
}

static JsonObject *
payment_new (const char *method,
             JsonObject *order,
             gboolean    approved,
             const char *reason)
{
  JsonObject *payment = json_object_new ();

  json_object_set_string_member (payment, "method", method);
  json_object_set_string_member (payment, "status", approved ? "approved" : "declined");
  json_object_set_int_member (payment, "amount", leap_json_get_int (order, "total", 0));
  json_object_set_string_member (payment, "currency", leap_json_get_string (order, "currency", ""));
  if (reason != NULL)
    json_object_set_string_member (payment, "reason", reason);
  return payment;
}

static JsonObject *
charge_finish (LeapPaymentProvider *self,
               GAsyncResult        *result,
               GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Cash */

struct _LeapPaymentCash
{
  GObject parent_instance;
};

static void leap_payment_cash_iface_init (LeapPaymentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LeapPaymentCash, leap_payment_cash, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LEAP_TYPE_PAYMENT_PROVIDER,
                                                      leap_payment_cash_iface_init))

static const char *
cash_get_method (LeapPaymentProvider *self)
{
  return "cash";
}

/* The cashier has the money in hand: the backend checked that it covers
 * the total, and the change due is recorded with it. */
static void
cash_charge_async (LeapPaymentProvider *self,
                   JsonObject          *order,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  gint64 total = leap_json_get_int (order, "total", 0);
  gint64 tendered = leap_json_get_int (order, "tendered", -1);
  JsonObject *payment;

  g_task_set_source_tag (task, cash_charge_async);
  if (tendered < total)
    payment = payment_new ("cash", order, FALSE, "the cash tendered is less than the total");
  else
    {
      payment = payment_new ("cash", order, TRUE, NULL);
      json_object_set_int_member (payment, "tendered", tendered);
      json_object_set_int_member (payment, "change", tendered - total);
    }
  g_task_return_pointer (task, payment, (GDestroyNotify) json_object_unref);
}

/* The cashier hands the money back over the counter: recorded as cash
 * handed back, which the till count at the end of the day must show. */
static void
cash_refund_async (LeapPaymentProvider *self,
                   JsonObject          *refund,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  JsonObject *payment = refund_new ("cash", refund);

  g_task_set_source_tag (task, cash_refund_async);
  if (g_str_equal (leap_json_get_string (refund, "kind", "refund"), "void"))
    json_object_set_string_member (payment, "status", "voided");
  json_object_set_int_member (payment, "handed_back", leap_json_get_int (refund, "amount", 0));
  json_object_set_null_member (payment, "provider_ref");
  g_task_return_pointer (task, payment, (GDestroyNotify) json_object_unref);
}

static void
leap_payment_cash_iface_init (LeapPaymentProviderInterface *iface)
{
  iface->get_method = cash_get_method;
  iface->charge_async = cash_charge_async;
  iface->charge_finish = charge_finish;
  iface->refund_async = cash_refund_async;
  iface->refund_finish = charge_finish;
}

static void
leap_payment_cash_class_init (LeapPaymentCashClass *klass)
{
}

static void
leap_payment_cash_init (LeapPaymentCash *self)
{
}

LeapPaymentProvider *
leap_payment_cash_new (void)
{
  return g_object_new (LEAP_TYPE_PAYMENT_CASH, NULL);
}

/* Simulated card terminal */

struct _LeapPaymentSimulatedCard
{
  GObject     parent_instance;

  guint       latency_ms;
  double      decline_rate;
  /* Owned: the terminal's idempotency ledger (card_charges), in the
   * database so that every worker, and one restarted, answers a key as
   * the first request for it was answered. */
  LeapStore  *ledger;
  GPtrArray  *answering; /* charge GTasks whose answer is to record, together */
  guint       answer_id;
};

static void leap_payment_simulated_card_iface_init (LeapPaymentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LeapPaymentSimulatedCard, leap_payment_simulated_card, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LEAP_TYPE_PAYMENT_PROVIDER,
                                                      leap_payment_simulated_card_iface_init))

static const char *
card_get_method (LeapPaymentProvider *self)
{
  return "card";
}

/* What the ledger is to record for a key (it answers the first request
 * for the key's result if the key was asked before). */
static JsonObject *
card_entry (const char *key,
            const char *kind,
            JsonObject *request,
            const char *result)
{
  JsonObject *entry = json_object_new ();

  json_object_set_string_member (entry, "key", key);
  json_object_set_string_member (entry, "kind", kind);
  json_object_set_int_member (entry, "amount", leap_json_get_int (request, "total",
                                                                  leap_json_get_int (request,
                                                                                     "amount", 0)));
  json_object_set_string_member (entry, "currency",
                                 leap_json_get_string (request, "currency", ""));
  json_object_set_string_member (entry, "result", result);
  return entry;
}

/* Every charge answered in the same turn of the main loop is recorded in
 * one transaction (one fsync): drawn now, or as the key was first
 * answered. */
static gboolean
card_record_cb (gpointer data)
{
  LeapPaymentSimulatedCard *self = data;
  g_autoptr(GPtrArray) batch = g_steal_pointer (&self->answering);
  g_autoptr(JsonArray) entries = json_array_new ();
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(GError) error = NULL;

  self->answer_id = 0;
  self->answering = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < batch->len; i++)
    {
      JsonObject *order = g_task_get_task_data (batch->pdata[i]);
      gboolean declined = self->decline_rate > 0 && g_random_double () < self->decline_rate;

      json_array_add_object_element (entries,
                                     card_entry (leap_json_get_string (order, "order_id", ""),
                                                 "charge", order,
                                                 declined ? "declined" : "approved"));
    }
  results = leap_store_card_ledger_record_many (self->ledger, entries, &error);
  for (guint i = 0; i < batch->len; i++)
    {
      GTask *task = batch->pdata[i];
      JsonObject *order = g_task_get_task_data (task);
      g_autoptr(GError) why = NULL;
      g_autoptr(JsonObject) recorded = NULL;
      g_autofree char *ref = NULL;
      const char *answer;
      JsonObject *payment;

      recorded = results != NULL ? leap_store_batch_result (results, i, &why) : NULL;
      if (recorded == NULL)
        {
          /* No answer from the terminal: the caller asks again later. */
          g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                                   "The card terminal did not answer: %s",
                                   (why != NULL ? why : error)->message);
          continue;
        }
      answer = leap_json_get_string (recorded, "result", "");
      payment = payment_new ("card", order, g_str_equal (answer, "approved"),
                             g_str_equal (answer, "approved") ? NULL : "the card was declined");
      ref = g_strconcat ("sim-", leap_json_get_string (order, "order_id", ""), NULL);
      json_object_set_string_member (payment, "provider_ref", ref);
      g_task_return_pointer (task, payment, (GDestroyNotify) json_object_unref);
    }
  return G_SOURCE_REMOVE;
}

/* The terminal's latency is over: the answer joins this turn's batch. */
static gboolean
card_answer_cb (gpointer data)
{
  GTask *task = data;
  LeapPaymentSimulatedCard *self = g_task_get_source_object (task);

  if (g_task_return_error_if_cancelled (task))
    return G_SOURCE_REMOVE;
  g_ptr_array_add (self->answering, g_object_ref (task));
  if (self->answer_id == 0)
    self->answer_id = g_idle_add (card_record_cb, self);
  return G_SOURCE_REMOVE;
}

static void
card_charge_async (LeapPaymentProvider *provider,
                   JsonObject          *order,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  LeapPaymentSimulatedCard *self = LEAP_PAYMENT_SIMULATED_CARD (provider);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, card_charge_async);
  g_task_set_task_data (task, json_object_ref (order), (GDestroyNotify) json_object_unref);
  if (self->latency_ms == 0)
    g_idle_add_full (G_PRIORITY_DEFAULT, card_answer_cb, task, g_object_unref);
  else
    g_timeout_add_full (G_PRIORITY_DEFAULT, self->latency_ms, card_answer_cb, task, g_object_unref);
}

/* A simulated refund always goes through, once per idempotency key: the
 * ledger records it, and asking again answers the same refund. A void
 * (refund "kind": "void") gives back a whole charge the same way. */
static void
card_refund_async (LeapPaymentProvider *provider,
                   JsonObject          *refund,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  LeapPaymentSimulatedCard *self = LEAP_PAYMENT_SIMULATED_CARD (provider);
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  const char *key = leap_json_get_string (refund, "refund_key", "");
  gboolean is_void = g_str_equal (leap_json_get_string (refund, "kind", "refund"), "void");
  g_autofree char *ref = g_strconcat ("sim-refund-", key, NULL);
  g_autoptr(JsonObject) entry = card_entry (key, is_void ? "void" : "refund", refund,
                                            is_void ? "voided" : "refunded");
  g_autoptr(JsonObject) recorded = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *payment;

  g_task_set_source_tag (task, card_refund_async);
  recorded = leap_store_card_ledger_record (self->ledger, entry, &error);
  if (recorded == NULL)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "The card terminal did not answer: %s", error->message);
      return;
    }
  payment = refund_new ("card", refund);
  json_object_set_string_member (payment, "status", leap_json_get_string (recorded, "result", ""));
  json_object_set_string_member (payment, "provider_ref", ref);
  g_task_return_pointer (task, payment, (GDestroyNotify) json_object_unref);
}

static void
leap_payment_simulated_card_iface_init (LeapPaymentProviderInterface *iface)
{
  iface->get_method = card_get_method;
  iface->charge_async = card_charge_async;
  iface->charge_finish = charge_finish;
  iface->refund_async = card_refund_async;
  iface->refund_finish = charge_finish;
}

static void
leap_payment_simulated_card_finalize (GObject *object)
{
  LeapPaymentSimulatedCard *self = LEAP_PAYMENT_SIMULATED_CARD (object);

  /* Each queued charge holds the terminal: nothing is queued by now. */
  g_clear_handle_id (&self->answer_id, g_source_remove);
  g_clear_pointer (&self->answering, g_ptr_array_unref);
  g_clear_object (&self->ledger);
  G_OBJECT_CLASS (leap_payment_simulated_card_parent_class)->finalize (object);
}

static void
leap_payment_simulated_card_class_init (LeapPaymentSimulatedCardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = leap_payment_simulated_card_finalize;
}

static void
leap_payment_simulated_card_init (LeapPaymentSimulatedCard *self)
{
  self->answering = g_ptr_array_new_with_free_func (g_object_unref);
}

/* A simulated terminal whose idempotency ledger is kept in ledger's
 * card_charges table. */
LeapPaymentProvider *
leap_payment_simulated_card_new (LeapStore *ledger,
                                 guint      latency_ms,
                                 double     decline_rate)
{
  LeapPaymentSimulatedCard *self;

  g_return_val_if_fail (LEAP_IS_STORE (ledger), NULL);

  self = g_object_new (LEAP_TYPE_PAYMENT_SIMULATED_CARD, NULL);
  self->ledger = g_object_ref (ledger);
  self->latency_ms = latency_ms;
  self->decline_rate = CLAMP (decline_rate, 0.0, 1.0);
  return LEAP_PAYMENT_PROVIDER (self);
}
