/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Checkout through the queue: POST /orders, the leap-worker consumer, and
 * the promise that every paid order exists exactly once, through declines,
 * redeliveries, concurrent retries and a worker killed mid-flight. */
#include "leap-test-backend.h"
#include "leap-checkout-worker.h"
#include "leap-keys.h"
#include "leap-order-code.h"
#include "leap-orders.h"
#include "leap-payment-provider.h"

#include <signal.h>
#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend     tb;
  char               *admin;
  char               *cashier;
  char               *kiosk;
  gint64              event;
  gint64              tier;   /* 2500, 10 seats */
  gint64              tier2;  /* 1500, 5 seats */
  gint64              big;    /* 1000, 100 seats */
  LeapCheckoutWorker *worker;
  LeapTestDb         *db;
} Fixture;

static gint64
add_tier (Fixture    *f,
          const char *name,
          guint       price,
          guint       capacity)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  g_autofree char *body =
      g_strdup_printf ("{\"name\": \"%s\", \"price\": %u, \"currency\": \"EUR\", "
                       "\"capacity\": %u, \"max_per_order\": 10}",
                       name, price, capacity);
  return leap_test_backend_create (&f->tb, f->admin, path, body);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL;
  gint64 venue;

  leap_test_backend_setup (&f->tb, 0);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  f->kiosk = leap_test_backend_login (&f->tb, "kiosk");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Checkout\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  f->tier = add_tier (f, "Stalls", 2500, 10);
  f->tier2 = add_tier (f, "Balcony", 1500, 5);
  f->big = add_tier (f, "Standing", 1000, 100);
  f->db = leap_test_db_open (f->tb.db_url);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->worker);
  leap_test_db_close (f->db);
  g_free (f->admin);
  g_free (f->cashier);
  g_free (f->kiosk);
  leap_test_backend_teardown (&f->tb);
}

/* A worker in this process, on the backend's Redis and database file. */
static void
start_worker (Fixture    *f,
              const char *consumer,
              guint       latency_ms,
              double      decline_rate,
              guint       claim_idle_ms,
              guint       max_deliveries)
{
  LeapCheckoutWorkerConfig config;
  g_autoptr(GError) error = NULL;

  leap_checkout_worker_config_init (&config);
  g_free (config.database_url);
  config.database_url = g_strdup (f->tb.db_url);
  config.ticket_key = g_strdup (f->tb.ticket_key);
  config.redis_port = redis.port;
  g_free (config.consumer);
  config.consumer = g_strdup (consumer);
  config.concurrency = 32;
  config.block_ms = 100;
  config.card_latency_ms = latency_ms;
  config.card_decline_rate = decline_rate;
  config.claim_idle_ms = claim_idle_ms;
  config.max_deliveries = max_deliveries;
  f->worker = leap_checkout_worker_new (&config, &error);
  leap_checkout_worker_config_clear (&config);
  g_assert_no_error (error);
  leap_checkout_worker_start (f->worker);
}

/* The real leap-worker in a process of its own (to be killed), with a
 * card terminal that answers after latency_ms. */
static GSubprocess *
spawn_worker (Fixture    *f,
              const char *concurrency,
              const char *latency_ms)
{
  return leap_test_backend_spawn_worker (&f->tb, "doomed", FALSE, "--concurrency", concurrency,
                                         "--card-latency-ms", latency_ms, NULL);
}

/* available + held + checking out + sold = capacity, for every tier. */
static void
assert_invariant (Fixture *f)
{
  gint64 tiers[] = { f->tier, f->tier2, f->big };

  for (guint i = 0; i < G_N_ELEMENTS (tiers); i++)
    g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "avail", tiers[i]) +
                         leap_test_redis_hget (f->tb.redis, f->event, "held", tiers[i]) +
                         leap_test_redis_hget (f->tb.redis, f->event, "checkout", tiers[i]) +
                         leap_test_redis_hget (f->tb.redis, f->event, "sold", tiers[i]),
                     ==, leap_test_redis_hget (f->tb.redis, f->event, "cap", tiers[i]));
}

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

static char *
make_hold (Fixture    *f,
           const char *token,
           gint64      tier,
           guint       quantity,
           gint64      tier2,
           guint       quantity2)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = NULL;

  if (quantity2 > 0)
    body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                            ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                            ", \"quantity\": %u}, {\"tier_id\": %" G_GINT64_FORMAT
                            ", \"quantity\": %u}]}",
                            f->event, tier, quantity, tier2, quantity2);
  else
    body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                            ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT ", \"quantity\": %u}]}",
                            f->event, tier, quantity);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", token, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
}

static void
place (Fixture       *f,
       const char    *token,
       const char    *hold_id,
       const char    *payment,
       LeapTestReply *reply)
{
  g_autofree char *body =
      g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": %s, "
                       "\"customer\": {\"name\": \"Ada\", \"email\": \"ada@example.org\"}}",
                       hold_id, payment);

  leap_test_backend_call (&f->tb, "POST", "/api/v1/orders", token, body, reply);
}

static char *
place_ok (Fixture    *f,
          const char *token,
          const char *hold_id,
          const char *payment)
{
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *order;

  place (f, token, hold_id, payment, &reply);
  if (reply.status != 202)
    g_error ("POST /orders: %u %s", reply.status, reply.body);
  order = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "pending");
  return g_strdup (json_object_get_string_member (order, "order_id"));
}

static JsonObject *
get_order (Fixture    *f,
           const char *token,
           const char *order_id,
           guint       expect)
{
  g_autofree char *path = g_strconcat ("/api/v1/orders/", order_id, NULL);
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "GET", path, token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, expect);
  return expect == 200 ? json_object_ref (leap_test_reply_object (&reply)) : NULL;
}

static char *
hold_status (Fixture    *f,
             const char *hold_id)
{
  g_autofree char *key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:hold:%s", f->event,
                                          hold_id);

  return leap_test_redis_cli (f->tb.redis, "HGET", key, "status", NULL);
}

