/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-orders.h"

G_BEGIN_DECLS

/* LeapOrders is spread over four files: placing an order in
 * leap-orders.c, reading one in leap-orders-get.c, keeping accepted orders
 * in the database in leap-orders-accept.c, settling one (for leap-worker)
 * in leap-orders-settle.c. */
typedef struct _LeapAccepting LeapAccepting;

struct _LeapOrders
{
  GObject           parent_instance;

  /* Owned */
  LeapStore        *store;
  LeapRedis        *redis;

  /* Placing: orders Redis took, kept in the database by a thread */
  LeapAccepting    *accepting;      /* orders Redis took, to keep in the DB */
  guint             accept_id;
  GAsyncQueue      *accept_queue;   /* to the thread that keeps them */
  GThread          *accept_thread;

  /* Settling, in leap-worker only */
  LeapTicketSigner *signer;
  GHashTable       *providers;      /* payment method → LeapPaymentProvider */
  GPtrArray        *beginning;      /* GTasks whose intent is to record, together */
  guint             begin_id;
  GPtrArray        *settling;       /* GTasks whose payment is done, to write together */
  guint             settle_id;
};

JsonArray  *_leap_orders_price_lines    (LeapStore   *store,
                                         gint64       event_id,
                                         const char  *items,
                                         const char  *prices,
                                         gint64      *total,
                                         char       **currency,
                                         GError     **error);
JsonObject *_leap_orders_pending_answer (const char  *order_id,
                                         const char  *hold_id,
                                         gint64       event_id);

GTask      *_leap_orders_task_new         (LeapOrders          *self,
                                           gpointer             source_tag,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
void        _leap_orders_return_answer_cb (GObject             *object,
                                           GAsyncResult        *result,
                                           gpointer             user_data);

void _leap_orders_accept         (LeapOrders *self,
                                  GTask      *task,
                                  JsonObject *order,
                                  JsonObject *answer);
void _leap_orders_accept_stop    (LeapOrders *self);
void _leap_orders_settle_init    (LeapOrders *self);
void _leap_orders_settle_dispose (LeapOrders *self);

G_END_DECLS
