/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The catalogue API over real HTTP, a real Redis and a real SQLite file:
 * each endpoint's happy path and its bad inputs. */
#include "leap-test-backend.h"

#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  leap_test_backend_setup (&f->tb, 1000);
  f->admin = leap_test_backend_login (&f->tb, "admin");
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_free (f->admin);
  leap_test_backend_teardown (&f->tb);
}

#define CALL(method, path, token, body)                                                            \
  leap_test_backend_call (&f->tb, method, path, token, body, &reply)

static gint64
make_venue (Fixture *f)
{
  return leap_test_backend_create (
      &f->tb, f->admin, "/api/v1/venues",
      "{\"name\": \"Hall\", \"city\": \"Berlin\", \"timezone\": \"Europe/Berlin\"}");
}

static gint64
make_event (Fixture    *f,
            gint64      venue,
            const char *name,
            const char *starts_at)
{
  g_autofree char *body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"%s\", "
                                           "\"starts_at\": \"%s\"}", venue, name, starts_at);
  return leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
}

static void
test_health (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };

  CALL ("GET", "/healthz", NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);
  CALL ("GET", "/readyz", NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "redis"), ==,
                   "ok");
  CALL ("GET", "/metrics", NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_nonnull (
      strstr (reply.body,
              "leap_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 1"));
  g_assert_nonnull (
      strstr (reply.body,
              "leap_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 1"));
  g_assert_nonnull (strstr (reply.body, "leap_redis_up 1"));
  g_assert_nonnull (strstr (reply.body, "leap_websocket_clients 0"));
  /* No replicas (SQLite): every read is the primary's, and none is counted. */
  g_assert_nonnull (strstr (reply.body, "leap_db_replica_queries_total 0"));
  g_assert_nonnull (strstr (reply.body, "leap_db_replica_fallbacks_total 0"));
  g_assert_nonnull (strstr (reply.body, "# TYPE leap_http_connections gauge"));
}

static void
test_venue_crud (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = NULL;
  JsonObject *venue;
  gint64 id;

  CALL ("POST", "/api/v1/venues", f->admin,
        "{\"name\": \"Leap Hall\", \"address\": \"Main St 1\", \"city\": \"Berlin\", \"country\": "
        "\"DE\","
        " \"timezone\": \"Europe/Berlin\", \"capacity\": 500}");
  g_assert_cmpuint (reply.status, ==, 201);
  venue = leap_test_reply_object (&reply);
  id = json_object_get_int_member (venue, "id");
  g_assert_cmpint (id, >, 0);
  g_assert_cmpstr (json_object_get_string_member (venue, "name"), ==, "Leap Hall");
  g_assert_cmpint (json_object_get_int_member (venue, "capacity"), ==, 500);
  path = g_strdup_printf ("/api/v1/venues/%" G_GINT64_FORMAT, id);
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "Location"), ==, path);

  CALL ("GET", path, NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "city"), ==,
                   "Berlin");

  CALL ("GET", "/api/v1/venues", NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (leap_test_reply_object (&reply), "venues")),
                    ==, 1);

  CALL ("PATCH", path, f->admin, "{\"name\": \"Leap Grand Hall\", \"address\": null}");
  g_assert_cmpuint (reply.status, ==, 200);
  venue = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (venue, "name"), ==, "Leap Grand Hall");
  g_assert_true (json_object_get_null_member (venue, "address"));

  /* The write invalidated the cached copies: reads see it at once. */
  CALL ("GET", path, NULL, NULL);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "name"), ==,
                   "Leap Grand Hall");
  CALL ("GET", "/api/v1/venues", NULL, NULL);
  g_assert_nonnull (strstr (reply.body, "Leap Grand Hall"));

  CALL ("DELETE", path, f->admin, NULL);
  g_assert_cmpuint (reply.status, ==, 204);
  CALL ("GET", path, NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 404);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "not_found");
  CALL ("DELETE", path, f->admin, NULL);
  g_assert_cmpuint (reply.status, ==, 404);
}

