/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "leap-backend-config.h"
#include "leap-catalogue.h"
#include "leap-holds.h"
#include "leap-reconciler.h"
#include "leap-sessions.h"
#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_BACKEND (leap_backend_get_type ())
G_DECLARE_FINAL_TYPE (LeapBackend, leap_backend, LEAP, BACKEND, GObject)

/* The backend process: the database, Redis, the domain objects and the
 * HTTP server wired together. Tests run it in their own process too. */
LeapBackend   *leap_backend_new           (const LeapBackendConfig *config,
                                           GError                 **error);
gboolean       leap_backend_listen        (LeapBackend             *self,
                                           GError                 **error);
gboolean       leap_backend_wait_for_redis (LeapBackend           *self,
                                           guint                    timeout_ms);
guint16        leap_backend_get_port      (LeapBackend             *self);
LeapStore     *leap_backend_get_store     (LeapBackend             *self);
LeapRedis     *leap_backend_get_redis     (LeapBackend             *self);
LeapCache     *leap_backend_get_cache     (LeapBackend             *self);
LeapCatalogue *leap_backend_get_catalogue (LeapBackend             *self);
LeapSessions  *leap_backend_get_sessions  (LeapBackend             *self);
LeapHolds     *leap_backend_get_holds     (LeapBackend             *self);
LeapReconciler *leap_backend_get_reconciler (LeapBackend           *self);

G_END_DECLS
