/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The central database locked by another writer for several seconds while
 * a flash sale runs against the real leap-backend: holds and orders go on
 * (they live in Redis), the worker waits, and every order is paid once
 * the lock is gone. */
#include "leap-fault.h"

#include <string.h>

static LeapTestRedis redis;

#define LOCK_MS 6000

static void
setup (LeapFault *f, gconstpointer data)
{
  leap_fault_setup (f, 600, 300);
  leap_fault_start_backend_process (f);
}

static void
teardown (LeapFault *f, gconstpointer data)
{
  leap_fault_teardown (f);
}

typedef struct
{
  const char *url;
  gboolean    busy;       /* many short write transactions instead of one long one */
  gint        locked;     /* atomic: the lock is held */
  gint        done;       /* atomic: released */
} Writer;

/* Another process's writer, as an administrator's tool could be: takes the
 * write lock, holds it for LOCK_MS, commits. */
static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  g_autoptr(LeapTestDb) db = leap_test_db_open (w->url);

  if (w->busy)
    {
      /* A batch job: write transactions back to back, each holding the
       * lock for 50 ms, for LOCK_MS. */
      gint64 end = g_get_monotonic_time () + LOCK_MS * G_TIME_SPAN_MILLISECOND;

      while (g_get_monotonic_time () < end)
        {
          leap_test_db_lock (db, "orders");
          g_atomic_int_set (&w->locked, 1);
          g_usleep (50 * 1000);
          leap_test_db_unlock (db);
        }
    }
  else
    {
      leap_test_db_lock (db, "orders");
      g_atomic_int_set (&w->locked, 1);
      g_usleep (LOCK_MS * 1000);  /* the fault: the lock held, whatever happens */
      leap_test_db_unlock (db);
    }
  g_atomic_int_set (&w->done, 1);
  return NULL;
}

static gboolean
writer_done (gpointer data)
{
  return g_atomic_int_get (&((Writer *) data)->done);
}

static gboolean
writer_locked (gpointer data)
{
  return g_atomic_int_get (&((Writer *) data)->locked);
}

static void
lock_database (LeapFault *f,
               gboolean   busy,
               const char *name)
{
  Writer w = { f->tb.db_url, busy, 0, 0 };
  GThread *thread;
  gint64 paid_before, paid_during;

  leap_fault_start_worker (f, "w1", 1000, 0);
  leap_fault_load_start (f, 50);
  leap_fault_wait_holds (f, 100, 20000);
  leap_fault_wait_paid (f, 50, 20000);

  leap_fault_set_phase (f, LEAP_FAULT_DURING);
  thread = g_thread_new ("writer", writer_thread, &w);
  g_assert_true (leap_test_wait_until (writer_locked, &w, 10000));
  paid_before = leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE status = 'paid'");
  g_assert_true (leap_test_wait_until (writer_done, &w, LOCK_MS + 10000));
  g_thread_join (thread);
  paid_during = leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE status = 'paid'") -
                paid_before;

  leap_fault_set_phase (f, LEAP_FAULT_AFTER);
  leap_fault_assert_recovers (f, 20000);
  leap_fault_wait_requests (f, 200, 20000);
  leap_fault_load_stop (f);
  leap_fault_assert_invariants (f);
  g_test_message ("%s: %" G_GINT64_FORMAT " orders paid while the lock was held", name,
                  paid_during);
  leap_fault_print_figures (f, name);
  for (guint i = 0; i < LEAP_FAULT_N_PHASES; i++)
    {
      g_assert_cmpuint (leap_fault_get_stats (f, i)->server, ==, 0);
      g_assert_cmpuint (leap_fault_get_stats (f, i)->transport, ==, 0);
    }
}

static void
test_writer_lock (LeapFault *f, gconstpointer data)
{
  lock_database (f, FALSE, "database write-locked 6 s");
}

static void
test_busy (LeapFault *f, gconstpointer data)
{
  lock_database (f, TRUE, "database busy with another writer 6 s");
}

typedef struct
{
  SoupMessage *msg;
  GBytes      *body;
  gint64       started;
  gint64       answered; /* monotonic µs, 0 until then */
} Pending;

static void
pending_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;

  p->body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  g_assert_no_error (error);
  p->answered = g_get_monotonic_time ();
}

static gboolean
pending_answered (gpointer data)
{
  return ((Pending *) data)->answered != 0;
}

