/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-backend.h"
#include "leap-dead-letters.h"
#include "leap-holds.h"
#include "leap-live.h"
#include "leap-metrics.h"
#include "leap-orders.h"
#include "leap-reconciler.h"
#include "leap-refunds.h"
#include "leap-request.h"
#include "leap-tickets.h"

G_BEGIN_DECLS

/* What the HTTP handlers reach through req->backend. */
struct _LeapBackend
{
  GObject           parent_instance;

  LeapBackendConfig config;

  /* Owned */
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
  LeapTickets      *tickets;
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

  guint16           port;
  guint64           redis_fallbacks_seen;
};

void  leap_backend_request_done (LeapBackend *self,
                                 LeapRequest *req);
gsize leap_backend_get_max_body (LeapBackend *self);

G_END_DECLS
