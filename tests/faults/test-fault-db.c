/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The central database locked by another writer for several seconds while
 * a flash sale runs against the real leap-backend: holds and orders go on
 * (they live in Redis), the worker waits, and every order is paid once
 * the lock is gone. */
#include "leap-fault.h"

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
          leap_test_db_lock (db);
          g_atomic_int_set (&w->locked, 1);
          g_usleep (50 * 1000);
          leap_test_db_unlock (db);
        }
    }
  else
    {
      leap_test_db_lock (db);
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

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_fault_global_init (&redis);
  g_test_add ("/leap/faults/db/write-locked", LeapFault, NULL, setup, test_writer_lock, teardown);
  g_test_add ("/leap/faults/db/busy", LeapFault, NULL, setup, test_busy, teardown);
  status = g_test_run ();
  leap_fault_global_fini (&redis);
  return status;
}
