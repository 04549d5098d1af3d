/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Worker faults under a flash sale: kill -9 of the worker with checkouts
 * in work, and two workers racing for the same pending messages. */
#include "leap-fault.h"
#include "leap-keys.h"
#include "leap-orders.h"

static LeapTestRedis redis;

static void
setup (LeapFault *f, gconstpointer data)
{
  leap_fault_setup (f, 600, 300);
  /* Card payments take a while: checkouts are in work when it happens. */
  f->payment = "{\"method\": \"card\"}";
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

static gint64
pending (LeapFault *f)
{
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *out = leap_test_redis_cli (f->tb.redis, "XPENDING", stream,
                                              leap_keys_checkout_group (), NULL);

  return g_ascii_strtoll (out, NULL, 10);
}

/* kill -9 of the only worker with checkouts in work; another starts a
 * second later and takes its messages over after --claim-idle-ms. */
static void
test_kill_worker (LeapFault *f, gconstpointer data)
{
  GSubprocess *doomed = leap_fault_start_worker (f, "doomed", 1000, 300);
  gint64 in_work;

  leap_fault_load_start (f, 50);
  leap_fault_wait_holds (f, 100, 20000);
  leap_fault_wait_paid (f, 50, 20000);

  leap_fault_set_phase (f, LEAP_FAULT_DURING);
  in_work = pending (f);
  leap_fault_kill (doomed);
  leap_fault_run_for (f, 1000);
  leap_fault_start_worker (f, "rescuer", 1000, 300);

  leap_fault_set_phase (f, LEAP_FAULT_AFTER);
  leap_fault_assert_recovers (f, 10000);
  leap_fault_wait_requests (f, 200, 20000);
  leap_fault_load_stop (f);
  leap_fault_assert_invariants (f);
  g_test_message ("worker kill -9: %" G_GINT64_FORMAT
                  " checkouts pending in the group when it died",
                  in_work);
  g_assert_cmpint (in_work, >, 0);
  leap_fault_print_figures (f, "worker kill -9");
  assert_no_server_errors (f);
}

/* Messages of the group delivered more than once (claimed by the other
 * worker while the first was still paying). */
static guint
redelivered (LeapFault *f)
{
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *out = leap_test_redis_cli (f->tb.redis, "XPENDING", stream,
                                              leap_keys_checkout_group (), "-", "+", "1000", NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint n = 0;

  for (guint i = 3; i < g_strv_length (lines); i += 4)
    if (g_ascii_strtoll (lines[i], NULL, 10) >= 2)
      n++;
  return n;
}

typedef struct
{
  LeapFault *f;
  guint      max;
  gint64     next;
} Claims;

static gboolean
claims_seen (gpointer data)
{
  Claims *c = data;

  if (g_get_monotonic_time () < c->next)
    return FALSE;
  c->next = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;
  c->max = MAX (c->max, redelivered (c->f));
  return c->max >= 5;
}

/* Two workers whose payments take longer than the other's claim timeout:
 * each message is claimed by both, and still paid once. */
static void
test_racing_workers (LeapFault *f, gconstpointer data)
{
  leap_fault_start_worker (f, "left", 200, 500);
  leap_fault_start_worker (f, "right", 200, 500);
  leap_fault_load_start (f, 50);
  leap_fault_wait_holds (f, 100, 20000);

  leap_fault_set_phase (f, LEAP_FAULT_DURING);
  {
    Claims c = { f, 0, 0 };

    g_assert_true (leap_test_wait_until (claims_seen, &c, 20000));
    g_test_message ("racing workers: %u messages in the group delivered twice or more at once",
                    c.max);
  }
  leap_fault_wait_paid (f, 150, 30000);

  leap_fault_set_phase (f, LEAP_FAULT_AFTER);
  leap_fault_assert_recovers (f, 10000);
  leap_fault_load_stop (f);
  leap_fault_assert_invariants (f);
  leap_fault_print_figures (f, "racing workers");
  assert_no_server_errors (f);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_fault_global_init (&redis);
  g_test_add ("/leap/faults/worker/kill-mid-checkout", LeapFault, NULL, setup, test_kill_worker,
              teardown);
  g_test_add ("/leap/faults/worker/racing-claims", LeapFault, NULL, setup, test_racing_workers,
              teardown);
  status = g_test_run ();
  leap_fault_global_fini (&redis);
  return status;
}
