/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Refunds (POST /orders/{id}/refund), the dead-letter endpoints and order
 * results on the WebSocket, against a real leap-worker: a refund returns
 * the tickets to sale, exactly once, and a dead checkout message can be
 * looked at and replayed. */
#include "leap-test-backend.h"
#include "leap-keys.h"
#include "leap-orders.h"

#include <signal.h>
#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  char           *manager;
  char           *cashier;
  char           *kiosk;
  gint64          event;
  gint64          tier;   /* 2500, 10 seats */
  gint64          tier2;  /* 1500, 5 seats */
  GSubprocess    *worker;
  LeapTestDb     *db;
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
  f->manager = leap_test_backend_login (&f->tb, "manager");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  f->kiosk = leap_test_backend_login (&f->tb, "kiosk");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Refunds\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  f->tier = add_tier (f, "Stalls", 2500, 10);
  f->tier2 = add_tier (f, "Balcony", 1500, 5);
  f->db = leap_test_db_open (f->tb.db_url);
}

static void
stop_worker (Fixture *f)
{
  leap_test_stop_process (&f->worker, SIGKILL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  stop_worker (f);
  leap_test_db_close (f->db);
  g_free (f->admin);
  g_free (f->manager);
  g_free (f->cashier);
  g_free (f->kiosk);
  leap_test_backend_teardown (&f->tb);
}

/* The real leap-worker, on the backend's Redis and database file. */
static void
start_worker (Fixture *f,
              guint    claim_idle_ms,
              guint    max_deliveries)
{
  g_autofree char *idle = g_strdup_printf ("%u", claim_idle_ms);
  g_autofree char *tries = g_strdup_printf ("%u", max_deliveries);

  g_assert_null (f->worker);
  /* Its warnings about poison messages are expected, not fatal. */
  f->worker = leap_test_backend_spawn_worker (&f->tb, "refunds-test", TRUE, "--claim-idle-ms",
                                              idle, "--max-deliveries", tries, NULL);
}

/* available + held + checking out + sold = capacity, for every tier. */
static void
assert_invariant (Fixture *f)
{
  gint64 tiers[] = { f->tier, f->tier2 };

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
           guint       quantity2,
           guint       expect)
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
  g_assert_cmpuint (reply.status, ==, expect);
  return expect == 201
             ? g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"))
             : NULL;
}

/* Places an order for a hold; the worker (if running) pays it. */
static char *
place (Fixture    *f,
       const char *token,
       const char *hold_id,
       const char *payment)
{
  return leap_test_backend_order (&f->tb, token, hold_id, payment);
}

/* A paid order of quantity (tier) and quantity2 (tier2), by the cashier. */
static char *
paid_order (Fixture    *f,
            guint       quantity,
            guint       quantity2,
            const char *payment)
{
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, quantity, f->tier2, quantity2, 201);
  g_autofree char *order_id = place (f, f->cashier, hold, payment);

  if (f->worker == NULL)
    start_worker (f, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  return g_steal_pointer (&order_id);
}

static JsonObject *
get_order (Fixture    *f,
           const char *order_id)
{
  g_autofree char *path = g_strconcat ("/api/v1/orders/", order_id, NULL);
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "GET", path, f->manager, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  return json_object_ref (leap_test_reply_object (&reply));
}

static void
refund (Fixture       *f,
        const char    *token,
        const char    *order_id,
        const char    *body,
        const char    *idempotency_key,
        LeapTestReply *reply)
{
  g_autofree char *path = g_strconcat ("/api/v1/orders/", order_id, "/refund", NULL);
  g_autofree char *url = leap_test_backend_url (&f->tb, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (idempotency_key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                  idempotency_key);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  leap_test_send (f->tb.session, msg, reply);
}

static guint
count_tickets (JsonObject *order,
               const char *status)
{
  JsonArray *tickets = json_object_get_array_member (order, "tickets");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (tickets); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (tickets, i),
                                                    "status"),
                     status))
      n++;
  return n;
}

/* What must not move when a refund is refused. */
typedef struct
{
  gint64 refunds, payments, voided, audit, sold, avail;
} Snapshot;

static void
snapshot (Fixture  *f,
          Snapshot *s)
{
  s->refunds = leap_test_db_int (f->db, "SELECT count(*) FROM refunds");
  s->payments = leap_test_db_int (f->db, "SELECT count(*) FROM payments");
  s->voided = leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE status = 'voided'");
  s->audit = leap_test_db_int (f->db, "SELECT count(*) FROM audit_log WHERE action = 'refund'");
  s->sold = leap_test_db_int (f->db, "SELECT sum (sold) FROM tiers");
  s->avail = leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier) +
             leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier2);
}

static void
assert_unchanged (Fixture        *f,
                  const Snapshot *before)
{
  Snapshot now;

  snapshot (f, &now);
  g_assert_cmpint (now.refunds, ==, before->refunds);
  g_assert_cmpint (now.payments, ==, before->payments);
  g_assert_cmpint (now.voided, ==, before->voided);
  g_assert_cmpint (now.audit, ==, before->audit);
  g_assert_cmpint (now.sold, ==, before->sold);
  g_assert_cmpint (now.avail, ==, before->avail);
}

/* A refund returns the tickets to sale: voided, counted back in Redis and
 * the database, sold again to the next customer. */