static void
test_bad_input (Fixture *f, gconstpointer data)
{
  static const struct { const char *body; guint status; const char *code; } cases[] = {
    { "{\"name\": ", 400, "malformed" },
    { "[1, 2]", 400, "malformed" },
    { "", 400, "malformed" },
    { "\"just a string\"", 400, "malformed" },
    { "{\"name\": 42}", 422, "invalid_field" },
    { "{\"name\": \"\"}", 422, "invalid_field" },
    { "{\"city\": \"Paris\"}", 422, "invalid_field" },
    { "{\"name\": \"A\", \"colour\": \"red\"}", 422, "invalid_field" },
    { "{\"name\": \"A\", \"timezone\": \"Mars/Olympus\"}", 422, "invalid_field" },
    { "{\"name\": \"A\", \"capacity\": -1}", 422, "invalid_field" },
    { "{\"name\": \"A\", \"capacity\": 1.5}", 422, "invalid_field" },
    { "{\"name\": \"A\", \"capacity\": 99999999999999999999999}", 422, "invalid_field" },
    { "{\"name\": null}", 422, "invalid_field" },
    { "{\"name\": \"A\\u0000B\"}", 400, "malformed" },
  };
  g_auto(LeapTestReply) reply = { 0 };
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) long_name = g_string_new ("{\"name\": \"");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CALL ("POST", "/api/v1/venues", f->admin, cases[i].body);
      if (reply.status != cases[i].status)
        g_error ("%s: expected %u, got %u %s", cases[i].body, cases[i].status, reply.status,
                 reply.body);
      g_assert_cmpstr (leap_test_error_code (&reply), ==, cases[i].code);
    }

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, '[');
  CALL ("POST", "/api/v1/venues", f->admin, deep->str);
  g_assert_cmpuint (reply.status, ==, 400);

  for (guint i = 0; i < 201; i++)
    g_string_append_c (long_name, 'x');
  g_string_append (long_name, "\"}");
  CALL ("POST", "/api/v1/venues", f->admin, long_name->str);
  g_assert_cmpuint (reply.status, ==, 422);

  /* None of it was stored. */
  CALL ("GET", "/api/v1/venues", NULL, NULL);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (leap_test_reply_object (&reply), "venues")),
                    ==, 0);

  CALL ("PATCH", "/api/v1/venues/1", f->admin, "{\"name\": \"B\"}");
  g_assert_cmpuint (reply.status, ==, 404);
  make_venue (f);
  CALL ("PATCH", "/api/v1/venues/1", f->admin, "{}");
  g_assert_cmpuint (reply.status, ==, 422);
}

static void
test_too_large (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autoptr(GString) body = g_string_new ("{\"name\": \"");

  while (body->len < 2 * 1024 * 1024)
    g_string_append (body, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  g_string_append (body, "\"}");
  CALL ("POST", "/api/v1/venues", f->admin, body->str);
  g_assert_cmpuint (reply.status, ==, 413);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "too_large");
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  const char *paths[] = { "/api/v1/venues/999",
                          "/api/v1/events/999",
                          "/api/v1/events/abc",
                          "/api/v1/events/-1",
                          "/api/v1/events/999/availability",
                          "/api/v1/nothing" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      CALL ("GET", paths[i], NULL, NULL);
      g_assert_cmpuint (reply.status, ==, 404);
      g_assert_cmpstr (leap_test_error_code (&reply), ==, "not_found");
    }
  CALL ("PATCH", "/api/v1/tiers/999", f->admin, "{\"name\": \"X\"}");
  g_assert_cmpuint (reply.status, ==, 404);
  CALL ("DELETE", "/api/v1/offers/999", f->admin, NULL);
  g_assert_cmpuint (reply.status, ==, 404);
  CALL ("POST", "/api/v1/events/999/tiers", f->admin,
        "{\"name\": \"A\", \"price\": 100, \"currency\": \"EUR\", \"capacity\": 1}");
  g_assert_cmpuint (reply.status, ==, 404);
  CALL ("PUT", "/api/v1/venues", f->admin, "{}");
  g_assert_cmpuint (reply.status, ==, 405);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "method_not_allowed");
  g_assert_nonnull (strstr (soup_message_headers_get_one (reply.headers, "Allow"), "POST"));
}

