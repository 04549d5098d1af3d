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

/* Another holder takes the timers lease, until the test deletes it: no one
 * is let in meanwhile. */
static void
hold_lease_elsewhere (Fixture *f)
{
  g_free (leap_test_redis_cli (f->tb.redis, "SET", "leap:{lease:timers}", "999999 someone-else",
                               "PX", "600000", NULL));
  g_assert_true (leap_test_wait_until (lease_lost_cb, f, 10000));
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

  hold_lease_elsewhere (f);
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

/* The load case: many guests at once, each its own session, over a
 * SoupSession of their own with many connections. At most LOAD_IN_FLIGHT
 * requests are handed to it at once: libsoup walks its whole queue for
 * each message, and 2,000 queued take the client most of the CPU. */
enum { LOAD_GUESTS = 2000, LOAD_RATE = 100, LOAD_IN_FLIGHT = 32 };

typedef struct
{
  char  *token;
  gint64 position;
  gint64 admitted_until; /* the admission's expiry; 0 while in line */
  guint  hold_status;
} Buyer;

typedef struct
{
  Fixture     *f;
  SoupSession *session;
  Buyer        buyers[LOAD_GUESTS];
  guint        pending;
  GQueue       waiting; /* SoupMessage, not handed to the session yet */
} Load;

typedef void (*LoadFunc) (Buyer      *buyer,
                          guint       status,
                          JsonObject *answer);

typedef struct
{
  Load    *load;
  Buyer   *buyer;
  LoadFunc func;
} LoadCall;

static void load_sent_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
load_next (Load *load)
{
  g_autoptr(SoupMessage) msg = g_queue_pop_head (&load->waiting);

  if (msg != NULL)
    soup_session_send_and_read_async (load->session, msg, G_PRIORITY_DEFAULT, NULL, load_sent_cb,
                                      g_object_steal_data (G_OBJECT (msg), "call"));
}

static void
load_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autofree LoadCall *call = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result,
                                                               &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                             g_bytes_get_size (bytes), NULL));
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  call->func (call->buyer, soup_message_get_status (msg), json_node_get_object (root));
  call->load->pending--;
  load_next (call->load);
}

static void
load_send (Load       *load,
           Buyer      *buyer,
           const char *method,
           const char *path,
           const char *body,
           LoadFunc    func)
{
  g_autofree char *url = leap_test_backend_url (&load->f->tb, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  LoadCall *call = g_new0 (LoadCall, 1);

  if (buyer != NULL && buyer->token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", buyer->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  call->load = load;
  call->buyer = buyer;
  call->func = func;
  g_object_set_data (G_OBJECT (msg), "call", call);
  g_queue_push_tail (&load->waiting, g_steal_pointer (&msg));
  if (++load->pending <= LOAD_IN_FLIGHT)
    load_next (load);
}

static gboolean
load_done_cb (gpointer data)
{
  return ((Load *) data)->pending == 0;
}

static void
load_wait (Load *load)
{
  g_assert_true (leap_test_wait_until (load_done_cb, load, 60000));
}

static void
signed_in (Buyer      *buyer,
           guint       status,
           JsonObject *answer)
{
  g_assert_cmpuint (status, ==, 201);
  buyer->token = g_strdup (json_object_get_string_member (answer, "token"));
}

static void
placed (Buyer      *buyer,
        guint       status,
        JsonObject *answer)
{
  const char *state = json_object_get_string_member (answer, "status");

  /* Nobody loses a place: every one asks well within the timeout. */
  g_assert_cmpuint (status, ==, 200);
  if (g_str_equal (state, "line"))
    {
      gint64 position = json_object_get_int_member (answer, "position");

      g_assert_cmpint (position, >=, 1);
      if (buyer->position == 0)
        buyer->position = position;
      return;
    }
  g_assert_cmpstr (state, ==, "admitted");
  g_assert_true (leap_time_parse (json_object_get_string_member (answer,
                                                                 "admission_expires_at"),
                                  &buyer->admitted_until));
}

static void
held (Buyer      *buyer,
      guint       status,
      JsonObject *answer)
{
  buyer->hold_status = status;
  if (status != 201)
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (answer,
                                                                                   "error"),
                                                    "code"), ==, "waiting_room");
}

static void
setup_load (Fixture *f, gconstpointer data)
{
  setup_with (f, LOAD_RATE, 30);
}