static gint64
pending_messages (Fixture *f)
{
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *out = leap_test_redis_cli (f->tb.redis, "XPENDING", stream,
                                              leap_keys_checkout_group (), NULL);

  return g_ascii_strtoll (out, NULL, 10);
}

/* Waits until Redis has the hold in the given state. */
typedef struct
{
  Fixture    *f;
  const char *hold;
  const char *want;
  gint64      next_check;
} HoldWait;

static gboolean
hold_reaches (gpointer data)
{
  HoldWait *w = data;
  g_autofree char *status = NULL;

  if (g_get_monotonic_time () < w->next_check)
    return FALSE;
  w->next_check = g_get_monotonic_time () + 20 * G_TIME_SPAN_MILLISECOND;
  status = hold_status (w->f, w->hold);
  return g_strcmp0 (status, w->want) == 0;
}

static void
wait_hold (Fixture    *f,
           const char *hold,
           const char *want)
{
  HoldWait w = { f, hold, want, 0 };

  if (!leap_test_wait_until (hold_reaches, &w, 10000))
    {
      g_autofree char *status = hold_status (f, hold);
      g_error ("Hold %s is %s, not %s", hold, status, want);
    }
}

typedef struct
{
  Fixture *f;
  gint64   want;
  gint64   next_check;
} PendingWait;

static gboolean
pending_reaches (gpointer data)
{
  PendingWait *w = data;

  if (g_get_monotonic_time () < w->next_check)
    return FALSE;
  w->next_check = g_get_monotonic_time () + 20 * G_TIME_SPAN_MILLISECOND;
  return pending_messages (w->f) == w->want;
}

/* Cash at the box office: pending at once, then paid, with tickets in the
 * database and the hold's tickets sold in Redis. */
static void
test_cash (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 2, f->tier2, 1);
  g_autofree char *order_id = NULL;
  g_autofree char *again = NULL;
  g_autofree char *status = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *payment;
  JsonArray *tickets;
  gint64 avail1 = available (f, f->tier);
  gint64 avail2 = available (f, f->tier2);

  g_assert_cmpint (avail1, ==, 8);

  /* Refusals first: each changes nothing. */
  place (f, f->cashier, hold, "{\"method\": \"cash\", \"tendered\": 100}", &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  place (f, f->cashier, hold, "{\"method\": \"cash\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  place (f, f->cashier, hold, "{\"method\": \"cheque\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  place (f, f->kiosk, hold, "{\"method\": \"card\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  leap_test_reply_clear (&reply);
  place (f, f->cashier, "1-AAAAAAAAAAAAAAAAAAAAAA", "{\"method\": \"card\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  leap_test_reply_clear (&reply);
  status = hold_status (f, hold);
  g_assert_cmpstr (status, ==, "held");
  g_clear_pointer (&status, g_free);

  order_id = place_ok (f, f->cashier, hold, "{\"method\": \"cash\", \"tendered\": 10000}");
  g_assert_true (g_str_has_prefix (order_id, "o-"));
  status = hold_status (f, hold);
  g_assert_cmpstr (status, ==, "checking_out");
  g_clear_pointer (&status, g_free);
  assert_invariant (f);

  /* No worker yet: pending, priced from the database. */
  order = get_order (f, f->cashier, order_id, 200);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "pending");
  g_assert_cmpint (json_object_get_int_member (order, "total"), ==, 6500);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (order, "lines")), ==, 2);
  g_clear_pointer (&order, json_object_unref);
  /* Another session's order is invisible to a kiosk, visible to staff. */
  get_order (f, f->kiosk, order_id, 404);
  g_clear_pointer (&order, json_object_unref);
  order = get_order (f, f->admin, order_id, 200);
  g_clear_pointer (&order, json_object_unref);
  /* Placing the same hold again is the same order. */
  again = place_ok (f, f->cashier, hold, "{\"method\": \"cash\", \"tendered\": 10000}");
  g_assert_cmpstr (again, ==, order_id);

  start_worker (f, "w1", 0, 0, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  wait_hold (f, hold, "confirmed");
  status = hold_status (f, hold);
  g_assert_cmpstr (status, ==, "confirmed");

  order = get_order (f, f->cashier, order_id, 200);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  g_assert_cmpint (json_object_get_int_member (order, "total"), ==, 6500);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (order, "customer"),
                                                  "name"),
                   ==, "Ada");
  payment = json_object_get_object_member (order, "payment");
  g_assert_cmpstr (json_object_get_string_member (payment, "method"), ==, "cash");
  g_assert_cmpint (json_object_get_int_member (payment, "tendered"), ==, 10000);
  g_assert_cmpint (json_object_get_int_member (payment, "change"), ==, 3500);
  tickets = json_object_get_array_member (order, "tickets");
  g_assert_cmpuint (json_array_get_length (tickets), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);

      g_assert_cmpuint (strlen (json_object_get_string_member (ticket, "code")), >, 16);
      g_assert_true (json_object_get_int_member (ticket, "tier_id") == f->tier ||
                     json_object_get_int_member (ticket, "tier_id") == f->tier2);
    }

  /* The database and Redis agree: 2 + 1 sold, availability unchanged. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE order_id = '%s'",
                                     order_id),
                   ==, 3);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments WHERE order_id = '%s'",
                                     order_id),
                   ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier2),
                   ==, 1);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 2);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier2), ==, 1);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 0);
  g_assert_cmpint (available (f, f->tier), ==, avail1);
  g_assert_cmpint (available (f, f->tier2), ==, avail2);
  assert_invariant (f);
  {
    PendingWait w = { f, 0, 0 };
    g_assert_true (leap_test_wait_until (pending_reaches, &w, 10000));
  }

  /* Placing a paid hold again (a retry whose first answer was lost) is
   * that order, paid, and charges nothing again. */
  place (f, f->cashier, hold, "{\"method\": \"cash\", \"tendered\": 10000}", &reply);
  g_assert_cmpuint (reply.status, ==, 202);
  {
    JsonObject *same = leap_test_reply_object (&reply);

    g_assert_cmpstr (json_object_get_string_member (same, "order_id"), ==, order_id);
    g_assert_cmpstr (json_object_get_string_member (same, "status"), ==, "paid");
  }
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments WHERE order_id = '%s'",
                                     order_id),
                   ==, 1);
  g_assert_cmpint (pending_messages (f), ==, 0);
}