static void
test_whole (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 3, 0, "{\"method\": \"card\"}");
  g_auto(LeapTestReply) reply = { 0 };
  g_autoptr(JsonObject) stored = NULL;
  g_autofree char *hold = NULL;
  JsonObject *order;
  JsonObject *payment;
  JsonArray *refunds;

  g_assert_cmpint (available (f, f->tier), ==, 7);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 3);

  refund (f, f->manager, order_id, "{\"reason\": \"The customer is ill\"}", NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  order = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (order, "order_id"), ==, order_id);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "refunded");
  g_assert_cmpint (json_object_get_int_member (order, "refunded_amount"), ==, 7500);
  g_assert_false (json_object_has_member (order, "owner"));
  g_assert_cmpuint (count_tickets (order, "voided"), ==, 3);
  g_assert_cmpuint (count_tickets (order, "valid"), ==, 0);
  /* The charge stays the order's payment; the refund is listed apart. */
  payment = json_object_get_object_member (order, "payment");
  g_assert_cmpstr (json_object_get_string_member (payment, "status"), ==, "approved");
  refunds = json_object_get_array_member (order, "refunds");
  g_assert_cmpuint (json_array_get_length (refunds), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (refunds, 0),
                                               "amount"),
                   ==, 7500);
  g_assert_true (
      json_object_get_boolean_member (json_array_get_object_element (refunds, 0), "returned"));

  /* Back on sale, in Redis, in the database and through the API. */
  g_assert_cmpint (available (f, f->tier), ==, 10);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM refunds WHERE returned_at IS NULL"),
                   ==, 0);
  assert_invariant (f);

  /* The record: a payment row that pays back, and the audit log. */
  g_assert_cmpint (
      leap_test_db_int (f->db,
                        "SELECT amount FROM payments WHERE order_id = '%s' AND status = 'refunded' "
                        "AND method = 'card'",
                        order_id),
      ==, -7500);
  g_assert_cmpint (
      leap_test_db_int (
          f->db,
          "SELECT count(*) FROM audit_log WHERE action = 'refund' AND object_id = '%s' "
          "AND user_id = (SELECT id FROM users WHERE username = 'manager') "
          "AND details LIKE '%%\"amount\":7500%%'",
          order_id),
      ==, 1);
  g_assert_cmpint (
      leap_test_db_int (f->db,
                        "SELECT count(*) FROM tickets WHERE order_id = '%s' AND status = 'voided' "
                        "AND refund_id IS NOT NULL",
                        order_id),
      ==, 3);

  stored = get_order (f, order_id);
  g_assert_cmpstr (json_object_get_string_member (stored, "status"), ==, "refunded");

  /* Every seat can be held again: the three refunded ones too. */
  hold = make_hold (f, f->cashier, f->tier, 10, 0, 0, 201);
  g_assert_cmpint (available (f, f->tier), ==, 0);
  assert_invariant (f);
}

/* Some lines: the order stays paid and shows what was refunded; asking
 * for more than is left changes nothing. */
static void
test_partial (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 3, 1, "{\"method\": \"cash\", \"tendered\": 10000}");
  g_autofree char *one = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                          ", \"quantity\": 1}]}",
                                          f->tier);
  g_autofree char *three = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                            ", \"quantity\": 3}]}",
                                            f->tier);
  g_autofree char *other = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                            ", \"quantity\": 1}]}",
                                            f->tier + f->tier2 + 100);
  g_auto(LeapTestReply) reply = { 0 };
  Snapshot before;
  JsonObject *order;

  g_assert_cmpint (available (f, f->tier), ==, 7);
  refund (f, f->manager, order_id, one, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  order = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  g_assert_cmpint (json_object_get_int_member (order, "refunded_amount"), ==, 2500);
  g_assert_cmpuint (count_tickets (order, "voided"), ==, 1);
  g_assert_cmpuint (count_tickets (order, "valid"), ==, 3);
  g_assert_cmpint (available (f, f->tier), ==, 8);
  g_assert_cmpint (available (f, f->tier2), ==, 4);
  g_assert_cmpint (
      leap_test_db_int (f->db,
                        "SELECT amount FROM payments WHERE order_id = '%s' AND status = 'refunded' "
                        "AND method = 'cash'",
                        order_id),
      ==, -2500);
  assert_invariant (f);

  /* More than is left of the tier, a tier the order does not have, a
   * field that does not exist: 422, and nothing moves. */
  snapshot (f, &before);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, three, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "invalid_field");
  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, other, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, "{\"amount\": 100}", NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, "{\"lines\": [{\"tier_id\": 1, \"quantity\": -1}]}", NULL,
          &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  assert_unchanged (f, &before);

  /* The rest (an admin may refund too): the order is refunded whole. */
  leap_test_reply_clear (&reply);
  refund (f, f->admin, order_id, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  order = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "refunded");
  g_assert_cmpint (json_object_get_int_member (order, "refunded_amount"), ==, 3 * 2500 + 1500);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (order, "refunds")), ==, 2);
  g_assert_cmpint (available (f, f->tier), ==, 10);
  g_assert_cmpint (available (f, f->tier2), ==, 5);
  assert_invariant (f);

  /* Twice: 409, nothing moves. */
  snapshot (f, &before);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "conflict");
  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, one, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  assert_unchanged (f, &before);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM audit_log WHERE action = 'refund'"),
                   ==, 2);
}

