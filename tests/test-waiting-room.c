/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The waiting room of an on-sale (issue 20): guests line up by arrival and
 * are let in at the set rate, first come first served; a guest's hold needs
 * an admission while the room is active; staff skip it; a guest that stops
 * asking loses its place. */
#include "leap-json.h"
#include "leap-test-backend.h"

#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  gint64          venue;
  gint64          event;  /* on sale since a few seconds: the room is active */
  gint64          tier;
} Fixture;

static gint64
add_event (Fixture    *f,
           const char *on_sale_at)
{
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  gint64 event;

  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"On-sale\", "
                          "\"starts_at\": \"2030-12-01T19:30:00Z\", \"on_sale_at\": %s}",
                          f->venue, on_sale_at);
  event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", event);
  f->tier = leap_test_backend_create (&f->tb, f->admin, path,
                                      "{\"name\": \"Floor\", \"price\": 4000, \"currency\": "
                                      "\"EUR\", \"capacity\": 5000, \"max_per_order\": 4}");
  return event;
}

static void
setup_with (Fixture *f,
            guint    rate,
            guint    timeout_s)
{
  g_autofree char *opened = leap_time_format (g_get_real_time () / G_USEC_PER_SEC - 5);
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", opened);

  leap_test_backend_set_guest_rate (100000);
  leap_test_backend_set_waiting_room (rate, timeout_s);
  leap_test_backend_setup (&f->tb, 0);
  leap_test_backend_set_waiting_room (0, 0);
  leap_test_backend_set_guest_rate (0);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  f->event = add_event (f, quoted);
}

static void
setup (Fixture *f, gconstpointer data)
{
  setup_with (f, 2, 30);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_free (f->admin);
  leap_test_backend_teardown (&f->tb);
}

static char *
guest (Fixture *f)
{
  return leap_test_backend_guest (&f->tb);
}

/* POST (join) or GET of the queue: the place, or NULL with the status. */
static JsonObject *
queue (Fixture    *f,
       const char *method,
       gint64      event,
       const char *token,
       guint      *status)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/queue", event);

  leap_test_backend_call (&f->tb, method, path, token, NULL, &reply);
  if (status != NULL)
    *status = reply.status;
  else if (reply.status != 200)
    g_error ("%s %s: %u %s", method, path, reply.status, reply.body);
  if (reply.status != 200)
    return NULL;
  return json_object_ref (leap_test_reply_object (&reply));
}

static gint64
join (Fixture    *f,
      const char *token)
{
  g_autoptr(JsonObject) place = queue (f, "POST", f->event, token, NULL);

  g_assert_cmpstr (json_object_get_string_member (place, "status"), ==, "line");
  return json_object_get_int_member (place, "position");
}

/* The admission token once admitted, else NULL. */
static char *
admission (Fixture    *f,
           const char *token)
{
  g_autoptr(JsonObject) place = queue (f, "GET", f->event, token, NULL);

  if (!g_str_equal (json_object_get_string_member (place, "status"), "admitted"))
    return NULL;
  return g_strdup (json_object_get_string_member (place, "admission_token"));
}

/* POST /holds of one ticket as @token with @admission in the header (or
 * NULL); the status, and the error code in @code. */
static guint
hold (Fixture    *f,
      gint64      event,
      const char *token,
      const char *admission_token,
      char      **code)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, "/api/v1/holds");
  g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": "
                                           "[{\"tier_id\": %" G_GINT64_FORMAT ", \"quantity\": "
                                           "1}]}", event, f->tier);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_auto(LeapTestReply) reply = { 0 };
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (headers, "Authorization", auth);
  if (admission_token != NULL)
    soup_message_headers_replace (headers, "Admission-Token", admission_token);
  leap_test_send (f->tb.session, msg, &reply);
  if (code != NULL)
    *code = reply.status >= 400 ? g_strdup (leap_test_error_code (&reply)) : NULL;
  return reply.status;
}

typedef struct
{
  Fixture    *f;
  const char *token;
  char       *admission;
} Wait;

