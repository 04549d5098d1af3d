/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Holds over HTTP: nothing oversells under a rush, owners only, guests
 * capped, idempotent retries, expiry, live availability on the WebSocket. */
#include "leap-test-backend.h"

#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  char           *cashier;
  gint64          event;
  gint64          tier;
  gint64          tier2;
} Fixture;

static gint64
add_tier (Fixture    *f,
          const char *name,
          guint       capacity,
          guint       max_per_order)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  g_autofree char *body =
      g_strdup_printf ("{\"name\": \"%s\", \"price\": 2500, \"currency\": \"EUR\", "
                       "\"capacity\": %u, \"max_per_order\": %u}",
                       name, capacity, max_per_order);
  return leap_test_backend_create (&f->tb, f->admin, path, body);
}

static void
setup (Fixture *f, gconstpointer data)
{
  gint64 venue;
  g_autofree char *body = NULL;

  leap_test_backend_setup (&f->tb, 1000);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Rush\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  f->tier = add_tier (f, "Stalls", GPOINTER_TO_UINT (data) ? GPOINTER_TO_UINT (data) : 10, 6);
  f->tier2 = add_tier (f, "Balcony", 5, 10);
}

static void
setup_short (Fixture *f, gconstpointer data)
{
  leap_test_backend_set_hold_ttl (1);
  setup (f, data);
  leap_test_backend_set_hold_ttl (600);
}

static void
setup_three_s (Fixture *f, gconstpointer data)
{
  leap_test_backend_set_hold_ttl (3);
  setup (f, data);
  leap_test_backend_set_hold_ttl (600);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_free (f->admin);
  g_free (f->cashier);
  leap_test_backend_teardown (&f->tb);
}

static char *
hold_body (Fixture *f,
           guint    q1,
           guint    q2)
{
  if (q2 == 0)
    return g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                            ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT ", \"quantity\": %u}]}",
                            f->event, f->tier, q1);
  return g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                          ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                          ", \"quantity\": %u}, {\"tier_id\": %" G_GINT64_FORMAT
                          ", \"quantity\": %u}]}",
                          f->event, f->tier, q1, f->tier2, q2);
}

/* Available count of a tier, from GET /events/{id}/availability. */
static gint64
available (Fixture *f,
           gint64   tier)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability",
                                           f->event);
  JsonArray *tiers;

  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  tiers = json_object_get_array_member (leap_test_reply_object (&reply), "tiers");
  for (guint i = 0; i < json_array_get_length (tiers); i++)
    if (json_object_get_int_member (json_array_get_object_element (tiers, i), "tier_id") == tier)
      return json_object_get_int_member (json_array_get_object_element (tiers, i), "available");
  g_assert_not_reached ();
}

static void
test_hold_lifecycle (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = hold_body (f, 2, 1);
  g_autofree char *path = NULL;
  g_autofree char *hold_id = NULL;
  g_autofree char *other = leap_test_backend_login (&f->tb, "manager");
  JsonObject *hold;

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  hold = leap_test_reply_object (&reply);
  hold_id = g_strdup (json_object_get_string_member (hold, "hold_id"));
  g_assert_cmpint (json_object_get_int_member (hold, "total"), ==, 3 * 2500);
  g_assert_cmpstr (json_object_get_string_member (hold, "currency"), ==, "EUR");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (hold, "items")), ==, 2);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (hold, "expires_at"), "Z"));
  g_assert_cmpint (available (f, f->tier), ==, 8);
  g_assert_cmpint (available (f, f->tier2), ==, 4);

  path = g_strconcat ("/api/v1/holds/", hold_id, NULL);
  leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "held");

  /* Another session sees nothing and can release nothing. */
  leap_test_backend_call (&f->tb, "GET", path, other, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  leap_test_backend_call (&f->tb, "DELETE", path, other, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 401);
  g_assert_cmpint (available (f, f->tier), ==, 8);

  leap_test_backend_call (&f->tb, "DELETE", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);
  g_assert_cmpint (available (f, f->tier), ==, 10);
  g_assert_cmpint (available (f, f->tier2), ==, 5);
  /* Exactly once. */
  leap_test_backend_call (&f->tb, "DELETE", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpint (available (f, f->tier), ==, 10);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/holds/1-nonsense", f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
}

static void
test_refusals (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *too_many = hold_body (f, 3, 6);
  g_autofree char *over_limit = hold_body (f, 7, 0);
  g_autofree char *body = NULL;
  const char      *bad[] = {
         "{}",
         "{\"event_id\": 1}",
         "{\"event_id\": 1, \"items\": []}",
         "{\"event_id\": 1, \"items\": [{\"tier_id\": 1}]}",
         "{\"event_id\": 1, \"items\": [{\"tier_id\": 1, \"quantity\": 0}]}",
         "{\"event_id\": 1, \"items\": [{\"tier_id\": 1, \"quantity\": 1}], \"x\": 1}",
         "{\"event_id\": 999, \"items\": [{\"tier_id\": 1, \"quantity\": 1}]}"
  };

  /* All or nothing: the second tier is short, so the first is not held. */
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, too_many, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "sold_out");
  body = g_strdup_printf ("tier %" G_GINT64_FORMAT, f->tier2);
  g_assert_nonnull (strstr (reply.body, body));
  g_assert_cmpint (available (f, f->tier), ==, 10);
  g_assert_cmpint (available (f, f->tier2), ==, 5);

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, over_limit, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, bad[i], &reply);
      if (reply.status != 422)
        g_error ("%s: expected 422, got %u %s", bad[i], reply.status, reply.body);
    }
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", NULL, over_limit, &reply);
  g_assert_cmpuint (reply.status, ==, 401);
  g_assert_cmpint (available (f, f->tier), ==, 10);
}

