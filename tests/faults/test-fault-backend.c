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

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_fault_global_init (&redis);
  g_test_add ("/leap/faults/backend/kill-restart-mid-request", LeapFault, NULL, setup, test_restart,
              teardown);
  status = g_test_run ();
  leap_fault_global_fini (&redis);
  return status;
}