static gboolean
admitted_cb (gpointer data)
{
  Wait *wait = data;

  if (wait->admission == NULL)
    wait->admission = admission (wait->f, wait->token);
  return wait->admission != NULL;
}

static char *
wait_admission (Fixture    *f,
                const char *token)
{
  Wait wait = { f, token, NULL };

  g_assert_true (leap_test_wait_until (admitted_cb, &wait, 20000));
  g_assert_nonnull (wait.admission);
  return wait.admission;
}

/* The event names its opening; one without has no room. */
static void
test_on_sale_at (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, f->event);
  g_autofree char *token = guest (f);
  g_autoptr(JsonObject) place = NULL;
  gint64 plain = add_event (f, "null");

  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_nonnull (json_object_get_string_member (leap_test_reply_object (&reply),
                                                   "on_sale_at"));
  place = queue (f, "POST", plain, token, NULL);
  g_assert_false (json_object_get_boolean_member (place, "active"));
  g_assert_cmpstr (json_object_get_string_member (place, "status"), ==, "open");
  g_assert_cmpuint (hold (f, plain, token, NULL, NULL), ==, 201);
}

/* Joining again keeps the place; the next session comes after it. */
static void
test_one_place (Fixture *f, gconstpointer data)
{
  g_autofree char *first = guest (f);
  g_autofree char *second = guest (f);
  g_autoptr(JsonObject) again = NULL;
  gint64 position = join (f, first);

  g_assert_cmpint (join (f, first), ==, position);
  g_assert_cmpint (join (f, second), ==, position + 1);
  again = queue (f, "POST", f->event, first, NULL);
  g_assert_cmpstr (json_object_get_string_member (again, "status"), !=, "open");
  if (g_str_equal (json_object_get_string_member (again, "status"), "line"))
    g_assert_cmpint (json_object_get_int_member (again, "wait_s"), >=, 1);
}

static gboolean
never_cb (gpointer data)
{
  return FALSE;
}

/* Lets the backend work for @ms: the pace of a client that polls. */
static void
pause_ms (guint ms)
{
  leap_test_wait_until (never_cb, NULL, ms);
}

/* Admitted in the order of joining (rate 2, so it takes a few ticks). Each
 * look asks the last to join first: whoever joined before one seen
 * admitted must then be admitted too. */
static void
test_order (Fixture *f, gconstpointer data)
{
  enum { N = 7 };
  char *tokens[N];
  gboolean admitted[N] = { FALSE };
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  guint rounds = 0;

  for (guint i = 0; i < N; i++)
    {
      tokens[i] = guest (f);
      g_assert_cmpint (join (f, tokens[i]), ==, i + 1);
    }
  while (!admitted[0] || !admitted[N - 1])
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      for (guint i = N; i-- > 0;)
        {
          g_autofree char *token = admission (f, tokens[i]);

          admitted[i] = token != NULL;
        }
      for (guint i = 1; i < N; i++)
        g_assert_true (!admitted[i] || admitted[i - 1]);
      rounds++;
      pause_ms (100);
    }
  /* Seven at two a second: several ticks were seen. */
  g_assert_cmpuint (rounds, >, 10);
  for (guint i = 0; i < N; i++)
    g_free (tokens[i]);
}

/* A guest needs its own, unexpired admission while the room is active. */
static void
test_token (Fixture *f, gconstpointer data)
{
  g_autofree char *token = guest (f);
  g_autofree char *other = guest (f);
  g_autofree char *code = NULL;
  g_autofree char *admission_token = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *body = NULL;
  g_auto(LeapTestReply) reply = { 0 };

  g_assert_cmpuint (hold (f, f->event, token, NULL, &code), ==, 403);
  g_assert_cmpstr (code, ==, "waiting_room");
  join (f, token);
  admission_token = wait_admission (f, token);
  forged = g_strdup (admission_token);
  forged[strlen (forged) - 1] = forged[strlen (forged) - 1] == '0' ? '1' : '0';
  g_clear_pointer (&code, g_free);
  g_assert_cmpuint (hold (f, f->event, token, forged, &code), ==, 403);
  g_assert_cmpstr (code, ==, "waiting_room");
  g_clear_pointer (&code, g_free);
  g_assert_cmpuint (hold (f, f->event, other, admission_token, &code), ==, 403);
  g_assert_cmpstr (code, ==, "waiting_room");
  g_assert_cmpuint (hold (f, f->event, token, admission_token, NULL), ==, 201);

  /* In the body, for clients that cannot set a header. */
  body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": [{\"tier_id\": %"
                          G_GINT64_FORMAT ", \"quantity\": 1}], \"admission_token\": \"%s\"}",
                          f->event, f->tier, admission_token);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", token, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
}

