/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Selling while Redis is down (issue 7): holds from the database within
 * what Redis had left, never a ticket sold by both; Redis rebuilt from the
 * database when it returns, with its data (AOF) or empty; orders placed
 * meanwhile paid exactly once by the real worker; /readyz and /metrics. */
#include "leap-test-backend.h"
#include "leap-checkout-worker.h"
#include "leap-holds.h"
#include "leap-keys.h"
#include "leap-orders.h"

#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend     tb;
  char               *admin;
  char               *cashier;
  gint64              event;
  gint64              tier;   /* 20 seats */
  gint64              big;    /* 50 seats */
  LeapCheckoutWorker *worker;
  LeapTestDb         *db;
} Fixture;

static gint64
add_tier (Fixture    *f,
          const char *name,
          guint       capacity)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  g_autofree char *body =
      g_strdup_printf ("{\"name\": \"%s\", \"price\": 2500, \"currency\": \"EUR\", "
                       "\"capacity\": %u, \"max_per_order\": 10}",
                       name, capacity);
  return leap_test_backend_create (&f->tb, f->admin, path, body);
}

static gboolean
holds_ready (gpointer data)
{
  return leap_holds_is_ready (leap_backend_get_holds (((Fixture *) data)->tb.backend));
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL;
  g_autofree char *always = NULL;
  gint64 venue;

  leap_test_allow_warnings ();
  leap_test_backend_setup (&f->tb, 0);
  /* kill -9 must not lose the last second of writes in these tests. */
  always = leap_test_redis_cli (f->tb.redis, "CONFIG", "SET", "appendfsync", "always", NULL);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Outage\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  f->tier = add_tier (f, "Stalls", 20);
  f->big = add_tier (f, "Standing", 50);
  g_assert_true (leap_test_wait_until (holds_ready, f, 10000));
  f->db = leap_test_db_open (f->tb.db_url);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->worker);
  leap_test_db_close (f->db);
  g_free (f->admin);
  g_free (f->cashier);
  leap_test_backend_teardown (&f->tb);
}

/* available + held + checking out + sold = capacity in Redis, and Redis's
 * sold is the database's. */
static void
assert_invariant (Fixture *f,
                  gint64   tier)
{
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", tier) +
                       leap_test_redis_hget (f->tb.redis, f->event, "held", tier) +
                       leap_test_redis_hget (f->tb.redis, f->event, "checkout", tier) +
                       leap_test_redis_hget (f->tb.redis, f->event, "sold", tier),
                   ==, leap_test_redis_hget (f->tb.redis, f->event, "cap", tier));
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", tier), >=, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", tier), ==,
                   leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     tier));
}

/* Available count of a tier, from GET /events/{id}/availability. */
static gint64
available (Fixture *f,
           gint64   tier)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability",
                                           f->event);
  g_auto(LeapTestReply) reply = { 0 };
  JsonArray *tiers;

  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  tiers = json_object_get_array_member (leap_test_reply_object (&reply), "tiers");
  for (guint i = 0; i < json_array_get_length (tiers); i++)
    if (json_object_get_int_member (json_array_get_object_element (tiers, i), "tier_id") == tier)
      return json_object_get_int_member (json_array_get_object_element (tiers, i), "available");
  g_assert_not_reached ();
}

/* Tickets in live database holds of a tier. */
static gint64
db_held (Fixture *f,
         gint64   tier)
{
  return leap_test_db_int (
      f->db,
      "SELECT coalesce (sum (i.quantity), 0) FROM hold_items i JOIN holds h ON h.id = i.hold_id "
      "WHERE i.tier_id = %" G_GINT64_FORMAT " AND h.status IN ('held', 'checking_out') "
      "AND h.expires_at > %" G_GINT64_FORMAT,
      tier, g_get_real_time () / G_USEC_PER_SEC);
}

static guint
try_hold (Fixture  *f,
          gint64    tier,
          guint     quantity,
          char    **hold_id)
{
  return leap_test_backend_try_hold (&f->tb, f->cashier, f->event, tier, quantity, hold_id);
}

static char *
make_hold (Fixture *f,
           gint64   tier,
           guint    quantity)
{
  char *hold_id = NULL;
  guint status = try_hold (f, tier, quantity, &hold_id);

  if (status != 201)
    g_error ("POST /holds answered %u", status);
  return hold_id;
}

static guint
call_status_as (Fixture    *f,
                const char *token,
                const char *method,
                const char *path,
                const char *body)
{
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, method, path, token, body, &reply);
  return reply.status;
}

static guint
call_status (Fixture    *f,
             const char *method,
             const char *path,
             const char *body)
{
  return call_status_as (f, f->cashier, method, path, body);
}

static char *
hold_path (const char *hold_id)
{
  return g_strconcat ("/api/v1/holds/", hold_id, NULL);
}

static void
redis_down (Fixture *f)
{
  leap_test_redis_kill (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, FALSE);
}

/* with_data: from its append-only file; otherwise empty, on the same port. */
static void
redis_up (Fixture *f,
          gboolean with_data)
{
  if (!with_data)
    {
      leap_test_rmdir (f->tb.redis->dir);
      g_clear_pointer (&f->tb.redis->dir, g_free);
    }
  leap_test_redis_start (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);
  g_assert_true (leap_test_wait_until (holds_ready, f, 10000));
}

