/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-orders.h"

G_BEGIN_DECLS

/* LeapOrders is spread over two files: placing and reading an order in
 * leap-orders.c, settling one (for leap-worker) in leap-orders-settle.c. */
struct _LeapOrders
{
  GObject           parent_instance;

  /* Owned */
  LeapStore        *store;
  LeapRedis        *redis;

  /* Placing: orders Redis took, kept in the database by a thread */
  GPtrArray        *accepted;       /* GTasks of orders Redis took, to keep in the DB */
  guint             accept_id;
  GAsyncQueue      *accept_queue;   /* to the thread that keeps them */
  GThread          *accept_thread;

  /* Settling, in leap-worker only */
  LeapTicketSigner *signer;
  GHashTable       *providers;      /* payment method → LeapPaymentProvider */
  GPtrArray        *settling;       /* GTasks whose payment is done, to write together */
  guint             settle_id;
};

void _leap_orders_settle_init    (LeapOrders *self);
void _leap_orders_settle_dispose (LeapOrders *self);

G_END_DECLS