/* ms that a GET of path takes; asserts its status. */
static gint64
timed_get (LeapFault  *f,
           const char *path,
           guint       status)
{
  g_auto(LeapTestReply) reply = { 0 };
  gint64 started = g_get_monotonic_time ();

  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, status);
  return (g_get_monotonic_time () - started) / 1000;
}

/* Sends a request without waiting for its answer. */
static void
send_pending (LeapFault  *f,
              Pending    *p,
              const char *method,
              const char *path,
              const char *token,
              const char *body)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, path);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  p->msg = soup_message_new (method, url);
  soup_message_headers_replace (soup_message_get_request_headers (p->msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (p->msg, "application/json", bytes);
  p->started = g_get_monotonic_time ();
  soup_session_send_and_read_async (f->tb.session, p->msg, G_PRIORITY_DEFAULT, NULL, pending_cb,
                                    p);
}

/* While p waits for the locked database (up to the store's 5 s busy
 * timeout), the health check and a read answer at once; then p is a 503
 * that tells nothing of the database's own text. */
static void
assert_answers_meanwhile (LeapFault  *f,
                          Pending    *p,
                          const char *read_path)
{
  g_autoptr(JsonNode) answer = NULL;
  gint64 slowest = 0;
  guint probes = 0;
  JsonObject *error;

  while (!pending_answered (p) && g_get_monotonic_time () - p->started < 20 * G_USEC_PER_SEC)
    {
      slowest = MAX (slowest, timed_get (f, "/healthz", SOUP_STATUS_OK));
      slowest = MAX (slowest, timed_get (f, read_path, SOUP_STATUS_OK));
      probes++;
    }
  g_assert_true (leap_test_wait_until (pending_answered, p, 20000));

  g_test_message ("the request answered after %" G_GINT64_FORMAT " ms; %u probes meanwhile, "
                  "the slowest %" G_GINT64_FORMAT " ms",
                  (p->answered - p->started) / 1000, probes, slowest);
  /* The request did wait for the lock: the probes ran while it waited. */
  g_assert_cmpint ((p->answered - p->started) / 1000, >=, 3000);
  g_assert_cmpuint (probes, >=, 3);
  g_assert_cmpint (slowest, <, 1000);

  g_assert_cmpuint (soup_message_get_status (p->msg), ==, SOUP_STATUS_SERVICE_UNAVAILABLE);
  answer = json_from_string (g_bytes_get_data (p->body, NULL), NULL);
  g_assert_nonnull (answer);
  error = json_object_get_object_member (json_node_get_object (answer), "error");
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "unavailable");
  g_assert_null (strstr (json_object_get_string_member (error, "message"), "database is locked"));
  g_assert_null (strstr (json_object_get_string_member (error, "message"), "SQLite"));
  g_clear_pointer (&p->body, g_bytes_unref);
  g_clear_object (&p->msg);
}

/* Issue 16, item 11: a request waiting for a locked database stops no
 * other request (the database is waited for off the main loop), and its
 * 503 tells nothing of the database's own text. */
static void
test_locked_main_loop (LeapFault *f, gconstpointer data)
{
  g_autofree char *event_path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, f->event);
  const char *venue = "{\"name\": \"Locked Hall\", \"city\": \"Berlin\", "
                      "\"timezone\": \"Europe/Berlin\"}";
  Pending p = { 0 };
  g_autoptr(LeapTestDb) db = leap_test_db_open (f->tb.db_url);

  /* The event's answer cached, so that reading it needs no database. */
  timed_get (f, event_path, SOUP_STATUS_OK);

  leap_test_db_lock (db, "venues");
  send_pending (f, &p, "POST", "/api/v1/venues", f->admin, venue);
  assert_answers_meanwhile (f, &p, event_path);
  leap_test_db_unlock (db);

  /* With the lock gone the same write goes through. */
  g_assert_cmpint (leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", venue), >, 0);
}

typedef struct
{
  LeapFault *f;
  char      *body;
} HoldAsk;

/* A hold that the database made (Redis is down). */
static gboolean
db_hold_made (gpointer data)
{
  HoldAsk *ask = data;
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&ask->f->tb, "POST", "/api/v1/holds", ask->f->cashier, ask->body,
                          &reply);
  return reply.status == SOUP_STATUS_CREATED;
}

/* The backend sells through Redis: its first rebuild is done and it knows
 * what Redis has available, the figures an outage opens with. */