static void
start_worker (Fixture *f)
{
  LeapCheckoutWorkerConfig config;
  g_autoptr(GError) error = NULL;

  leap_checkout_worker_config_init (&config);
  g_free (config.database_url);
  config.database_url = g_strdup (f->tb.db_url);
  config.ticket_key = g_strdup (f->tb.ticket_key);
  config.redis_port = redis.port;
  config.block_ms = 100;
  config.card_latency_ms = 0;
  config.card_decline_rate = 0;
  f->worker = leap_checkout_worker_new (&config, &error);
  leap_checkout_worker_config_clear (&config);
  g_assert_no_error (error);
  leap_checkout_worker_start (f->worker);
}

/* Nothing in work, and every message done (deleted from the stream). */
static gboolean
worker_settled (gpointer data)
{
  Fixture *f = data;
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *length = NULL;

  if (leap_checkout_worker_get_in_flight (f->worker) != 0)
    return FALSE;
  length = leap_test_redis_cli (f->tb.redis, "XLEN", stream, NULL);
  return g_strcmp0 (length, "0") == 0;
}

/* Redis killed: holds go on from the database within a second or two;
 * /readyz and /metrics say so, and recover when Redis is back. */
static void
test_degraded (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *hold_id = NULL;
  g_autofree char *path = NULL;
  JsonObject *ready;
  gint64 started;

  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "leap_degraded 0\n"));
  g_assert_nonnull (strstr (reply.body, "leap_holds_db_total 0\n"));

  redis_down (f);
  started = g_get_monotonic_time ();
  hold_id = make_hold (f, f->tier, 3);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 2 * G_USEC_PER_SEC);
  g_assert_true (leap_hold_id_is_db (hold_id));
  g_assert_cmpint (db_held (f, f->tier), ==, 3);

  leap_test_backend_call (&f->tb, "GET", "/readyz", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 503);
  ready = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (ready, "status"), ==, "degraded");
  g_assert_cmpstr (json_object_get_string_member (ready, "redis"), ==, "down");
  g_assert_nonnull (json_object_get_string_member (ready, "since"));
  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "leap_redis_up 0\n"));
  g_assert_nonnull (strstr (reply.body, "leap_degraded 1\n"));
  g_assert_nonnull (strstr (reply.body, "leap_holds_db_total 1\n"));

  /* The hold reads and releases from the database. */
  path = hold_path (hold_id);
  leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "held");
  g_assert_cmpuint (call_status (f, "DELETE", path, NULL), ==, 204);
  g_assert_cmpint (db_held (f, f->tier), ==, 0);
  g_assert_cmpuint (call_status (f, "DELETE", path, NULL), ==, 409);

  redis_up (f, TRUE);
  leap_test_backend_call (&f->tb, "GET", "/readyz", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "ready");
  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "leap_redis_up 1\n"));
  g_assert_nonnull (strstr (reply.body, "leap_degraded 0\n"));
  g_assert_null (strstr (reply.body, "leap_degraded_seconds_total 0.000\n"));
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 20);
  assert_invariant (f, f->tier);
}

typedef struct
{
  guint        pending;
  guint        created;
  guint        sold_out;
  guint        other;
  GHashTable  *ids;
} Race;

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
      g_autofree char *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

      race->created++;
      g_hash_table_add (race->ids, g_strndup (strstr (body, "\"hold_id\""), 40));
    }
  else if (status == 409)
    race->sold_out++;
  else
    race->other++;
  race->pending--;
}

static gboolean
race_done (gpointer data)
{
  return ((Race *) data)->pending == 0;
}

/* count requests for one ticket each to the backend at base, all sent at
 * once; the answers are counted in race as they come. */
static void
rush_send (Fixture     *f,
           SoupSession *session,
           const char  *base,
           gint64       tier,
           guint        count,
           Race        *race)
{
  g_autofree char *url = g_strconcat (base, "/api/v1/holds", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", f->cashier, NULL);
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": 1}]}",
                                           f->event, tier);

  race->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  race->pending = count;
  for (guint i = 0; i < count; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, race_cb, race);
    }
}

static SoupSession *
rush_session_new (void)
{
  return soup_session_new_with_options ("max-conns", 50, "max-conns-per-host", 50, "timeout", 60,
                                        NULL);
}

/* count requests for one ticket each, all in flight at once. */
static void
rush (Fixture *f,
      gint64   tier,
      guint    count,
      Race    *race)
{
  g_autoptr(SoupSession) session = rush_session_new ();

  rush_send (f, session, f->tb.base, tier, count, race);
  if (!leap_test_wait_until (race_done, race, 60000))
    g_error ("Stuck: %u pending", race->pending);
}

/* 200 attempts for 50 seats with Redis down: exactly 50 holds; Redis back
 * empty counts all 50 as held. */
static void
test_race (Fixture *f, gconstpointer data)
{
  Race race = { 0 };

  redis_down (f);
  rush (f, f->big, 200, &race);
  g_assert_cmpuint (race.other, ==, 0);
  g_assert_cmpuint (race.created, ==, 50);
  g_assert_cmpuint (race.sold_out, ==, 150);
  g_assert_cmpuint (g_hash_table_size (race.ids), ==, 50);
  g_assert_cmpint (db_held (f, f->big), ==, 50);
  g_hash_table_unref (race.ids);

  redis_up (f, FALSE);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "cap", f->big), ==, 50);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->big), ==, 50);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->big), ==, 0);
  assert_invariant (f, f->big);
  g_assert_cmpuint (try_hold (f, f->big, 1, NULL), ==, 409);
}

/* Half the seats held through Redis, half through the database: nothing
 * more is sold by either, before or after Redis returns. */