/* Who may refund, and what cannot be refunded. */
static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 2, 0, "{\"method\": \"card\"}");
  g_autofree char *hold = NULL;
  g_autofree char *pending = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  Snapshot before;

  snapshot (f, &before);
  refund (f, f->cashier, order_id, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 403);
  leap_test_reply_clear (&reply);
  refund (f, f->kiosk, order_id, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 403);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, "o-1-AAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, "nonsense", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  assert_unchanged (f, &before);

  /* Pending: placed while no worker runs. */
  stop_worker (f);
  hold = make_hold (f, f->cashier, f->tier, 1, 0, 0, 201);
  pending = place (f, f->cashier, hold, "{\"method\": \"card\"}");
  snapshot (f, &before);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, pending, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "conflict");
  assert_unchanged (f, &before);

  /* Once paid, it can. */
  start_worker (f, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", pending);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, pending, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
}

static char *
approval (const char *username,
          const char *password,
          const char *more)
{
  return g_strdup_printf ("{\"approval\": {\"username\": \"%s\", \"password\": \"%s\"}%s}",
                          username, password, more ? more : "");
}

/* A cashier refunds on their own screen with a manager's name and
 * password: checked like a sign-in (Argon2id, and the same limit of
 * failures), recorded as the manager's refund; the cashier stays signed
 * in. */
static void
test_approval (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 2, 1, "{\"method\": \"card\"}");
  g_autofree char *one = g_strdup_printf (", \"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                          ", \"quantity\": 1}]", f->tier);
  g_autofree char *wrong = approval ("manager", "guess-guess", NULL);
  g_autofree char *by_cashier = approval ("cashier", "cashier-password", NULL);
  g_autofree char *by_manager = approval ("manager", "manager-password", one);
  g_autofree char *by_admin = approval ("admin", "admin-password", NULL);
  g_autofree char *manager_id = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  Snapshot before;

  snapshot (f, &before);
  /* Without an approval, or with a wrong one, nothing moves. */
  refund (f, f->cashier, order_id, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 403);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "forbidden");
  leap_test_reply_clear (&reply);
  refund (f, f->cashier, order_id, wrong, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 401);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "unauthorized");
  leap_test_reply_clear (&reply);
  /* A cashier cannot approve, not even their own refund. */
  refund (f, f->cashier, order_id, by_cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 403);
  leap_test_reply_clear (&reply);
  refund (f, f->cashier, order_id, "{\"approval\": {\"username\": \"manager\"}}", NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  refund (f, f->cashier, order_id, "{\"approval\": \"manager\"}", NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  /* A kiosk cannot refund, approved or not. */
  refund (f, f->kiosk, order_id, by_admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 403);
  assert_unchanged (f, &before);

  /* Approved: one Stalls ticket back, recorded with the manager. */
  leap_test_reply_clear (&reply);
  refund (f, f->cashier, order_id, by_manager, "approved-1", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (leap_test_reply_object (&reply), "refunded_amount"),
                   ==, 2500);
  manager_id = g_strdup_printf ("%" G_GINT64_FORMAT,
                                leap_test_db_int (f->db, "SELECT id FROM users "
                                                         "WHERE username = 'manager'"));
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM refunds WHERE order_id = '%s' "
                                            "AND user_id = %s", order_id, manager_id), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM audit_log WHERE action = "
                                            "'refund' AND user_id = %s", manager_id), ==, 1);
  /* The cashier's session goes on. */
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "role"), ==,
                   "cashier");

  /* Guessing a manager's password through approvals locks the manager
   * as guessing it at the sign-in does (five failures since the last
   * success). */
  for (guint i = 0; i < 5; i++)
    {
      leap_test_reply_clear (&reply);
      refund (f, f->cashier, order_id, wrong, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 401);
    }
  leap_test_reply_clear (&reply);
  refund (f, f->cashier, order_id, by_manager, "approved-2", &reply);
  g_assert_cmpuint (reply.status, ==, 429);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "rate_limited");
  g_assert_cmpint (g_ascii_strtoll (soup_message_headers_get_one (reply.headers, "Retry-After"),
                                    NULL, 10), >, 0);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL,
                          "{\"username\": \"manager\", \"password\": \"manager-password\"}",
                          &reply);
  g_assert_cmpuint (reply.status, ==, 429);
  /* Another manager (the admin) still can. */
  leap_test_reply_clear (&reply);
  refund (f, f->cashier, order_id, by_admin, "approved-3", &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (leap_test_reply_object (&reply), "refunded_amount"),
                   ==, 2 * 2500 + 1500);
  assert_invariant (f);
}

/* The same Idempotency-Key twice: one refund, the same answer. */
static void
test_idempotency (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 3, 0, "{\"method\": \"card\"}");
  g_autofree char *one = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                          ", \"quantity\": 1}]}",
                                          f->tier);
  g_auto(LeapTestReply) first = { 0 };
  g_auto(LeapTestReply) second = { 0 };
  g_auto(LeapTestReply) third = { 0 };

  refund (f, f->manager, order_id, one, "refund-key-1", &first);
  g_assert_cmpuint (first.status, ==, 200);
  refund (f, f->manager, order_id, one, "refund-key-1", &second);
  g_assert_cmpuint (second.status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (leap_test_reply_object (&second), "refunded_amount"),
                   ==, 2500);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM refunds"), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM payments WHERE status = 'refunded'"),
                   ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE status = 'voided'"),
                   ==, 1);
  g_assert_cmpint (available (f, f->tier), ==, 8);

  /* Another key is another refund. */
  refund (f, f->manager, order_id, one, "refund-key-2", &third);
  g_assert_cmpuint (third.status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (leap_test_reply_object (&third), "refunded_amount"),
                   ==, 5000);
  g_assert_cmpint (available (f, f->tier), ==, 9);
  assert_invariant (f);
}