static void
test_auth (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  const char *body = "{\"name\": \"Hall\"}";
  g_autofree char *manager = leap_test_backend_login (&f->tb, "manager");
  g_autofree char *cashier = leap_test_backend_login (&f->tb, "cashier");
  g_autofree char *kiosk = leap_test_backend_login (&f->tb, "kiosk");
  g_autofree char *guest = NULL;

  CALL ("POST", "/api/v1/venues", NULL, body);
  g_assert_cmpuint (reply.status, ==, 401);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "unauthorized");
  CALL ("POST", "/api/v1/venues", "not-a-token", body);
  g_assert_cmpuint (reply.status, ==, 401);
  CALL ("POST", "/api/v1/venues", cashier, body);
  g_assert_cmpuint (reply.status, ==, 403);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "forbidden");
  CALL ("POST", "/api/v1/venues", kiosk, body);
  g_assert_cmpuint (reply.status, ==, 403);

  CALL ("POST", "/api/v1/sessions", NULL, "{\"guest\": true}");
  g_assert_cmpuint (reply.status, ==, 201);
  guest = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "role"), ==,
                   "guest");
  CALL ("POST", "/api/v1/venues", guest, body);
  g_assert_cmpuint (reply.status, ==, 403);

  CALL ("POST", "/api/v1/venues", manager, body);
  g_assert_cmpuint (reply.status, ==, 201);

  /* Reads are public. */
  CALL ("GET", "/api/v1/venues", NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);

  /* A session that ran out is refused, in the database and in Redis. (A
   * fresh one: the backend keeps a session it has just checked for two
   * seconds, bounded by its expiry, which is not what this changes.) */
  {
    g_autofree char *late = leap_test_backend_login (&f->tb, "manager");
    g_autofree char *flushed = NULL;

    leap_test_backend_sql (&f->tb, "UPDATE sessions SET expires_at = 1 WHERE role = 'manager'");
    flushed = leap_test_redis_cli (f->tb.redis, "FLUSHALL", NULL);
    CALL ("POST", "/api/v1/venues", late, body);
    g_assert_cmpuint (reply.status, ==, 401);
  }

  /* A revoked one too. */
  CALL ("DELETE", "/api/v1/sessions/current", cashier, NULL);
  g_assert_cmpuint (reply.status, ==, 204);
  CALL ("GET", "/api/v1/sessions/current", cashier, NULL);
  g_assert_cmpuint (reply.status, ==, 401);

  CALL ("POST", "/api/v1/sessions", NULL,
        "{\"username\": \"admin\", \"password\": \"wrong-password\"}");
  g_assert_cmpuint (reply.status, ==, 401);
  CALL ("POST", "/api/v1/sessions", NULL,
        "{\"username\": \"nobody\", \"password\": \"whatever-pw\"}");
  g_assert_cmpuint (reply.status, ==, 401);
  CALL ("POST", "/api/v1/sessions", NULL, "{\"username\": \"admin\"}");
  g_assert_cmpuint (reply.status, ==, 422);
  CALL ("POST", "/api/v1/sessions", NULL, "{\"guest\": false}");
  g_assert_cmpuint (reply.status, ==, 422);
  CALL ("POST", "/api/v1/sessions", NULL,
        "{\"username\": \"admin\", \"password\": \"x\", \"totp\": 1}");
  g_assert_cmpuint (reply.status, ==, 422);
}