static void
test_guest_limits (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *guest = NULL;
  g_autofree char *one = hold_body (f, 1, 0);
  g_autofree char *eleven = hold_body (f, 6, 5);
  guint created = 0;

  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
  guest = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", guest, eleven, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  for (guint i = 0; i < 6; i++)
    {
      leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", guest, one, &reply);
      if (reply.status == 201)
        created++;
    }
  g_assert_cmpuint (created, ==, 5);
  g_assert_cmpuint (reply.status, ==, 429);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "too_many_holds");

  /* Staff hold for many customers: no cap. */
  for (guint i = 0; i < 5; i++)
    {
      leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, one, &reply);
      g_assert_cmpuint (reply.status, ==, 201);
    }
  g_assert_cmpint (available (f, f->tier), ==, 0);
}

/* A bot behind guest sessions: thirty hold requests a minute for a session
 * (any answer counts), thirty guest sessions a minute for an address;
 * then 429 with Retry-After. Staff are not limited. */
static void
test_guest_rate (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *guest = NULL;
  g_autofree char *one = hold_body (f, 1, 0);
  guint n_sessions = 1;

  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  guest = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
  for (guint i = 0; i < 30; i++)
    {
      leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", guest, one, &reply);
      g_assert_true (reply.status == 201 ||
                     g_strcmp0 (leap_test_error_code (&reply), "too_many_holds") == 0);
    }
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", guest, one, &reply);
  g_assert_cmpuint (reply.status, ==, 429);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "rate_limited");
  g_assert_cmpint (g_ascii_strtoll (soup_message_headers_get_one (reply.headers, "Retry-After"),
                                    NULL, 10),
                   >, 0);

  /* New guest sessions from the same address run out too. */
  while (n_sessions < 30)
    {
      leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}",
                              &reply);
      g_assert_cmpuint (reply.status, ==, 201);
      n_sessions++;
    }
  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
  g_assert_cmpuint (reply.status, ==, 429);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "rate_limited");
  g_assert_nonnull (soup_message_headers_get_one (reply.headers, "Retry-After"));

  /* The counter at the box office is not a bot. */
  for (guint i = 0; i < 40; i++)
    {
      leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, "{}", &reply);
      g_assert_cmpuint (reply.status, ==, 422);
    }
}

static void
setup_behind_proxy (Fixture *f, gconstpointer data)
{
  const char *proxies[] = { "127.0.0.1", NULL };

  leap_test_backend_set_trusted_proxies (proxies);
  setup (f, data);
  leap_test_backend_set_trusted_proxies (NULL);
}

static guint
guest_session (Fixture    *f,
               const char *forwarded_for)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, "/api/v1/sessions");
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new_static ("{\"guest\": true}", 15);
  g_auto(LeapTestReply) reply = { 0 };

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For",
                                forwarded_for);
  leap_test_send (f->tb.session, msg, &reply);
  return reply.status;
}

/* Behind a trusted proxy (nginx on loopback), the guest sessions of each
 * customer's address are counted apart, not all as the proxy's. */
static void
test_guest_rate_behind_proxy (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 30; i++)
    g_assert_cmpuint (guest_session (f, "203.0.113.5"), ==, 201);
  g_assert_cmpuint (guest_session (f, "203.0.113.5"), ==, 429);
  /* What the client wrote in front of the address the proxy saw is not
   * believed. */
  g_assert_cmpuint (guest_session (f, "198.51.100.1, 203.0.113.5"), ==, 429);
  /* Another customer (IPv6 too) through the same proxy is not limited. */
  g_assert_cmpuint (guest_session (f, "203.0.113.6"), ==, 201);
  g_assert_cmpuint (guest_session (f, "2001:db8::6"), ==, 201);
}