/* Tickets already used at the door are refunded only when asked for. */
static void
test_checked_in (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 2, 0, "{\"method\": \"card\"}");
  g_autofree char *sql =
      g_strdup_printf ("UPDATE tickets SET checked_in_at = 1764620000 WHERE id = "
                       "(SELECT min (id) FROM tickets WHERE order_id = '%s')",
                       order_id);
  g_autofree char *one = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                          ", \"quantity\": 1}]}",
                                          f->tier);
  g_autofree char *forced = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                             ", \"quantity\": 1}], "
                                             "\"include_checked_in\": true}",
                                             f->tier);
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *order;

  leap_test_backend_sql (&f->tb, sql);
  refund (f, f->manager, order_id, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  order = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  g_assert_cmpuint (count_tickets (order, "voided"), ==, 1);
  g_assert_cmpint (
      leap_test_db_int (f->db,
                        "SELECT count(*) FROM tickets WHERE order_id = '%s' AND status = 'valid' "
                        "AND checked_in_at IS NOT NULL",
                        order_id),
      ==, 1);

  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, one, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 409);

  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, forced, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "refunded");
  g_assert_cmpint (available (f, f->tier), ==, 10);
  assert_invariant (f);
}

static gboolean
tier_available_is (gpointer data)
{
  Fixture *f = data;

  return leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier) == 10;
}

/* Redis down when the refund commits: the refund stands, its tickets go
 * back on sale once Redis returns, once. */
static void
test_redis_down (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 3, 0, "{\"method\": \"card\"}");
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *order;

  leap_test_allow_warnings ();
  stop_worker (f);
  leap_test_redis_stop (&redis);
  leap_test_backend_wait_redis (&f->tb, FALSE);

  refund (f, f->manager, order_id, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  order = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "refunded");
  g_assert_false (json_object_get_boolean_member (json_array_get_object_element (
                    json_object_get_array_member (order, "refunds"), 0), "returned"));
  /* Still counted as sold until Redis has them back. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 3);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM refunds WHERE returned_at IS NULL"),
                   ==, 1);

  leap_test_redis_start (&redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);
  leap_test_wait_db (f->db, 0, 15000, "SELECT count(*) FROM refunds WHERE returned_at IS NULL");
  g_assert_true (leap_test_wait_until (tier_available_is, f, 5000));
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 0);
  g_assert_cmpint (available (f, f->tier), ==, 10);
  assert_invariant (f);
}

static gboolean
tier_available_is_9 (gpointer data)
{
  Fixture *f = data;

  return leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier) == 9;
}

/* Redis comes back empty (it lost its data) with a refund still to give
 * back: the repair rebuilds the counters from the database, which counts
 * the returned refund and not yet the pending one, and the pending one
 * then goes back once. */
static void
test_redis_lost (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 3, 0, "{\"method\": \"card\"}");
  g_autofree char *one = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                          ", \"quantity\": 1}]}",
                                          f->tier);
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_allow_warnings ();
  stop_worker (f);
  refund (f, f->manager, order_id, one, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 2);

  leap_test_redis_stop (&redis);
  leap_test_backend_wait_redis (&f->tb, FALSE);
  leap_test_reply_clear (&reply);
  refund (f, f->manager, order_id, one, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM refunds WHERE returned_at IS NULL"),
                   ==, 1);

  /* Its files gone: it starts empty, on the same port. */
  leap_test_rmdir (redis.dir);
  g_clear_pointer (&redis.dir, g_free);
  leap_test_redis_start (&redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);
  leap_test_wait_db (f->db, 0, 15000, "SELECT count(*) FROM refunds WHERE returned_at IS NULL");
  g_assert_true (leap_test_wait_until (tier_available_is_9, f, 5000));
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, 1);
  g_assert_cmpint (available (f, f->tier), ==, 9);
  assert_invariant (f);
}

/* Dead letters */

static JsonObject *
list_dead (Fixture    *f,
           const char *query,
           guint       expect)
{
  g_autofree char *path = g_strconcat ("/api/v1/admin/dead-letters", query, NULL);
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "GET", path, f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, expect);
  return expect == 200 ? json_object_ref (leap_test_reply_object (&reply)) : NULL;
}

static gint64
dead_count (Fixture *f)
{
  g_autofree char *n = leap_test_redis_cli (f->tb.redis, "XLEN", leap_keys_checkout_dead (), NULL);

  return g_ascii_strtoll (n, NULL, 10);
}

typedef struct
{
  Fixture    *f;
  gint64      want;
  const char *not_id;   /* and the first entry is not this one */
} DeadWait;

static gboolean
dead_reaches (gpointer data)
{
  DeadWait *w = data;
  g_autofree char *first = NULL;

  if (dead_count (w->f) != w->want)
    return FALSE;
  if (w->not_id == NULL)
    return TRUE;
  first = leap_test_redis_cli (w->f->tb.redis, "XRANGE", leap_keys_checkout_dead (), "-", "+",
                               "COUNT", "1", NULL);
  return strstr (first, w->not_id) == NULL;
}

/* Moves a checkout message to the dead-letter stream by hand, as the
 * worker does after its deliveries. */