static void
test_events (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  gint64 venue = make_venue (f);
  gint64 event, tier, offer;
  g_autofree char *path = NULL;
  g_autofree char *tier_path = NULL;
  g_autofree char *offer_path = NULL;
  g_autofree char *body = NULL;
  JsonObject *object;
  JsonArray *tiers;

  event = make_event (f, venue, "Hamlet", "2026-12-01T19:30:00+01:00");
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, event);
  body = g_strdup_printf ("%s/tiers", path);
  tier = leap_test_backend_create (&f->tb, f->admin, body,
                                   "{\"name\": \"Stalls\", \"price\": 4500, \"currency\": \"EUR\","
                                   " \"capacity\": 100, \"max_per_order\": 6}");
  g_free (body);
  body = g_strdup_printf ("%s/offers", path);
  offer =
      leap_test_backend_create (&f->tb, f->admin, body,
                                "{\"name\": \"Students\", \"kind\": \"percent\", \"value\": 20}");

  CALL ("GET", path, NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);
  object = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "Hamlet");
  /* Stored and shown in UTC. */
  g_assert_cmpstr (json_object_get_string_member (object, "starts_at"), ==, "2026-12-01T18:30:00Z");
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "on_sale");
  tiers = json_object_get_array_member (object, "tiers");
  g_assert_cmpuint (json_array_get_length (tiers), ==, 1);
  object = json_array_get_object_element (tiers, 0);
  g_assert_cmpint (json_object_get_int_member (object, "id"), ==, tier);
  g_assert_cmpint (json_object_get_int_member (object, "price"), ==, 4500);
  g_assert_cmpstr (json_object_get_string_member (object, "currency"), ==, "EUR");
  g_assert_cmpint (json_object_get_int_member (object, "capacity"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (object, "max_per_order"), ==, 6);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (leap_test_reply_object (&reply), "offers")),
                    ==, 1);

  g_free (body);
  body = g_strdup_printf ("%s/availability", path);
  CALL ("GET", body, NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);
  object = leap_test_reply_object (&reply);
  g_assert_cmpint (json_object_get_int_member (object, "event_id"), ==, event);
  object = json_array_get_object_element (json_object_get_array_member (object, "tiers"), 0);
  g_assert_cmpint (json_object_get_int_member (object, "tier_id"), ==, tier);
  g_assert_cmpint (json_object_get_int_member (object, "capacity"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (object, "available"), ==, 100);

  /* Tier changes show in the event at once (pricing is invalidated). */
  tier_path = g_strdup_printf ("/api/v1/tiers/%" G_GINT64_FORMAT, tier);
  CALL ("PATCH", tier_path, f->admin, "{\"price\": 5000}");
  g_assert_cmpuint (reply.status, ==, 200);
  CALL ("GET", path, NULL, NULL);
  g_assert_nonnull (strstr (reply.body, "\"price\":5000"));

  /* Capacity cannot drop below what is sold. */
  {
    g_autofree char *sql =
        g_strdup_printf ("UPDATE tiers SET sold = 40 WHERE id = %" G_GINT64_FORMAT, tier);
    leap_test_backend_sql (&f->tb, sql);
  }
  CALL ("PATCH", tier_path, f->admin, "{\"capacity\": 39}");
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "conflict");
  CALL ("PATCH", tier_path, f->admin, "{\"capacity\": 40}");
  g_assert_cmpuint (reply.status, ==, 200);

  /* Bad event fields. */
  CALL ("POST", "/api/v1/events", f->admin,
        "{\"venue_id\": 999, \"name\": \"X\", \"starts_at\": \"2026-12-01T19:30:00Z\"}");
  g_assert_cmpuint (reply.status, ==, 422);
  CALL ("POST", "/api/v1/events", f->admin,
        "{\"venue_id\": 1, \"name\": \"X\", \"starts_at\": \"tomorrow\"}");
  g_assert_cmpuint (reply.status, ==, 422);
  CALL ("POST", "/api/v1/events", f->admin,
        "{\"venue_id\": 1, \"name\": \"X\", \"starts_at\": \"2026-12-01T19:30:00\"}");
  g_assert_cmpuint (reply.status, ==, 422);
  CALL ("PATCH", path, f->admin, "{\"ends_at\": \"2026-12-01T10:00:00Z\"}");
  g_assert_cmpuint (reply.status, ==, 422);
  CALL ("PATCH", path, f->admin, "{\"status\": \"sold\"}");
  g_assert_cmpuint (reply.status, ==, 422);
  CALL ("PATCH", tier_path, f->admin, "{\"currency\": \"euro\"}");
  g_assert_cmpuint (reply.status, ==, 422);
  offer_path = g_strdup_printf ("/api/v1/offers/%" G_GINT64_FORMAT, offer);
  CALL ("PATCH", offer_path, f->admin, "{\"value\": 150}");
  g_assert_cmpuint (reply.status, ==, 422);
  CALL ("PATCH", offer_path, f->admin, "{\"value\": 15, \"tier_id\": 999}");
  g_assert_cmpuint (reply.status, ==, 422);

  CALL ("DELETE", offer_path, f->admin, NULL);
  g_assert_cmpuint (reply.status, ==, 204);
  CALL ("GET", path, NULL, NULL);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (leap_test_reply_object (&reply), "offers")),
                    ==, 0);

  /* A venue with events cannot go. */
  {
    g_autofree char *venue_path = g_strdup_printf ("/api/v1/venues/%" G_GINT64_FORMAT, venue);
    CALL ("DELETE", venue_path, f->admin, NULL);
    g_assert_cmpuint (reply.status, ==, 409);
  }
}