static void
test_idempotency (Fixture *f, gconstpointer data)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, "/api/v1/holds");
  g_autofree char *body = hold_body (f, 2, 0);
  g_autofree char *other_body = hold_body (f, 3, 0);
  g_autofree char *first_id = NULL;
  g_auto(LeapTestReply) reply = { 0 };

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      g_autofree char *auth = g_strconcat ("Bearer ", f->cashier, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                    "sale-1");
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      leap_test_send (f->tb.session, msg, &reply);
      g_assert_cmpuint (reply.status, ==, 201);
      if (first_id == NULL)
        first_id = g_strdup (
            json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
      else
        g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"),
                         ==, first_id);
    }
  g_assert_cmpint (available (f, f->tier), ==, 8);

  {
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GBytes) bytes = g_bytes_new (other_body, strlen (other_body));
    g_autofree char *auth = g_strconcat ("Bearer ", f->cashier, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                  "sale-1");
    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    leap_test_send (f->tb.session, msg, &reply);
    g_assert_cmpuint (reply.status, ==, 422);
    g_assert_cmpstr (leap_test_error_code (&reply), ==, "idempotency_mismatch");
  }
  g_assert_cmpint (available (f, f->tier), ==, 8);
}

/* Keeps `connections` requests in flight until `count` are sent: that many
 * clients pressing at once. (Queuing thousands in one SoupSession costs
 * the client quadratic time.) */
typedef struct
{
  guint        pending;
  guint        to_send;
  guint        created;
  guint        sold_out;
  guint        too_many;  /* 429 too_many_holds */
  guint        other;
  GHashTable  *ids;
  SoupSession *session;
  const char  *url;
  const char  *auth;
  const char  *body;
  const char  *idempotency_key;
} Race;

static void race_send (Race *race);

static void
race_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Race *race = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, NULL);
  guint status = soup_message_get_status (msg);

  leap_test_record (msg, bytes);
  if (status == 201)
    {
      race->created++;
      if (race->ids != NULL)
        {
          g_autofree char *body = g_strndup (g_bytes_get_data (bytes, NULL),
                                             g_bytes_get_size (bytes));
          g_hash_table_add (race->ids, g_strndup (strstr (body, "\"hold_id\""), 40));
        }
    }
  else if (status == 409)
    race->sold_out++;
  else if (status == 429 && bytes != NULL &&
           g_strstr_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                         "\"too_many_holds\"") != NULL)
    race->too_many++;
  else
    race->other++;
  race->pending--;
  if (race->to_send > 0)
    race_send (race);
}

static void
race_send (Race *race)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", race->url);
  g_autoptr(GBytes) bytes = g_bytes_new (race->body, strlen (race->body));

  race->to_send--;
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                race->auth);
  if (race->idempotency_key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                  race->idempotency_key);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (race->session, msg, G_PRIORITY_DEFAULT, NULL, race_cb, race);
}

static gboolean
race_done (gpointer data)
{
  return ((Race *) data)->pending == 0;
}

/* token: the session that holds; NULL for the cashier. */
static void
post_holds (Fixture    *f,
            const char *token,
            guint       count,
            guint       connections,
            const char *body,
            const char *idempotency_key,
            Race       *race)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, "/api/v1/holds");
  g_autofree char *auth = g_strconcat ("Bearer ", token ? token : f->cashier, NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", connections,
                                                                  "max-conns-per-host", connections,
                                                                  "timeout", 60, NULL);

  race->session = session;
  race->url = url;
  race->auth = auth;
  race->body = body;
  race->idempotency_key = idempotency_key;
  race->pending = count;
  race->to_send = count;
  for (guint i = 0; i < MIN (count, connections); i++)
    race_send (race);
  if (!leap_test_wait_until (race_done, race, 120000))
    g_error ("Stuck: %u pending, %u created, %u sold out, %u other", race->pending, race->created,
             race->sold_out, race->other);
}

/* Ten retries of one sale at once, with one key: one hold. */
static void
test_idempotency_concurrent (Fixture *f, gconstpointer data)
{
  g_autofree char *body = hold_body (f, 1, 0);
  Race race = { 0 };

  race.ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  post_holds (f, NULL, 10, 10, body, "same-sale", &race);
  g_assert_cmpuint (race.other, ==, 0);
  g_assert_cmpuint (race.created, ==, 10);
  g_assert_cmpuint (g_hash_table_size (race.ids), ==, 1);
  g_assert_cmpint (available (f, f->tier), ==, 9);
  g_hash_table_unref (race.ids);
}

/* 200 clients, 5,000 attempts, 1,000 tickets: exactly 1,000 held. (The
 * control that shows a naive read-then-write oversells under the same rush
 * is /leap/inventory/race.) */
static void
test_race (Fixture *f, gconstpointer data)
{
  g_autofree char *body = hold_body (f, 1, 0);
  Race race = { 0 };

  post_holds (f, NULL, 5000, 200, body, NULL, &race);
  g_assert_cmpuint (race.other, ==, 0);
  g_assert_cmpuint (race.created, ==, 1000);
  g_assert_cmpuint (race.sold_out, ==, 4000);
  g_assert_cmpint (available (f, f->tier), ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==, 1000);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier) +
                       leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier) +
                       leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier) +
                       leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier),
                   ==, leap_test_redis_hget (f->tb.redis, f->event, "cap", f->tier));
}

static char *
new_guest (Fixture *f)
{
  return leap_test_backend_guest (&f->tb);
}

