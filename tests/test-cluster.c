/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two backends on one Redis and one database, as behind a load balancer:
 * what one allows, both allow together; a cut subscription leaves no
 * WebSocket client with a stale count. */
#include "leap-test-backend.h"
#include "leap-keys.h"

#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  LeapTestBackend peer;
  char           *admin;
  gint64          event;
  gint64          tier;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL;
  gint64 venue;

  leap_test_backend_setup (&f->tb, 1000);
  leap_test_backend_setup_peer (&f->peer, &f->tb);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Rush\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  g_free (body);
  body = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  f->tier = leap_test_backend_create (&f->tb, f->admin, body,
                                      "{\"name\": \"Stalls\", \"price\": 2500, \"currency\": "
                                      "\"EUR\", \"capacity\": 10, \"max_per_order\": 1}");
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_free (f->admin);
  leap_test_backend_teardown (&f->peer);
  leap_test_backend_teardown (&f->tb);
}

/* The i-th request goes to one backend, the next to the other. */
static void
call (Fixture       *f,
      guint          i,
      const char    *method,
      const char    *path,
      const char    *token,
      const char    *body,
      LeapTestReply *reply)
{
  leap_test_backend_call (i % 2 == 0 ? &f->tb : &f->peer, method, path, token, body, reply);
}

static void
assert_limited (LeapTestReply *reply)
{
  g_assert_cmpuint (reply->status, ==, 429);
  g_assert_cmpstr (leap_test_error_code (reply), ==, "rate_limited");
  g_assert_cmpint (g_ascii_strtoll (soup_message_headers_get_one (reply->headers, "Retry-After"),
                                    NULL, 10),
                   >, 0);
}

/* Wrong passwords, alternating between the backends: the account is
 * locked after five, the address after twenty, as with one backend. */
static void
test_sign_in_limit (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  guint i;

  for (i = 0; i < 5; i++)
    {
      call (f, i, "POST", "/api/v1/sessions", NULL,
            "{\"username\": \"manager\", \"password\": \"guess-guess\"}", &reply);
      g_assert_cmpuint (reply.status, ==, 401);
    }
  /* Locked on both, even for the right password. */
  for (i = 0; i < 2; i++)
    {
      call (f, i, "POST", "/api/v1/sessions", NULL,
            "{\"username\": \"manager\", \"password\": \"manager-password\"}", &reply);
      assert_limited (&reply);
    }

  /* Fifteen more failures from this address make twenty. */
  for (i = 0; i < 15; i++)
    {
      g_autofree char *body =
          g_strdup_printf ("{\"username\": \"user%u\", \"password\": \"guess-guess\"}", i);

      call (f, i, "POST", "/api/v1/sessions", NULL, body, &reply);
      g_assert_cmpuint (reply.status, ==, 401);
    }
  for (i = 0; i < 2; i++)
    {
      call (f, i, "POST", "/api/v1/sessions", NULL,
            "{\"username\": \"admin\", \"password\": \"admin-password\"}", &reply);
      assert_limited (&reply);
    }
}

/* A guest's hold requests and an address's guest sessions, alternating
 * between the backends: thirty a minute, then 429, as with one backend. */