/* LOAD_GUESTS guests join at once and ask for their place until they are
 * let in, LOAD_RATE a second, in the order they joined; no hold is made
 * without an admission. */
static void
test_load (Fixture *f, gconstpointer data)
{
  g_autofree Load *load = g_new0 (Load, 1);
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/queue", f->event);
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": "
                                           "[{\"tier_id\": %" G_GINT64_FORMAT ", "
                                           "\"quantity\": 1}]}", f->event, f->tier);
  g_autofree Buyer **by_position = g_new0 (Buyer *, LOAD_GUESTS + 1);
  gint64 started = g_get_monotonic_time ();
  gint64 deadline = started + 180 * G_USEC_PER_SEC;
  guint admitted = 0, refused = 0;

  load->f = f;
  load->session = soup_session_new_with_options ("max-conns", LOAD_IN_FLIGHT,
                                                 "max-conns-per-host", LOAD_IN_FLIGHT, NULL);
  for (guint i = 0; i < LOAD_GUESTS; i++)
    load_send (load, &load->buyers[i], "POST", "/api/v1/sessions", "{\"guest\": true}",
               signed_in);
  load_wait (load);
  g_test_message ("%u guest sessions in %.1f s", LOAD_GUESTS,
                  (g_get_monotonic_time () - started) / 1e6);
  /* Everyone joins before anyone is let in, so that the positions they
   * are given are their arrivals. */
  hold_lease_elsewhere (f);
  for (guint i = 0; i < LOAD_GUESTS; i++)
    load_send (load, &load->buyers[i], "POST", path, NULL, placed);
  load_wait (load);
  g_test_message ("joined in %.1f s", (g_get_monotonic_time () - started) / 1e6);

  /* One place each: the positions are 1 to LOAD_GUESTS, each once. */
  for (guint i = 0; i < LOAD_GUESTS; i++)
    {
      Buyer *buyer = &load->buyers[i];

      g_assert_cmpint (buyer->position, >=, 1);
      g_assert_cmpint (buyer->position, <=, LOAD_GUESTS);
      g_assert_null (by_position[buyer->position]);
      by_position[buyer->position] = buyer;
    }

  /* The last hundred, not let in yet, try without an admission. */
  for (guint p = LOAD_GUESTS - 99; p <= LOAD_GUESTS; p++)
    load_send (load, by_position[p], "POST", "/api/v1/holds", body, held);
  load_wait (load);
  for (guint p = LOAD_GUESTS - 99; p <= LOAD_GUESTS; p++)
    refused += by_position[p]->hold_status == 403;
  g_assert_cmpuint (refused, ==, 100);
  g_free (leap_test_redis_cli (f->tb.redis, "DEL", "leap:{lease:timers}", NULL));

  while (admitted < LOAD_GUESTS)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      for (guint i = 0; i < LOAD_GUESTS; i++)
        if (load->buyers[i].admitted_until == 0)
          load_send (load, &load->buyers[i], "GET", path, NULL, placed);
      load_wait (load);
      admitted = 0;
      for (guint i = 0; i < LOAD_GUESTS; i++)
        admitted += load->buyers[i].admitted_until > 0;
      pause_ms (200);
    }

  g_test_message ("all let in after %.1f s", (g_get_monotonic_time () - started) / 1e6);
  /* In arrival order: an admission never ends before an earlier one's. At
   * the rate: LOAD_GUESTS / LOAD_RATE ticks a second apart, of which two
   * may share a second. */
  for (guint p = 2; p <= LOAD_GUESTS; p++)
    g_assert_cmpint (by_position[p]->admitted_until, >=, by_position[p - 1]->admitted_until);
  g_assert_cmpint (by_position[LOAD_GUESTS]->admitted_until - by_position[1]->admitted_until, >=,
                   LOAD_GUESTS / LOAD_RATE / 2);
  for (guint p = 1; p + 2 * LOAD_RATE <= LOAD_GUESTS; p++)
    g_assert_cmpint (by_position[p + 2 * LOAD_RATE]->admitted_until, >,
                     by_position[p]->admitted_until);
  g_object_unref (load->session);
  for (guint i = 0; i < LOAD_GUESTS; i++)
    g_free (load->buyers[i].token);
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
  g_test_add ("/leap/waiting-room/load", Fixture, NULL, setup_load, test_load, teardown);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_stop (&redis);
  return status;
}