static char *
kill_message (Fixture    *f,
              const char *order_id)
{
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *out = leap_test_redis_cli (f->tb.redis, "--no-raw", "XRANGE", stream, "-", "+",
                                              NULL);
  g_autofree char *entry = NULL;
  g_autofree char *dead = NULL;
  g_autoptr(GString) message = g_string_new (NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  /* redis-cli --no-raw: 1) 1) "ID" 2) 1) "order_id" 2) "o-…" 3) "order" 4) "{…}" */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *quoted = NULL;
      g_autofree char *text = NULL;
      char *open = strchr (lines[i], '"');

      if (open == NULL)
        continue;
      quoted = g_strndup (open + 1, strrchr (lines[i], '"') - open - 1);
      text = g_strcompress (quoted);
      if (entry == NULL)
        entry = g_strdup (text);
      else if (g_str_has_prefix (text, "{"))
        g_string_assign (message, text);
    }
  g_assert_nonnull (entry);
  g_assert_nonnull (strstr (message->str, order_id));
  dead = leap_test_redis_cli (f->tb.redis, "XADD", leap_keys_checkout_dead (), "*", "stream",
                              stream, "entry", entry, "order", message->str, "error",
                              "the database was locked", "deliveries", "6", NULL);
  g_free (leap_test_redis_cli (f->tb.redis, "XDEL", stream, entry, NULL));
  return g_steal_pointer (&dead);
}

static gboolean
stream_empty (gpointer data)
{
  Fixture *f = data;
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *len = leap_test_redis_cli (f->tb.redis, "XLEN", stream, NULL);

  return g_str_equal (len, "0");
}

static void
replay (Fixture       *f,
        const char    *token,
        const char    *id,
        LeapTestReply *reply)
{
  g_autofree char *path = g_strconcat ("/api/v1/admin/dead-letters/", id, "/replay", NULL);

  leap_test_backend_call (&f->tb, "POST", path, token, NULL, reply);
}

/* A poison message reaches the dead-letter stream after N tries, is
 * listed for admins only, and replayed: back on its stream with its
 * deliveries counted anew, and dead again since it is still poison. */
