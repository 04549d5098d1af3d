/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "leap-cache.h"
#include "leap-catalogue.h"
#include "leap-dead-letters.h"
#include "leap-holds.h"
#include "leap-lease.h"
#include "leap-live.h"
#include "leap-metrics.h"
#include "leap-orders.h"
#include "leap-rate-limiter.h"
#include "leap-reconciler.h"
#include "leap-redis.h"
#include "leap-refunds.h"
#include "leap-request.h"
#include "leap-sessions.h"
#include "leap-store.h"
#include "leap-tickets.h"
#include "leap-waiting-room.h"

G_BEGIN_DECLS

/* What the HTTP layer serves from: the domain objects and limits of one
 * backend process. The process that wires them together (LeapBackend) owns
 * every pointer here and outlives the server; handlers only borrow, through
 * req->ctx, so that http/ needs nothing of the layer above it. */
struct _LeapHttpContext
{
  LeapStore        *store;
  LeapRedis        *redis;
  LeapRedis        *subscriber;
  LeapCache        *cache;
  LeapCatalogue    *catalogue;
  LeapSessions     *sessions;
  LeapHolds        *holds;
  LeapOrders       *orders;
  LeapRefunds      *refunds;
  LeapDeadLetters  *dead_letters;
  LeapReconciler   *reconciler;
  LeapLease        *timers;      /* the reconciler's and the refunds' retries */
  LeapTickets      *tickets;
  LeapWaitingRoom  *waiting_room;
  LeapLive         *live;
  LeapMetrics      *metrics;
  SoupServer       *server;
  /* Guests (the public, and bots among them), per minute: holds of a
   * session, holds of an address, sessions of an address. */
  LeapRateLimiter  *guest_holds;
  LeapRateLimiter  *guest_holds_by_address;
  LeapRateLimiter  *guest_sessions;
  /* GInetAddressMask: peers whose X-Forwarded-For names the client. */
  GPtrArray        *trusted_proxies;
  /* Origins answered with CORS headers; "*" for any. */
  char            **cors_origins;
  /* The folder served at /shop/, resolved; NULL: not served. */
  const char       *web_root;
  gsize             max_body;
};

G_END_DECLS