static void
switch_over (Fixture *f,
             gboolean with_data)
{
  g_autoptr(GPtrArray) redis_holds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) db_holds = g_ptr_array_new_with_free_func (g_free);
  guint status;

  for (guint i = 0; i < 5; i++)
    g_ptr_array_add (redis_holds, make_hold (f, f->tier, 2));
  g_assert_false (leap_hold_id_is_db (redis_holds->pdata[0]));

  redis_down (f);
  /* What the database may sell is what Redis had left. */
  g_assert_cmpint (available (f, f->tier), ==, 10);
  for (guint i = 0; i < 5; i++)
    g_ptr_array_add (db_holds, make_hold (f, f->tier, 2));
  g_assert_cmpint (available (f, f->tier), ==, 0);
  g_assert_true (leap_hold_id_is_db (db_holds->pdata[0]));
  g_assert_cmpuint (try_hold (f, f->tier, 1, NULL), ==, 409);
  /* A hold of Redis cannot be reached meanwhile: 503, not a wrong answer. */
  {
    g_autofree char *path = hold_path (redis_holds->pdata[0]);
    g_auto(LeapTestReply) reply = { 0 };

    leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
    g_assert_cmpuint (reply.status, ==, 503);
    g_assert_cmpstr (leap_test_error_code (&reply), ==, "unavailable");
    g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "Retry-After"), ==, "1");
  }

  redis_up (f, with_data);
  assert_invariant (f, f->tier);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==,
                   with_data ? 20 : 10);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==,
                   with_data ? 0 : 10);

  /* Redis's own holds survived with its data, or are gone without it. */
  {
    g_autofree char *path = hold_path (redis_holds->pdata[0]);

    g_assert_cmpuint (call_status (f, "GET", path, NULL), ==, with_data ? 200 : 404);
  }
  /* The database's holds are Redis's now: they read and release. */
  {
    g_autofree char *path = hold_path (db_holds->pdata[0]);
    g_auto(LeapTestReply) reply = { 0 };

    leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                     "held");
    g_assert_cmpuint (call_status (f, "DELETE", path, NULL), ==, 204);
    g_assert_cmpuint (call_status (f, "DELETE", path, NULL), ==, 409);
  }
  assert_invariant (f, f->tier);

  /* What is left is sold once: two seats freed plus, without its data,
   * the ten Redis forgot. */
  for (guint i = 0; i < (with_data ? 2u : 12u); i++)
    g_assert_cmpuint (try_hold (f, f->tier, 1, NULL), ==, 201);
  status = try_hold (f, f->tier, 1, NULL);
  g_assert_cmpuint (status, ==, 409);
  assert_invariant (f, f->tier);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 0);
}

static void
test_switch_aof (Fixture *f, gconstpointer data)
{
  switch_over (f, TRUE);
}

static void
test_switch_empty (Fixture *f, gconstpointer data)
{
  switch_over (f, FALSE);
}

static char *
place (Fixture    *f,
       const char *hold_id,
       guint       expect)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body =
      g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"cash\", "
                       "\"tendered\": 100000}}",
                       hold_id);

  leap_test_backend_call (&f->tb, "POST", "/api/v1/orders", f->cashier, body, &reply);
  if (reply.status != expect)
    g_error ("POST /orders: %u %s", reply.status, reply.body);
  if (expect != 202)
    return NULL;
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "pending");
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "order_id"));
}

/* Orders on database holds while Redis is down wait in the outbox, and
 * are paid exactly once when it is back; database holds also check out
 * after Redis returns. */
static void
orders_while_down (Fixture *f,
                   gboolean with_data)
{
  g_autofree char *held = NULL;
  g_autofree char *ordered = NULL;
  g_autofree char *later = NULL;
  g_autofree char *order_id = NULL;
  g_autofree char *order_path = NULL;
  g_autofree char *again = NULL;
  g_autofree char *later_order = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *sql = NULL;

  redis_down (f);
  ordered = make_hold (f, f->tier, 2);
  later = make_hold (f, f->tier, 3);
  held = make_hold (f, f->tier, 1);
  order_id = place (f, ordered, 202);
  /* Placing it again finds the same order. */
  again = place (f, ordered, 202);
  g_assert_cmpstr (again, ==, order_id);
  order_path = g_strconcat ("/api/v1/orders/", order_id, NULL);
  leap_test_backend_call (&f->tb, "GET", order_path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "pending");
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM checkout_outbox"), ==, 1);
  /* Seats of the order stay counted while it waits. */
  g_assert_cmpint (db_held (f, f->tier), ==, 6);

  start_worker (f);
  redis_up (f, with_data);
  sql = g_strdup_printf ("SELECT count (*) FROM orders WHERE id = '%s' AND status = 'paid'",
                         order_id);
  leap_test_wait_db (f->db, 1, 15000, "%s", sql);
  later_order = place (f, later, 202);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count (*) FROM orders WHERE id = '%s' AND status = 'paid'",
                         later_order);
  leap_test_wait_db (f->db, 1, 15000, "%s", sql);
  g_assert_true (leap_test_wait_until (worker_settled, f, 10000));

  /* Exactly once: one order row, one payment, its tickets, sold counted
   * once in the database and in Redis. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM orders"), ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM payments"), ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM tickets"), ==, 5);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 5);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count (*) FROM checkout_outbox WHERE sent_at IS NULL"),
                   ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 5);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==, 1);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 14);
  assert_invariant (f, f->tier);

  /* The last database hold still releases. */
  {
    g_autofree char *path = hold_path (held);

    g_assert_cmpuint (call_status (f, "DELETE", path, NULL), ==, 204);
  }
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 15);
  assert_invariant (f, f->tier);
}