/* A kiosk pays by card, and only by card. */
static void
test_card (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->kiosk, f->tier, 2, 0, 0);
  g_autofree char *order_id = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *payment;

  place (f, f->kiosk, hold, "{\"method\": \"cash\", \"tendered\": 5000}", &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  order_id = place_ok (f, f->kiosk, hold, "{\"method\": \"card\"}");
  start_worker (f, "w1", 20, 0, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  wait_hold (f, hold, "confirmed");

  order = get_order (f, f->kiosk, order_id, 200);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  payment = json_object_get_object_member (order, "payment");
  g_assert_cmpstr (json_object_get_string_member (payment, "method"), ==, "card");
  g_assert_cmpstr (json_object_get_string_member (payment, "status"), ==, "approved");
  g_assert_cmpint (json_object_get_int_member (payment, "amount"), ==, 5000);
  g_assert_true (json_object_get_null_member (payment, "change"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (order, "tickets")), ==, 2);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 2);
  g_assert_cmpint (available (f, f->tier), ==, 8);
  assert_invariant (f);
}

/* A declined card: the order fails and the hold's tickets go back. */
static void
test_declined (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->kiosk, f->tier, 3, 0, 0);
  g_autofree char *order_id = NULL;
  g_autoptr(JsonObject) order = NULL;

  g_assert_cmpint (available (f, f->tier), ==, 7);
  order_id = place_ok (f, f->kiosk, hold, "{\"method\": \"card\"}");
  start_worker (f, "w1", 0, 1.0, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'failed'", order_id);
  wait_hold (f, hold, "released");

  order = get_order (f, f->kiosk, order_id, 200);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (order, "payment"),
                                                  "status"),
                   ==, "declined");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (order, "tickets")), ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets"), ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 0);
  g_assert_cmpint (available (f, f->tier), ==, 10);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 0);
  assert_invariant (f);
}

/* A declined order placed again is that order, failed: the customer is
 * told that nothing was charged only because the server says so. Also once
 * Redis has forgotten the hold (its record lives a day). Another session's
 * order stays invisible. */
static void
test_retry_failed (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->kiosk, f->tier, 1, 0, 0);
  g_autofree char *order_id = NULL;
  g_autofree char *key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:hold:%s", f->event,
                                          hold);
  g_autofree char *out = NULL;

  order_id = place_ok (f, f->kiosk, hold, "{\"method\": \"card\"}");
  start_worker (f, "w1", 0, 1.0, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'failed'", order_id);
  wait_hold (f, hold, "released");

  for (guint i = 0; i < 2; i++)
    {
      g_auto(LeapTestReply) reply = { 0 };
      JsonObject *order;

      place (f, f->kiosk, hold, "{\"method\": \"card\"}", &reply);
      g_assert_cmpuint (reply.status, ==, 202);
      order = leap_test_reply_object (&reply);
      g_assert_cmpstr (json_object_get_string_member (order, "order_id"), ==, order_id);
      g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "failed");
      g_assert_false (json_object_has_member (order, "owner"));
      leap_test_reply_clear (&reply);
      place (f, f->cashier, hold, "{\"method\": \"card\"}", &reply);
      g_assert_cmpuint (reply.status, ==, 404);
      /* The second time round Redis no longer has the hold. */
      out = leap_test_redis_cli (f->tb.redis, "DEL", key, NULL);
      g_clear_pointer (&out, g_free);
    }
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments WHERE order_id = '%s'",
                                     order_id),
                   ==, 1);
  g_assert_cmpint (available (f, f->tier), ==, 10);
  assert_invariant (f);
}

/* Kills the backend's connection that Redis holds paused (flags=b): its
 * commands are dropped unanswered, as when a connection breaks. */
typedef struct
{
  Fixture *f;
  guint    id;
} Killer;

static gboolean
kill_paused_client (gpointer data)
{
  Killer *k = data;
  Fixture *f = k->f;
  g_autofree char *list = leap_test_redis_cli (f->tb.redis, "CLIENT", "LIST", NULL);
  g_auto(GStrv) lines = g_strsplit (list, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], " flags=b ") != NULL && g_str_has_prefix (lines[i], "id="))
      {
        g_autofree char *id = g_strndup (lines[i] + 3, strcspn (lines[i] + 3, " "));

        g_free (leap_test_redis_cli (f->tb.redis, "CLIENT", "KILL", "ID", id, NULL));
        k->id = 0;
        return G_SOURCE_REMOVE;
      }
  return G_SOURCE_CONTINUE;
}

/* begin-checkout's answer is lost (the connection breaks while Redis holds
 * it): the backend asks again instead of answering 503, and the order is
 * queued once. */
static void
test_retry_lost_reply (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 2, 0, 0);
  g_autofree char *out = NULL;
  g_autofree char *status = NULL;
  g_autofree char *order_id = NULL;
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_auto(LeapTestReply) reply = { 0 };
  Killer killer = { f, 0 };

  leap_test_allow_warnings ();
  out = leap_test_redis_cli (f->tb.redis, "CLIENT", "PAUSE", "1500", "WRITE", NULL);
  killer.id = g_timeout_add (10, kill_paused_client, &killer);
  place (f, f->cashier, hold, "{\"method\": \"cash\", \"tendered\": 5000}", &reply);
  g_assert_cmpuint (killer.id, ==, 0);
  if (reply.status != 202)
    g_error ("POST /orders: %u %s", reply.status, reply.body);
  order_id = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply),
                                                      "order_id"));
  status = hold_status (f, hold);
  g_assert_cmpstr (status, ==, "checking_out");
  g_clear_pointer (&out, g_free);
  out = leap_test_redis_cli (f->tb.redis, "XLEN", stream, NULL);
  g_assert_cmpstr (g_strstrip (out), ==, "1");
  assert_invariant (f);

  start_worker (f, "w1", 0, 0, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments WHERE order_id = '%s'",
                                     order_id),
                   ==, 1);
}