/* Staff and kiosk sessions never wait. */
static void
test_staff (Fixture *f, gconstpointer data)
{
  const char *roles[] = { "cashier", "kiosk", "manager" };

  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autofree char *token = leap_test_backend_login (&f->tb, roles[i]);
      g_autoptr(JsonObject) place = queue (f, "POST", f->event, token, NULL);

      g_assert_true (json_object_get_boolean_member (place, "active"));
      g_assert_cmpstr (json_object_get_string_member (place, "status"), ==, "open");
      g_assert_cmpuint (hold (f, f->event, token, NULL, NULL), ==, 201);
    }
}

static gboolean
lease_is (Fixture *f,
          gboolean held)
{
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  return strstr (reply.body, held ? "leap_timers_lease_held 1" : "leap_timers_lease_held 0") !=
         NULL;
}

static gboolean
lease_lost_cb (gpointer data)
{
  return lease_is (data, FALSE);
}

static void
setup_leave (Fixture *f, gconstpointer data)
{
  setup_with (f, 2, 1);
}

/* A guest that stops asking for its place loses it; the one behind it is
 * let in first. Another holder keeps the timers lease meanwhile, so that
 * no one is let in until the test says. */
static void
test_leave (Fixture *f, gconstpointer data)
{
  g_autofree char *gone = guest (f);
  g_autofree char *stays = guest (f);
  g_autofree char *admitted = NULL;
  g_autofree char *out = NULL;
  guint status = 0;
  gint64 until;

  g_free (leap_test_redis_cli (f->tb.redis, "SET", "leap:{lease:timers}", "999999 someone-else",
                               "PX", "600000", NULL));
  g_assert_true (leap_test_wait_until (lease_lost_cb, f, 10000));
  g_assert_cmpint (join (f, gone), ==, 1);
  g_assert_cmpint (join (f, stays), ==, 2);
  /* Three timeouts, asking for one place only. */
  until = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    {
      g_autoptr(JsonObject) place = queue (f, "GET", f->event, stays, NULL);

      g_assert_cmpstr (json_object_get_string_member (place, "status"), ==, "line");
      pause_ms (200);
    }
  g_free (leap_test_redis_cli (f->tb.redis, "DEL", "leap:{lease:timers}", NULL));
  admitted = wait_admission (f, stays);
  g_assert_nonnull (admitted);
  g_assert_null (queue (f, "GET", f->event, gone, &status));
  g_assert_cmpuint (status, ==, 404);
  g_assert_cmpuint (hold (f, f->event, gone, NULL, &out), ==, 403);
  g_assert_cmpstr (out, ==, "waiting_room");
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

  g_test_add ("/leap/waiting-room/on-sale-at", Fixture, NULL, setup, test_on_sale_at, teardown);
  g_test_add ("/leap/waiting-room/one-place", Fixture, NULL, setup, test_one_place, teardown);
  g_test_add ("/leap/waiting-room/order", Fixture, NULL, setup, test_order, teardown);
  g_test_add ("/leap/waiting-room/token", Fixture, NULL, setup, test_token, teardown);
  g_test_add ("/leap/waiting-room/staff", Fixture, NULL, setup, test_staff, teardown);
  g_test_add ("/leap/waiting-room/leave", Fixture, NULL, setup_leave, test_leave, teardown);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_stop (&redis);
  return status;
}
