/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Redis faults under a flash sale: kill -9 and a restart from its AOF,
 * kill -9 and a restart without its data, SCRIPT FLUSH. */
#include "leap-fault.h"

static LeapTestRedis redis;

static void
setup (LeapFault *f, gconstpointer data)
{
  leap_fault_setup (f, 600, 300);
}

static void
teardown (LeapFault *f, gconstpointer data)
{
  leap_fault_teardown (f);
}

static void
assert_no_server_errors (LeapFault *f)
{
  for (guint i = 0; i < LEAP_FAULT_N_PHASES; i++)
    {
      g_assert_cmpuint (leap_fault_get_stats (f, i)->server, ==, 0);
      g_assert_cmpuint (leap_fault_get_stats (f, i)->transport, ==, 0);
    }
}

/* kill -9 while holds and orders are in flight, down for 1.5 s; keep_data:
 * restarted on its AOF, or on an empty folder. */
static void
kill_redis (LeapFault *f,
            gboolean   keep_data)
{
  leap_fault_start_worker (f, "w1", 1000, 0);
  leap_fault_load_start (f, 50);
  leap_fault_wait_holds (f, 100, 20000);
  leap_fault_wait_paid (f, 100, 20000);

  leap_fault_set_phase (f, LEAP_FAULT_DURING);
  leap_test_redis_kill (f->tb.redis);
  if (!keep_data)
    {
      leap_test_rmdir (f->tb.redis->dir);
      g_clear_pointer (&f->tb.redis->dir, g_free);
    }
  leap_fault_run_for (f, 1500);
  leap_test_redis_start (f->tb.redis);

  leap_fault_set_phase (f, LEAP_FAULT_AFTER);
  leap_fault_assert_recovers (f, 20000);
  leap_fault_wait_requests (f, 200, 20000);
  leap_fault_load_stop (f);
  leap_fault_assert_invariants (f);
  leap_fault_print_figures (f, keep_data ? "redis kill -9, AOF" : "redis kill -9, no data");
  assert_no_server_errors (f);
}

static void
test_kill_aof (LeapFault *f, gconstpointer data)
{
  kill_redis (f, TRUE);
}

static void
test_kill_empty (LeapFault *f, gconstpointer data)
{
  kill_redis (f, FALSE);
}

/* The script cache emptied under load: every script is sent again. */
static void
test_script_flush (LeapFault *f, gconstpointer data)
{
  leap_fault_start_worker (f, "w1", 1000, 0);
  leap_fault_load_start (f, 50);
  leap_fault_wait_holds (f, 100, 20000);
  leap_fault_wait_paid (f, 100, 20000);

  leap_fault_set_phase (f, LEAP_FAULT_DURING);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *out = leap_test_redis_cli (f->tb.redis, "SCRIPT", "FLUSH", NULL);

      g_assert_cmpstr (out, ==, "OK");
      leap_fault_run_for (f, 200);
    }
  leap_fault_set_phase (f, LEAP_FAULT_AFTER);
  leap_fault_assert_recovers (f, 10000);
  leap_fault_wait_requests (f, 200, 20000);
  leap_fault_load_stop (f);
  leap_fault_assert_invariants (f);
  leap_fault_print_figures (f, "SCRIPT FLUSH");
  assert_no_server_errors (f);
  /* Nothing was refused for it. */
  g_assert_cmpuint (leap_fault_get_stats (f, LEAP_FAULT_DURING)->unavailable, ==, 0);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_fault_global_init (&redis);
  g_test_add ("/leap/faults/redis/kill-restart-aof", LeapFault, NULL, setup, test_kill_aof,
              teardown);
  g_test_add ("/leap/faults/redis/kill-restart-empty", LeapFault, NULL, setup, test_kill_empty,
              teardown);
  g_test_add ("/leap/faults/redis/script-flush", LeapFault, NULL, setup, test_script_flush,
              teardown);
  status = g_test_run ();
  leap_fault_global_fini (&redis);
  return status;
}