/* The same message delivered twice (a worker that crashed after writing,
 * before acknowledging): one order, one payment, tickets counted once. */
static void
test_redelivery (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 2, 0, 0);
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *order_id = NULL;
  g_autofree char *range = NULL;
  g_autofree char *added = NULL;
  g_auto(GStrv) lines = NULL;
  guint64 processed;

  order_id = place_ok (f, f->cashier, hold, "{\"method\": \"cash\", \"tendered\": 5000}");
  range = leap_test_redis_cli (f->tb.redis, "XRANGE", stream, "-", "+", NULL);
  lines = g_strsplit (range, "\n", -1);
  /* id, "order_id", ID, "order", JSON */
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_cmpstr (lines[2], ==, order_id);

  start_worker (f, "w1", 0, 0, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  wait_hold (f, hold, "confirmed");
  processed = leap_checkout_worker_get_processed (f->worker);

  added = leap_test_redis_cli (f->tb.redis, "XADD", stream, "*", "order_id", lines[2], "order",
                               lines[4], NULL);
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
       leap_checkout_worker_get_processed (f->worker) == processed &&
       g_get_monotonic_time () < deadline;)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (leap_checkout_worker_get_processed (f->worker), ==, processed + 1);

  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders"), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments"), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets"), ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 2);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 2);
  {
    PendingWait w = { f, 0, 0 };
    g_assert_true (leap_test_wait_until (pending_reaches, &w, 10000));
  }
  assert_invariant (f);
}

typedef struct
{
  guint       pending;
  guint       accepted;
  guint       other;
  GHashTable *ids;
} Burst;

static void
burst_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Burst *burst = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, NULL);

  leap_test_record (msg, bytes);
  if (soup_message_get_status (msg) == 202)
    {
      g_autoptr(JsonNode) node = json_from_string (g_bytes_get_data (bytes, NULL), NULL);

      burst->accepted++;
      g_hash_table_add (burst->ids,
                        g_strdup (json_object_get_string_member (json_node_get_object (node),
                                                                 "order_id")));
    }
  else
    burst->other++;
  burst->pending--;
}

static gboolean
burst_done (gpointer data)
{
  return ((Burst *) data)->pending == 0;
}

/* Ten retries of one checkout at once with one Idempotency-Key: one order. */
static void
test_idempotency (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 1, 0, 0);
  g_autofree char *url = leap_test_backend_url (&f->tb, "/api/v1/orders");
  g_autofree char *auth = g_strconcat ("Bearer ", f->cashier, NULL);
  g_autofree char *body =
      g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"card\"}}", hold);
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *length = NULL;
  g_autoptr(SoupSession) session =
    soup_session_new_with_options ("max-conns", 10, "max-conns-per-host", 10, "timeout",
                                   60, NULL);
  Burst burst = { 10, 0, 0, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };

  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                    "checkout-1");
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, burst_cb, &burst);
    }
  g_assert_true (leap_test_wait_until (burst_done, &burst, 30000));
  g_assert_cmpuint (burst.accepted, ==, 10);
  g_assert_cmpuint (burst.other, ==, 0);
  g_assert_cmpuint (g_hash_table_size (burst.ids), ==, 1);
  /* One message in the stream, one order in the end. */
  length = leap_test_redis_cli (f->tb.redis, "XLEN", stream, NULL);
  g_assert_cmpstr (length, ==, "1");

  start_worker (f, "w1", 0, 0, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000, "SELECT count(*) FROM orders WHERE status = 'paid'");
  wait_hold (f, hold, "confirmed");
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders"), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets"), ==, 1);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 1);
  assert_invariant (f);
  g_hash_table_unref (burst.ids);
}

/* kill -9 of a leap-worker with every message in work: another worker
 * takes them over after the idle timeout and each order is paid once. */
static void
test_kill_worker (Fixture *f, gconstpointer data)
{
  const guint n = 40;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) holds = g_ptr_array_new_with_free_func (g_free);
  PendingWait w = { f, n, 0 };
  gint64 started;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *hold = make_hold (f, f->cashier, f->big, 2, 0, 0);

      g_free (place_ok (f, f->cashier, hold, "{\"method\": \"card\"}"));
      g_ptr_array_add (holds, g_steal_pointer (&hold));
    }

  /* A card terminal that takes a minute: every message is in work when
   * the worker dies. */
  process = spawn_worker (f, "100", "60000");
  g_assert_true (leap_test_wait_until (pending_reaches, &w, 15000));
  {
    g_autofree char *stream = leap_keys_checkout_stream (f->event);
    g_autofree char *consumers = leap_test_redis_cli (f->tb.redis, "XINFO", "CONSUMERS", stream,
                                                      leap_keys_checkout_group (), NULL);
    g_assert_nonnull (strstr (consumers, "doomed"));
  }
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
  /* Nothing settled: at most the intents, pending, written before the
   * terminal was asked. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders "
                                            "WHERE status <> 'pending'"), ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments "
                                            "WHERE status <> 'pending'"), ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->big), ==, 2 * n);

  started = g_get_monotonic_time ();
  start_worker (f, "rescuer", 0, 0, 1000, 5);
  leap_test_wait_db (f->db, n, 20000, "SELECT count(*) FROM orders WHERE status = 'paid'");
  g_test_message ("%u orders of a killed worker paid %.2f s after a new worker started", n,
                  (g_get_monotonic_time () - started) / 1e6);
  for (guint i = 0; i < n; i++)
    wait_hold (f, holds->pdata[i], "confirmed");
  w.want = 0;
  w.next_check = 0;
  g_assert_true (leap_test_wait_until (pending_reaches, &w, 10000));

  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders"), ==, n);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments"), ==, n);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets"), ==, 2 * n);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(DISTINCT code) FROM tickets"), ==, 2 * n);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->big),
                   ==, 2 * n);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->big), ==, 2 * n);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->big), ==, 0);
  g_assert_cmpint (available (f, f->big), ==, 100 - 2 * n);
  assert_invariant (f);
}

/* A message that cannot be processed goes to the dead-letter stream after
 * its deliveries, with its last error; the others go on. */