static void
test_orders_aof (Fixture *f, gconstpointer data)
{
  orders_while_down (f, TRUE);
}

static void
test_orders_empty (Fixture *f, gconstpointer data)
{
  orders_while_down (f, FALSE);
}

/* A hold of a Redis that is down cannot be checked out: 503, nothing
 * queued; it goes through once Redis is back with its data. */
static void
test_redis_hold_order (Fixture *f, gconstpointer data)
{
  g_autofree char *hold_id = make_hold (f, f->tier, 2);
  g_autofree char *order_id = NULL;
  g_autofree char *sql = NULL;

  redis_down (f);
  place (f, hold_id, 503);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM checkout_outbox"), ==, 0);
  start_worker (f);
  redis_up (f, TRUE);
  order_id = place (f, hold_id, 202);
  sql = g_strdup_printf ("SELECT count (*) FROM orders WHERE id = '%s' AND status = 'paid'",
                         order_id);
  leap_test_wait_db (f->db, 1, 15000, "%s", sql);
  g_assert_true (leap_test_wait_until (worker_settled, f, 10000));
  assert_invariant (f, f->tier);
}

/* Orders Redis took (202) before any worker read them, then Redis lost
 * with its data (or restarted from its AOF): the database kept them, and
 * they are queued again with their seats and paid exactly once. */
static void
accepted_then_lost (Fixture *f,
                    gboolean with_data)
{
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *hold_id = make_hold (f, f->tier, i + 1);

      g_ptr_array_add (orders, place (f, hold_id, 202));
    }
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM accepted_orders"), ==, 3);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 6);

  redis_down (f);
  {
    g_auto(LeapTestReply) reply = { 0 };
    g_autofree char *path = g_strconcat ("/api/v1/orders/", (char *) orders->pdata[2], NULL);

    /* Still known while Redis is away. */
    leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                     "pending");
    g_assert_cmpint (json_object_get_int_member (leap_test_reply_object (&reply), "total"), >, 0);
  }
  redis_up (f, with_data);
  /* Counted again before any worker runs: nothing else may sell them. */
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 6);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 14);
  start_worker (f);
  for (guint i = 0; i < orders->len; i++)
    leap_test_wait_db (f->db, 1, 15000,
                       "SELECT count (*) FROM orders WHERE id = '%s' AND status = 'paid'",
                       (char *)orders->pdata[i]);
  g_assert_true (leap_test_wait_until (worker_settled, f, 10000));
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM orders"), ==, 3);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM payments"), ==, 3);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM tickets"), ==, 6);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM accepted_orders"), ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 6);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 0);
  assert_invariant (f, f->tier);
}

static void
test_accepted_empty (Fixture *f, gconstpointer data)
{
  accepted_then_lost (f, FALSE);
}

static void
test_accepted_aof (Fixture *f, gconstpointer data)
{
  accepted_then_lost (f, TRUE);
}

/* Database holds past their time give their seats back to the database
 * while Redis is down. */
static void
test_expiry (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *hold_id = NULL;

  redis_down (f);
  for (guint i = 0; i < 2; i++)
    g_free (make_hold (f, f->tier, 10));
  g_assert_cmpuint (try_hold (f, f->tier, 1, NULL), ==, 409);
  hold_id = NULL;
  /* Cannot wait ten minutes: age them in the database. */
  leap_test_backend_sql (&f->tb, "UPDATE holds SET expires_at = expires_at - 3600");
  hold_id = make_hold (f, f->tier, 10);
  path = hold_path (hold_id);
  leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "held");
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM holds WHERE status = 'expired'"),
                   ==, 0);
  leap_test_wait_db (f->db, 2, 15000, "SELECT count (*) FROM holds WHERE status = 'expired'");
  redis_up (f, FALSE);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==, 10);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 10);
  assert_invariant (f, f->tier);
}

static gboolean
taken_over (gpointer data)
{
  Fixture *f = data;

  return leap_test_db_int (f->db, "SELECT count (*) FROM redis_outage") == 0 &&
         leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier) == 4;
}

/* Another backend, cut off from a Redis that this one still has, opened an
 * outage and sold from the database (simulated in SQL): within about a
 * second this backend ends the outage and gives the hold to Redis. */
static void
test_partition (Fixture *f, gconstpointer data)
{
  g_autofree char *sql = NULL;
  g_autofree char *hold_id = g_strdup_printf ("%" G_GINT64_FORMAT "-abcdefghijklmnopqrstu_",
                                              f->event);
  g_autofree char *path = hold_path (hold_id);
  gint64 now = g_get_real_time () / 1000;

  sql = g_strdup_printf (
      "BEGIN;"
      "INSERT INTO redis_outage (id, since_ms) VALUES (1, %" G_GINT64_FORMAT ");"
      "INSERT INTO redis_outage_tiers VALUES (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", 20);"
      "INSERT INTO holds (id, event_id, session_hash, status, expires_at, created_at, updated_at, "
      "outage_ms) VALUES ('%s', %" G_GINT64_FORMAT ", 'elsewhere', 'held', %" G_GINT64_FORMAT
      ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ");"
      "INSERT INTO hold_items VALUES ('%s', %" G_GINT64_FORMAT ", 4);"
      "COMMIT;",
      now, f->tier, f->event, hold_id, f->event, now / 1000 + 600, now / 1000, now / 1000, now,
      hold_id, f->tier);
  leap_test_backend_sql (&f->tb, sql);
  g_assert_true (leap_test_wait_until (taken_over, f, 5000));
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 16);
  assert_invariant (f, f->tier);
  /* Its owner's, not this session's. */
  g_assert_cmpuint (call_status (f, "GET", path, NULL), ==, 404);
}

