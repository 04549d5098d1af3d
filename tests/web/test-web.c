/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The web shop in a real browser: Redis, a backend serving the shop
 * (--web-root, the shop as built in _build/web/shop), a worker, and
 * headless Chromium driven by shop-test.py, one scenario a test. What the
 * browser saw is then checked on the server. */
#include "leap-test-backend.h"

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  GSubprocess    *worker;
  char           *admin;
  char           *tmp;
  gint64          event;
  gint64          tier;
} Fixture;

typedef struct
{
  guint        hold_ttl_s;
  guint        capacity;
  const char  *decline_rate; /* of the worker's simulated card terminal */
} Scenario;

static const Scenario purchase_scenario = { 600, 10, "0" };
static const Scenario sold_out_scenario = { 600, 2, "0" };
/* Long enough for a loaded machine to show the cart, short enough to wait for. */
static const Scenario expired_scenario = { 20, 3, "0" };
static const Scenario declined_scenario = { 600, 3, "1" };

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  const Scenario *scenario = data;
  g_autofree char *root = g_build_filename (g_getenv ("LEAP_BUILD_ROOT"), "web", "shop", NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) later = g_date_time_add_days (now, 30);
  g_autofree char *starts = g_date_time_format_iso8601 (later);
  g_autofree char *body = NULL;
  gint64 venue;

  g_assert_true (g_file_test (root, G_FILE_TEST_IS_DIR));
  leap_test_backend_set_hold_ttl (scenario->hold_ttl_s);
  leap_test_backend_set_web_root (root);
  leap_test_backend_setup (&f->tb, 0);
  leap_test_backend_set_web_root (NULL);
  leap_test_backend_set_hold_ttl (600);
  f->tmp = leap_test_make_tmpdir ();
  f->admin = leap_test_backend_login (&f->tb, "admin");

  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues",
                                    "{\"name\": \"Leap Theatre\", \"city\": \"Berlin\", "
                                    "\"country\": \"DE\", \"timezone\": \"Europe/Berlin\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Hamlet\", "
                          "\"description\": \"Shakespeare's tragedy.\", \"starts_at\": \"%s\"}",
                          venue, starts);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  g_clear_pointer (&body, g_free);
  body = g_strdup_printf ("{\"name\": \"Stalls\", \"price\": 4500, \"currency\": \"EUR\", "
                          "\"capacity\": %u, \"max_per_order\": 4}", scenario->capacity);
  {
    g_autofree char *path =
      g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);

    f->tier = leap_test_backend_create (&f->tb, f->admin, path, body);
  }
  f->worker = leap_test_backend_spawn_worker (&f->tb, "web", FALSE, "--card-decline-rate",
                                              scenario->decline_rate, NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  leap_test_stop_process (&f->worker, SIGTERM);
  leap_test_backend_teardown (&f->tb);
  leap_test_rmdir (f->tmp);
  g_clear_pointer (&f->tmp, g_free);
  g_clear_pointer (&f->admin, g_free);
}

typedef struct
{
  gboolean done;
  char    *out;
  char    *err;
  GError  *error;
} Run;

static void
communicated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err,
                                        &run->error);
  run->done = TRUE;
}

static gboolean
run_done (gpointer data)
{
  return ((Run *) data)->done;
}

/* Runs shop-test.py's @scenario while the backend answers on this
 * thread's main loop; its RESULT lines. */