static void
test_dead_letter (Fixture *f, gconstpointer data)
{
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 1, 0, 0);
  g_autofree char *order_id = NULL;
  g_autofree char *added = NULL;
  g_autofree char *dead = NULL;

  leap_test_allow_warnings ();
  g_free (leap_test_redis_cli (f->tb.redis, "SADD", leap_keys_checkout_streams (), stream, NULL));
  added = leap_test_redis_cli (f->tb.redis, "XADD", stream, "*", "order_id", "o-x", "order",
                               "{not json", NULL);
  order_id = place_ok (f, f->cashier, hold, "{\"method\": \"cash\", \"tendered\": 2500}");

  start_worker (f, "w1", 0, 0, 200, 2);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  for (gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
       leap_checkout_worker_get_dead (f->worker) == 0 && g_get_monotonic_time () < deadline;)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (leap_checkout_worker_get_dead (f->worker), ==, 1);
  {
    PendingWait w = { f, 0, 0 };
    g_assert_true (leap_test_wait_until (pending_reaches, &w, 10000));
  }
  dead = leap_test_redis_cli (f->tb.redis, "XRANGE", leap_keys_checkout_dead (), "-", "+", NULL);
  g_assert_nonnull (strstr (dead, added));
  g_assert_nonnull (strstr (dead, "no order object"));
}

/* Paid, but the hold is gone from Redis (a Redis that lost data): the
 * order is kept as needs_review, never dropped. */
static void
test_needs_review (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 1, 0, 0);
  g_autofree char *key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:hold:%s", f->event, hold);
  g_autofree char *order_id = NULL;
  g_autoptr(JsonObject) order = NULL;

  leap_test_allow_warnings ();
  order_id = place_ok (f, f->cashier, hold, "{\"method\": \"card\"}");
  g_free (leap_test_redis_cli (f->tb.redis, "DEL", key, NULL));
  start_worker (f, "w1", 0, 0, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'needs_review'",
                     order_id);
  order = get_order (f, f->cashier, order_id, 200);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "needs_review");
  g_assert_nonnull (strstr (json_object_get_string_member (order, "reason"), "hold"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (order, "tickets")), ==, 1);
  {
    PendingWait w = { f, 0, 0 };
    g_assert_true (leap_test_wait_until (pending_reaches, &w, 10000));
  }
}

static JsonObject *
paid_order (Fixture    *f,
            const char *order_id,
            gint64      tier,
            const char *code)
{
  g_autofree char *text = g_strdup_printf (
      "{\"order_id\": \"%s\", \"event_id\": %" G_GINT64_FORMAT
      ", \"status\": \"paid\", \"total\": 2500, "
      "\"currency\": \"EUR\", \"lines\": [{\"tier_id\": %" G_GINT64_FORMAT ", \"quantity\": 1, "
      "\"unit_price\": 2500, \"currency\": \"EUR\"}], \"tickets\": [{\"code\": \"%s\", "
      "\"tier_id\": %" G_GINT64_FORMAT
      "}], \"payment\": {\"method\": \"card\", \"status\": \"approved\", \"amount\": 2500, "
      "\"currency\": \"EUR\"}}",
      order_id, f->event, tier, code, tier);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

/* Orders written together share a commit but not their fate: a bad one is
 * undone alone, and writing a batch again changes nothing. */
static void
test_batch_write (Fixture *f, gconstpointer data)
{
  g_autofree char *url = g_strdup (f->tb.db_url);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);
  g_autoptr(JsonArray) orders = json_array_new ();
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(JsonArray) again = NULL;

  g_assert_no_error (error);
  json_array_add_object_element (orders,
                                 paid_order (f, "o-1-AAAAAAAAAAAAAAAAAAAAAA", f->tier, "code-a"));
  json_array_add_object_element (orders,
                                 paid_order (f, "o-1-BBBBBBBBBBBBBBBBBBBBBB", 999999, "code-b"));
  json_array_add_object_element (orders,
                                 paid_order (f, "o-1-CCCCCCCCCCCCCCCCCCCCCC", f->tier, "code-c"));
  results = leap_store_write_orders (store, orders, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (results), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, 0),
                                                  "status"),
                   ==, "paid");
  g_assert_true (json_object_has_member (json_array_get_object_element (results, 1), "error"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, 2),
                                                  "status"),
                   ==, "paid");
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders"), ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets"), ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM order_lines"), ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 2);

  again = leap_store_write_orders (store, orders, &error);
  g_assert_no_error (error);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders"), ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments"), ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 2);
}

static void
setup_short (Fixture *f, gconstpointer data)
{
  leap_test_backend_set_hold_ttl (1);
  setup (f, data);
  leap_test_backend_set_hold_ttl (600);
}

static gboolean
time_reaches (gpointer data)
{
  return g_get_real_time () >= *(gint64 *) data;
}

/* A hold that ran out answers 410 and gives its tickets back; a released
 * one answers 409. */
