/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The authorization matrix: every endpoint × anonymous, guest and every
 * role, from a table written here as the contract (not read from the
 * router, which it checks); then another user's objects. */
#include "leap-test-backend.h"
#include "leap-router.h"

#include <string.h>

static LeapTestRedis redis;

/* Who may call an endpoint. */
#define PUBLIC   "*"
#define SIGNED   "guest kiosk cashier manager admin"
#define STAFF    "cashier manager admin"
#define MANAGERS "manager admin"
#define ADMINS   "admin"

typedef struct
{
  const char *method;
  const char *pattern;
  const char *allowed;
} Expect;

static const Expect matrix[] = {
  { "GET", "/healthz", PUBLIC },
  { "GET", "/readyz", PUBLIC },
  { "GET", "/metrics", PUBLIC },
  { "POST", "/api/v1/sessions", PUBLIC },
  { "GET", "/api/v1/sessions/current", SIGNED },
  { "DELETE", "/api/v1/sessions/current", SIGNED },
  { "GET", "/api/v1/venues", PUBLIC },
  { "POST", "/api/v1/venues", MANAGERS },
  { "GET", "/api/v1/venues/{id}", PUBLIC },
  { "PATCH", "/api/v1/venues/{id}", MANAGERS },
  { "DELETE", "/api/v1/venues/{id}", MANAGERS },
  { "GET", "/api/v1/events", PUBLIC },
  { "POST", "/api/v1/events", MANAGERS },
  { "GET", "/api/v1/events/{id}", PUBLIC },
  { "PATCH", "/api/v1/events/{id}", MANAGERS },
  { "DELETE", "/api/v1/events/{id}", MANAGERS },
  { "GET", "/api/v1/events/{id}/availability", PUBLIC },
  { "POST", "/api/v1/events/{id}/tiers", MANAGERS },
  { "POST", "/api/v1/events/{id}/offers", MANAGERS },
  { "POST", "/api/v1/events/{id}/queue", SIGNED },
  { "GET", "/api/v1/events/{id}/queue", SIGNED },
  { "PATCH", "/api/v1/tiers/{id}", MANAGERS },
  { "DELETE", "/api/v1/tiers/{id}", MANAGERS },
  { "PATCH", "/api/v1/offers/{id}", MANAGERS },
  { "DELETE", "/api/v1/offers/{id}", MANAGERS },
  { "GET", "/api/v1/sync", PUBLIC },
  { "POST", "/api/v1/holds", SIGNED },
  { "GET", "/api/v1/holds/{id}", SIGNED },
  { "DELETE", "/api/v1/holds/{id}", SIGNED },
  { "POST", "/api/v1/orders", SIGNED },
  { "GET", "/api/v1/orders/{id}", SIGNED },
  { "GET", "/api/v1/orders/{id}/tickets.pdf", SIGNED },
  { "POST", "/api/v1/orders/{id}/refund", MANAGERS },
  { "GET", "/api/v1/tickets/public-key", PUBLIC },
  { "POST", "/api/v1/checkins", STAFF },
  { "GET", "/api/v1/admin/dead-letters", ADMINS },
  { "POST", "/api/v1/admin/dead-letters", ADMINS },
  { "POST", "/api/v1/admin/dead-letters/{id}/replay", ADMINS },
  { "GET", "/api/v1/admin/reconcile", ADMINS },
  { "POST", "/api/v1/admin/reconcile", ADMINS },
};

static const char * const roles[] = { "guest", "kiosk", "cashier", "manager", "admin" };

typedef struct
{
  LeapTestBackend tb;
  char           *tokens[G_N_ELEMENTS (roles)];
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  leap_test_backend_setup (&f->tb, 0);
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    f->tokens[i] = g_str_equal (roles[i], "guest") ? leap_test_backend_guest (&f->tb)
                                                   : leap_test_backend_login (&f->tb, roles[i]);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    g_free (f->tokens[i]);
  leap_test_backend_teardown (&f->tb);
}

static const Expect *
find_expect (const char *method,
             const char *pattern)
{
  for (guint i = 0; i < G_N_ELEMENTS (matrix); i++)
    if (g_str_equal (matrix[i].method, method) && g_str_equal (matrix[i].pattern, pattern))
      return &matrix[i];
  return NULL;
}

static gboolean
allows (const Expect *e,
        const char   *role)
{
  g_auto(GStrv) names = NULL;

  if (g_str_equal (e->allowed, PUBLIC))
    return TRUE;
  if (role == NULL)
    return FALSE;
  names = g_strsplit (e->allowed, " ", -1);
  return g_strv_contains ((const char * const *) names, role);
}

