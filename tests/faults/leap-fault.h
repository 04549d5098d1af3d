/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-test-backend.h"


G_BEGIN_DECLS

/* The fault-injection suite's common ground: a backend (in this process,
 * or a real leap-backend process), real leap-worker processes, a flash-sale
 * client keeping requests in flight while a fault happens, and the checks
 * every fault ends with: no oversell, every paid order exactly once, no
 * hold left past its expiry, the service recovered by itself. */

#define LEAP_FAULT_HOLD_TTL_S 3

typedef enum
{
  LEAP_FAULT_BEFORE,
  LEAP_FAULT_DURING,
  LEAP_FAULT_AFTER,
  LEAP_FAULT_N_PHASES
} LeapFaultPhase;

/* Answers seen by the flash-sale client in one phase. */
typedef struct
{
  guint requests;
  guint ok;         /* 2xx */
  guint sold_out;   /* 409 */
  guint unavailable; /* 503 */
  guint client;     /* other 4xx */
  guint server;     /* other 5xx: a failure */
  guint transport;  /* no HTTP answer (connection refused or cut) */
} LeapFaultStats;

typedef struct _LeapFaultLoad LeapFaultLoad;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  char           *cashier;
  gint64          event;
  gint64          tiers[2];     /* sold by the flash-sale client */
  guint           capacity[2];
  gint64          spare;        /* never sold by the client: proves recovery */
  LeapTestDb     *db;           /* for the checks */
  GPtrArray      *workers;      /* GSubprocess */
  GSubprocess    *backend;      /* a real leap-backend, or NULL: in process */
  guint16         backend_port;
  const char     *backend_config; /* a key file for the process, or NULL */
  guint           reconcile_interval_s; /* the processes'; 0: only when asked */
  LeapFaultLoad  *load;
  const char     *payment;      /* the orders' payment JSON; NULL: cash */
  double          card_decline_rate; /* of the workers' simulated card terminal */
  gint64          recovered_us; /* time from the end of the fault to the first good hold */
  guint           lost_orders;  /* accepted (202) but never written */
  guint           lost_by_phase[LEAP_FAULT_N_PHASES];
  guint64         repairs;      /* counters repaired by the final reconciliation */
  gint64          dead_letters; /* checkout messages given up by the workers */
  gint64          db_holds;     /* holds made by the database (Redis down) */
  gint64          stale_db_holds; /* of those, rows still live past their expiry */
  GHashTable     *accepted;     /* orders answered 202 to a test's own clients, without
                                 * the load: order id → phase + 1; NULL for none */
} LeapFault;

void     leap_fault_global_init     (LeapTestRedis  *redis);
void     leap_fault_global_fini     (LeapTestRedis  *redis);
void     leap_fault_setup           (LeapFault      *f,
                                     guint           capacity_a,
                                     guint           capacity_b);
void     leap_fault_teardown        (LeapFault      *f);

GSubprocess *leap_fault_start_worker (LeapFault     *f,
                                      const char    *consumer,
                                      guint          claim_idle_ms,
                                      guint          card_latency_ms);
void     leap_fault_kill            (GSubprocess    *process);

/* Moves the service to a real leap-backend process on the same database
 * and Redis (the in-process backend is closed); the URLs follow. */
void     leap_fault_start_backend_process (LeapFault *f);
void     leap_fault_kill_backend_process  (LeapFault *f);
/* One more leap-backend process on the same database and Redis, listening
 * on port, logging to DIR/name.log; serving when it returns. */
GSubprocess *leap_fault_spawn_backend (LeapFault  *f,
                                       guint16     port,
                                       const char *name);

void     leap_fault_load_start      (LeapFault      *f,
                                     guint           in_flight);
void     leap_fault_set_phase       (LeapFault      *f,
                                     LeapFaultPhase  phase);
void     leap_fault_load_stop       (LeapFault      *f);
const LeapFaultStats *leap_fault_get_stats (LeapFault *f,
                                            LeapFaultPhase phase);
guint    leap_fault_holds_made      (LeapFault      *f);
guint    leap_fault_orders_accepted (LeapFault      *f);

/* Lets the main loop (and the load) run for ms. */
void     leap_fault_run_for         (LeapFault      *f,
                                     guint           ms);
/* Iterates until at least n holds were made since the call. */
void     leap_fault_wait_holds      (LeapFault      *f,
                                     guint           n,
                                     guint           timeout_ms);

/* Iterates until n more requests of the current phase were answered. */
void     leap_fault_wait_requests   (LeapFault      *f,
                                     guint           n,
                                     guint           timeout_ms);
/* Iterates until the workers have paid n orders in all (steady state). */
void     leap_fault_wait_paid       (LeapFault      *f,
                                     guint           n,
                                     guint           timeout_ms);

/* healthz 200 and a new hold on the spare tier, within timeout_ms of now;
 * sets f->recovered_us. */
void     leap_fault_assert_recovers (LeapFault      *f,
                                     guint           timeout_ms);
/* The end of every fault: waits for the accepted orders and for expiry,
 * reconciles, then asserts the invariants. */
void     leap_fault_assert_invariants (LeapFault    *f);
void     leap_fault_print_figures   (LeapFault      *f,
                                     const char     *fault);

gint64   leap_fault_redis_hget      (LeapFault      *f,
                                     const char     *name,
                                     gint64          tier);

G_END_DECLS