static void
test_expired (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 2, 0, 0);
  g_autofree char *other = make_hold (f, f->cashier, f->tier, 1, 0, 0);
  g_autofree char *path = g_strconcat ("/api/v1/holds/", other, NULL);
  g_auto(LeapTestReply) reply = { 0 };
  gint64 until = g_get_real_time () + 1100 * G_TIME_SPAN_MILLISECOND;

  leap_test_backend_call (&f->tb, "DELETE", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);
  leap_test_reply_clear (&reply);
  place (f, f->cashier, other, "{\"method\": \"card\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  leap_test_reply_clear (&reply);

  g_assert_true (leap_test_wait_until (time_reaches, &until, 5000));
  place (f, f->cashier, hold, "{\"method\": \"card\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 410);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "expired");
  g_assert_cmpint (available (f, f->tier), ==, 10);
  assert_invariant (f);
}

typedef struct
{
  Fixture     *f;
  GSubprocess *worker;
  gint64       total;
} Frozen;

/* Stops the worker where it is; TRUE (leaving it stopped) once it has
 * written some orders and holds others delivered but not acknowledged,
 * otherwise lets it go on. */
static gboolean
frozen_mid_flight (gpointer data)
{
  Frozen *fr = data;
  gint64 paid;

  g_subprocess_send_signal (fr->worker, SIGSTOP);
  paid = leap_test_db_int (fr->f->db, "SELECT count(*) FROM orders WHERE status = 'paid'");
  if (paid > 0 && paid < fr->total && pending_messages (fr->f) > 0)
    return TRUE;
  g_subprocess_send_signal (fr->worker, SIGCONT);
  return FALSE;
}

/* kill -9 of a worker in the middle of 500 checkouts: some orders written,
 * some payments under way, the rest not yet read. A new worker redelivers
 * what was pending and every order is paid exactly once. */
static void
test_kill_busy_worker (Fixture *f, gconstpointer data)
{
  const guint n = 500;
  gint64 tier = add_tier (f, "Floor", 3000, n + 10);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) holds = g_ptr_array_new_with_free_func (g_free);
  PendingWait w = { f, 0, 0 };
  gint64 paid_at_kill, pending_at_kill;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *hold = make_hold (f, f->cashier, tier, 1, 0, 0);

      g_free (place_ok (f, f->cashier, hold, "{\"method\": \"card\"}"));
      g_ptr_array_add (holds, g_steal_pointer (&hold));
    }

  /* 100 at a time, 200 ms a payment: the 500 take at least a second, and
   * the kill comes when some are written and others are in work. */
  process = spawn_worker (f, "100", "200");
  {
    Frozen fr = { f, process, n };

    g_assert_true (leap_test_wait_until (frozen_mid_flight, &fr, 30000));
  }
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
  paid_at_kill = leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE status = 'paid'");
  pending_at_kill = pending_messages (f);
  g_test_message ("killed with %" G_GINT64_FORMAT " orders written, %" G_GINT64_FORMAT
                  " messages delivered and not acknowledged", paid_at_kill, pending_at_kill);
  g_assert_cmpint (paid_at_kill, >, 0);
  g_assert_cmpint (paid_at_kill, <, n);
  g_assert_cmpint (pending_at_kill, >, 0);

  start_worker (f, "rescuer", 0, 0, 1000, 5);
  leap_test_wait_db (f->db, n, 60000, "SELECT count(*) FROM orders WHERE status = 'paid'");
  if (!leap_test_wait_until (pending_reaches, &w, 20000))
    g_error ("%" G_GINT64_FORMAT " messages still delivered and not acknowledged",
             pending_messages (f));
  for (guint i = 0; i < n; i++)
    wait_hold (f, holds->pdata[i], "confirmed");

  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders"), ==, n);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments"), ==, n);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(DISTINCT order_id) FROM payments"), ==,
                   n);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets"), ==, n);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(DISTINCT code) FROM tickets"), ==, n);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     tier),
                   ==, n);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", tier), ==, n);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", tier), ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", tier), ==, 0);
  g_assert_cmpint (available (f, tier), ==, 10);
  assert_invariant (f);
}

static void
charged_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  JsonObject **payment = user_data;
  g_autoptr(GError) error = NULL;

  *payment = leap_payment_provider_charge_finish (LEAP_PAYMENT_PROVIDER (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
pointer_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

/* One charge through a provider, waited for. */
static char *
charge (LeapPaymentProvider *provider,
        const char          *order_id)
{
  g_autofree char *text = g_strdup_printf ("{\"order_id\": \"%s\", \"total\": 2500, "
                                           "\"currency\": \"EUR\"}", order_id);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);
  g_autoptr(JsonObject) payment = NULL;

  leap_payment_provider_charge_async (provider, json_node_get_object (node), NULL, charged_cb,
                                      &payment);
  g_assert_true (leap_test_wait_until (pointer_set, &payment, 10000));
  return g_strdup (json_object_get_string_member (payment, "status"));
}

/* The simulated terminal keeps its idempotency ledger in the database, as
 * a real gateway keeps its own: a second terminal (a restarted or another
 * worker, here one that declines everything) answers a key as the first
 * did, and the key is charged once. */
static void
test_terminal_ledger (Fixture *f, gconstpointer data)
{
  g_autofree char *url = g_strdup (f->tb.db_url);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);
  g_autoptr(LeapStore) store2 = leap_store_open (url, &error);
  g_autoptr(LeapPaymentProvider) first = NULL;
  g_autoptr(LeapPaymentProvider) second = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *again = NULL;
  g_autofree char *other = NULL;

  g_assert_no_error (error);
  first = leap_payment_simulated_card_new (store, 0, 0);
  second = leap_payment_simulated_card_new (store2, 0, 1.0);
  answer = charge (first, "o-ledger-1");
  again = charge (second, "o-ledger-1");
  other = charge (second, "o-ledger-2");
  g_assert_cmpstr (answer, ==, "approved");
  g_assert_cmpstr (again, ==, "approved");
  g_assert_cmpstr (other, ==, "declined");
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges "
                                            "WHERE key = 'o-ledger-1'"), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT requests FROM card_charges "
                                            "WHERE key = 'o-ledger-1'"), ==, 2);
}