/* The worker paid order_id and is done with every message. */
static void
wait_paid (Fixture    *f,
           const char *order_id)
{
  leap_test_wait_db (f->db, 1, 15000,
                     "SELECT count (*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  g_assert_true (leap_test_wait_until (worker_settled, f, 10000));
}

/* A capacity edit while an order is between its database commit and its
 * confirm in Redis (the worker's window, made here by raising the
 * database's sold by hand): Redis's sold is not overwritten with the
 * database's, or the order would count twice, once in checkout and once
 * in sold, and once more at its confirm. */
static void
test_tier_set_window (Fixture *f, gconstpointer data)
{
  g_autofree char *hold_id = make_hold (f, f->tier, 2);
  g_autofree char *order_id = place (f, hold_id, 202);
  g_autofree char *path = g_strdup_printf ("/api/v1/tiers/%" G_GINT64_FORMAT, f->tier);
  g_autofree char *committed = g_strdup_printf ("UPDATE tiers SET sold = sold + 2 "
                                                "WHERE id = %" G_GINT64_FORMAT, f->tier);
  g_autofree char *undone = g_strdup_printf ("UPDATE tiers SET sold = sold - 2 "
                                             "WHERE id = %" G_GINT64_FORMAT, f->tier);

  leap_test_backend_sql (&f->tb, committed);
  g_assert_cmpuint (call_status_as (f, f->admin, "PATCH", path, "{\"capacity\": 30}"), ==, 200);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "cap", f->tier), ==, 30);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 2);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 28);

  /* The worker's own commit, then its confirm: counted once. */
  leap_test_backend_sql (&f->tb, undone);
  start_worker (f);
  wait_paid (f, order_id);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 2);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 28);
  assert_invariant (f, f->tier);
}

/* An order accepted for an event that is then taken off sale, and Redis
 * lost with its data: the rebuild counts its event's tiers too and queues
 * it again; it is paid once. */
static void
test_accepted_off_sale (Fixture *f, gconstpointer data)
{
  g_autofree char *hold_id = make_hold (f, f->tier, 2);
  g_autofree char *order_id = place (f, hold_id, 202);
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, f->event);

  g_assert_cmpuint (call_status_as (f, f->admin, "PATCH", path, "{\"status\": \"off_sale\"}"),
                    ==, 200);
  redis_down (f);
  redis_up (f, FALSE);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 2);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier), ==, 18);
  start_worker (f);
  wait_paid (f, order_id);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count (*) FROM payments"), ==, 1);
  assert_invariant (f, f->tier);
}

typedef struct
{
  Fixture    *f;
  const char *hold_key;
} HoldWatch;

static gboolean
hold_expired (gpointer data)
{
  HoldWatch *w = data;
  g_autofree char *status = leap_test_redis_cli (w->f->tb.redis, "HGET", w->hold_key, "status",
                                                 NULL);

  return g_strcmp0 (status, "expired") == 0;
}

/* Redis back from an AOF that ends between a hold and its checkout (the
 * hold is still held, its time past; the order was accepted), and the
 * rebuild held up (its database transaction refused until the test lets
 * it through): the expiry tick waits for the rebuild, which queues the
 * order; it is paid once. */
static void
test_rebuild_before_expiry (Fixture *f, gconstpointer data)
{
  g_autofree char *hold_id = make_hold (f, f->tier, 2);
  g_autofree char *order_id = place (f, hold_id, 202);
  g_autofree char *hold_key = leap_keys_hold (f->event, hold_id);
  g_autofree char *holds_key = leap_keys_event_inventory (f->event, LEAP_INVENTORY_HOLDS);
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *tier = g_strdup_printf ("%" G_GINT64_FORMAT, f->tier);
  g_autofree char *event = g_strdup_printf ("%" G_GINT64_FORMAT, f->event);
  g_autofree char *past = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / 1000 - 5000);
  g_autofree char *checkout = leap_keys_event_inventory (f->event, LEAP_INVENTORY_CHECKOUT);
  g_autofree char *held = leap_keys_event_inventory (f->event, LEAP_INVENTORY_HELD);
  HoldWatch watch = { f, hold_key };
  const char *const undo_checkout[][6] = {
    { "HSET", hold_key, "status", "held", "expires_ms", past },
    { "HDEL", hold_key, "order", NULL },
    { "ZADD", holds_key, past, hold_id, NULL },
    { "HINCRBY", checkout, tier, "-2", NULL },
    { "HINCRBY", held, tier, "2", NULL },
    { "DEL", stream, NULL },
    { "ZADD", leap_keys_expiring (), past, event, NULL },
  };

  /* The main loop does not turn here: the backend sees none of it. */
  for (guint i = 0; i < G_N_ELEMENTS (undo_checkout); i++)
    g_free (leap_test_redis_cli (f->tb.redis, undo_checkout[i][0], undo_checkout[i][1],
                                 undo_checkout[i][2], undo_checkout[i][3], undo_checkout[i][4],
                                 undo_checkout[i][5], NULL));
  redis_down (f);
  leap_test_backend_refuse_deletes (&f->tb, "redis_outage", TRUE);
  leap_test_redis_start (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);
  /* Two ticks and a failed rebuild or more. */
  g_assert_false (leap_test_wait_until (hold_expired, &watch, 2500));
  g_assert_false (holds_ready (f));
  leap_test_backend_refuse_deletes (&f->tb, "redis_outage", FALSE);
  g_assert_true (leap_test_wait_until (holds_ready, f, 10000));
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 2);
  start_worker (f);
  wait_paid (f, order_id);
  assert_invariant (f, f->tier);
}

