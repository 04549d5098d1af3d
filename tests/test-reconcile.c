/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reconciliation: drift injected into the Redis counters is found and
 * repaired from the database and the hold records, by the admin endpoint
 * and by the timer; a sale running meanwhile is never overwritten; sold
 * beyond capacity raises the alarm. */
#include "leap-keys.h"
#include "leap-test-backend.h"

#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  char           *cashier;
  gint64          event;
  gint64          tier;   /* 10 seats */
  gint64          tier2;  /* 5 seats */
  gint64          big;    /* 300 seats */
} Fixture;

static gint64
add_tier (Fixture    *f,
          const char *name,
          guint       capacity)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  g_autofree char *body =
      g_strdup_printf ("{\"name\": \"%s\", \"price\": 1000, \"currency\": \"EUR\", "
                       "\"capacity\": %u, \"max_per_order\": 10}",
                       name, capacity);
  return leap_test_backend_create (&f->tb, f->admin, path, body);
}

static LeapReconciler *
reconciler (Fixture *f)
{
  return leap_backend_get_reconciler (f->tb.backend);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL;
  gint64 venue;

  leap_test_backend_setup (&f->tb, 0);
  leap_reconciler_set_interval (reconciler (f), 0);
  leap_reconciler_set_settle_ms (reconciler (f), 20);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Drift\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  f->tier = add_tier (f, "Stalls", 10);
  f->tier2 = add_tier (f, "Balcony", 5);
  f->big = add_tier (f, "Standing", 300);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_free (f->admin);
  g_free (f->cashier);
  leap_test_backend_teardown (&f->tb);
}

static char *
key (Fixture    *f,
     const char *name)
{
  return g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:%s", f->event, name);
}

static gint64
hget (Fixture    *f,
      const char *name,
      gint64      tier)
{
  g_autofree char *k = key (f, name);
  g_autofree char *field = g_strdup_printf ("%" G_GINT64_FORMAT, tier);
  g_autofree char *value = leap_test_redis_cli (f->tb.redis, "HGET", k, field, NULL);

  return g_ascii_strtoll (value, NULL, 10);
}

static void
hset (Fixture    *f,
      const char *name,
      gint64      tier,
      gint64      value)
{
  g_autofree char *k = key (f, name);
  g_autofree char *field = g_strdup_printf ("%" G_GINT64_FORMAT, tier);
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);
  g_free (leap_test_redis_cli (f->tb.redis, "HSET", k, field, text, NULL));
}

static void
assert_invariant (Fixture *f)
{
  gint64 tiers[] = { f->tier, f->tier2, f->big };

  for (guint i = 0; i < G_N_ELEMENTS (tiers); i++)
    {
      g_assert_cmpint (hget (f, "avail", tiers[i]) + hget (f, "held", tiers[i]) +
                           hget (f, "checkout", tiers[i]) + hget (f, "sold", tiers[i]),
                       ==, hget (f, "cap", tiers[i]));
      g_assert_cmpint (hget (f, "avail", tiers[i]), >=, 0);
    }
}

static char *
make_hold (Fixture *f,
           gint64   tier,
           guint    quantity)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": %u}]}",
                                           f->event, tier, quantity);

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  if (reply.status != 201)
    g_error ("POST /api/v1/holds: %u %s", reply.status, reply.body);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
}

/* POST /api/v1/admin/reconcile; returns the report. */
static JsonObject *
reconcile (Fixture *f)
{
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "POST", "/api/v1/admin/reconcile", f->admin, NULL, &reply);
  if (reply.status != 200)
    g_error ("POST /api/v1/admin/reconcile: %u %s", reply.status, reply.body);
  return json_object_ref (leap_test_reply_object (&reply));
}

/* The repair of one tier in a report, or NULL. */
static JsonObject *
find_repair (JsonObject *report,
             gint64      tier)
{
  JsonArray *repairs = json_object_get_array_member (report, "repairs");

  for (guint i = 0; i < json_array_get_length (repairs); i++)
    {
      JsonObject *r = json_array_get_object_element (repairs, i);

      if (json_object_has_member (r, "tier_id") &&
          json_object_get_int_member (r, "tier_id") == tier)
        return r;
    }
  return NULL;
}

static gint64
counter (JsonObject *repair,
         const char *side,
         const char *name)
{
  return json_object_get_int_member (json_object_get_object_member (repair, side), name);
}

