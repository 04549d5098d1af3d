/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An acknowledged hold survives a failover (issue 18): with a replica that
 * keeps up, a hold is answered 201 only once WAIT says the replica has it;
 * with a frozen replica it is refused (503) and released within the
 * setting's time; with no replica no WAIT is sent. A real primary and a
 * real replica (redis-server --replicaof). */
#include "leap-test-backend.h"
#include "leap-keys.h"

#include <signal.h>
#include <string.h>

#define CAPACITY 1000

static LeapTestRedis primary;

typedef struct
{
  LeapTestRedis   replica;
  char          **replica_args;
  gboolean        frozen;
  LeapTestBackend tb;
  char           *admin;
  gint64          event;
  gint64          tier;
} Fixture;

/* The number after @prefix in INFO @section's answer; 0 if none (Redis
 * lists no command not yet called). */
static gint64
info_number (LeapTestRedis *redis,
             const char    *section,
             const char    *prefix)
{
  g_autofree char *out = leap_test_redis_cli (redis, "INFO", section, NULL);
  const char *at = strstr (out, prefix);

  return at != NULL ? g_ascii_strtoll (at + strlen (prefix), NULL, 10) : 0;
}

/* The calls of WAIT the primary has answered since it started. */
static gint64
waits (void)
{
  return info_number (&primary, "commandstats", "cmdstat_wait:calls=");
}

static gboolean
replica_synced (gpointer data)
{
  Fixture *f = data;
  g_autofree char *out = leap_test_redis_cli (&f->replica, "INFO", "replication", NULL);

  return strstr (out, "master_link_status:up") != NULL;
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL;
  gint64 venue;

  f->replica_args = g_new0 (char *, 4);
  f->replica_args[0] = g_strdup ("--replicaof");
  f->replica_args[1] = g_strdup ("127.0.0.1");
  f->replica_args[2] = g_strdup_printf ("%u", primary.port);
  f->replica.args = f->replica_args;
  leap_test_redis_start (&f->replica);
  g_assert_true (leap_test_wait_until (replica_synced, f, 10000));

  leap_test_backend_setup (&f->tb, 1000);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Rush\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  g_free (body);
  body = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  f->tier = leap_test_backend_create (&f->tb, f->admin, body,
                                      "{\"name\": \"Stalls\", \"price\": 2500, \"currency\": "
                                      "\"EUR\", \"capacity\": " G_STRINGIFY (CAPACITY) ", "
                                      "\"max_per_order\": 1}");
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->frozen && f->replica.process != NULL)
    g_subprocess_send_signal (f->replica.process, SIGCONT);
  g_free (f->admin);
  leap_test_backend_teardown (&f->tb);
  leap_test_redis_clear (&f->replica);
  g_strfreev (f->replica_args);
}

static guint
hold (Fixture *f,
      char   **hold_id)
{
  return leap_test_backend_try_hold (&f->tb, f->admin, f->event, f->tier, 1, hold_id);
}

/* One hold: TRUE if it was answered 201 after as many WAITs as @waited
 * says (TRUE: some, FALSE: none). A refusal (503) is allowed: a WAIT that
 * found no replica in time. */
static gboolean
hold_waited (Fixture *f,
             gboolean waited)
{
  gint64 before = waits ();
  guint status = hold (f, NULL);

  g_assert_true (status == 201 || status == 503);
  return status == 201 && (waits () > before) == waited;
}

/* The backend asks ROLE once a second, and a replica just synced may not
 * answer WAIT for a second more: holds until one waited for the replica. */
static gboolean
waited_once (gpointer data)
{
  return hold_waited (data, TRUE);
}

/* Holds until one was answered 201 with no WAIT (some may be refused
 * first: a WAIT that found no replica). */
static gboolean
no_wait_sent (gpointer data)
{
  return hold_waited (data, FALSE);
}

/* A hold answered 201 is on the replica at once, and WAIT ran for it. */
static void
test_on_replica (Fixture *f, gconstpointer data)
{
  g_assert_true (leap_test_wait_until (waited_once, f, 10000));
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *hold_id = NULL;
      g_autofree char *key = NULL;
      g_autofree char *exists = NULL;
      gint64 before = waits ();

      g_assert_cmpuint (hold (f, &hold_id), ==, 201);
      key = leap_keys_hold (f->event, hold_id);
      exists = leap_test_redis_cli (&f->replica, "EXISTS", key, NULL);
      g_assert_cmpstr (exists, ==, "1");
      g_assert_cmpint (waits (), >, before);
    }
}

/* The process is stopped (state T in /proc/PID/stat), not only signalled. */
static gboolean
stopped (gpointer data)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat",
                                           g_subprocess_get_identifier (data));
  g_autofree char *stat = NULL;
  const char *end;

  g_assert_true (g_file_get_contents (path, &stat, NULL, NULL));
  end = strrchr (stat, ')');
  return end != NULL && end[1] == ' ' && end[2] == 'T';
}

/* A replica that stops answering (SIGSTOP: still connected, silent): a
 * hold is refused 503 within the setting's time (50 ms, and the round
 * trips) and released; then the replica no longer counts and holds are
 * answered without it. */
static void
test_frozen_replica (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": "
                                           "[{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": 1}]}", f->event, f->tier);
  gint64 start;
  gint64 before;
  gint64 available;

  g_assert_true (leap_test_wait_until (waited_once, f, 10000));
  available = leap_test_redis_hget (&primary, f->event, "avail", f->tier);

  g_subprocess_send_signal (f->replica.process, SIGSTOP);
  f->frozen = TRUE;
  start = g_get_monotonic_time ();
  g_assert_true (leap_test_wait_until (stopped, f->replica.process, 5000));
  before = waits ();
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->admin, body, &reply);
  g_assert_cmpint (waits (), ==, before + 1);
  g_assert_cmpuint (reply.status, ==, 503);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "unavailable");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 1000 * G_TIME_SPAN_MILLISECOND);
  /* Released: nothing is held that the client does not know of. */
  g_assert_cmpint (leap_test_redis_hget (&primary, f->event, "avail", f->tier), ==, available);
  g_assert_cmpint (leap_test_redis_hget (&primary, f->event, "held", f->tier), ==,
                   CAPACITY - available);

  g_assert_true (leap_test_wait_until (no_wait_sent, f, 10000));
}

/* With no replica, holds send no WAIT. */
static void
test_no_replica (Fixture *f, gconstpointer data)
{
  gint64 before;

  g_assert_true (leap_test_wait_until (waited_once, f, 10000));
  leap_test_redis_stop (&f->replica);
  g_assert_true (leap_test_wait_until (no_wait_sent, f, 10000));
  g_assert_cmpint (info_number (&primary, "replication", "connected_slaves:"), ==, 0);
  before = waits ();
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (hold (f, NULL), ==, 201);
  g_assert_cmpint (waits (), ==, before);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&primary);
  leap_test_backend_global_init (&primary);

  g_test_add ("/leap/redis-wait/on-replica", Fixture, NULL, setup, test_on_replica, teardown);
  g_test_add ("/leap/redis-wait/frozen-replica", Fixture, NULL, setup, test_frozen_replica,
              teardown);
  g_test_add ("/leap/redis-wait/no-replica", Fixture, NULL, setup, test_no_replica, teardown);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&primary);
  return status;
}