/* A figure of the tier in a database's open outage, -1 for none. */
static gint64
outage_figure (LeapTestDb *db,
               gint64      tier)
{
  return leap_test_db_int (db, "SELECT available FROM redis_outage_tiers "
                               "WHERE tier_id = %" G_GINT64_FORMAT, tier);
}

static JsonArray *
figures (gint64 tier,
         gint64 available)
{
  JsonArray *array = json_array_new ();
  JsonObject *figure = json_object_new ();

  json_object_set_int_member (figure, "tier_id", tier);
  json_object_set_int_member (figure, "available", available);
  json_array_add_object_element (array, figure);
  return array;
}

/* Issue 14 (6), the epoch: a late availability message lowers the figures
 * of the outage it was heard in while that one is open, and never opens
 * an ended outage again, nor touches a newer one. On a database of its
 * own, which the fixture's backend does not end outages in. */
static void
test_late_figures (Fixture *f, gconstpointer data)
{
  g_autofree char *url = leap_test_backend_new_db (&f->tb);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);
  g_autoptr(JsonArray) twenty = figures (1, 20);
  g_autoptr(JsonArray) five = figures (1, 5);
  g_autoptr(JsonArray) three = figures (1, 3);
  g_autoptr(JsonArray) holds = NULL;
  g_autoptr(LeapTestDb) db = NULL;
  gint64 first, second;

  g_assert_no_error (error);
  db = leap_test_db_open (url);
  leap_test_db_exec (db, "INSERT INTO venues (id, name, created_at, updated_at) "
                         "VALUES (1, 'Hall', 0, 0);"
                         "INSERT INTO events (id, venue_id, name, starts_at, created_at, "
                         "updated_at) VALUES (1, 1, 'Late', 0, 0, 0);"
                         "INSERT INTO tiers (id, event_id, name, price, currency, "
                         "capacity, created_at, updated_at) "
                         "VALUES (1, 1, 'Stalls', 100, 'EUR', 20, 0, 0);");

  first = leap_store_outage_open (store, 1000, twenty, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first, ==, 1000);
  g_assert_true (leap_store_outage_lower (store, first, five, &error));
  g_assert_no_error (error);
  g_assert_cmpint (outage_figure (db, 1), ==, 5);

  /* Ended by another backend: a late message opens nothing. */
  holds = leap_store_outage_close (store, 2000, &error);
  g_assert_no_error (error);
  g_assert_true (leap_store_outage_lower (store, first, three, &error));
  g_assert_no_error (error);
  g_assert_cmpint (leap_test_db_int (db, "SELECT count (*) FROM redis_outage"), ==, 0);
  g_assert_cmpint (outage_figure (db, 1), ==, -1);
  g_assert_cmpint (leap_store_outage_since (store, &error), ==, 0);
  g_assert_no_error (error);

  /* A newer outage is not the late message's. */
  second = leap_store_outage_open (store, 3000, twenty, &error);
  g_assert_no_error (error);
  g_assert_cmpint (second, ==, 3000);
  g_assert_true (leap_store_outage_lower (store, first, three, &error));
  g_assert_no_error (error);
  g_assert_cmpint (outage_figure (db, 1), ==, 20);
  g_assert_true (leap_store_outage_lower (store, second, three, &error));
  g_assert_no_error (error);
  g_assert_cmpint (outage_figure (db, 1), ==, 3);
}

/* A TCP forwarder to Redis on a free loopback port, through which one
 * backend reaches it. A connection is its subscriber once it has sent
 * SUBSCRIBE; proxy_cut closes the others and refuses new connections, so
 * that the backend loses its command connection but keeps its
 * subscription. */

typedef struct
{
  GSocketService *service;
  guint16         port;
  guint16         upstream;
  GPtrArray      *links;
} Proxy;

typedef struct
{
  Proxy             *proxy;
  GSocketConnection *client;
  GSocketConnection *server;
  GCancellable      *cancellable;
  gboolean           subscriber;
  guint              refs;
} Link;

typedef struct
{
  Link          *link;
  GInputStream  *in;
  GOutputStream *out;
  gboolean       from_client;
  char           buffer[16384];
} Pump;

static void
link_unref (Link *link)
{
  if (--link->refs > 0)
    return;
  g_object_unref (link->client);
  g_object_unref (link->server);
  g_object_unref (link->cancellable);
  g_free (link);
}

static void
link_close (Link *link)
{
  g_cancellable_cancel (link->cancellable);
  /* Closing a closed stream or one that failed: nothing to report. */
  g_io_stream_close (G_IO_STREAM (link->client), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (link->server), NULL, NULL);
  if (link->proxy != NULL)
    g_ptr_array_remove (link->proxy->links, link);
  link->proxy = NULL;
}

static void pump_read (Pump *pump);

static void
pump_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pump *pump = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (pump->in, result, &error);

  if (n > 0 && pump->from_client &&
      g_strstr_len (pump->buffer, n, "SUBSCRIBE") != NULL)
    pump->link->subscriber = TRUE;
  if (n <= 0 ||
      !g_output_stream_write_all (pump->out, pump->buffer, n, NULL, pump->link->cancellable,
                                  &error))
    {
      link_close (pump->link);
      link_unref (pump->link);
      g_free (pump);
      return;
    }
  pump_read (pump);
}