static void
test_clean (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autoptr(JsonObject) report = NULL;

  g_free (make_hold (f, f->tier, 2));
  /* No report yet; cashiers may not ask. */
  leap_test_backend_call (&f->tb, "GET", "/api/v1/admin/reconcile", f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/admin/reconcile", f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 403);

  report = reconcile (f);
  g_assert_cmpint (json_object_get_int_member (report, "events_checked"), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "repairs")), ==,
                    0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "oversold")), ==,
                    0);
  g_assert_cmpint (hget (f, "held", f->tier), ==, 2);

  leap_test_backend_call (&f->tb, "GET", "/api/v1/admin/reconcile", f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (leap_test_reply_object (&reply), "events_checked"),
                   ==, 1);
}

static void
test_avail_too_high (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) report = NULL;
  JsonObject *repair;

  g_free (make_hold (f, f->tier, 3));
  hset (f, "avail", f->tier, 999);
  report = reconcile (f);
  repair = find_repair (report, f->tier);
  g_assert_nonnull (repair);
  g_assert_cmpint (json_object_get_int_member (repair, "event_id"), ==, f->event);
  g_assert_cmpint (counter (repair, "before", "available"), ==, 999);
  g_assert_cmpint (counter (repair, "after", "available"), ==, 7);
  g_assert_cmpint (counter (repair, "after", "held"), ==, 3);
  g_assert_null (find_repair (report, f->tier2));
  g_assert_cmpint (hget (f, "avail", f->tier), ==, 7);
  assert_invariant (f);
}

static void
test_held_too_low (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) report = NULL;
  JsonObject *repair;

  g_free (make_hold (f, f->tier2, 2));
  g_free (make_hold (f, f->tier2, 1));
  hset (f, "held", f->tier2, 0);
  report = reconcile (f);
  repair = find_repair (report, f->tier2);
  g_assert_nonnull (repair);
  g_assert_cmpint (counter (repair, "before", "held"), ==, 0);
  g_assert_cmpint (counter (repair, "after", "held"), ==, 3);
  g_assert_cmpint (counter (repair, "after", "available"), ==, 2);
  g_assert_cmpint (hget (f, "held", f->tier2), ==, 3);
  assert_invariant (f);

  /* Repaired: the next run finds nothing. */
  g_clear_pointer (&report, json_object_unref);
  report = reconcile (f);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "repairs")), ==,
                    0);
}

static void
test_missing_hold_record (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) report = NULL;
  g_autofree char *lost = NULL;
  g_autofree char *record = NULL;
  g_autofree char *deleted = NULL;
  g_autofree char *holds = key (f, "holds");
  g_autofree char *left = NULL;
  JsonArray *repairs;
  JsonObject *repair;
  gboolean stale_reported = FALSE;

  /* Two holds; the record of the second disappears. */
  g_free (make_hold (f, f->tier, 1));
  lost = make_hold (f, f->tier, 4);
  record = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:hold:%s", f->event, lost);
  deleted = leap_test_redis_cli (f->tb.redis, "DEL", record, NULL);
  g_assert_cmpstr (deleted, ==, "1");
  report = reconcile (f);
  repair = find_repair (report, f->tier);
  g_assert_nonnull (repair);
  g_assert_cmpint (counter (repair, "before", "held"), ==, 5);
  g_assert_cmpint (counter (repair, "after", "held"), ==, 1);
  g_assert_cmpint (counter (repair, "after", "available"), ==, 9);
  repairs = json_object_get_array_member (report, "repairs");
  for (guint i = 0; i < json_array_get_length (repairs); i++)
    {
      JsonObject *r = json_array_get_object_element (repairs, i);

      if (json_object_has_member (r, "stale_holds"))
        {
          JsonArray *ids = json_object_get_array_member (r, "stale_holds");

          g_assert_cmpuint (json_array_get_length (ids), ==, 1);
          g_assert_cmpstr (json_array_get_string_element (ids, 0), ==, lost);
          stale_reported = TRUE;
        }
    }
  g_assert_true (stale_reported);
  left = leap_test_redis_cli (f->tb.redis, "ZCARD", holds, NULL);
  g_assert_cmpstr (left, ==, "1");
  assert_invariant (f);
}