/* The order and its payment attempt are written, pending, before the
 * terminal is asked. A worker killed while the terminal was charging (it
 * took the money, its answer was lost with the worker) leaves that intent:
 * the next delivery asks the terminal for the same key and gets the same
 * answer, even from a terminal that would decline a new charge. */
static void
test_charged_before_crash (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *hold = make_hold (f, f->kiosk, f->tier, 2, 0, 0);
  g_autofree char *order_id = place_ok (f, f->kiosk, hold, "{\"method\": \"card\"}");
  g_autofree char *charged = NULL;

  process = spawn_worker (f, "1", "60000");
  leap_test_wait_db (f->db, 1, 15000,
                     "SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id "
                     "WHERE o.id = '%s' AND o.status = 'pending' AND p.status = 'pending' "
                     "AND p.idempotency_key = '%s'", order_id, order_id);
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);

  charged = g_strdup_printf ("INSERT INTO card_charges (key, kind, amount, currency, result, "
                             "requests, created_at) VALUES ('%s', 'charge', 5000, 'EUR', "
                             "'approved', 1, 0)", order_id);
  leap_test_backend_sql (&f->tb, charged);
  start_worker (f, "rescuer", 0, 1.0, 500, 5);
  leap_test_wait_db (f->db, 1, 20000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  wait_hold (f, hold, "confirmed");
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges WHERE key = '%s'",
                                     order_id), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT requests FROM card_charges WHERE key = '%s'",
                                     order_id), ==, 2);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments WHERE order_id = '%s'",
                                     order_id), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments WHERE order_id = '%s' "
                                            "AND status = 'approved'", order_id), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets"), ==, 2);
  assert_invariant (f);
}

/* Charged, and then the order cannot be written (here its tier's capacity
 * was lowered under what it sells, so CHECK (sold <= capacity) refuses):
 * the charge is voided at the terminal, the order fails with a reason and
 * its hold is released, instead of money taken and a dead letter. */
static void
test_unwritable_voided (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->kiosk, f->tier, 2, 0, 0);
  g_autofree char *order_id = place_ok (f, f->kiosk, hold, "{\"method\": \"card\"}");
  g_autofree char *shrink = g_strdup_printf ("UPDATE tiers SET capacity = 1 WHERE id = %"
                                             G_GINT64_FORMAT, f->tier);
  g_autoptr(JsonObject) order = NULL;

  leap_test_allow_warnings ();
  leap_test_backend_sql (&f->tb, shrink);
  start_worker (f, "w1", 0, 0, 500, 3);
  leap_test_wait_db (f->db, 1, 20000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'failed'", order_id);
  wait_hold (f, hold, "released");
  order = get_order (f, f->kiosk, order_id, 200);
  g_assert_nonnull (strstr (json_object_get_string_member (order, "reason"), "voided"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (order, "payment"),
                                                  "status"), ==, "voided");
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges WHERE key = '%s' "
                                            "AND result = 'approved'", order_id), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges WHERE key = "
                                            "'%s:void' AND result = 'voided'", order_id), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets"), ==, 0);
  g_assert_cmpint (leap_checkout_worker_get_dead (f->worker), ==, 0);
  {
    PendingWait w = { f, 0, 0 };
    g_assert_true (leap_test_wait_until (pending_reaches, &w, 10000));
  }
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "checkout", f->tier), ==, 0);
}

static void
patch_tier (Fixture    *f,
            gint64      tier,
            const char *body,
            guint       expect,
            const char *code)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/tiers/%" G_GINT64_FORMAT, tier);
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "PATCH", path, f->admin, body, &reply);
  g_assert_cmpuint (reply.status, ==, expect);
  if (code != NULL)
    g_assert_cmpstr (leap_test_error_code (&reply), ==, code);
}

/* The price is the hold's: a manager who changes it between the hold and
 * the order changes neither the charge nor the order's total. */
static void
test_price_fixed (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->kiosk, f->tier, 2, f->tier2, 1);
  g_autofree char *order_id = NULL;
  g_autoptr(JsonObject) pending = NULL;
  g_autoptr(JsonObject) order = NULL;
  JsonArray *lines;

  patch_tier (f, f->tier, "{\"price\": 99999}", 200, NULL);
  patch_tier (f, f->tier2, "{\"price\": 1}", 200, NULL);
  order_id = place_ok (f, f->kiosk, hold, "{\"method\": \"card\"}");
  pending = get_order (f, f->kiosk, order_id, 200);
  g_assert_cmpstr (json_object_get_string_member (pending, "status"), ==, "pending");
  g_assert_cmpint (json_object_get_int_member (pending, "total"), ==, 6500);

  start_worker (f, "w1", 0, 0, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT amount FROM card_charges WHERE key = '%s'",
                                     order_id), ==, 6500);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT total FROM orders WHERE id = '%s'", order_id),
                   ==, 6500);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT unit_price FROM order_lines WHERE order_id = "
                                            "'%s' AND tier_id = %" G_GINT64_FORMAT, order_id,
                                     f->tier), ==, 2500);
  order = get_order (f, f->kiosk, order_id, 200);
  g_assert_cmpint (json_object_get_int_member (order, "total"), ==, 6500);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (order, "payment"),
                                               "amount"), ==, 6500);
  lines = json_object_get_array_member (order, "lines");
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);

      g_assert_cmpint (json_object_get_int_member (line, "unit_price"), ==,
                       json_object_get_int_member (line, "tier_id") == f->tier ? 2500 : 1500);
    }
}

/* One currency per event: a tier of another currency is refused, and a
 * hold of tiers whose currencies differ (written before this rule) too. */