static void
test_dead_poison (Fixture *f, gconstpointer data)
{
  g_autofree char *stream = leap_keys_checkout_stream (f->event);
  g_autofree char *first_id = NULL;
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  DeadWait w = { f, 1, NULL };
  JsonObject *letter;

  leap_test_allow_warnings ();
  g_free (leap_test_redis_cli (f->tb.redis, "SADD", leap_keys_checkout_streams (), stream, NULL));
  g_free (leap_test_redis_cli (f->tb.redis, "XADD", stream, "*", "order_id", "o-x", "order",
                               "{not json", NULL));
  start_worker (f, 200, 2);
  g_assert_true (leap_test_wait_until (dead_reaches, &w, 15000));

  leap_test_backend_call (&f->tb, "GET", "/api/v1/admin/dead-letters", f->manager, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 403);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/admin/dead-letters", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 401);

  listed = list_dead (f, "", 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (listed, "dead_letters")),
                    ==, 1);
  letter = json_array_get_object_element (json_object_get_array_member (listed, "dead_letters"), 0);
  first_id = g_strdup (json_object_get_string_member (letter, "id"));
  g_assert_cmpstr (json_object_get_string_member (letter, "stream"), ==, stream);
  g_assert_true (json_object_get_null_member (letter, "order_id"));
  g_assert_cmpint (json_object_get_int_member (letter, "deliveries"), ==, 3);
  g_assert_nonnull (strstr (json_object_get_string_member (letter, "error"), "no order object"));
  g_assert_cmpstr (json_object_get_string_member (letter, "message"), ==, "{not json");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (letter, "failed_at"), "Z"));

  /* Paging, and its mistakes. */
  page = list_dead (f, "?limit=1", 200);
  g_assert_cmpstr (json_object_get_string_member (page, "next_after"), ==, first_id);
  {
    g_autofree char *query = g_strconcat ("?after=", first_id, NULL);
    g_autoptr(JsonObject) rest = list_dead (f, query, 200);

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (rest, "dead_letters")),
                      ==, 0);
    g_assert_true (json_object_get_null_member (rest, "next_after"));
  }
  g_assert_null (list_dead (f, "?limit=501", 400));
  g_assert_null (list_dead (f, "?limit=0", 400));
  g_assert_null (list_dead (f, "?after=yesterday", 400));

  /* Replay: admins only, known ids only. */
  leap_test_reply_clear (&reply);
  replay (f, f->manager, first_id, &reply);
  g_assert_cmpuint (reply.status, ==, 403);
  leap_test_reply_clear (&reply);
  replay (f, f->admin, "1-1", &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  leap_test_reply_clear (&reply);
  replay (f, f->admin, "not-an-id", &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  g_assert_cmpint (dead_count (f), ==, 1);

  /* Back on its stream as a new entry: delivered anew, and dead anew after
   * as many tries as the first time. */
  leap_test_reply_clear (&reply);
  replay (f, f->admin, first_id, &reply);
  g_assert_cmpuint (reply.status, ==, 202);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "pending");
  w.not_id = first_id;
  g_assert_true (leap_test_wait_until (dead_reaches, &w, 15000));
  again = list_dead (f, "", 200);
  letter = json_array_get_object_element (json_object_get_array_member (again, "dead_letters"), 0);
  g_assert_cmpstr (json_object_get_string_member (letter, "id"), !=, first_id);
  g_assert_cmpint (json_object_get_int_member (letter, "deliveries"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (letter, "message"), ==, "{not json");

  /* The collection alias: POST {"id"}. */
  body = g_strdup_printf ("{\"id\": \"%s\"}", json_object_get_string_member (letter, "id"));
  stop_worker (f);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/admin/dead-letters", f->admin, body, &reply);
  g_assert_cmpuint (reply.status, ==, 202);
  g_assert_cmpint (dead_count (f), ==, 0);
  {
    g_autofree char *len = leap_test_redis_cli (f->tb.redis, "XLEN", stream, NULL);
    g_assert_cmpstr (len, ==, "1");
  }
}

/* A real order's dead message, replayed whatever became of the order: not
 * written and its hold waiting (paid now), written already (nothing
 * charged twice), not written and its hold gone (needs review). */
static void
test_dead_order (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->cashier, f->tier, 2, 0, 0, 201);
  g_autofree char *order_id = place (f, f->cashier, hold, "{\"method\": \"card\"}");
  g_autofree char *dead = kill_message (f, order_id);
  g_autofree char *again = NULL;
  g_autofree char *lost_hold = NULL;
  g_autofree char *lost_order = NULL;
  g_autofree char *lost_key = NULL;
  g_autofree char *lost_dead = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  g_autoptr(JsonObject) listed = list_dead (f, "", 200);
  JsonObject *answer;

  leap_test_allow_warnings ();
  g_assert_cmpstr (json_object_get_string_member (
                       json_array_get_object_element (json_object_get_array_member (listed,
                                                                                    "dead_letters"),
                                                      0),
                       "order_id"),
                   ==, order_id);

  /* Not written, hold still checking out: back in the queue, then paid. */
  replay (f, f->admin, dead, &reply);
  g_assert_cmpuint (reply.status, ==, 202);
  answer = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (answer, "order_id"), ==, order_id);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "pending");
  g_assert_cmpint (dead_count (f), ==, 0);
  start_worker (f, 30000, 5);
  leap_test_wait_db (f->db, 1, 10000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  g_assert_cmpint (available (f, f->tier), ==, 8);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 2);

  /* Written: replaying it again charges nothing and changes nothing. */
  stop_worker (f);
  {
    g_autofree char *stream = leap_keys_checkout_stream (f->event);
    g_autofree char *message =
        g_strdup_printf ("{\"order_id\": \"%s\", \"event_id\": %" G_GINT64_FORMAT
                         ", \"lines\": []}",
                         order_id, f->event);

    again = leap_test_redis_cli (f->tb.redis, "XADD", leap_keys_checkout_dead (), "*", "stream",
                                 stream, "entry", "1-0", "order", message, "error", "timeout",
                                 "deliveries", "6", NULL);
  }
  leap_test_reply_clear (&reply);
  replay (f, f->admin, again, &reply);
  g_assert_cmpuint (reply.status, ==, 202);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "paid");
  g_assert_false (stream_empty (f));
  start_worker (f, 30000, 5);
  /* Taken and acknowledged: the stream is empty again. */
  g_assert_true (leap_test_wait_until (stream_empty, f, 10000));
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments WHERE order_id = '%s'",
                                     order_id),
                   ==, 1);
  g_assert_cmpint (
      leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'",
                        order_id),
      ==, 1);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "sold", f->tier), ==, 2);
  assert_invariant (f);

  /* Not written, and its hold is gone (a Redis that lost it): charging now
   * would sell seats nobody set aside; a person looks at it instead. */
  stop_worker (f);
  lost_hold = make_hold (f, f->cashier, f->tier2, 1, 0, 0, 201);
  lost_order = place (f, f->cashier, lost_hold, "{\"method\": \"card\"}");
  lost_dead = kill_message (f, lost_order);
  lost_key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:hold:%s", f->event, lost_hold);
  g_free (leap_test_redis_cli (f->tb.redis, "DEL", lost_key, NULL));
  leap_test_reply_clear (&reply);
  replay (f, f->admin, lost_dead, &reply);
  g_assert_cmpuint (reply.status, ==, 202);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "needs_review");
  g_assert_cmpint (dead_count (f), ==, 0);
  g_assert_cmpint (
      leap_test_db_int (f->db,
                        "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'needs_review'",
                        lost_order),
      ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE order_id = '%s'",
                                     lost_order),
                   ==, 0);
}

/* Order results on the WebSocket */

typedef struct
{
  GPtrArray               *messages;
  SoupWebsocketConnection *conn;
  GError                  *error;
  const char              *needle;
} Live;

static void
live_message_cb (SoupWebsocketConnection *conn,
                 gint                     type,
                 GBytes                  *message,
                 Live                    *live)
{
  g_ptr_array_add (live->messages,
                   g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message)));
}

static void
live_connected_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Live *live = user_data;

  live->conn = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &live->error);
  if (live->conn != NULL)
    g_signal_connect (live->conn, "message", G_CALLBACK (live_message_cb), live);
}

static gboolean
live_ready (gpointer data)
{
  Live *live = data;
  return live->conn != NULL || live->error != NULL;
}