/* Thirty holds of two tickets at once from one guest session: the cap on
 * its live holds is counted where the holds are made, so exactly five. */
static void
test_guest_parallel (Fixture *f, gconstpointer data)
{
  g_autofree char *guest = new_guest (f);
  g_autofree char *body = hold_body (f, 2, 0);
  Race race = { 0 };

  post_holds (f, guest, 30, 30, body, NULL, &race);
  g_assert_cmpuint (race.other, ==, 0);
  g_assert_cmpuint (race.created, ==, 5);
  g_assert_cmpuint (race.too_many, ==, 25);
  g_assert_cmpint (available (f, f->tier), ==, 100 - 5 * 2);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==, 5 * 2);
}

static char *
guest_hold (Fixture    *f,
            const char *guest,
            guint       want_status)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = hold_body (f, 1, 0);

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", guest, body, &reply);
  g_assert_cmpuint (reply.status, ==, want_status);
  if (want_status != 201)
    {
      g_assert_cmpstr (leap_test_error_code (&reply), ==, "too_many_holds");
      return NULL;
    }
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
}

/* The cap counts live holds only: a hold released or checked out makes
 * room for another at once. */
static void
test_guest_released (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *guest = new_guest (f);
  g_autofree char *order = NULL;
  char *ids[5];

  for (guint i = 0; i < 5; i++)
    ids[i] = guest_hold (f, guest, 201);
  g_assert_null (guest_hold (f, guest, 429));

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strconcat ("/api/v1/holds/", ids[i], NULL);

      leap_test_backend_call (&f->tb, "DELETE", path, guest, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 204);
    }
  g_free (guest_hold (f, guest, 201));
  g_free (guest_hold (f, guest, 201));
  g_assert_null (guest_hold (f, guest, 429));

  order = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"card\"}}", ids[2]);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/orders", guest, order, &reply);
  g_assert_cmpuint (reply.status, ==, 202);
  g_free (guest_hold (f, guest, 201));
  g_assert_null (guest_hold (f, guest, 429));
  for (guint i = 0; i < 5; i++)
    g_free (ids[i]);
}

/* A guest's hold of quantity tickets of the first tier, as a client of the
 * address forwarded_for behind the trusted proxy (NULL: the peer itself);
 * its id in *hold_id when made. A refusal must be the address's cap. */
static guint
address_hold (Fixture    *f,
              const char *guest,
              guint       quantity,
              const char *forwarded_for,
              char      **hold_id)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, "/api/v1/holds");
  g_autofree char *auth = g_strconcat ("Bearer ", guest, NULL);
  g_autofree char *body = hold_body (f, quantity, 0);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_auto(LeapTestReply) reply = { 0 };

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (forwarded_for != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For",
                                  forwarded_for);
  leap_test_send (f->tb.session, msg, &reply);
  if (reply.status == 429)
    g_assert_cmpstr (leap_test_error_code (&reply), ==, "too_many_held_tickets");
  else
    g_assert_cmpuint (reply.status, ==, 201);
  if (reply.status == 201 && hold_id != NULL)
    *hold_id = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply),
                                                        "hold_id"));
  return reply.status;
}

/* Four guest sessions of one address hold the address's 100 tickets (the
 * default guest-address-max-tickets): 16 holds of 6 (the tier's most per
 * order) and one of 4. ids: the holds, by session. */
static void
fill_address (Fixture  *f,
              char    **guests,
              char     *ids[4][5])
{
  for (guint i = 0; i < 16; i++)
    g_assert_cmpuint (address_hold (f, guests[i / 5], 6, NULL, &ids[i / 5][i % 5]), ==, 201);
  g_assert_cmpuint (address_hold (f, guests[3], 6, NULL, NULL), ==, 429);
  g_assert_cmpuint (address_hold (f, guests[3], 4, NULL, &ids[3][1]), ==, 201);
  g_assert_cmpuint (address_hold (f, guests[3], 1, NULL, NULL), ==, 429);
}

static void
free_address (char **guests,
              char  *ids[4][5])
{
  for (guint i = 0; i < 4; i++)
    {
      g_free (guests[i]);
      for (guint j = 0; j < 5; j++)
        g_free (ids[i][j]);
    }
}

/* A bot that rotates guest sessions: what the guests of one address keep
 * in live holds is capped, whatever the sessions, not only how often they
 * ask; a hold released or ordered gives its tickets back at once. Staff
 * and other addresses behind the same proxy are not held back by it. */