/* A path for the pattern, naming objects that do not exist. */
static char *
concrete_path (const char *pattern)
{
  g_autoptr(GString) path = g_string_new (pattern);

  g_string_replace (path, "{id}", "999999", 0);
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static void
check (Fixture      *f,
       const Expect *e,
       const char   *role,
       const char   *token)
{
  g_autofree char *path = concrete_path (e->pattern);
  g_auto(LeapTestReply) reply = { 0 };
  const char *body = g_str_equal (e->method, "GET") || g_str_equal (e->method, "DELETE") ? NULL
                                                                                         : "{}";

  leap_test_backend_call (&f->tb, e->method, path, token, body, &reply);
  if (allows (e, role))
    {
      if (reply.status == 401 || reply.status == 403 || reply.status >= 500)
        g_error ("%s %s as %s: %u, expected to be let through: %s", e->method, path,
                 role ? role : "anonymous", reply.status, reply.body);
    }
  else
    {
      guint want = role == NULL ? 401 : 403;

      if (reply.status != want)
        g_error ("%s %s as %s: %u, expected %u: %s", e->method, path, role ? role : "anonymous",
                 reply.status, want, reply.body);
      g_assert_cmpstr (leap_test_error_code (&reply), ==,
                       role == NULL ? "unauthorized" : "forbidden");
    }
}

static gboolean
served (const Expect *e)
{
  guint n_routes = 0;
  const LeapRoute *routes = leap_router_get_routes (&n_routes);

  for (guint i = 0; i < n_routes; i++)
    if (g_str_equal (routes[i].method, e->method) && g_str_equal (routes[i].pattern, e->pattern))
      return TRUE;
  return FALSE;
}

/* Every route of the router has a row here, and every row a route: an
 * endpoint cannot be added without saying who may call it. */
static void
test_complete (Fixture *f, gconstpointer data)
{
  guint n_routes = 0;
  const LeapRoute *routes = leap_router_get_routes (&n_routes);

  for (guint i = 0; i < n_routes; i++)
    if (find_expect (routes[i].method, routes[i].pattern) == NULL)
      g_error ("%s %s has no row in the authorization matrix", routes[i].method, routes[i].pattern);
  for (guint i = 0; i < G_N_ELEMENTS (matrix); i++)
    if (!served (&matrix[i]))
      g_error ("%s %s is in the contract but not served", matrix[i].method, matrix[i].pattern);
}

static void
test_matrix (Fixture *f, gconstpointer data)
{
  guint checked = 0;

  for (guint i = 0; i < G_N_ELEMENTS (matrix); i++)
    {
      /* Signing out is checked last, with sessions of its own. */
      if (g_str_equal (matrix[i].pattern, "/api/v1/sessions/current") &&
          g_str_equal (matrix[i].method, "DELETE"))
        continue;
      /* A missing route fails /leap/authz/complete. */
      if (!served (&matrix[i]))
        continue;
      check (f, &matrix[i], NULL, NULL);
      check (f, &matrix[i], NULL, "not-a-token");
      for (guint r = 0; r < G_N_ELEMENTS (roles); r++)
        check (f, &matrix[i], roles[r], f->tokens[r]);
      checked += 2 + G_N_ELEMENTS (roles);
    }
  {
    const Expect *logout = find_expect ("DELETE", "/api/v1/sessions/current");

    check (f, logout, NULL, NULL);
    for (guint r = 0; r < G_N_ELEMENTS (roles); r++)
      check (f, logout, roles[r], f->tokens[r]);
    checked += 1 + G_N_ELEMENTS (roles);
  }
  g_test_message ("%u endpoint × caller checks", checked);
}

/* Someone else's hold and order: not found, whoever asks, except staff
 * who may read (not change) any order at the counter. */
static void
test_other_users_objects (Fixture *f, gconstpointer data)
{
  const char *admin = f->tokens[4], *cashier = f->tokens[2], *kiosk = f->tokens[1];
  g_autofree char *alice = leap_test_backend_guest (&f->tb);
  g_autofree char *bob = leap_test_backend_guest (&f->tb);
  g_autofree char *event_body = NULL;
  g_autofree char *tier_body = NULL;
  g_autofree char *tier_path = NULL;
  g_autofree char *hold_body = NULL;
  g_autofree char *hold_path = NULL;
  g_autofree char *order_path = NULL;
  g_autofree char *pdf_path = NULL;
  g_autofree char *refund_path = NULL;
  g_autofree char *hold_id = NULL;
  g_autofree char *order_id = NULL;
  gint64 venue, event, tier;

  venue = leap_test_backend_create (&f->tb, admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  event_body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Authz\", "
                                "\"starts_at\": \"2027-03-01T19:30:00Z\"}", venue);
  event = leap_test_backend_create (&f->tb, admin, "/api/v1/events", event_body);
  tier_path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", event);
  tier_body = g_strdup (
      "{\"name\": \"Stalls\", \"price\": 2500, \"currency\": \"EUR\", \"capacity\": 10, "
      "\"max_per_order\": 4}");
  tier = leap_test_backend_create (&f->tb, admin, tier_path, tier_body);
  hold_body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                               ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                               ", \"quantity\": 1}]}",
                               event, tier);

  {
    g_auto(LeapTestReply) reply = { 0 };

    leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", alice, hold_body, &reply);
    g_assert_cmpuint (reply.status, ==, 201);
    hold_id = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
    hold_path = g_strconcat ("/api/v1/holds/", hold_id, NULL);
  }

  /* Bob, a kiosk and even staff neither see nor release Alice's hold. */
  {
    const char *others[] = { bob, kiosk, cashier, admin };

    for (guint i = 0; i < G_N_ELEMENTS (others); i++)
      {
        g_auto(LeapTestReply) get = { 0 };
        g_auto(LeapTestReply) del = { 0 };

        leap_test_backend_call (&f->tb, "GET", hold_path, others[i], NULL, &get);
        g_assert_cmpuint (get.status, ==, 404);
        leap_test_backend_call (&f->tb, "DELETE", hold_path, others[i], NULL, &del);
        g_assert_cmpuint (del.status, ==, 404);
      }
  }
  {
    g_auto(LeapTestReply) reply = { 0 };

    leap_test_backend_call (&f->tb, "GET", hold_path, alice, NULL, &reply);
    g_assert_cmpuint (reply.status, ==, 200);
  }

  /* Bob cannot check out Alice's hold either. */
  {
    g_autofree char *body =
        g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"card\"}}", hold_id);
    g_auto(LeapTestReply) theirs = { 0 };
    g_auto(LeapTestReply) mine = { 0 };

    leap_test_backend_call (&f->tb, "POST", "/api/v1/orders", bob, body, &theirs);
    g_assert_cmpuint (theirs.status, ==, 404);
    leap_test_backend_call (&f->tb, "POST", "/api/v1/orders", alice, body, &mine);
    g_assert_cmpuint (mine.status, ==, 202);
    order_id = g_strdup (
        json_object_get_string_member (leap_test_reply_object (&mine), "order_id"));
  }

  order_path = g_strconcat ("/api/v1/orders/", order_id, NULL);
  pdf_path = g_strconcat (order_path, "/tickets.pdf", NULL);
  refund_path = g_strconcat (order_path, "/refund", NULL);
  {
    g_auto(LeapTestReply) bob_get = { 0 };
    g_auto(LeapTestReply) kiosk_get = { 0 };
    g_auto(LeapTestReply) bob_pdf = { 0 };
    g_auto(LeapTestReply) bob_refund = { 0 };
    g_auto(LeapTestReply) kiosk_refund = { 0 };
    g_auto(LeapTestReply) cashier_get = { 0 };
    g_auto(LeapTestReply) alice_get = { 0 };

    leap_test_backend_call (&f->tb, "GET", order_path, bob, NULL, &bob_get);
    g_assert_cmpuint (bob_get.status, ==, 404);
    leap_test_backend_call (&f->tb, "GET", order_path, kiosk, NULL, &kiosk_get);
    g_assert_cmpuint (kiosk_get.status, ==, 404);
    leap_test_backend_call (&f->tb, "GET", pdf_path, bob, NULL, &bob_pdf);
    g_assert_cmpuint (bob_pdf.status, ==, 404);
    leap_test_backend_call (&f->tb, "POST", refund_path, bob, "{}", &bob_refund);
    g_assert_cmpuint (bob_refund.status, ==, 403);
    leap_test_backend_call (&f->tb, "POST", refund_path, kiosk, "{}", &kiosk_refund);
    g_assert_cmpuint (kiosk_refund.status, ==, 403);
    leap_test_backend_call (&f->tb, "GET", order_path, cashier, NULL, &cashier_get);
    g_assert_cmpuint (cashier_get.status, ==, 200);
    leap_test_backend_call (&f->tb, "GET", order_path, alice, NULL, &alice_get);
    g_assert_cmpuint (alice_get.status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&alice_get),
                                                    "order_id"),
                     ==, order_id);
  }

  /* Signing out ends only the caller's own session. */
  {
    g_auto(LeapTestReply) out = { 0 };
    g_auto(LeapTestReply) after = { 0 };
    g_auto(LeapTestReply) still = { 0 };

    leap_test_backend_call (&f->tb, "DELETE", "/api/v1/sessions/current", bob, NULL, &out);
    g_assert_cmpuint (out.status / 100, ==, 2);
    leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", bob, NULL, &after);
    g_assert_cmpuint (after.status, ==, 401);
    leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", alice, NULL, &still);
    g_assert_cmpuint (still.status, ==, 200);
  }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);
  g_test_add ("/leap/authz/complete", Fixture, NULL, setup, test_complete, teardown);
  g_test_add ("/leap/authz/matrix", Fixture, NULL, setup, test_matrix, teardown);
  g_test_add ("/leap/authz/other-users-objects", Fixture, NULL, setup, test_other_users_objects,
              teardown);
  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_stop (&redis);
  return status;
}