static gboolean
live_has (gpointer data)
{
  Live *live = data;

  for (guint i = 0; i < live->messages->len; i++)
    if (strstr (g_ptr_array_index (live->messages, i), live->needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
live_open (Fixture    *f,
           const char *token,
           Live       *live)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/api/v1/live",
                                          leap_backend_get_port (f->tb.backend));
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  live->messages = g_ptr_array_new_with_free_func (g_free);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  soup_session_websocket_connect_async (f->tb.session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        live_connected_cb, live);
  g_assert_true (leap_test_wait_until (live_ready, live, 10000));
  g_assert_no_error (live->error);
}

static void
live_close (Live *live)
{
  soup_websocket_connection_close (live->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&live->conn);
  g_ptr_array_unref (live->messages);
}

static void
live_wait (Live       *live,
           const char *needle)
{
  live->needle = needle;
  if (!leap_test_wait_until (live_has, live, 10000))
    g_error ("No WebSocket message with %s", needle);
}

/* The owner follows its order from before the worker takes it and learns
 * that it is paid; another session's order is refused. */
static void
test_live_order (Fixture *f, gconstpointer data)
{
  g_autofree char *hold = make_hold (f, f->kiosk, f->tier, 1, 0, 0, 201);
  g_autofree char *order_id = place (f, f->kiosk, hold, "{\"method\": \"card\"}");
  g_autofree char *subscribe = g_strdup_printf ("{\"subscribe\": {\"order\": \"%s\"}}", order_id);
  g_autofree char *paid =
      g_strdup_printf ("{\"type\":\"order\",\"order_id\":\"%s\",\"status\":\"paid\"}", order_id);
  g_autofree char *other_hold = make_hold (f, f->cashier, f->tier, 1, 0, 0, 201);
  g_autofree char *other_order = place (f, f->cashier, other_hold, "{\"method\": \"card\"}");
  g_autofree char *other = g_strdup_printf ("{\"subscribe\": {\"order\": \"%s\"}}", other_order);
  g_autofree char *other_paid =
      g_strdup_printf ("{\"type\":\"order\",\"order_id\":\"%s\",\"status\":\"paid\"}", other_order);
  g_autofree char *by_token =
      g_strdup_printf ("{\"subscribe\": {\"order\": \"%s\", \"token\": \"%s\"}}", other_order,
                       f->manager);
  Live live = { 0 };
  Live anonymous = { 0 };
  Live staff = { 0 };
  gint64 started;

  live_open (f, f->kiosk, &live);
  soup_websocket_connection_send_text (live.conn, subscribe);
  /* Another session's order: refused, as if it did not exist. */
  soup_websocket_connection_send_text (live.conn, other);
  live_wait (&live, "\"not_found\"");

  started = g_get_monotonic_time ();
  start_worker (f, 30000, 5);
  live_wait (&live, paid);
  g_test_message ("order result on the WebSocket %.1f ms after the worker started",
                  (g_get_monotonic_time () - started) / 1000.0);
  for (guint i = 0; i < live.messages->len; i++)
    g_assert_null (strstr (g_ptr_array_index (live.messages, i), other_paid));

  /* Without a session: refused. */
  live_open (f, NULL, &anonymous);
  soup_websocket_connection_send_text (anonymous.conn, subscribe);
  live_wait (&anonymous, "\"unauthorized\"");
  live_close (&anonymous);

  /* Staff follow any order, the token in the message; one that is done
   * answers at once. */
  live_open (f, NULL, &staff);
  soup_websocket_connection_send_text (staff.conn, by_token);
  live_wait (&staff, other_paid);
  live_close (&staff);

  /* A refund ends the order: its followers hear of it too. */
  {
    g_autofree char *refunded = g_strdup_printf ("{\"type\":\"order\",\"order_id\":\"%s\","
                                                 "\"status\":\"refunded\"}", order_id);
    g_auto(LeapTestReply) reply = { 0 };

    refund (f, f->manager, order_id, NULL, NULL, &reply);
    g_assert_cmpuint (reply.status, ==, 200);
    live_wait (&live, refunded);
  }
  live_close (&live);
}

typedef struct
{
  guint         done;
  LeapTestReply replies[5];
} Concurrent;

static void
concurrent_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Concurrent *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result,
                                                              &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);

  g_assert_no_error (error);
  c->replies[c->done].status = soup_message_get_status (msg);
  c->replies[c->done].body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  c->done++;
}

static gboolean
concurrent_done (gpointer data)
{
  Concurrent *c = data;
  return c->done == G_N_ELEMENTS (c->replies);
}

/* Five refunds of one ticket each, of one order, sent at once: they are
 * serialized, each recorded with a number of its own before its money
 * moves, and each paid back once under its own key. */
