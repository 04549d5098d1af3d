/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-holds.h"
#include "leap-lease.h"
#include "leap-redis.h"
#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_RECONCILER (leap_reconciler_get_type ())
G_DECLARE_FINAL_TYPE (LeapReconciler, leap_reconciler, LEAP, RECONCILER, GObject)

/* Compares the Redis counters of every event on sale with the database
 * (capacity, sold) and with the live hold records (held), and repairs
 * drift through lua/reconcile.lua, which writes only if the counters did
 * not change since they were read. Raises the oversold alarm (a warning
 * and a metric) when sold exceeds capacity. Runs every interval_s seconds
 * (0: only when asked) and on POST /api/v1/admin/reconcile; not while
 * holds (if given) is not ready: Redis down, or its counters being rebuilt.
 *
 * A report: {"events_checked", "started_at", "finished_at",
 *            "repairs": [{"event_id", "tier_id", "before", "after"}
 *                        | {"event_id", "stale_holds": [id…]}],
 *            "oversold": [{"event_id", "tier_id", "capacity", "sold", "source"}],
 *            "deferred": [{"event_id", "reason"}]}
 *
 * An event's holds and checkout stream are walked in steps of at most
 * 1,000 hold records a script call; a walk of several steps is discarded
 * when the event's change counter (leap_keys_event_version ()) moved
 * meanwhile. Signal "walk-step" (gint64 event_id, guint steps done) comes
 * before each step but the first. */
LeapReconciler *leap_reconciler_new             (LeapStore          *store,
                                                 LeapRedis          *redis,
                                                 LeapHolds          *holds,
                                                 guint               interval_s);
void            leap_reconciler_set_interval    (LeapReconciler     *self,
                                                 guint               interval_s);
void            leap_reconciler_set_lease       (LeapReconciler     *self,
                                                 LeapLease          *lease);
void            leap_reconciler_set_settle_ms   (LeapReconciler     *self,
                                                 guint               settle_ms);
void            leap_reconciler_run_async       (LeapReconciler     *self,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
JsonObject     *leap_reconciler_run_finish      (LeapReconciler     *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);
JsonObject     *leap_reconciler_dup_last_report (LeapReconciler     *self);
guint64         leap_reconciler_get_runs        (LeapReconciler     *self);
guint64         leap_reconciler_get_repairs     (LeapReconciler     *self);
guint           leap_reconciler_get_oversold    (LeapReconciler     *self);
void            leap_reconciler_render_metrics  (LeapReconciler     *self,
                                                 GString            *out);

G_END_DECLS
