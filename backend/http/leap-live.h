/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "leap-request.h"
#include "leap-holds.h"
#include "leap-orders.h"
#include "leap-sessions.h"
#include "leap-redis.h"

G_BEGIN_DECLS

#define LEAP_TYPE_LIVE (leap_live_get_type ())
G_DECLARE_FINAL_TYPE (LeapLive, leap_live, LEAP, LIVE, GObject)

/* The WebSocket at /api/v1/live: clients subscribe to events and get every
 * availability change that any backend publishes. */
LeapLive *leap_live_new               (SoupServer *server,
                                       LeapRedis  *subscriber,
                                       LeapHolds  *holds);
guint     leap_live_get_n_clients     (LeapLive   *self);

/* Lets clients also follow their orders: {"subscribe": {"order": ID}}
 * (signed in by the Authorization header of the upgrade request, or a
 * "token" member) answers {"type": "order", "order_id", "status"} when the
 * worker publishes the result, or at once if it is known already. */
void      leap_live_watch_orders      (LeapLive     *self,
                                       LeapSessions *sessions,
                                       LeapOrders   *orders);

/* What keeps one address from holding the process's descriptors. */
typedef struct
{
  guint idle_timeout_s;   /* a socket that follows nothing and is not signed in; 0: never */
  guint ping_interval_s;  /* pinged this often, closed after two without an answer; 0: never */
  guint max_per_address;  /* sockets per client address; 0: no limit */
} LeapLiveLimits;

/* Addresses are the client's as @ctx resolves them (trusted proxies), and
 * a refused upgrade answers as every API error does. */
void      leap_live_set_limits        (LeapLive             *self,
                                       LeapHttpContext      *ctx,
                                       const LeapLiveLimits *limits);

G_END_DECLS