static void
test_sold_differs (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) report = NULL;
  g_autofree char *sql = g_strdup_printf ("UPDATE tiers SET sold = 3 WHERE id = %" G_GINT64_FORMAT,
                                          f->tier2);
  JsonObject *repair;

  /* Redis says 4 sold, the database none. */
  hset (f, "sold", f->tier, 4);
  hset (f, "avail", f->tier, 6);
  /* The database says 3 sold (another writer), Redis none. */
  leap_test_backend_sql (&f->tb, sql);

  report = reconcile (f);
  repair = find_repair (report, f->tier);
  g_assert_nonnull (repair);
  g_assert_cmpint (counter (repair, "before", "sold"), ==, 4);
  g_assert_cmpint (counter (repair, "after", "sold"), ==, 0);
  g_assert_cmpint (counter (repair, "after", "available"), ==, 10);
  repair = find_repair (report, f->tier2);
  g_assert_nonnull (repair);
  g_assert_cmpint (counter (repair, "before", "sold"), ==, 0);
  g_assert_cmpint (counter (repair, "after", "sold"), ==, 3);
  g_assert_cmpint (counter (repair, "after", "available"), ==, 2);
  g_assert_cmpint (hget (f, "sold", f->tier2), ==, 3);
  assert_invariant (f);
}

static gboolean
avail_is_back (gpointer data)
{
  Fixture *f = data;

  return hget (f, "avail", f->tier) == 10 && leap_reconciler_get_repairs (reconciler (f)) > 0;
}

static gboolean
tier2_sold_back (gpointer data)
{
  Fixture *f = data;

  return hget (f, "sold", f->tier2) == 0 && leap_reconciler_get_repairs (reconciler (f)) == 2;
}

static void
test_timer (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *repair;

  hset (f, "avail", f->tier, 42);
  leap_reconciler_set_interval (reconciler (f), 1);
  g_assert_true (leap_test_wait_until (avail_is_back, f, 10000));
  assert_invariant (f);

  leap_test_backend_call (&f->tb, "GET", "/api/v1/admin/reconcile", f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  repair = find_repair (leap_test_reply_object (&reply), f->tier);
  /* The last run may be a later, clean one; the counter says a repair ran. */
  if (repair != NULL)
    g_assert_cmpint (counter (repair, "before", "available"), ==, 42);
  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "\nleap_reconcile_repairs_total 1\n"));

  /* The next runs read the counters only (no walk of the holds) and
   * still find drift that shows in them. */
  hset (f, "sold", f->tier2, 2);
  g_assert_true (leap_test_wait_until (tier2_sold_back, f, 10000));
  assert_invariant (f);
}

/* The alarm's log lines (structured logging: g_test_expect_message does
 * not see them). */
static guint alarms_logged;
static char *last_alarm;

static GLogWriterOutput
record_alarms (GLogLevelFlags   level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        g_str_has_prefix (fields[i].value, "OVERSOLD: ") && (level & G_LOG_LEVEL_WARNING))
      {
        alarms_logged++;
        g_free (last_alarm);
        last_alarm = g_strdup (fields[i].value);
      }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static gint64
metric (Fixture    *f,
        const char *name)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *needle = g_strdup_printf ("\n%s ", name);
  const char *at;

  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  at = strstr (reply.body, needle);
  g_assert_nonnull (at);
  return g_ascii_strtoll (at + strlen (needle), NULL, 10);
}

