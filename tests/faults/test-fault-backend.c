/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real leap-backend killed (kill -9) and restarted with requests in
 * flight: clients see their connections cut, retry their orders (the same
 * hold is the same order) and nothing is sold twice or lost. */
#include "leap-fault.h"

static LeapTestRedis redis;

static void
setup (LeapFault *f, gconstpointer data)
{
  leap_fault_setup (f, 600, 300);
  leap_fault_start_backend_process (f);
}

/* Two backends' worth: this one runs its reconciler every second. */
static void
setup_reconciling (LeapFault *f, gconstpointer data)
{
  leap_fault_setup (f, 600, 300);
  f->reconcile_interval_s = 1;
  leap_fault_start_backend_process (f);
}

static void
teardown (LeapFault *f, gconstpointer data)
{
  leap_fault_teardown (f);
}

static void
test_restart (LeapFault *f, gconstpointer data)
{
  leap_fault_start_worker (f, "w1", 1000, 0);
  leap_fault_load_start (f, 50);
  leap_fault_wait_holds (f, 100, 20000);
  leap_fault_wait_paid (f, 50, 20000);

  leap_fault_set_phase (f, LEAP_FAULT_DURING);
  leap_fault_kill_backend_process (f);
  leap_fault_run_for (f, 500);
  leap_fault_start_backend_process (f);

  leap_fault_set_phase (f, LEAP_FAULT_AFTER);
  leap_fault_assert_recovers (f, 20000);
  leap_fault_wait_requests (f, 200, 20000);
  leap_fault_load_stop (f);
  leap_fault_assert_invariants (f);
  leap_fault_print_figures (f, "backend kill -9 and restart");
  for (guint i = 0; i < LEAP_FAULT_N_PHASES; i++)
    g_assert_cmpuint (leap_fault_get_stats (f, i)->server, ==, 0);
  /* The requests in flight lost their connection: that is the fault. */
  g_assert_cmpuint (leap_fault_get_stats (f, LEAP_FAULT_DURING)->transport, >, 0);
  /* After the restart a client may still find its old keep-alive
   * connection dead once (libsoup does not resend a POST). */
  g_assert_cmpuint (leap_fault_get_stats (f, LEAP_FAULT_AFTER)->transport, <=, 50);
}

/* A figure of the backend on port from its /metrics; -1 if unreadable. */
static gint64
metric (LeapFault  *f,
        guint16     port,
        const char *name)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/metrics", port);
  g_autofree char *line = g_strconcat ("\n", name, " ", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = soup_session_send_and_read (f->tb.session, msg, NULL, NULL);
  g_autofree char *text = body ? g_strndup (g_bytes_get_data (body, NULL),
                                            g_bytes_get_size (body)) : NULL;
  const char *at;

  if (text == NULL || soup_message_get_status (msg) != SOUP_STATUS_OK ||
      (at = strstr (text, line)) == NULL)
    return -1;
  return g_ascii_strtoll (at + strlen (line), NULL, 10);
}

typedef struct
{
  LeapFault *f;
  guint16    ports[2];
  int        holder;    /* the index of the backend that holds the lease, or -1 */
  gint64     runs;      /* at least this many runs by the holder */
} Timers;

/* Exactly one of the backends still up holds the lease and has reconciled
 * at least t->runs times. */
static gboolean
one_runs_timers (gpointer data)
{
  Timers *t = data;
  guint held = 0;

  t->holder = -1;
  for (int i = 0; i < 2; i++)
    if (t->ports[i] != 0 && metric (t->f, t->ports[i], "leap_timers_lease_held") == 1)
      {
        held++;
        t->holder = i;
      }
  return held == 1 &&
         metric (t->f, t->ports[t->holder], "leap_reconcile_runs_total") >= t->runs;
}

/* Issue 18: two backends on one Redis, each with its reconciler due every
 * second: only the one that holds the timers lease reconciles; killed with
 * kill -9, the other takes over once the lease has run out. */
static void
test_timers_lease (LeapFault *f, gconstpointer data)
{
  Timers t = { f, { f->backend_port, leap_test_free_port () }, -1, 2 };
  g_autoptr(GSubprocess) other = leap_fault_spawn_backend (f, t.ports[1], "backend-b");
  gint64 started;
  int survivor;

  g_assert_true (leap_test_wait_until (one_runs_timers, &t, 30000));
  /* Three runs more, and the other backend ran none all along. */
  t.runs = metric (f, t.ports[t.holder], "leap_reconcile_runs_total") + 3;
  g_assert_true (leap_test_wait_until (one_runs_timers, &t, 30000));
  survivor = 1 - t.holder;
  g_assert_cmpint (metric (f, t.ports[survivor], "leap_reconcile_runs_total"), ==, 0);
  g_assert_cmpint (metric (f, t.ports[survivor], "leap_timers_lease_held"), ==, 0);

  leap_fault_kill (t.holder == 0 ? f->backend : other);
  t.ports[t.holder] = 0;
  started = g_get_monotonic_time ();
  t.runs = 1;
  g_assert_true (leap_test_wait_until (one_runs_timers, &t, 30000));
  g_assert_cmpint (t.holder, ==, survivor);
  g_test_message ("the other backend reconciled %" G_GINT64_FORMAT " ms after the kill",
                  (g_get_monotonic_time () - started) / 1000);
  leap_fault_kill (other);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_fault_global_init (&redis);
  g_test_add ("/leap/faults/backend/kill-restart-mid-request", LeapFault, NULL, setup, test_restart,
              teardown);
  g_test_add ("/leap/faults/backend/timers-lease", LeapFault, NULL, setup_reconciling,
              test_timers_lease, teardown);
  status = g_test_run ();
  leap_fault_global_fini (&redis);
  return status;
}