static void
test_event_list (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  gint64 v1 = make_venue (f), v2 = make_venue (f);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cursor = NULL;
  JsonObject *object;
  JsonArray *events;

  make_event (f, v1, "Hamlet", "2026-12-03T19:30:00Z");
  make_event (f, v1, "Macbeth", "2026-12-01T19:30:00Z");
  make_event (f, v2, "Jazz Night", "2026-12-02T21:00:00Z");
  make_event (f, v2, "Hamlet 100%_off", "2026-12-04T19:30:00Z");
  make_event (f, v2, "Late Jazz", "2026-12-02T21:00:00Z");

  CALL ("GET", "/api/v1/events", NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);
  object = leap_test_reply_object (&reply);
  events = json_object_get_array_member (object, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 5);
  g_assert_true (json_object_get_null_member (object, "next"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (events, 0),
                                                  "name"),
                   ==, "Macbeth");

  /* Paging with the cursor visits every event once, in order. */
  do
    {
      g_autofree char *path = cursor ? g_strdup_printf ("/api/v1/events?limit=2&cursor=%s", cursor)
                                     : g_strdup ("/api/v1/events?limit=2");
      CALL ("GET", path, NULL, NULL);
      g_assert_cmpuint (reply.status, ==, 200);
      object = leap_test_reply_object (&reply);
      events = json_object_get_array_member (object, "events");
      g_assert_cmpuint (json_array_get_length (events), <=, 2);
      for (guint i = 0; i < json_array_get_length (events); i++)
        g_ptr_array_add (seen, g_strdup (json_object_get_string_member (
                                   json_array_get_object_element (events, i), "name")));
      g_clear_pointer (&cursor, g_free);
      if (!json_object_get_null_member (object, "next"))
        cursor = g_strdup (json_object_get_string_member (object, "next"));
    }
  while (cursor != NULL);
  g_assert_cmpuint (seen->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, "Macbeth");
  g_assert_cmpstr (g_ptr_array_index (seen, 4), ==, "Hamlet 100%_off");

  CALL ("GET", "/api/v1/events?q=hamlet", NULL, NULL);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (leap_test_reply_object (&reply), "events")),
                    ==, 2);
  CALL ("GET", "/api/v1/events?q=100%25_", NULL, NULL);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (leap_test_reply_object (&reply), "events")),
                    ==, 1);
  CALL ("GET", "/api/v1/events?q=%25", NULL, NULL);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (leap_test_reply_object (&reply), "events")),
                    ==, 1);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/events?venue_id=%" G_GINT64_FORMAT, v2);
    CALL ("GET", path, NULL, NULL);
    g_assert_cmpuint (json_array_get_length (
                          json_object_get_array_member (leap_test_reply_object (&reply), "events")),
                      ==, 3);
  }
  CALL ("GET", "/api/v1/events?from=2026-12-02T00:00:00Z&to=2026-12-03T00:00:00Z", NULL, NULL);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (leap_test_reply_object (&reply), "events")),
                    ==, 2);

  {
    const char *bad[] = { "limit=0", "limit=101", "limit=ten", "venue_id=-3", "from=yesterday",
                          "cursor=notacursor", "cursor=ZTE6MTox%21" };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *path = g_strconcat ("/api/v1/events?", bad[i], NULL);
        CALL ("GET", path, NULL, NULL);
        if (reply.status != 400)
          g_error ("%s: expected 400, got %u", bad[i], reply.status);
        g_assert_cmpstr (leap_test_error_code (&reply), ==, "malformed");
      }
  }
}