static void
test_oversold (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) report = NULL;
  g_autofree char *sql = g_strdup_printf ("UPDATE tiers SET sold = 7 WHERE id = %" G_GINT64_FORMAT,
                                          f->tier2);
  g_autofree char *fix = g_strdup_printf ("UPDATE tiers SET sold = 5 WHERE id = %" G_GINT64_FORMAT,
                                          f->tier2);
  JsonArray *oversold;
  JsonObject *o;

  g_assert_cmpint (metric (f, "leap_oversold_alarm"), ==, 0);

  /* The database's CHECK (sold <= capacity) is bypassed, as a bug or a
   * hand edit could. */
  leap_test_backend_sql_unchecked (&f->tb, sql);
  leap_test_allow_warnings ();
  report = reconcile (f);
  g_assert_cmpuint (alarms_logged, ==, 1);
  g_assert_true (g_pattern_match_simple ("OVERSOLD: event * tier *: 7 sold of 5 *", last_alarm));
  oversold = json_object_get_array_member (report, "oversold");
  g_assert_cmpuint (json_array_get_length (oversold), ==, 1);
  o = json_array_get_object_element (oversold, 0);
  g_assert_cmpint (json_object_get_int_member (o, "tier_id"), ==, f->tier2);
  g_assert_cmpint (json_object_get_int_member (o, "sold"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (o, "capacity"), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (o, "source"), ==, "database");
  g_assert_cmpint (metric (f, "leap_oversold_alarm"), ==, 1);
  /* Selling stops there. */
  g_assert_cmpint (hget (f, "avail", f->tier2), ==, 0);
  g_assert_cmpint (hget (f, "sold", f->tier2), ==, 7);

  /* Oversold in Redis only. */
  leap_test_backend_sql (&f->tb, fix);
  hset (f, "sold", f->tier2, 5);
  hset (f, "sold", f->tier, 11);
  g_clear_pointer (&report, json_object_unref);
  report = reconcile (f);
  g_assert_cmpuint (alarms_logged, ==, 2);
  g_assert_true (g_pattern_match_simple ("OVERSOLD: event * tier *: 11 sold of 10 *", last_alarm));
  oversold = json_object_get_array_member (report, "oversold");
  g_assert_cmpuint (json_array_get_length (oversold), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (oversold, 0),
                                                  "source"),
                   ==, "redis");
  g_assert_cmpint (metric (f, "leap_oversold_detected_total"), ==, 2);

  /* Repaired from the database: the alarm clears. */
  g_clear_pointer (&report, json_object_unref);
  report = reconcile (f);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "oversold")), ==,
                    0);
  g_assert_cmpint (metric (f, "leap_oversold_alarm"), ==, 0);
  g_assert_cmpuint (alarms_logged, ==, 2);
  assert_invariant (f);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
}

static gboolean
reconcile_answers (gpointer data)
{
  Fixture *f = data;
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "POST", "/api/v1/admin/reconcile", f->admin, NULL, &reply);
  return reply.status == 200;
}

/* Without Redis there is nothing to reconcile: 503, and 200 again once
 * Redis is back and its counters rebuilt. */
static void
test_redis_down (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_allow_warnings ();
  leap_test_redis_stop (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, FALSE);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/admin/reconcile", f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 503);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "unavailable");

  leap_test_redis_start (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);
  g_assert_true (leap_test_wait_until (reconcile_answers, f, 15000));
  assert_invariant (f);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
}

/* A rush of holds while reconciliations run back to back over drift on the
 * same tier: the compare-and-set never lets a repair overwrite a hold. */
typedef struct
{
  Fixture *f;
  guint    in_flight;
  guint    sent;
  guint    total;
  guint    created;
  guint    refused;
  guint    other;
  guint    reconciles;
  guint    injected;
  gboolean reconciling;
} Rush;

static void send_hold (Rush *rush);

static void
hold_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Rush *rush = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, NULL);
  guint status = soup_message_get_status (msg);

  leap_test_record (msg, body);
  g_clear_pointer (&body, g_bytes_unref);

  if (status == 201)
    rush->created++;
  else if (status == 409)
    rush->refused++;
  else
    rush->other++;
  rush->in_flight--;
  g_object_unref (msg);
  if (rush->sent < rush->total)
    send_hold (rush);
}

static void
send_hold (Rush *rush)
{
  g_autofree char *url = leap_test_backend_url (&rush->f->tb, "/api/v1/holds");
  g_autofree char *auth = g_strconcat ("Bearer ", rush->f->cashier, NULL);
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": 2}]}",
                                           rush->f->event, rush->f->big);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  SoupMessage *msg = soup_message_new ("POST", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  rush->sent++;
  rush->in_flight++;
  soup_session_send_and_read_async (rush->f->tb.session, msg, G_PRIORITY_DEFAULT, NULL,
                                    hold_sent_cb, rush);
}

static void reconcile_again (Rush *rush);

static void
rush_reconciled_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Rush *rush = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *report = leap_reconciler_run_finish (LEAP_RECONCILER (object), result, &error);

  g_assert_no_error (error);
  g_clear_pointer (&report, json_object_unref);
  rush->reconciles++;
  rush->reconciling = FALSE;
  /* More drift while the sale goes on, for the next run to repair. */
  if (rush->reconciles % 3 == 0 && rush->sent < rush->total)
    {
      g_autofree char *k = key (rush->f, "held");
      g_autofree char *field = g_strdup_printf ("%" G_GINT64_FORMAT, rush->f->big);
      g_free (leap_test_redis_cli (rush->f->tb.redis, "HINCRBY", k, field, "-1", NULL));
      rush->injected++;
    }
  if (rush->sent < rush->total)
    reconcile_again (rush);
}