static void
test_concurrent (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 5, 0, "{\"method\": \"card\"}");
  g_autofree char *path = g_strconcat ("/api/v1/orders/", order_id, "/refund", NULL);
  g_autofree char *url = leap_test_backend_url (&f->tb, path);
  g_autofree char *auth = g_strconcat ("Bearer ", f->manager, NULL);
  g_autofree char *one = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                          ", \"quantity\": 1}]}", f->tier);
  g_autoptr(JsonObject) order = NULL;
  Concurrent c = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (c.replies); i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (one, strlen (one));

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      soup_session_send_and_read_async (f->tb.session, msg, G_PRIORITY_DEFAULT, NULL,
                                        concurrent_cb, &c);
    }
  g_assert_true (leap_test_wait_until (concurrent_done, &c, 30000));
  for (guint i = 0; i < G_N_ELEMENTS (c.replies); i++)
    {
      if (c.replies[i].status != 200)
        g_error ("Refund %u: %u %s", i, c.replies[i].status, c.replies[i].body);
      g_free (c.replies[i].body);
    }
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM refunds WHERE order_id = '%s' "
                                            "AND status = 'done'", order_id), ==, 5);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(DISTINCT seq) FROM refunds"), ==, 5);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges "
                                            "WHERE kind = 'refund' AND requests = 1"), ==, 5);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM payments "
                                            "WHERE status = 'refunded'"), ==, 5);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets "
                                            "WHERE status = 'voided'"), ==, 5);
  order = get_order (f, order_id);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "refunded");
  g_assert_cmpint (json_object_get_int_member (order, "refunded_amount"), ==, 5 * 2500);
  leap_test_wait_db (f->db, 0, 10000, "SELECT count(*) FROM refunds WHERE returned_at IS NULL");
  g_assert_cmpint (available (f, f->tier), ==, 10);
  assert_invariant (f);
}

/* A backend that died between the refund's intent and its provider call
 * left a pending refund: the sweeper pays it back once, under its own
 * key, records it, and the ticket goes back on sale. */
static void
test_unfinished (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 2, 0, "{\"method\": \"card\"}");
  g_autofree char *intent = g_strdup_printf (
      "INSERT INTO refunds (order_id, seq, event_id, amount, currency, method, items, "
      "created_at, status, provider_key) VALUES ('%s', 1, %" G_GINT64_FORMAT ", 2500, 'EUR', "
      "'card', '%" G_GINT64_FORMAT ":1', 0, 'pending', '%s:r1'); "
      "UPDATE tickets SET status = 'voided', refund_id = last_insert_rowid () "
      "WHERE id = (SELECT min (id) FROM tickets WHERE order_id = '%s');",
      order_id, f->event, f->tier, order_id, order_id);
  g_autoptr(JsonObject) order = NULL;

  leap_test_backend_sql (&f->tb, intent);
  leap_test_wait_db (f->db, 1, 20000, "SELECT count(*) FROM refunds WHERE order_id = '%s' "
                                      "AND status = 'done' AND returned_at IS NOT NULL", order_id);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges "
                                            "WHERE key = '%s:r1' AND kind = 'refund'", order_id),
                   ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT amount FROM payments "
                                            "WHERE status = 'refunded'"), ==, -2500);
  order = get_order (f, order_id);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  g_assert_cmpint (json_object_get_int_member (order, "refunded_amount"), ==, 2500);
  g_assert_cmpint (available (f, f->tier), ==, 9);
  assert_invariant (f);
}

/* An order whose lines are of two currencies (written before one currency
 * per event) is never refunded as one sum: the yen ticket is not paid back
 * in euro cents. */
static void
test_two_currencies (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 1, 1, "{\"method\": \"card\"}");
  g_autofree char *yen = g_strdup_printf ("UPDATE order_lines SET currency = 'JPY', "
                                          "unit_price = 100 WHERE order_id = '%s' AND tier_id = %"
                                          G_GINT64_FORMAT, order_id, f->tier2);
  g_autofree char *body = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": 1}]}", f->tier2);
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_sql (&f->tb, yen);
  refund (f, f->manager, order_id, body, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "currency_mismatch");
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM refunds"), ==, 0);
}

/* A stream id past Redis's 64-bit halves is malformed (400), not a Redis
 * error answered 503 as if it were worth retrying; the largest id there is
 * has nothing after it. */
static void
test_dead_bad_after (Fixture *f, gconstpointer data)
{
  static const char * const malformed[] = {
    "99999999999999999999-0", "1-99999999999999999999", "18446744073709551616-0", "-1-0", "1-",
    "1-2-3",
  };
  g_autoptr(JsonObject) last = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *query = g_strconcat ("?after=", malformed[i], NULL);
      g_auto(LeapTestReply) reply = { 0 };
      g_autofree char *path = g_strconcat ("/api/v1/admin/dead-letters", query, NULL);

      leap_test_backend_call (&f->tb, "GET", path, f->admin, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 400);
      g_assert_cmpstr (leap_test_error_code (&reply), ==, "malformed");
    }
  json_object_unref (list_dead (f, "?after=0-0", 200));
  last = list_dead (f, "?after=18446744073709551615-18446744073709551615", 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (last, "dead_letters")),
                    ==, 0);
  g_assert_true (json_object_get_null_member (last, "next_after"));
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/leap/refunds/whole", test_whole);
  ADD ("/leap/refunds/partial", test_partial);
  ADD ("/leap/refunds/refused", test_refused);
  ADD ("/leap/refunds/approval", test_approval);
  ADD ("/leap/refunds/idempotency", test_idempotency);
  ADD ("/leap/refunds/checked-in", test_checked_in);
  ADD ("/leap/refunds/redis-down", test_redis_down);
  ADD ("/leap/refunds/redis-lost", test_redis_lost);
  ADD ("/leap/refunds/dead-letter-poison", test_dead_poison);
  ADD ("/leap/refunds/dead-letter-order", test_dead_order);
  ADD ("/leap/refunds/dead-letter-bad-after", test_dead_bad_after);
  ADD ("/leap/refunds/two-currencies", test_two_currencies);
  ADD ("/leap/refunds/live-order", test_live_order);
  ADD ("/leap/refunds/concurrent", test_concurrent);
  ADD ("/leap/refunds/unfinished", test_unfinished);
#undef ADD

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
