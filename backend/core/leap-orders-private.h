/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-orders.h"

G_BEGIN_DECLS

/* LeapOrders is spread over files that share this struct. */
struct _LeapOrders
{
  GObject      parent_instance;

  /* Owned */
  LeapStore   *store;
  LeapRedis   *redis;

  /* Placing: orders Redis took, kept in the database by a thread */
  GPtrArray   *accepted;       /* GTasks of orders Redis took, to keep in the DB */
  guint        accept_id;
  GAsyncQueue *accept_queue;   /* to the thread that keeps them */
  GThread     *accept_thread;
};

const char *_leap_orders_reply_status (const redisReply *reply);

G_END_DECLS