static void
reconcile_again (Rush *rush)
{
  rush->reconciling = TRUE;
  leap_reconciler_run_async (reconciler (rush->f), rush_reconciled_cb, rush);
}

static gboolean
rush_done (gpointer data)
{
  Rush *rush = data;

  return rush->sent == rush->total && rush->in_flight == 0 && !rush->reconciling;
}

static void
test_concurrent_sale (Fixture *f, gconstpointer data)
{
  Rush rush = { f, 0, 0, 400, 0, 0, 0, 0, 0, FALSE };
  g_autoptr(JsonObject) report = NULL;
  g_autofree char *holds = key (f, "holds");
  g_autofree char *n_holds = NULL;

  leap_reconciler_set_settle_ms (reconciler (f), 0);
  g_object_unref (f->tb.session);
  f->tb.session = soup_session_new_with_options ("timeout", 30, "max-conns", 100,
                                                 "max-conns-per-host", 100, NULL);
  /* Drift on the tier being sold: held too low, available right. */
  g_free (make_hold (f, f->big, 10));
  hset (f, "held", f->big, 4);
  for (guint i = 0; i < 50; i++)
    send_hold (&rush);
  reconcile_again (&rush);
  g_assert_true (leap_test_wait_until (rush_done, &rush, 60000));

  g_test_message ("%u holds, %u sold out, %u other, %u reconciliations, %u drifts injected and "
                  "%" G_GUINT64_FORMAT " repairs during the rush",
                  rush.created, rush.refused, rush.other, rush.reconciles, rush.injected,
                  leap_reconciler_get_repairs (reconciler (f)));
  g_assert_cmpuint (rush.injected, >, 0);
  g_assert_cmpuint (rush.other, ==, 0);
  g_assert_cmpuint (rush.reconciles, >, 0);
  /* 300 seats, 10 held before: at most 145 holds of 2. */
  g_assert_cmpuint (rush.created, <=, 145);
  g_assert_cmpuint (rush.created, ==, 145);

  report = reconcile (f);
  g_assert_cmpint (hget (f, "held", f->big), ==, 300);
  g_assert_cmpint (hget (f, "avail", f->big), ==, 0);
  n_holds = leap_test_redis_cli (f->tb.redis, "ZCARD", holds, NULL);
  g_assert_cmpstr (n_holds, ==, "146");
  assert_invariant (f);
}

/* Every command Redis runs, scripts' own included, as MONITOR shows them:
 * the most hold records (HMGET of a "hold:" key) that one script read. The
 * commands of one script come in an unbroken run of "lua" lines, as no
 * other client runs meanwhile; any other line ends the run. */
typedef struct
{
  GThread *thread;
  FILE    *in;
  guint    most_holds;
  guint    runs;       /* script runs that read hold records */
} Monitor;

#define MONITOR_END "leap-monitor-end"

static gpointer
monitor_thread (gpointer data)
{
  Monitor *m = data;
  g_autofree char *line = NULL;
  size_t size = 0;
  guint run = 0;

  while (getline (&line, &size, m->in) > 0)
    {
      if (strstr (line, " lua] ") == NULL)
        {
          m->runs += run > 0;
          m->most_holds = MAX (m->most_holds, run);
          run = 0;
          if (strstr (line, MONITOR_END) != NULL)
            break;
        }
      else if (strstr (line, "\"HMGET\"") != NULL && strstr (line, ":hold:") != NULL)
        {
          run++;
        }
    }
  return NULL;
}

static void
monitor_start (Fixture *f,
               Monitor *m)
{
  int fd = leap_test_connect (f->tb.redis->port);
  g_autofree char *line = NULL;
  size_t size = 0;

  m->in = fdopen (fd, "r+");
  g_assert_nonnull (m->in);
  fputs ("MONITOR\r\n", m->in);
  fflush (m->in);
  /* "+OK": from here on every command is seen. */
  g_assert_cmpint (getline (&line, &size, m->in), >, 0);
  g_assert_true (g_str_has_prefix (line, "+OK"));
  m->thread = g_thread_new ("monitor", monitor_thread, m);
}