static char *
browse (Fixture    *f,
        const char *scenario)
{
  g_autofree char *script = g_build_filename (g_getenv ("LEAP_SOURCE_ROOT"), "tests", "web",
                                              "shop-test.py", NULL);
  g_autofree char *axe = g_build_filename (g_getenv ("LEAP_SOURCE_ROOT"), "tests", "web",
                                           "node_modules", "axe-core", "axe.min.js", NULL);
  g_autofree char *event = g_strdup_printf ("%" G_GINT64_FORMAT, f->event);
  g_autofree char *tier = g_strdup_printf ("%" G_GINT64_FORMAT, f->tier);
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *shots = g_getenv ("LEAP_WEB_SCREENSHOTS");
  Run run = { 0 };

  /* CI installs these (tools/deps.sh): missing, the test fails, it does not skip.
   * Debian's python3, whose python3-selenium this is, whatever python3 is first on PATH. */
  if (!g_file_test ("/usr/bin/chromium", G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test ("/usr/bin/chromedriver", G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (axe, G_FILE_TEST_EXISTS))
    g_error ("chromium, chromium-driver or axe-core is missing: run sh tools/deps.sh");

  process = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", script, f->tb.base,
                                         scenario, event, tier, axe, f->tmp, shots, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, &run);
  g_assert_true (leap_test_wait_until (run_done, &run, 240000));
  g_assert_no_error (run.error);
  g_test_message ("%s%s", run.out, run.err);
  if (!g_subprocess_get_successful (process))
    g_error ("shop-test.py %s failed:\n%s%s", scenario, run.out, run.err);
  g_free (run.err);
  return run.out;
}

/* The rest of the line "RESULT @name[ rest]" of @out. */
static const char *
result (const char *out,
        const char *name)
{
  g_autofree char *prefix = g_strconcat ("\nRESULT ", name, NULL);
  g_autofree char *text = g_strconcat ("\n", out, NULL);

  for (const char *p = strstr (text, prefix); p != NULL; p = strstr (p + 1, prefix))
    {
      const char *end = p + strlen (prefix);

      if (*end == ' ' || *end == '\n')
        return out + (end - text) - 1 + (*end == ' ');
    }
  g_error ("no “RESULT %s” in\n%s", name, out);
}

static gint64
available (Fixture *f)
{
  g_autofree char *path =
    g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability", f->event);
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *tier;

  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  tier = json_array_get_object_element (
    json_object_get_array_member (leap_test_reply_object (&reply), "tiers"), 0);
  return json_object_get_int_member (tier, "available");
}

/* Every page the purchase reaches passes axe-core, and the order the
 * browser showed as paid is paid, with its two tickets and its buyer. */
static void
test_purchase (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *out = browse (f, "purchase");
  g_auto(GStrv) line = g_strsplit (result (out, "order"), "\n", 2);
  g_autofree char *path = g_strconcat ("/api/v1/orders/", line[0], NULL);
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *order;
  JsonObject *customer;

  for (guint i = 0; i < 4; i++)
    result (out, (const char *[]) { "axe-clean events", "axe-clean event", "axe-clean cart",
                                    "axe-clean order" }[i]);
  leap_test_backend_call (&f->tb, "GET", path, f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  order = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  g_assert_cmpint (json_object_get_int_member (order, "total"), ==, 9000);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (order, "tickets")), ==,
                    2);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (order, "payment"), "method"), ==, "card");
  customer = json_object_get_object_member (order, "customer");
  g_assert_cmpstr (json_object_get_string_member (customer, "name"), ==, "Ada Lovelace");
  g_assert_cmpstr (json_object_get_string_member (customer, "email"), ==, "ada@example.org");
  g_assert_cmpint (available (f), ==, 8);
}

/* The browser's hold of two, asked after another buyer took one of two,
 * was refused and held nothing: only the other buyer's two are gone. */
static void
test_sold_out (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *out = browse (f, "sold-out");

  result (out, "sold-out");
  result (out, "axe-clean sold out");
  result (out, "axe-clean sold-out tier");
  g_assert_cmpint (available (f), ==, 0);
  g_assert_cmpint (leap_test_redis_hget (f->tb.redis, f->event, "held", f->tier), ==, 2);
}

/* The hold the browser left to run out is expired on the server, and its
 * ticket is on sale again. */
static void
test_expired (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *out = browse (f, "expired");
  g_auto(GStrv) line = g_strsplit (result (out, "hold"), "\n", 2);
  g_autofree char *path = g_strconcat ("/api/v1/holds/", line[0], NULL);
  g_auto(LeapTestReply) reply = { 0 };

  result (out, "axe-clean expired hold");
  g_assert_cmpint (available (f), ==, 3);
  /* Only its own session sees a hold: the browser's is not the admin's. */
  leap_test_backend_call (&f->tb, "GET", path, f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
}

/* A card the terminal declines: the page says so, the order failed and
 * its tickets are on sale again. */
static void
test_declined (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *out = browse (f, "declined");
  g_auto(GStrv) line = g_strsplit (result (out, "hold"), "\n", 2);
  g_autofree char *path = g_strconcat ("/api/v1/orders/o-", line[0], NULL);
  g_auto(LeapTestReply) reply = { 0 };

  result (out, "axe-clean declined");
  leap_test_backend_call (&f->tb, "GET", path, f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "status"), ==,
                   "failed");
  g_assert_cmpint (available (f), ==, 3);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

  g_test_add ("/leap/web/purchase", Fixture, &purchase_scenario, setup, test_purchase, teardown);
  g_test_add ("/leap/web/sold-out", Fixture, &sold_out_scenario, setup, test_sold_out, teardown);
  g_test_add ("/leap/web/expired", Fixture, &expired_scenario, setup, test_expired, teardown);
  g_test_add ("/leap/web/declined", Fixture, &declined_scenario, setup, test_declined, teardown);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