static guint
preflight (Fixture       *f,
           const char    *method,
           const char    *origin,
           LeapTestReply *reply)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, "/api/v1/venues");
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Origin", origin);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Access-Control-Request-Method", "POST");
  leap_test_send (f->tb.session, msg, reply);
  return reply->status;
}

static void
test_cors (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };

  g_assert_cmpuint (preflight (f, "OPTIONS", "https://shop.example", &reply), ==, 204);
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "Access-Control-Allow-Origin"), ==,
                   "https://shop.example");
  g_assert_nonnull (
      strstr (soup_message_headers_get_one (reply.headers, "Access-Control-Allow-Headers"),
              "Authorization"));
  g_assert_cmpuint (preflight (f, "OPTIONS", "https://evil.example", &reply), ==, 403);
  g_assert_null (soup_message_headers_get_one (reply.headers, "Access-Control-Allow-Origin"));

  g_assert_cmpuint (preflight (f, "GET", "https://shop.example", &reply), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "Access-Control-Allow-Origin"), ==,
                   "https://shop.example");
  g_assert_cmpuint (preflight (f, "GET", "https://evil.example", &reply), ==, 200);
  g_assert_null (soup_message_headers_get_one (reply.headers, "Access-Control-Allow-Origin"));
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "X-Content-Type-Options"), ==,
                   "nosniff");
}

static void
test_sync (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  gint64 venue = make_venue (f);
  gint64 e1 = make_event (f, venue, "One", "2026-12-01T19:30:00Z");
  gint64 e2 = make_event (f, venue, "Two", "2026-12-02T19:30:00Z");
  g_autofree char *path = NULL;
  JsonObject *object;
  gint64 cursor;

  CALL ("GET", "/api/v1/sync?since=0", NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 200);
  object = leap_test_reply_object (&reply);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "venues")), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "events")), ==, 2);
  g_assert_false (json_object_get_boolean_member (object, "more"));
  cursor = json_object_get_int_member (object, "cursor");
  g_assert_cmpint (cursor, >, 0);

  /* Only what changed after the cursor comes back, deletions as tombstones. */
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, e1);
  CALL ("PATCH", path, f->admin, "{\"name\": \"One, renamed\"}");
  g_free (path);
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, e2);
  CALL ("DELETE", path, f->admin, NULL);
  g_assert_cmpuint (reply.status, ==, 204);
  g_free (path);
  path = g_strdup_printf ("/api/v1/sync?since=%" G_GINT64_FORMAT, cursor);
  CALL ("GET", path, NULL, NULL);
  object = leap_test_reply_object (&reply);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "venues")), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "events")), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "deleted")), ==,
                    1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
                                                   json_object_get_array_member (object, "deleted"),
                                                   0),
                                               "id"),
                   ==, e2);

  /* Small pages say there is more. */
  CALL ("GET", "/api/v1/sync?since=0&limit=1", NULL, NULL);
  g_assert_true (json_object_get_boolean_member (leap_test_reply_object (&reply), "more"));
  CALL ("GET", "/api/v1/sync?since=-1", NULL, NULL);
  g_assert_cmpuint (reply.status, ==, 400);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/leap/api/health", test_health);
  ADD ("/leap/api/venues/crud", test_venue_crud);
  ADD ("/leap/api/venues/bad-input", test_bad_input);
  ADD ("/leap/api/too-large", test_too_large);
  ADD ("/leap/api/not-found", test_not_found);
  ADD ("/leap/api/auth", test_auth);
  ADD ("/leap/api/events/crud", test_events);
  ADD ("/leap/api/events/list", test_event_list);
  ADD ("/leap/api/cors", test_cors);
  ADD ("/leap/api/sync", test_sync);
#undef ADD

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