static void
monitor_stop (Fixture *f,
              Monitor *m)
{
  g_free (leap_test_redis_cli (f->tb.redis, "ECHO", MONITOR_END, NULL));
  g_thread_join (m->thread);
  fclose (m->in);
}

/* n holds of one ticket each on tier, written straight into Redis (a
 * reserve each would take minutes), due in 5 minutes; entries in the
 * checkout stream whose holds are gone; and the holds first moved before
 * all others in the expiry index. */
static void
bulk_holds (Fixture            *f,
            gint64              tier,
            guint               n,
            guint               entries,
            const char * const *first)
{
  static const char script[] =
      "local t = redis.call('TIME')\n"
      "local exp = tonumber(t[1]) * 1000 + 300000\n"
      "local prefix = string.sub(KEYS[1], 1, -6) .. 'hold:'\n"
      "for i = 1, tonumber(ARGV[3]) do\n"
      "  local id = ARGV[1] .. '-bulk' .. i\n"
      "  redis.call('HSET', prefix .. id, 'status', 'held', 'owner', 'bulk', 'event', ARGV[1],\n"
      "             'items', ARGV[2] .. ':1', 'expires_ms', exp)\n"
      "  redis.call('ZADD', KEYS[1], exp, id)\n"
      "end\n"
      "redis.call('HINCRBY', KEYS[2], ARGV[2], -tonumber(ARGV[3]))\n"
      "redis.call('HINCRBY', KEYS[3], ARGV[2], tonumber(ARGV[3]))\n"
      "for i = 1, tonumber(ARGV[4]) do\n"
      "  redis.call('XADD', KEYS[4], '*', 'order_id', 'o-' .. ARGV[1] .. '-gone' .. i,\n"
      "             'order', '{}')\n"
      "end\n"
      "for i = 5, #ARGV do\n"
      "  redis.call('ZADD', KEYS[1], exp - 1000, ARGV[i])\n"
      "  redis.call('HSET', prefix .. ARGV[i], 'expires_ms', exp - 1000)\n"
      "end\n"
      "return redis.call('ZCARD', KEYS[1])\n";
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) cli = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  g_ptr_array_add (argv, g_strdup ("redis-cli"));
  g_ptr_array_add (argv, g_strdup ("-p"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", f->tb.redis->port));
  g_ptr_array_add (argv, g_strdup ("EVAL"));
  g_ptr_array_add (argv, g_strdup (script));
  g_ptr_array_add (argv, g_strdup ("4"));
  g_ptr_array_add (argv, key (f, "holds"));
  g_ptr_array_add (argv, key (f, "avail"));
  g_ptr_array_add (argv, key (f, "held"));
  g_ptr_array_add (argv, key (f, "checkout-stream"));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, f->event));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, tier));
  g_ptr_array_add (argv, g_strdup_printf ("%u", n));
  g_ptr_array_add (argv, g_strdup_printf ("%u", entries));
  for (guint i = 0; first != NULL && first[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (first[i]));
  g_ptr_array_add (argv, NULL);
  cli = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                           &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (cli, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_ascii_isdigit (out[0]));
}

static guint
n_repairs (JsonObject *report)
{
  return json_array_get_length (json_object_get_array_member (report, "repairs"));
}

/* A walk of many holds and a long checkout stream goes in steps of at most
 * 1,000 holds a script call, so that it never blocks Redis past the
 * backends' PING deadline; it still finds no drift where there is none,
 * and repairs drift where there is. */
static void
test_walk_steps (Fixture *f, gconstpointer data)
{
  gint64 bulk = add_tier (f, "Bulk", 5000);
  g_autoptr(JsonObject) report = NULL;
  Monitor m = { 0 };

  bulk_holds (f, bulk, 2500, 1200, NULL);
  g_assert_cmpint (hget (f, "held", bulk), ==, 2500);

  monitor_start (f, &m);
  report = reconcile (f);
  monitor_stop (f, &m);
  g_test_message ("%u script runs read hold records, at most %u each", m.runs, m.most_holds);
  g_assert_cmpuint (n_repairs (report), ==, 0);
  g_assert_cmpuint (m.most_holds, >, 0);
  g_assert_cmpuint (m.most_holds, <=, 1000);
  /* 2,500 holds and 1,200 entries, 3,700 records: at least 4 steps. */
  g_assert_cmpuint (m.runs, >=, 4);

  /* Drift is still found and repaired. */
  hset (f, "held", bulk, 2400);
  g_clear_pointer (&report, json_object_unref);
  report = reconcile (f);
  g_assert_nonnull (find_repair (report, bulk));
  g_assert_cmpint (hget (f, "held", bulk), ==, 2500);
  g_assert_cmpint (hget (f, "avail", bulk), ==, 2500);
  assert_invariant (f);
}

