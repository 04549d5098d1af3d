/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-payment-provider.h"
#include "leap-redis.h"
#include "leap-sessions.h"
#include "leap-store.h"
#include "leap-ticket-signer.h"

G_BEGIN_DECLS

#define LEAP_TYPE_ORDERS (leap_orders_get_type ())
G_DECLARE_FINAL_TYPE (LeapOrders, leap_orders, LEAP, ORDERS, GObject)

/* Checkout: an order is placed against a hold by one Lua script that marks
 * the hold checking out and queues the message; leap-worker takes the
 * payment and writes the order. */
LeapOrders *leap_orders_new           (LeapStore          *store,
                                       LeapRedis          *redis);
void        leap_orders_place_async   (LeapOrders         *self,
                                       const LeapSession  *session,
                                       JsonObject         *request,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
void        leap_orders_get_async     (LeapOrders         *self,
                                       const LeapSession  *session,
                                       const char         *order_id,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
JsonObject *leap_orders_object_finish (LeapOrders         *self,
                                       GAsyncResult       *result,
                                       GError            **error);

/* Settling, in leap-worker: each checkout message's order is charged once
 * (its id is the provider's idempotency key), written with its payment and
 * tickets, and its hold confirmed or released. Orders paid in one turn of
 * the main loop are written in one transaction. Cancel before dropping the
 * LeapOrders: what is not written then stays for the next settle. */
LeapOrders *leap_orders_new_for_settling     (const char          *database_url,
                                              const char          *ticket_key,
                                              LeapRedis           *redis,
                                              GError             **error);
void        leap_orders_add_payment_provider (LeapOrders          *self,
                                              LeapPaymentProvider *provider);
void        leap_orders_settle_async         (LeapOrders          *self,
                                              JsonObject          *order,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char       *leap_orders_settle_finish        (LeapOrders          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

gboolean    leap_order_id_parse       (const char         *order_id,
                                       char              **hold_id,
                                       gint64             *event_id);
char       *leap_order_id_for_hold    (const char         *hold_id);
char       *leap_ticket_code_new      (LeapTicketSigner   *signer,
                                       const char         *order_id,
                                       gint64              tier_id,
                                       guint               index);

G_END_DECLS
