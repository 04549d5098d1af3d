/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Backups a venue can trust (issue 17): taken while the backend sells, a
 * backup restored into a new backend finds every order that was paid
 * before it, with its tickets, and adds up. */
#include "leap-test-backend.h"

#include <glib/gstdio.h>
#include <signal.h>

static LeapTestRedis redis;

#define N_ORDERS 12

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  char           *cashier;
  gint64          event;
  gint64          tier;
  GSubprocess    *worker;
  LeapTestDb     *db;
  GPtrArray      *paid;      /* order ids, paid before the backup */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  gint64 venue;

  leap_test_backend_setup (&f->tb, 0);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Backed up\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  f->tier = leap_test_backend_create (&f->tb, f->admin, path,
                                      "{\"name\": \"Stalls\", \"price\": 2500, \"currency\": "
                                      "\"EUR\", \"capacity\": 200, \"max_per_order\": 10}");
  f->db = leap_test_db_open (f->tb.db_url);
  f->paid = g_ptr_array_new_with_free_func (g_free);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  leap_test_stop_process (&f->worker, SIGTERM);
  g_ptr_array_unref (f->paid);
  leap_test_db_close (f->db);
  g_free (f->admin);
  g_free (f->cashier);
  leap_test_backend_teardown (&f->tb);
}

/* An order of @quantity Stalls for cash, placed; returns its id. */
static char *
place (Fixture *f,
       guint    quantity)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": %u}]}",
                                           f->event, f->tier, quantity);

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  return leap_test_backend_order (&f->tb, f->cashier,
                                  json_object_get_string_member (leap_test_reply_object (&reply),
                                                                 "hold_id"),
                                  "{\"method\": \"cash\", \"tendered\": 100000}");
}

/* leap-backend --backup, a process of its own beside the running backend. */
static char *
back_up (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->tb.dir, "backup.db", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--database",
                                   f->tb.db_url, "--backup", path, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  if (g_subprocess_get_exit_status (p) != 0)
    g_error ("leap-backend --backup failed: %s", out);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  return g_strconcat ("sqlite:", path, NULL);
}

typedef struct
{
  GSubprocess *process;
  SoupSession *session;
  char        *base;
  char        *token;
} Restored;

/* A new backend on the restored database, signed in as the admin (whose
 * account is in the backup too). */
static void
restored_start (Restored   *r,
                Fixture    *f,
                const char *url)
{
  guint16 port = leap_test_free_port ();
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *redis_arg = g_strdup_printf ("127.0.0.1:%u", redis.port);
  g_autoptr(GSubprocessLauncher) launcher = leap_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *sessions = NULL;

  r->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"),
                                            "--listen", listen, "--redis", redis_arg,
                                            "--database", url, "--ticket-key", f->tb.ticket_key,
                                            "--session-key", f->tb.session_key,
                                            "--reconcile-interval", "0", NULL);
  g_assert_no_error (error);
  g_assert_true (leap_test_wait_until (leap_test_serving, GUINT_TO_POINTER (port), 20000));
  r->session = soup_session_new_with_options ("timeout", 30, NULL);
  r->base = g_strdup_printf ("http://127.0.0.1:%u", port);
  sessions = g_strconcat (r->base, "/api/v1/sessions", NULL);
  leap_test_http (r->session, "POST", sessions, NULL,
                  "{\"username\": \"admin\", \"password\": \"admin-password\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  r->token = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
}

static void
restored_stop (Restored *r)
{
  g_subprocess_send_signal (r->process, SIGTERM);
  g_subprocess_wait (r->process, NULL, NULL);
  g_clear_object (&r->process);
  g_clear_object (&r->session);
  g_clear_pointer (&r->base, g_free);
  g_clear_pointer (&r->token, g_free);
}

/* The order as the restored backend serves it: paid, with its tickets. */
static void
assert_restored_order (Restored   *r,
                       const char *order_id,
                       guint       tickets)
{
  g_autofree char *url = g_strconcat (r->base, "/api/v1/orders/", order_id, NULL);
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *order;

  leap_test_http (r->session, "GET", url, r->token, NULL, &reply);
  if (reply.status != 200)
    g_error ("GET /orders/%s from the restored backend: %u %s", order_id, reply.status,
             reply.body);
  order = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (order, "tickets")), ==,
                    tickets);
}

/* Orders paid, the backup taken while the worker goes on paying more, then
 * restored: every order paid before the backup is there, with its
 * tickets, and the copy adds up (sold = tickets of paid orders). */
static void
test_restore (Fixture *f, gconstpointer data)
{
  g_autofree char *backup = NULL;
  g_autoptr(LeapTestDb) copy = NULL;
  Restored restored = { 0 };

  f->worker = leap_test_backend_spawn_worker (&f->tb, "backup", FALSE, NULL);
  for (guint i = 0; i < N_ORDERS; i++)
    g_ptr_array_add (f->paid, place (f, 1 + i % 3));
  leap_test_wait_db (f->db, N_ORDERS, 20000, "SELECT count(*) FROM orders WHERE status = 'paid'");

  /* More sales while the backup runs. */
  for (guint i = 0; i < 4; i++)
    g_free (place (f, 1));
  backup = back_up (f);

  copy = leap_test_db_open (backup);
  g_assert_cmpint (leap_test_db_int (copy, "SELECT count(*) FROM orders WHERE status = 'paid'"),
                   >=, N_ORDERS);
  g_assert_cmpint (leap_test_db_int (copy, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                     f->tier),
                   ==, leap_test_db_int (copy, "SELECT count(*) FROM tickets t JOIN orders o "
                                               "ON o.id = t.order_id WHERE o.status = 'paid'"));
  g_clear_pointer (&copy, leap_test_db_close);

  restored_start (&restored, f, backup);
  for (guint i = 0; i < f->paid->len; i++)
    assert_restored_order (&restored, g_ptr_array_index (f->paid, i), 1 + i % 3);
  restored_stop (&restored);
}

/* A backup of a database that is not there makes none, and says so. */
static void
test_missing_database (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (f->tb.dir, "missing.db", NULL);
  g_autofree char *url = g_strconcat ("sqlite:", missing, NULL);
  g_autofree char *path = g_build_filename (f->tb.dir, "never.db", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--database", url,
                                   "--backup", path, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 1);
  g_assert_nonnull (strstr (out, "no database"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);
  g_test_add ("/leap/backup/restore", Fixture, NULL, setup, test_restore, teardown);
  g_test_add ("/leap/backup/missing-database", Fixture, NULL, setup, test_missing_database,
              teardown);
  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