static void
test_address_tickets (Fixture *f, gconstpointer data)
{
  char *guests[4];
  char *ids[4][5] = { { NULL } };
  g_autofree char *path = NULL;
  g_autofree char *order = NULL;
  g_autofree char *other = NULL;
  g_autofree char *six = hold_body (f, 6, 0);
  g_auto(LeapTestReply) reply = { 0 };

  for (guint i = 0; i < 4; i++)
    guests[i] = new_guest (f);
  fill_address (f, guests, ids);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==, 100);

  /* Another customer behind the proxy, and the box office, still hold. */
  other = new_guest (f);
  g_assert_cmpuint (address_hold (f, other, 6, "203.0.113.9", NULL), ==, 201);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, six, &reply);
  g_assert_cmpuint (reply.status, ==, 201);

  /* Released: its 6 tickets count no more. */
  path = g_strconcat ("/api/v1/holds/", ids[0][0], NULL);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "DELETE", path, guests[0], NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);
  g_assert_cmpuint (address_hold (f, guests[3], 6, NULL, &ids[3][2]), ==, 201);
  g_assert_cmpuint (address_hold (f, guests[3], 1, NULL, NULL), ==, 429);

  /* Ordered: the same. */
  order = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"card\"}}",
                           ids[1][0]);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/orders", guests[1], order, &reply);
  g_assert_cmpuint (reply.status, ==, 202);
  g_assert_cmpuint (address_hold (f, guests[3], 6, NULL, &ids[3][3]), ==, 201);
  g_assert_cmpuint (address_hold (f, guests[3], 1, NULL, NULL), ==, 429);
  free_address (guests, ids);
}

typedef struct
{
  Fixture *f;
  gint64   want;
} HeldWait;

static gboolean
held_reaches (gpointer data)
{
  HeldWait *w = data;

  return leap_test_redis_hget (w->f->tb.redis, w->f->event, "held", w->f->tier) == w->want;
}

/* A hold that runs out gives its tickets back to the address's cap too. */
static void
test_address_tickets_expire (Fixture *f, gconstpointer data)
{
  char *guests[4];
  char *ids[4][5] = { { NULL } };
  HeldWait w = { f, 0 };

  for (guint i = 0; i < 4; i++)
    guests[i] = new_guest (f);
  fill_address (f, guests, ids);
  g_assert_true (leap_test_wait_until (held_reaches, &w, 15000));
  g_assert_cmpuint (address_hold (f, guests[3], 6, NULL, NULL), ==, 201);
  free_address (guests, ids);
}

/* One clock for holds: a second leap-backend on the same Redis and
 * database, its wall clock OFFSET seconds off ("600", "-600") by
 * tests/leap-test-clock.c preloaded into it. */
typedef struct
{
  GSubprocess *process;
  char        *log;   /* its stderr, shown if it does not come up */
  char        *base;  /* its own; the fixture's while it runs */
  char        *own_base;
} Skewed;

static gboolean
skewed_serves (gpointer data)
{
  Fixture *f = data;
  g_autofree char *url = leap_test_backend_url (&f->tb, "/healthz");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) bytes = soup_session_send_and_read (f->tb.session, msg, NULL, NULL);

  return bytes != NULL && soup_message_get_status (msg) == 200;
}

/* Starts it and points the fixture's calls at it. */
static void
skewed_start (Fixture    *f,
              Skewed     *skewed,
              const char *offset,
              guint       hold_ttl_s)
{
  g_autoptr(GSubprocessLauncher) launcher = leap_test_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  guint16 port = leap_test_free_port ();
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *redis_arg = g_strdup_printf ("127.0.0.1:%u", f->tb.redis->port);
  g_autofree char *ttl = g_strdup_printf ("%u", hold_ttl_s);
  /* The clock goes before the sanitizer's runtime in the preload order. */
  g_autofree char *asan = g_strconcat (g_getenv ("ASAN_OPTIONS") ? g_getenv ("ASAN_OPTIONS") : "",
                                       ":verify_asan_link_order=0", NULL);

  skewed->log = g_build_filename (f->tb.dir, "skewed.log", NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, skewed->log);
  g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", g_getenv ("LEAP_TEST_CLOCK_LIB"), TRUE);
  g_subprocess_launcher_setenv (launcher, "LEAP_TEST_CLOCK_OFFSET_S", offset, TRUE);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
  skewed->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"),
                                                 "--listen", listen, "--redis", redis_arg,
                                                 "--database", f->tb.db_url, "--ticket-key",
                                                 f->tb.ticket_key, "--session-key",
                                                 f->tb.session_key, "--hold-ttl", ttl,
                                                 "--reconcile-interval", "0", NULL);
  g_assert_no_error (error);
  skewed->own_base = g_steal_pointer (&f->tb.base);
  f->tb.base = g_strdup_printf ("http://%s", listen);
  if (!leap_test_wait_until (skewed_serves, f, 20000))
    {
      g_autofree char *log = NULL;

      g_file_get_contents (skewed->log, &log, NULL, NULL);
      g_error ("The backend with its clock %s s off did not come up; it said:\n%s", offset,
               log ? log : "(nothing)");
    }
  /* Its clock is the one asked for (libsoup dates each answer). */
  {
    g_autofree char *url = leap_test_backend_url (&f->tb, "/healthz");
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr(GBytes) bytes = soup_session_send_and_read (f->tb.session, msg, NULL, &error);
    const char *date = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                     "Date");
    g_autoptr(GDateTime) then = date ? soup_date_time_new_from_http_string (date) : NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    gint64 skew_s = g_ascii_strtoll (offset, NULL, 10);

    g_assert_no_error (error);
    g_assert_nonnull (bytes);
    g_assert_nonnull (then);
    g_assert_cmpint (ABS (g_date_time_difference (then, now) / G_TIME_SPAN_SECOND - skew_s), <,
                     60);
  }
}

