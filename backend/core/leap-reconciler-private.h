/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-reconciler.h"

G_BEGIN_DECLS

/* What leap-reconciler.c (runs: reading Redis in steps, repairing) and
 * leap-reconciler-plan.c (what the counters should be) share. */

enum { CAP, AVAIL, HELD, CHECKOUT, SOLD, N_COUNTERS };

extern const char * const _leap_reconciler_counter_names[N_COUNTERS];

struct _LeapReconciler
{
  GObject     parent_instance;

  /* Owned */
  LeapStore  *store;
  LeapRedis  *redis;
  LeapHolds  *holds;       /* NULL: always ready */
  LeapLease  *lease;       /* NULL: the timer runs here */
  GPtrArray  *queued;      /* GTask: waiting for the next run */
  JsonObject *last_report;
  struct _Run *run;        /* the run in progress, or NULL */

  guint       interval_s;
  guint       settle_ms;
  guint       timer_id;
  guint64     ticks;
  guint64     runs;
  guint64     repairs;
  guint64     oversold_detected;
  guint       oversold;    /* tiers oversold at the last run */
};

typedef struct
{
  gboolean present[N_COUNTERS];
  gint64   value[N_COUNTERS];
} Counters;

typedef struct
{
  gint64   tier_id;
  Counters before;
  gint64   after[N_COUNTERS];
} TierFix;

typedef struct _Run
{
  LeapReconciler *self;        /* owned */
  GPtrArray      *tasks;       /* GTask */
  gboolean        full;        /* walk every event's holds */
  gboolean        walking;     /* this event's holds are walked */
  GArray         *events;      /* gint64 */
  guint           index;
  guint           attempt;
  char           *previous;    /* the plan the previous read of this event found */
  GArray         *plan;        /* TierFix: the plan of the last read */
  GPtrArray      *stale;       /* hold ids in the expiry index without a live hold */
  JsonArray      *repairs;
  JsonArray      *deferred;
  GHashTable     *oversold;    /* "E:T" → JsonObject */
  guint           settle_id;
  gint64          started;     /* real time, µs */
  gint64          token;       /* of the lease it runs under, 0 none */

  /* What the steps of the current read found so far */
  GHashTable     *counters;    /* tier id → Counters, as the first step read them */
  GHashTable     *held;        /* tier id → gint64: tickets in live holds */
  GPtrArray      *found_stale; /* hold ids */
  GPtrArray      *checking;    /* order id, items, order id, items… */
  char           *version;     /* the event's change counter at the first step */
  char           *holds_next;  /* where the next step goes on; "": done */
  char           *stream_next;
  guint           steps;
  guint           step_id;     /* idle source before the next step */
} Run;

static inline gint64
current_event (Run *run)
{
  return g_array_index (run->events, gint64, run->index);
}

/* What the database has of one event, read for its plan */
typedef struct
{
  gint64      event_id;
  GPtrArray  *checking;    /* a copy of the run's */
  JsonArray  *tiers;       /* NULL: orders kept committing while it was read */
  GHashTable *paid;        /* tier id → gint64: tickets of those orders counted as sold */
} PlanRead;

/* leap-reconciler-plan.c */
JsonObject *_leap_reconciler_counters_object (const gboolean *present,
                                              const gint64   *value);
void        _leap_reconciler_plan_read_free  (PlanRead       *read);
void        _leap_reconciler_read_database_async (Run               *run,
                                                  GAsyncReadyCallback callback);
char       *_leap_reconciler_make_plan       (Run            *run,
                                              PlanRead       *read);
void        _leap_reconciler_log_fix         (gint64          event_id,
                                              const TierFix  *fix);

G_END_DECLS
