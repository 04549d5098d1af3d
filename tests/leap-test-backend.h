/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-backend.h"
#include "leap-test-db.h"
#include "leap-test-pg.h"
#include "leap-test-util.h"

G_BEGIN_DECLS

/* A backend in the test's own process, on its own database and a real
 * Redis, with one user of each role (password: the role + "-password").
 * The database is a SQLite file, or with LEAP_TEST_STORE=postgresql a
 * database of its own on a PostgreSQL server the tests start. */
typedef struct
{
  LeapTestRedis *redis;
  char          *dir;
  char          *db_path;     /* the SQLite file; NULL on PostgreSQL */
  char          *db_url;      /* for --database */
  char          *ticket_key;  /* for --ticket-key */
  char          *session_key; /* for --session-key */
  LeapBackend   *backend;
  SoupSession   *session;
  char          *base;
} LeapTestBackend;

void        leap_test_backend_global_init (LeapTestRedis   *redis);
void        leap_test_backend_global_fini (void);
void        leap_test_backend_set_hold_ttl (guint           seconds);
void        leap_test_backend_set_guest_rate (guint         per_minute);
void        leap_test_backend_set_waiting_room (guint       rate,
                                                guint       timeout_s);
void        leap_test_backend_set_trusted_proxies (const char * const *cidrs);
void        leap_test_backend_set_web_root (const char      *dir);
void        leap_test_backend_setup       (LeapTestBackend *tb,
                                           guint            near_cache_ms);
void        leap_test_backend_setup_peer  (LeapTestBackend *peer,
                                           LeapTestBackend *tb);
void        leap_test_backend_teardown    (LeapTestBackend *tb);
char       *leap_test_backend_url         (LeapTestBackend *tb,
                                           const char      *path);
char       *leap_test_backend_login       (LeapTestBackend *tb,
                                           const char      *role);
char       *leap_test_backend_guest       (LeapTestBackend *tb);
void        leap_test_backend_call        (LeapTestBackend *tb,
                                           const char      *method,
                                           const char      *path,
                                           const char      *token,
                                           const char      *body,
                                           LeapTestReply   *reply);
gint64      leap_test_backend_create      (LeapTestBackend *tb,
                                           const char      *token,
                                           const char      *path,
                                           const char      *body);
void        leap_test_backend_wait_redis  (LeapTestBackend *tb,
                                           gboolean         connected);
void        leap_test_backend_sql         (LeapTestBackend *tb,
                                           const char      *sql);
/* While @refuse, the database fails every DELETE from @table (a trigger),
 * as a database in trouble would. */
void        leap_test_backend_refuse_deletes (LeapTestBackend *tb,
                                              const char      *table,
                                              gboolean         refuse);
/* The same, past the database's CHECK constraints, as a damaged database
 * would be (SQLite ignores them; PostgreSQL's are dropped). */
void        leap_test_backend_sql_unchecked (LeapTestBackend *tb,
                                             const char      *sql);

/* The real leap-worker on the test's Redis and database, as @consumer,
 * with more options after it; its output silenced unless
 * LEAP_TEST_WORKER_LOG is set, its warnings fatal unless @allow_warnings. */
GSubprocess *leap_test_backend_spawn_worker (LeapTestBackend *tb,
                                             const char      *consumer,
                                             gboolean         allow_warnings,
                                             ...) G_GNUC_NULL_TERMINATED;
/* POST /holds for @quantity of one tier as @token: the status, and (if
 * @hold_id is not NULL) the hold id when it is 201, else NULL. */
guint       leap_test_backend_try_hold    (LeapTestBackend *tb,
                                           const char      *token,
                                           gint64           event,
                                           gint64           tier,
                                           guint            quantity,
                                           char           **hold_id);
/* POST /orders for a hold, answered 202; the order id. */
char       *leap_test_backend_order       (LeapTestBackend *tb,
                                           const char      *token,
                                           const char      *hold_id,
                                           const char      *payment);
/* Sends @signal_num to *process, waits for it and clears it. */
void        leap_test_stop_process        (GSubprocess    **process,
                                           int              signal_num);

gboolean    leap_test_backend_is_pg       (void);
/* The PostgreSQL server the tests run on, NULL on SQLite. */
LeapTestPg *leap_test_backend_get_pg      (void);
char       *leap_test_backend_new_db      (LeapTestBackend *tb);

/* A counter of an event's tier in Redis (leap:{ev:E}:NAME, field TIER). */
gint64      leap_test_redis_hget          (LeapTestRedis   *redis,
                                           gint64           event,
                                           const char      *name,
                                           gint64           tier);

G_END_DECLS