static void
skewed_stop (Fixture *f,
             Skewed  *skewed)
{
  g_subprocess_send_signal (skewed->process, SIGTERM);
  g_assert_true (g_subprocess_wait (skewed->process, NULL, NULL));
  g_clear_object (&skewed->process);
  g_clear_pointer (&skewed->log, g_free);
  g_free (f->tb.base);
  f->tb.base = g_steal_pointer (&skewed->own_base);
}

/* Only the skewed backend runs from now on (no other expiry timer). */
static void
stop_in_process_backend (Fixture *f)
{
  g_clear_object (&f->tb.backend);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Redis's clock, in ms. */
static gint64
redis_time_ms (Fixture *f)
{
  g_autofree char *out = leap_test_redis_cli (f->tb.redis, "TIME", NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", 2);

  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  return g_ascii_strtoll (lines[0], NULL, 10) * 1000 + g_ascii_strtoll (lines[1], NULL, 10) / 1000;
}

static char *
hold_field (Fixture    *f,
            const char *hold_id,
            const char *field)
{
  g_autofree char *key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:hold:%s", f->event,
                                          hold_id);
  return leap_test_redis_cli (f->tb.redis, "HGET", key, field, NULL);
}

static char *
make_hold (Fixture *f,
           guint    quantity)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = hold_body (f, quantity, 0);

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
}

/* A hold ends ttl_ms after it was made by Redis's clock, whoever made it. */
static void
assert_expires_by_redis (Fixture    *f,
                         const char *hold_id,
                         gint64      ttl_ms)
{
  g_autofree char *expires = hold_field (f, hold_id, "expires_ms");
  gint64 now = redis_time_ms (f);

  /* Made before now, and not much before (a loaded machine, not 600 s). */
  g_assert_cmpint (g_ascii_strtoll (expires, NULL, 10), <=, now + ttl_ms);
  g_assert_cmpint (g_ascii_strtoll (expires, NULL, 10), >, now + ttl_ms - 15000);
}

static gint64
evalsha_calls (Fixture *f)
{
  g_autofree char *info = leap_test_redis_cli (f->tb.redis, "INFO", "commandstats", NULL);
  const char *calls = strstr (info, "cmdstat_evalsha:calls=");

  return calls ? g_ascii_strtoll (calls + strlen ("cmdstat_evalsha:calls="), NULL, 10) : 0;
}

typedef struct
{
  Fixture *f;
  gint64   from;
} Calls;

static gboolean
two_more_scripts (gpointer data)
{
  Calls *calls = data;

  return evalsha_calls (calls->f) >= calls->from + 2;
}

/* A backend ten minutes ahead neither makes holds that are born late nor
 * expires the others' holds early, nor reads them as expired. */
static void
test_clock_ahead (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *mine = make_hold (f, 2);
  g_autofree char *theirs = NULL;
  g_autofree char *path = g_strconcat ("/api/v1/holds/", mine, NULL);
  Skewed skewed = { 0 };
  Calls calls = { f, 0 };

  skewed_start (f, &skewed, "600", 600);
  theirs = make_hold (f, 1);
  assert_expires_by_redis (f, mine, 600000);
  assert_expires_by_redis (f, theirs, 600000);

  leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "held");

  /* Its expiry timer alone runs (once a second: two scripts of it are one
   * full run), and gives nothing back. */
  stop_in_process_backend (f);
  calls.from = evalsha_calls (f);
  g_assert_true (leap_test_wait_until (two_more_scripts, &calls, 20000));
  {
    g_autofree char *status = hold_field (f, mine, "status");

    g_assert_cmpstr (status, ==, "held");
  }
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==, 3);
  skewed_stop (f, &skewed);
}

typedef struct
{
  Fixture *f;
  gint64   expires;
} Due;

static gboolean
due_by_redis (gpointer data)
{
  Due *due = data;

  return redis_time_ms (due->f) > due->expires;
}

/* A backend ten minutes behind makes holds that last their time, and
 * cannot check out a hold that is due by Redis's clock. */
static void
test_clock_behind (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *due_hold = make_hold (f, 2);
  g_autofree char *theirs = NULL;
  g_autofree char *order = NULL;
  g_autofree char *expires = hold_field (f, due_hold, "expires_ms");
  Skewed skewed = { 0 };
  Due due = { f, g_ascii_strtoll (expires, NULL, 10) };

  /* No timer of the right clock from now on. */
  stop_in_process_backend (f);
  skewed_start (f, &skewed, "-600", 10);
  theirs = make_hold (f, 1);
  assert_expires_by_redis (f, theirs, 10000);

  g_assert_true (leap_test_wait_until (due_by_redis, &due, 20000));
  order = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"card\"}}",
                           due_hold);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/orders", f->cashier, order, &reply);
  g_assert_true (reply.status == 410 || reply.status == 409);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 0);
  skewed_stop (f, &skewed);
}

