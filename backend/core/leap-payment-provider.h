/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_PAYMENT_PROVIDER (leap_payment_provider_get_type ())
G_DECLARE_INTERFACE (LeapPaymentProvider, leap_payment_provider, LEAP, PAYMENT_PROVIDER, GObject)

/* How an order is paid (see leap_orders_settle_async ()). A provider is asked once per checkout
 * message, with the order (order_id, total, currency, tendered…); the order
 * id is the idempotency key of the call, so asking again for the same
 * order (a redelivered message) must not charge twice.
 *
 * charge_finish () gives the payment as the database keeps it:
 *   {"method", "status": "approved" | "declined", "amount", "currency",
 *    "tendered", "change", "provider_ref", "reason"}
 * A declined payment is an answer, not an error: the order fails and its
 * hold is released. A GError means "no answer" (the terminal or gateway is
 * unreachable): the message stays pending and is tried again later.
 *
 * Adding a real gateway: implement this interface in a new
 * leap-payment-NAME.c, send order_id as the gateway's idempotency key,
 * map its declines to "declined" and its timeouts to a GError, and add it
 * to the worker's LeapOrders in leap-checkout-worker.c
 * (leap_orders_add_payment_provider (): it takes the payments of the
 * method that get_method () names). */
struct _LeapPaymentProviderInterface
{
  GTypeInterface parent_iface;

  const char *(*get_method)    (LeapPaymentProvider  *self);
  void        (*charge_async)  (LeapPaymentProvider  *self,
                                JsonObject           *order,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  JsonObject *(*charge_finish) (LeapPaymentProvider  *self,
                                GAsyncResult         *result,
                                GError              **error);

  /* Pays back (part of) a payment: refund has order_id, refund_key (the
   * idempotency key: order id and refund number, so that asking again
   * pays back once), amount, currency and the charge's provider_ref; with
   * "kind": "void" (key ORDER_ID:void) it gives back the whole charge of an
   * order that could not be written. refund_finish () gives {"method",
   * "status": "refunded" | "voided", "amount", "currency",
   * "provider_ref"}; a GError means no answer: the caller, which recorded
   * its intent first, asks again with the same key. */
  void        (*refund_async)  (LeapPaymentProvider  *self,
                                JsonObject           *refund,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  JsonObject *(*refund_finish) (LeapPaymentProvider  *self,
                                GAsyncResult         *result,
                                GError              **error);
};

const char *leap_payment_provider_get_method    (LeapPaymentProvider  *self);
void        leap_payment_provider_charge_async  (LeapPaymentProvider  *self,
                                                 JsonObject           *order,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject *leap_payment_provider_charge_finish (LeapPaymentProvider  *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void        leap_payment_provider_refund_async  (LeapPaymentProvider  *self,
                                                 JsonObject           *refund,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonObject *leap_payment_provider_refund_finish (LeapPaymentProvider  *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Cash at the box office: the amount tendered and the change are recorded. */
#define LEAP_TYPE_PAYMENT_CASH (leap_payment_cash_get_type ())
G_DECLARE_FINAL_TYPE (LeapPaymentCash, leap_payment_cash, LEAP, PAYMENT_CASH, GObject)

LeapPaymentProvider *leap_payment_cash_new (void);

/* A simulated card terminal for demos and tests: answers after latency_ms
 * and declines a share decline_rate (0 to 1) of the orders. It keeps its
 * idempotency ledger durably in ledger (card_charges), as a real gateway
 * does: the first request for a key decides its answer, every later one,
 * from any process, gets that answer and moves no money. */
#define LEAP_TYPE_PAYMENT_SIMULATED_CARD (leap_payment_simulated_card_get_type ())
G_DECLARE_FINAL_TYPE (LeapPaymentSimulatedCard, leap_payment_simulated_card, LEAP,
                      PAYMENT_SIMULATED_CARD, GObject)

LeapPaymentProvider *leap_payment_simulated_card_new (LeapStore *ledger,
                                                      guint      latency_ms,
                                                      double     decline_rate);

G_END_DECLS