static gboolean
selling_through_redis (gpointer data)
{
  LeapFault *f = data;
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  return reply.status == SOUP_STATUS_OK && strstr (reply.body, "leap_degraded 0\n") != NULL;
}

/* Issue 17: with Redis down the database makes the holds, off the main
 * loop too. Failed before: the hold's write (BEGIN IMMEDIATE) waited on
 * the main loop, and /healthz answered only after the busy timeout. */
static void
test_locked_outage (LeapFault *f, gconstpointer data)
{
  g_autofree char *event_path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, f->event);
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": "
                                           "[{\"tier_id\": %" G_GINT64_FORMAT ", "
                                           "\"quantity\": 1}]}", f->event, f->tiers[0]);
  HoldAsk ask = { f, body };
  Pending p = { 0 };
  g_autoptr(LeapTestDb) db = leap_test_db_open (f->tb.db_url);

  timed_get (f, event_path, SOUP_STATUS_OK);
  /* Redis lost before that, the outage would know no figures and the
   * database would rightly sell nothing. */
  g_assert_true (leap_test_wait_until (selling_through_redis, f, 10000));
  leap_test_redis_kill (f->tb.redis);
  /* Selling from the database. */
  g_assert_true (leap_test_wait_until (db_hold_made, &ask, 10000));

  leap_test_db_lock (db, "holds");
  send_pending (f, &p, "POST", "/api/v1/holds", f->cashier, body);
  assert_answers_meanwhile (f, &p, event_path);
  leap_test_db_unlock (db);

  g_assert_true (db_hold_made (&ask));
  leap_test_redis_start (f->tb.redis);
}

/* Issue 17: kill -9 of PostgreSQL itself mid-checkout, under a flash
 * sale, started again a second later: the backend's and the worker's
 * connections come back, and every paid order is there once, nothing
 * oversold. */
static void
test_pg_killed (LeapFault *f, gconstpointer data)
{
  LeapTestPg *pg = leap_test_backend_get_pg ();

  /* The backend and the worker say they lost the database: the fault. */
  leap_test_allow_warnings ();
  leap_fault_start_worker (f, "w1", 1000, 300);
  leap_fault_load_start (f, 50);
  leap_fault_wait_holds (f, 100, 20000);
  leap_fault_wait_paid (f, 50, 20000);

  leap_fault_set_phase (f, LEAP_FAULT_DURING);
  leap_test_pg_kill (pg);
  leap_fault_run_for (f, 1000);
  leap_test_pg_restart (pg);
  /* The test's own connection died with it too. */
  leap_test_db_close (f->db);
  f->db = leap_test_db_open (f->tb.db_url);

  leap_fault_set_phase (f, LEAP_FAULT_AFTER);
  leap_fault_assert_recovers (f, 20000);
  leap_fault_wait_requests (f, 200, 20000);
  /* Orders paid after the restart too. */
  leap_fault_wait_paid (f, leap_test_db_int (f->db, "SELECT count(*) FROM orders "
                                                     "WHERE status = 'paid'") + 20, 20000);
  leap_fault_load_stop (f);
  leap_fault_assert_invariants (f);
  leap_fault_print_figures (f, "PostgreSQL kill -9 and restart");
  /* The sale did go on before the kill and after the restart. */
  g_assert_cmpuint (leap_fault_get_stats (f, LEAP_FAULT_BEFORE)->ok, >, 0);
  g_assert_cmpuint (leap_fault_get_stats (f, LEAP_FAULT_AFTER)->ok, >, 0);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_fault_global_init (&redis);
  g_test_add ("/leap/faults/db/write-locked", LeapFault, NULL, setup, test_writer_lock, teardown);
  g_test_add ("/leap/faults/db/busy", LeapFault, NULL, setup, test_busy, teardown);
  g_test_add ("/leap/faults/db/locked-main-loop", LeapFault, NULL, setup, test_locked_main_loop,
              teardown);
  g_test_add ("/leap/faults/db/locked-outage", LeapFault, NULL, setup, test_locked_outage,
              teardown);
  if (leap_test_backend_is_pg ())
    g_test_add ("/leap/faults/db/postgresql-killed", LeapFault, NULL, setup, test_pg_killed,
                teardown);
  status = g_test_run ();
  leap_fault_global_fini (&redis);
  return status;
}