static gboolean
back_to_ten (gpointer data)
{
  return available (data, ((Fixture *) data)->tier) == 10;
}

static void
test_expiry (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = hold_body (f, 4, 0);
  g_autofree char *path = NULL;

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  path = g_strconcat ("/api/v1/holds/",
                      json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"),
                      NULL);
  g_assert_cmpint (available (f, f->tier), ==, 6);

  /* Held for one second (setup_short): the timer gives the tickets back. */
  g_assert_true (leap_test_wait_until (back_to_ten, f, 10000));
  leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "expired");
  leap_test_backend_call (&f->tb, "DELETE", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpint (available (f, f->tier), ==, 10);
}

static void
test_capacity (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = hold_body (f, 6, 0);
  g_autofree char *path = g_strdup_printf ("/api/v1/tiers/%" G_GINT64_FORMAT, f->tier);

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);

  leap_test_backend_call (&f->tb, "PATCH", path, f->admin, "{\"capacity\": 5}", &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpint (available (f, f->tier), ==, 4);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sync?since=0", NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "\"capacity\":10"));

  leap_test_backend_call (&f->tb, "PATCH", path, f->admin, "{\"capacity\": 20}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (available (f, f->tier), ==, 14);
  leap_test_backend_call (&f->tb, "PATCH", path, f->admin, "{\"capacity\": 6}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (available (f, f->tier), ==, 0);
}

/* The error object of a 409 says what is still there. */
static void
assert_still_there (LeapTestReply *reply,
                    gint64         held,
                    gint64         checking_out,
                    gint64         sold)
{
  JsonObject *error;

  g_assert_cmpuint (reply->status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (reply), ==, "conflict");
  error = json_object_get_object_member (leap_test_reply_object (reply), "error");
  g_assert_cmpint (json_object_get_int_member (error, "held"), ==, held);
  g_assert_cmpint (json_object_get_int_member (error, "checking_out"), ==, checking_out);
  g_assert_cmpint (json_object_get_int_member (error, "sold"), ==, sold);
}

/* Live holds are in Redis only: a delete asks Redis, not just the database. */
static void
test_delete_held (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = hold_body (f, 2, 0);
  g_autofree char *tier_path = g_strdup_printf ("/api/v1/tiers/%" G_GINT64_FORMAT, f->tier);
  g_autofree char *tier2_path = g_strdup_printf ("/api/v1/tiers/%" G_GINT64_FORMAT, f->tier2);
  g_autofree char *event_path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, f->event);
  g_autofree char *hold_path = NULL;

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  hold_path = g_strconcat ("/api/v1/holds/",
                           json_object_get_string_member (leap_test_reply_object (&reply),
                                                          "hold_id"), NULL);

  leap_test_backend_call (&f->tb, "DELETE", tier_path, f->admin, NULL, &reply);
  assert_still_there (&reply, 2, 0, 0);
  leap_test_backend_call (&f->tb, "DELETE", event_path, f->admin, NULL, &reply);
  assert_still_there (&reply, 2, 0, 0);
  /* Refused deletes leave the tier on sale as it was. */
  g_assert_cmpint (available (f, f->tier), ==, 8);
  g_assert_cmpint (available (f, f->tier2), ==, 5);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  g_assert_cmpint (available (f, f->tier), ==, 6);
  leap_test_backend_call (&f->tb, "DELETE", tier_path, f->admin, NULL, &reply);
  assert_still_there (&reply, 4, 0, 0);

  /* A tier nothing is held of goes. */
  leap_test_backend_call (&f->tb, "DELETE", tier2_path, f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);

  leap_test_backend_call (&f->tb, "DELETE", hold_path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);
  leap_test_backend_call (&f->tb, "DELETE", event_path, f->admin, NULL, &reply);
  assert_still_there (&reply, 2, 0, 0);
}

/* Redis down: whether anything is held cannot be told, so nothing is
 * deleted and no capacity changes; both work again once Redis is back. */
static void
test_redis_down_writes (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *tier_path = g_strdup_printf ("/api/v1/tiers/%" G_GINT64_FORMAT, f->tier);
  g_autofree char *event_path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, f->event);

  leap_test_allow_warnings ();
  leap_test_redis_stop (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, FALSE);

  leap_test_backend_call (&f->tb, "PATCH", tier_path, f->admin, "{\"capacity\": 20}", &reply);
  g_assert_cmpuint (reply.status, ==, 503);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "unavailable");
  leap_test_backend_call (&f->tb, "DELETE", tier_path, f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 503);
  leap_test_backend_call (&f->tb, "DELETE", event_path, f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 503);
  /* The database is unchanged: same capacity, same tier. */
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sync?since=0", NULL, NULL, &reply);
  g_assert_null (strstr (reply.body, "\"capacity\":20"));
  g_assert_nonnull (strstr (reply.body, "\"capacity\":10"));
  leap_test_backend_call (&f->tb, "GET", event_path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  available (f, f->tier);

  leap_test_redis_start (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);
  leap_test_backend_call (&f->tb, "PATCH", tier_path, f->admin, "{\"capacity\": 20}", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "cap", f->tier), ==, 20);
  g_assert_cmpint (available (f, f->tier), ==, 20);
  leap_test_backend_call (&f->tb, "DELETE", event_path, f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);
}