static void
test_one_currency (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  g_autofree char *yen = g_strdup_printf ("UPDATE tiers SET currency = 'JPY' WHERE id = %"
                                          G_GINT64_FORMAT, f->tier2);
  g_autofree char *body = NULL;
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "POST", path, f->admin,
                          "{\"name\": \"Yen\", \"price\": 100, \"currency\": \"JPY\", "
                          "\"capacity\": 5, \"max_per_order\": 10}", &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "currency_mismatch");
  patch_tier (f, f->tier2, "{\"currency\": \"JPY\"}", 422, "currency_mismatch");
  patch_tier (f, f->tier2, "{\"currency\": \"EUR\", \"price\": 1500}", 200, NULL);

  leap_test_backend_sql (&f->tb, yen);
  body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": [{\"tier_id\": %"
                          G_GINT64_FORMAT ", \"quantity\": 1}, {\"tier_id\": %" G_GINT64_FORMAT
                          ", \"quantity\": 1}]}", f->event, f->big, f->tier2);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "currency_mismatch");
  g_assert_cmpint (available (f, f->big), ==, 100);
  assert_invariant (f);
}

/* A hold made before prices were kept with it, of tiers whose currencies
 * differ by the time it is ordered: its order is refused, not added up. */
static void
test_one_currency_order (Fixture *f, gconstpointer data)
{
  g_autofree char *yen = g_strdup_printf ("UPDATE tiers SET currency = 'JPY' WHERE id = %"
                                          G_GINT64_FORMAT, f->tier2);
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 1, f->tier2, 1);
  g_autofree char *key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:hold:%s", f->event,
                                          hold);
  g_auto(LeapTestReply) reply = { 0 };

  g_free (leap_test_redis_cli (f->tb.redis, "HDEL", key, "prices", NULL));
  leap_test_backend_sql (&f->tb, yen);
  place (f, f->cashier, hold, "{\"method\": \"cash\", \"tendered\": 10000}", &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "currency_mismatch");
  g_assert_cmpint (pending_messages (f), ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==, 1);
  assert_invariant (f);
}

/* Issue 15: every order has a short code of its own, from its 202 on,
 * that stands for its id in GET /orders/{id} (any case, grouped or not),
 * and stays when the worker writes the order. A code another order has is
 * not given twice: the next candidate is. */
static void
test_short_code (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 1, 0, 0);
  g_autofree char *order_id = g_strconcat ("o-", hold, NULL);
  g_autofree char *taken = leap_order_code_candidate (order_id, 0);
  g_autofree char *clash = g_strdup_printf ("INSERT INTO order_codes (order_id, code) "
                                            "VALUES ('o-1-someone-else', '%s')", taken);
  g_autofree char *code = NULL;
  g_autofree char *grouped = NULL;
  g_autofree char *people = NULL;
  g_autofree char *normal = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  g_autoptr(JsonObject) order = NULL;

  leap_test_backend_sql (&f->tb, clash);
  place (f, f->cashier, hold, "{\"method\": \"cash\", \"tendered\": 2500}", &reply);
  g_assert_cmpuint (reply.status, ==, 202);
  code = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "code"));
  normal = leap_order_code_normalize (code);
  g_assert_cmpstr (normal, ==, code);
  g_assert_cmpuint (strlen (code), ==, 7);
  g_assert_null (strpbrk (code, "0O1IL"));
  g_assert_cmpstr (code, !=, taken);

  /* The code stands for the id, for people typing it too. */
  order = get_order (f, f->cashier, code, 200);
  g_assert_cmpstr (json_object_get_string_member (order, "order_id"), ==, order_id);
  g_assert_cmpstr (json_object_get_string_member (order, "code"), ==, code);
  g_clear_pointer (&order, json_object_unref);
  grouped = leap_order_code_group (code);
  people = g_ascii_strdown (grouped, -1);
  order = get_order (f, f->cashier, people, 200);
  g_assert_cmpstr (json_object_get_string_member (order, "order_id"), ==, order_id);
  g_clear_pointer (&order, json_object_unref);
  /* Not another session's, and not a code nobody has. */
  get_order (f, f->kiosk, code, 404);
  get_order (f, f->cashier, "ZZZZZZZ", 404);

  /* Written by the worker: the same code, once in the database. */
  start_worker (f, "w1", 0, 0, 500, 3);
  leap_test_wait_db (f->db, 1, 20000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  order = get_order (f, f->cashier, order_id, 200);
  g_assert_cmpstr (json_object_get_string_member (order, "code"), ==, code);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM order_codes WHERE code = '%s'",
                                     code), ==, 1);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/leap/checkout/cash", test_cash);
  ADD ("/leap/checkout/card", test_card);
  ADD ("/leap/checkout/declined", test_declined);
  ADD ("/leap/checkout/retry-failed", test_retry_failed);
  ADD ("/leap/checkout/retry-lost-reply", test_retry_lost_reply);
  ADD ("/leap/checkout/redelivery", test_redelivery);
  ADD ("/leap/checkout/idempotency", test_idempotency);
  ADD ("/leap/checkout/kill-worker", test_kill_worker);
  ADD ("/leap/checkout/kill-busy-worker", test_kill_busy_worker);
  ADD ("/leap/checkout/dead-letter", test_dead_letter);
  ADD ("/leap/checkout/needs-review", test_needs_review);
  ADD ("/leap/checkout/batch-write", test_batch_write);
  ADD ("/leap/checkout/terminal-ledger", test_terminal_ledger);
  ADD ("/leap/checkout/charged-before-crash", test_charged_before_crash);
  ADD ("/leap/checkout/unwritable-voided", test_unwritable_voided);
  ADD ("/leap/checkout/price-fixed", test_price_fixed);
  ADD ("/leap/checkout/one-currency", test_one_currency);
  ADD ("/leap/checkout/one-currency-order", test_one_currency_order);
  ADD ("/leap/checkout/short-code", test_short_code);
  g_test_add ("/leap/checkout/expired", Fixture, NULL, setup_short, test_expired, teardown);
#undef ADD

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