static void
pump_read (Pump *pump)
{
  g_input_stream_read_async (pump->in, pump->buffer, sizeof pump->buffer, G_PRIORITY_DEFAULT,
                             pump->link->cancellable, pump_read_cb, pump);
}

static void
pump_start (Link              *link,
            GSocketConnection *from,
            GSocketConnection *to,
            gboolean           from_client)
{
  Pump *pump = g_new0 (Pump, 1);

  pump->link = link;
  link->refs++;
  pump->in = g_io_stream_get_input_stream (G_IO_STREAM (from));
  pump->out = g_io_stream_get_output_stream (G_IO_STREAM (to));
  pump->from_client = from_client;
  pump_read (pump);
}

static gboolean
proxy_incoming_cb (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source,
                   gpointer           user_data)
{
  Proxy *proxy = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *server = g_socket_client_connect_to_host (client, "127.0.0.1",
                                                               proxy->upstream, NULL, &error);
  Link *link;

  g_assert_no_error (error);
  link = g_new0 (Link, 1);
  link->proxy = proxy;
  link->client = g_object_ref (connection);
  link->server = server;
  link->cancellable = g_cancellable_new ();
  g_ptr_array_add (proxy->links, link);
  pump_start (link, connection, server, TRUE);
  pump_start (link, server, connection, FALSE);
  return TRUE;
}

static void
proxy_listen (Proxy *proxy)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, proxy->port);
  g_autoptr(GError) error = NULL;

  g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
proxy_start (Proxy   *proxy,
             guint16  upstream)
{
  proxy->upstream = upstream;
  proxy->port = leap_test_free_port ();
  proxy->links = g_ptr_array_new ();
  proxy->service = g_socket_service_new ();
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (proxy_incoming_cb), proxy);
  proxy_listen (proxy);
  g_socket_service_start (proxy->service);
}

static guint
proxy_count_subscribers (Proxy *proxy)
{
  guint n = 0;

  for (guint i = 0; i < proxy->links->len; i++)
    n += ((Link *) proxy->links->pdata[i])->subscriber;
  return n;
}

/* Only the subscriptions go on. */
static void
proxy_cut (Proxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  for (guint i = proxy->links->len; i > 0; i--)
    if (!((Link *) proxy->links->pdata[i - 1])->subscriber)
      link_close (proxy->links->pdata[i - 1]);
}

/* Nothing goes on: the backend behind it loses both its connections. */
static void
proxy_cut_all (Proxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  while (proxy->links->len > 0)
    link_close (proxy->links->pdata[0]);
}

static void
proxy_stop (Proxy *proxy)
{
  proxy_cut_all (proxy);
  /* The pumps end (cancelled) and free their links. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&proxy->service);
  g_clear_pointer (&proxy->links, g_ptr_array_unref);
}

typedef struct
{
  SoupSession *session;
  char        *url;
  guint16      port;
  guint        want;
} Probe;

static gboolean
answers (gpointer data)
{
  Probe *probe = data;
  g_auto(LeapTestReply) reply = { 0 };
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) serving =
    g_socket_client_connect_to_host (client, "127.0.0.1", probe->port, NULL, NULL);

  /* Not listening yet. */
  if (serving == NULL)
    return FALSE;
  leap_test_http (probe->session, "GET", probe->url, NULL, NULL, &reply);
  return reply.status == probe->want;
}

static gboolean
outage_closed (gpointer data)
{
  return leap_test_db_int (((Fixture *) data)->db, "SELECT count (*) FROM redis_outage") == 0;
}

/* A second leap-backend process on the same database, reaching Redis
 * through a Proxy. */
typedef struct
{
  Proxy        proxy;
  GSubprocess *process;
  char        *base;
  Probe        probe;  /* its /readyz */
} Other;

static void
other_start (Fixture *f,
             Other   *other)
{
  g_autofree char *redis_arg = NULL;
  g_autofree char *log = g_strdup_printf ("%s/other.log", f->tb.dir);
  g_autofree char *listen = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  guint16 port = leap_test_free_port ();

  proxy_start (&other->proxy, f->tb.redis->port);
  redis_arg = g_strdup_printf ("127.0.0.1:%u", other->proxy.port);
  listen = g_strdup_printf ("127.0.0.1:%u", port);
  other->base = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  other->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"),
                                                "--listen", listen, "--redis", redis_arg,
                                                "--database", f->tb.db_url, "--ticket-key",
                                                f->tb.ticket_key, "--session-key",
                                                f->tb.session_key, "--reconcile-interval", "0",
                                                NULL);
  g_assert_no_error (error);
  other->probe = (Probe) { f->tb.session, g_strconcat (other->base, "/readyz", NULL), port, 200 };
  g_assert_true (leap_test_wait_until (answers, &other->probe, 20000));
  g_assert_cmpuint (proxy_count_subscribers (&other->proxy), >, 0);
}

static void
other_stop (Other *other)
{
  g_subprocess_force_exit (other->process);
  g_subprocess_wait (other->process, NULL, NULL);
  g_clear_object (&other->process);
  proxy_stop (&other->proxy);
  g_clear_pointer (&other->base, g_free);
  g_clear_pointer (&other->probe.url, g_free);
}

/* The other backend, cut off from Redis, and this one, which has it, are
 * each asked for the tier's 20 seats at once: no ticket is sold twice,
 * none by the cut-off backend, and Redis's counts reconcile to the
 * capacity. */