typedef struct
{
  Fixture *f;
  gint64   tier;
  char    *release[2];
  guint    moves;
} Mover;

/* Between the first two steps of the first two walks: a release and a
 * reserve of the same size. The counters end as they were; the walk has
 * counted the released hold already and meets the new one later. */
static void
release_and_reserve_cb (LeapReconciler *reconciler,
                        gint64          event_id,
                        guint           steps,
                        gpointer        user_data)
{
  Mover *mover = user_data;
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = NULL;

  if (steps != 1 || mover->moves >= G_N_ELEMENTS (mover->release))
    return;
  path = g_strdup_printf ("/api/v1/holds/%s", mover->release[mover->moves++]);
  leap_test_backend_call (&mover->f->tb, "DELETE", path, mover->f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status / 100, ==, 2);
  g_free (make_hold (mover->f, mover->tier, 2));
}

/* A release and a reserve of the same size between two steps of a walk
 * leave the counters as they were (compare-and-set passes) and the walk
 * wrong the same way twice (seen twice passes): the event's change counter
 * discards the walk, and nothing is "repaired". */
static void
test_walk_moved (Fixture *f, gconstpointer data)
{
  Mover mover = { f, add_tier (f, "Bulk", 5000) };
  g_autoptr(JsonObject) report = NULL;
  g_autofree char *first = make_hold (f, mover.tier, 2);
  const char *front[4] = { NULL };
  g_autofree char *version = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gulong handler;

  mover.release[0] = make_hold (f, mover.tier, 2);
  mover.release[1] = make_hold (f, mover.tier, 2);
  front[0] = first;
  front[1] = mover.release[0];
  front[2] = mover.release[1];
  bulk_holds (f, mover.tier, 1500, 0, front);
  g_assert_cmpint (hget (f, "held", mover.tier), ==, 1506);
  version = leap_keys_event_version (f->event);
  before = leap_test_redis_cli (f->tb.redis, "GET", version, NULL);

  handler = g_signal_connect (reconciler (f), "walk-step", G_CALLBACK (release_and_reserve_cb),
                              &mover);
  report = reconcile (f);
  g_signal_handler_disconnect (reconciler (f), handler);
  g_assert_cmpuint (mover.moves, ==, 2);
  /* Each release and reserve moved the change counter. */
  after = leap_test_redis_cli (f->tb.redis, "GET", version, NULL);
  g_assert_cmpint (g_ascii_strtoll (after, NULL, 10), >=, g_ascii_strtoll (before, NULL, 10) + 4);
  g_assert_null (find_repair (report, mover.tier));
  g_assert_cmpuint (n_repairs (report), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "deferred")), ==,
                    0);
  g_assert_cmpint (hget (f, "held", mover.tier), ==, 1506);
  g_assert_cmpint (hget (f, "avail", mover.tier), ==, 5000 - 1506);
  assert_invariant (f);
  g_free (mover.release[0]);
  g_free (mover.release[1]);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (record_alarms, NULL, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

#define ADD(path, func) g_test_add ("/leap/reconcile/" path, Fixture, NULL, setup, func, teardown)
  ADD ("clean", test_clean);
  ADD ("avail-too-high", test_avail_too_high);
  ADD ("held-too-low", test_held_too_low);
  ADD ("missing-hold-record", test_missing_hold_record);
  ADD ("sold-differs", test_sold_differs);
  ADD ("timer", test_timer);
  ADD ("oversold", test_oversold);
  ADD ("concurrent-sale", test_concurrent_sale);
  ADD ("redis-down", test_redis_down);
  ADD ("walk-steps", test_walk_steps);
  ADD ("walk-moved", test_walk_moved);
#undef ADD

  status = g_test_run ();
  g_free (last_alarm);
  leap_test_backend_global_fini ();
  leap_test_redis_stop (&redis);
  return status;
}