static gboolean
counters_back (gpointer data)
{
  Fixture *f = data;
  return leap_test_redis_hget (f->tb.redis, f->event, "cap", f->tier) == 10;
}

/* Redis restarted without its data: counters come back from the database. */
static void
test_repair (Fixture *f, gconstpointer data)
{
  leap_test_allow_warnings ();
  leap_test_redis_kill (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, FALSE);
  /* Its append-only file gone too: it comes back empty, on the same port. */
  leap_test_rmdir (f->tb.redis->dir);
  g_clear_pointer (&f->tb.redis->dir, g_free);
  leap_test_redis_start (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);
  g_assert_true (leap_test_wait_until (counters_back, f, 10000));
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 10);
  g_assert_cmpint (available (f, f->tier), ==, 10);
}

static void
test_live (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *subscribe = g_strdup_printf ("{\"subscribe\": [%" G_GINT64_FORMAT "]}",
                                                f->event);
  g_autofree char *snapshot = g_strdup_printf ("{\"event_id\":%" G_GINT64_FORMAT
                                               ",\"tier_id\":%" G_GINT64_FORMAT
                                               ",\"available\":10}",
                                               f->event, f->tier);
  g_autofree char *change = g_strdup_printf ("{\"event_id\":%" G_GINT64_FORMAT
                                             ",\"tier_id\":%" G_GINT64_FORMAT ",\"available\":7}",
                                             f->event, f->tier);
  g_autofree char *body = hold_body (f, 3, 0);
  LeapTestLive live = { 0 };
  gint64 started;

  leap_test_live_open (&live, f->tb.session, leap_backend_get_port (f->tb.backend));
  soup_websocket_connection_send_text (live.conn, subscribe);
  g_assert_true (leap_test_live_wait (&live, snapshot, 10000));

  started = g_get_monotonic_time ();
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  g_assert_true (leap_test_live_wait (&live, change, 10000));
  g_test_message ("change reached the WebSocket %.1f ms after the hold was sent",
                  (g_get_monotonic_time () - started) / 1000.0);

  soup_websocket_connection_send_text (live.conn, "{\"subscribe\": \"all\"}");
  g_assert_true (leap_test_live_wait (&live, "\"error\"", 10000));

  leap_test_live_close (&live);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

#define ADD(path, func, capacity)                                                                  \
  g_test_add (path, Fixture, GUINT_TO_POINTER (capacity), setup, func, teardown)
  ADD ("/leap/holds/lifecycle", test_hold_lifecycle, 10);
  ADD ("/leap/holds/refusals", test_refusals, 10);
  ADD ("/leap/holds/guest-limits", test_guest_limits, 10);
  ADD ("/leap/holds/guest-rate", test_guest_rate, 10);
  ADD ("/leap/holds/guest-parallel", test_guest_parallel, 100);
  ADD ("/leap/holds/guest-released", test_guest_released, 10);
  g_test_add ("/leap/holds/guest-rate-behind-proxy", Fixture, GUINT_TO_POINTER (10),
              setup_behind_proxy, test_guest_rate_behind_proxy, teardown);
  ADD ("/leap/holds/idempotency", test_idempotency, 10);
  ADD ("/leap/holds/idempotency-concurrent", test_idempotency_concurrent, 10);
  ADD ("/leap/holds/race", test_race, 1000);
  ADD ("/leap/holds/capacity", test_capacity, 10);
  ADD ("/leap/holds/delete-held", test_delete_held, 10);
  ADD ("/leap/holds/redis-down-writes", test_redis_down_writes, 10);
  ADD ("/leap/holds/live", test_live, 10);
  g_test_add ("/leap/holds/expiry", Fixture, GUINT_TO_POINTER (10), setup_short, test_expiry,
              teardown);
  ADD ("/leap/holds/repair", test_repair, 10);
  ADD ("/leap/holds/clock-ahead", test_clock_ahead, 10);
  g_test_add ("/leap/holds/clock-behind", Fixture, GUINT_TO_POINTER (10), setup_three_s,
              test_clock_behind, teardown);
  g_test_add ("/leap/holds/address-tickets", Fixture, GUINT_TO_POINTER (1000),
              setup_behind_proxy, test_address_tickets, teardown);
  g_test_add ("/leap/holds/address-tickets-expire", Fixture, GUINT_TO_POINTER (1000),
              setup_three_s, test_address_tickets_expire, teardown);
#undef ADD

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