static void
rush_both (Fixture *f,
           Other   *other)
{
  g_autoptr(SoupSession) session_a = rush_session_new ();
  g_autoptr(SoupSession) session_b = rush_session_new ();
  Race at_other = { 0 };
  Race at_this = { 0 };

  rush_send (f, session_a, other->base, f->tier, 20, &at_other);
  rush_send (f, session_b, f->tb.base, f->tier, 20, &at_this);
  g_assert_true (leap_test_wait_until (race_done, &at_other, 60000));
  g_assert_true (leap_test_wait_until (race_done, &at_this, 60000));
  g_test_message ("cut-off backend: %u held, %u sold out, %u other; "
                  "this one: %u held, %u sold out, %u other",
                  at_other.created, at_other.sold_out, at_other.other,
                  at_this.created, at_this.sold_out, at_this.other);
  g_assert_cmpuint (at_other.created + at_this.created, <=, 20);
  g_assert_cmpuint (at_other.created, ==, 0);
  g_assert_cmpuint (at_this.created, ==, 20);

  /* Any outage the cut-off backend opened is ended by this one within a
   * second; then every hold answered is held once in Redis. */
  g_assert_true (leap_test_wait_until (outage_closed, f, 10000));
  g_assert_true (leap_test_wait_until (holds_ready, f, 10000));
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==,
                   at_other.created + at_this.created);
  assert_invariant (f, f->tier);
  g_hash_table_unref (at_other.ids);
  g_hash_table_unref (at_this.ids);
}

/* Issue 14 (6): a second backend process loses its command connection to
 * Redis but keeps its subscription, while this one sells through Redis.
 * The cut-off backend, which still hears Redis, sells nothing from the
 * database. */
static void
test_split_connections (Fixture *f, gconstpointer data)
{
  Other other = { 0 };

  other_start (f, &other);
  proxy_cut (&other.proxy);
  other.probe.want = 503;
  g_assert_true (leap_test_wait_until (answers, &other.probe, 10000));
  g_assert_cmpuint (proxy_count_subscribers (&other.proxy), >, 0);
  rush_both (f, &other);
  other_stop (&other);
}

/* Issue 14 (6), the fence: the second backend loses both its connections
 * to Redis while this one sells through it. It opens an outage, but this
 * backend's lease in the database keeps the database from selling: before
 * the lease, it sold from the database until this backend's next tick
 * ended the outage (up to a second). */
static void
test_cut_off (Fixture *f, gconstpointer data)
{
  Other other = { 0 };

  other_start (f, &other);
  proxy_cut_all (&other.proxy);
  other.probe.want = 503;
  g_assert_true (leap_test_wait_until (answers, &other.probe, 10000));
  rush_both (f, &other);
  other_stop (&other);
}

/* The price of a hold the database made is fixed with it too: an order
 * placed while Redis is down, and one placed after Redis took the hold
 * over (import-hold), both charge the hold's price, not a newer one. */
static void
test_price_fixed (Fixture *f, gconstpointer data)
{
  g_autofree char *dearer = g_strdup_printf ("UPDATE tiers SET price = 99999 WHERE id = %"
                                             G_GINT64_FORMAT, f->tier);
  g_autofree char *ordered = NULL;
  g_autofree char *held = NULL;
  g_autofree char *order_id = NULL;
  g_autofree char *later = NULL;
  g_autofree char *path = NULL;
  g_auto(LeapTestReply) reply = { 0 };

  redis_down (f);
  ordered = make_hold (f, f->tier, 1);
  held = make_hold (f, f->tier, 2);
  leap_test_backend_sql (&f->tb, dearer);
  order_id = place (f, ordered, 202);
  path = g_strconcat ("/api/v1/orders/", order_id, NULL);
  leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (leap_test_reply_object (&reply), "total"), ==, 2500);

  start_worker (f);
  redis_up (f, FALSE);
  leap_test_wait_db (f->db, 1, 15000,
                     "SELECT count (*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT total FROM orders WHERE id = '%s'", order_id),
                   ==, 2500);
  later = place (f, held, 202);
  leap_test_wait_db (f->db, 1, 15000,
                     "SELECT count (*) FROM orders WHERE id = '%s' AND status = 'paid'", later);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT total FROM orders WHERE id = '%s'", later),
                   ==, 5000);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT amount FROM payments p JOIN orders o "
                                            "ON o.id = p.order_id WHERE o.id = '%s'", later),
                   ==, 5000);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/leap/fallback/degraded", test_degraded);
  ADD ("/leap/fallback/race", test_race);
  ADD ("/leap/fallback/switch-aof", test_switch_aof);
  ADD ("/leap/fallback/switch-empty", test_switch_empty);
  ADD ("/leap/fallback/orders-aof", test_orders_aof);
  ADD ("/leap/fallback/orders-empty", test_orders_empty);
  ADD ("/leap/fallback/redis-hold-order", test_redis_hold_order);
  ADD ("/leap/fallback/accepted-aof", test_accepted_aof);
  ADD ("/leap/fallback/accepted-empty", test_accepted_empty);
  ADD ("/leap/fallback/expiry", test_expiry);
  ADD ("/leap/fallback/partition", test_partition);
  ADD ("/leap/fallback/tier-set-window", test_tier_set_window);
  ADD ("/leap/fallback/accepted-off-sale", test_accepted_off_sale);
  ADD ("/leap/fallback/rebuild-before-expiry", test_rebuild_before_expiry);
  ADD ("/leap/fallback/split-connections", test_split_connections);
  ADD ("/leap/fallback/cut-off", test_cut_off);
  ADD ("/leap/fallback/late-figures", test_late_figures);
  ADD ("/leap/fallback/price-fixed", test_price_fixed);
#undef ADD

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