static void
test_guest_rate (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *guest = NULL;
  g_autofree char *one = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": "
                                          "[{\"tier_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
                                          f->event, f->tier);
  guint i;

  call (f, 0, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  guest = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
  for (i = 0; i < 30; i++)
    {
      call (f, i, "POST", "/api/v1/holds", guest, one, &reply);
      g_assert_true (reply.status == 201 ||
                     g_strcmp0 (leap_test_error_code (&reply), "too_many_holds") == 0);
    }
  for (i = 0; i < 2; i++)
    {
      call (f, i, "POST", "/api/v1/holds", guest, one, &reply);
      assert_limited (&reply);
    }

  for (i = 1; i < 30; i++)
    {
      call (f, i, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
      g_assert_cmpuint (reply.status, ==, 201);
    }
  for (i = 0; i < 2; i++)
    {
      call (f, i, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
      assert_limited (&reply);
    }
}

static gboolean
redis_down (gpointer data)
{
  Fixture *f = data;

  return !leap_redis_is_connected (leap_backend_get_redis (f->tb.backend)) &&
         !leap_redis_is_connected (leap_backend_get_redis (f->peer.backend));
}

/* Redis down: each backend still limits, counting on its own, and says
 * so in /metrics. */
static void
test_redis_down (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_allow_warnings ();
  leap_test_redis_kill (f->tb.redis);
  g_assert_true (leap_test_wait_until (redis_down, f, 15000));

  for (guint i = 0; i < 5; i++)
    {
      leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL,
                              "{\"username\": \"manager\", \"password\": \"guess-guess\"}", &reply);
      g_assert_cmpuint (reply.status, ==, 401);
    }
  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL,
                          "{\"username\": \"manager\", \"password\": \"manager-password\"}",
                          &reply);
  assert_limited (&reply);
  /* The other backend has counted nothing. */
  leap_test_backend_call (&f->peer, "POST", "/api/v1/sessions", NULL,
                          "{\"username\": \"manager\", \"password\": \"guess-guess\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 401);

  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_nonnull (strstr (reply.body, "\nleap_rate_limits_local_total "));
  g_assert_null (strstr (reply.body, "\nleap_rate_limits_local_total 0\n"));

  leap_test_redis_start (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);
  leap_test_backend_wait_redis (&f->peer, TRUE);
}

static char *
tier_message (Fixture *f,
              guint    available)
{
  return g_strdup_printf ("{\"event_id\":%" G_GINT64_FORMAT ",\"tier_id\":%" G_GINT64_FORMAT
                          ",\"available\":%u}", f->event, f->tier, available);
}

/* A change whose message this backend's subscriber missed (it was cut,
 * and the script's publish, or here none at all, went nowhere) reaches
 * the client once the subscription is back. */
static void
test_live_resubscribe (Fixture *f, gconstpointer data)
{
  g_autofree char *subscribe = g_strdup_printf ("{\"subscribe\": [%" G_GINT64_FORMAT "]}",
                                                f->event);
  g_autofree char *snapshot = tier_message (f, 10);
  g_autofree char *change = tier_message (f, 7);
  g_autofree char *avail = leap_keys_event_inventory (f->event, LEAP_INVENTORY_AVAIL);
  g_autofree char *held = leap_keys_event_inventory (f->event, LEAP_INVENTORY_HELD);
  g_autofree char *field = g_strdup_printf ("%" G_GINT64_FORMAT, f->tier);
  g_autofree char *killed = NULL;
  g_autofree char *left = NULL;
  LeapTestLive live = { 0 };
  gint64 started;

  leap_test_live_open (&live, f->tb.session, leap_backend_get_port (f->tb.backend));
  soup_websocket_connection_send_text (live.conn, subscribe);
  g_assert_true (leap_test_live_wait (&live, snapshot, 10000));

  /* Nothing iterates the backends' loop between the kill and the change:
   * their subscribers cannot be back before it. */
  leap_test_allow_warnings ();
  killed = leap_test_redis_cli (f->tb.redis, "CLIENT", "KILL", "TYPE", "pubsub", NULL);
  g_assert_cmpint (g_ascii_strtoll (killed, NULL, 10), >=, 1);
  left = leap_test_redis_cli (f->tb.redis, "HINCRBY", avail, field, "-3", NULL);
  g_assert_cmpstr (left, ==, "7");
  g_free (leap_test_redis_cli (f->tb.redis, "HINCRBY", held, field, "3", NULL));

  started = g_get_monotonic_time ();
  g_assert_true (leap_test_live_wait (&live, change, 10000));
  g_test_message ("the count reached the client %.1f ms after the cut",
                  (g_get_monotonic_time () - started) / 1000.0);
  leap_test_live_close (&live);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

  g_test_add ("/leap/cluster/sign-in-limit", Fixture, NULL, setup, test_sign_in_limit, teardown);
  g_test_add ("/leap/cluster/guest-rate", Fixture, NULL, setup, test_guest_rate, teardown);
  g_test_add ("/leap/cluster/redis-down", Fixture, NULL, setup, test_redis_down, teardown);
  g_test_add ("/leap/cluster/live-resubscribe", Fixture, NULL, setup, test_live_resubscribe,
              teardown);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
