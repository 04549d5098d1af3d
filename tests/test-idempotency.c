/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Idempotency-Key under the failures a retry is for: a backend killed
 * while it runs a request leaves the key claimed only until its lease
 * ends, not for the day an answer is kept. */
#include "leap-test-backend.h"
#include "leap-keys.h"

#include <signal.h>
#include <sqlite3.h>
#include <string.h>

/* The lease of a claim (backend/http/leap-idempotency.c). */
#define LEASE_MS 10000

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  char           *manager;
  char           *cashier;
  gint64          event;
  gint64          tier;   /* 2500 EUR, 10 seats */
  GSubprocess    *worker;
  sqlite3        *db;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  gint64 venue;

  leap_test_backend_setup (&f->tb, 0);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->manager = leap_test_backend_login (&f->tb, "manager");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Retries\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  f->tier = leap_test_backend_create (&f->tb, f->admin, path,
                                      "{\"name\": \"Stalls\", \"price\": 2500, \"currency\": "
                                      "\"EUR\", \"capacity\": 10, \"max_per_order\": 10}");
  g_assert_cmpint (sqlite3_open_v2 (f->tb.db_path, &f->db, SQLITE_OPEN_READONLY, NULL), ==,
                   SQLITE_OK);
  sqlite3_busy_timeout (f->db, 5000);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->worker != NULL)
    {
      g_subprocess_send_signal (f->worker, SIGTERM);
      g_subprocess_wait (f->worker, NULL, NULL);
      g_clear_object (&f->worker);
    }
  sqlite3_close (f->db);
  g_free (f->admin);
  g_free (f->manager);
  g_free (f->cashier);
  leap_test_backend_teardown (&f->tb);
}

/* The Redis key of an Idempotency-Key, as leap-idempotency.c names it. */
static char *
idempotency_key (const char *token,
                 const char *key)
{
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  g_autofree char *scope = g_compute_checksum_for_string (G_CHECKSUM_SHA256, auth, -1);
  g_autofree char *key_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);

  return leap_keys_idempotency (scope, key_hash);
}

static SoupMessage *
keyed_message (LeapTestBackend *tb,
               const char      *path,
               const char      *token,
               const char      *key,
               const char      *body)
{
  g_autofree char *url = leap_test_backend_url (tb, path);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  SoupMessage *msg = soup_message_new ("POST", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  return msg;
}

/* POST with an Idempotency-Key, waiting for the answer. */
static void
keyed_post (Fixture       *f,
            const char    *path,
            const char    *token,
            const char    *key,
            const char    *body,
            LeapTestReply *reply)
{
  g_autoptr(SoupMessage) msg = keyed_message (&f->tb, path, token, key, body);

  leap_test_send (f->tb.session, msg, reply);
}

static gboolean
replayed (LeapTestReply *reply)
{
  return g_strcmp0 (soup_message_headers_get_one (reply->headers, "Idempotent-Replayed"),
                    "true") == 0;
}

static gboolean
serving (gpointer data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect_to_host (client, "127.0.0.1", GPOINTER_TO_UINT (data), NULL, NULL);

  return conn != NULL;
}

static gboolean
claimed (gpointer data)
{
  g_autofree char *value = leap_test_redis_cli (&redis, "GET", data, NULL);

  return value[0] == 'P';
}

/* A backend killed (SIGKILL) while it runs a request: its claim ends with
 * its lease, and a retry then runs the request, once. The request is held
 * inside the handler by a write lock on the database, after its claim. */
static void
test_lease_after_kill (Fixture *f, gconstpointer data)
{
  static const char body[] = "{\"name\": \"Killed Hall\"}";
  guint16 port = leap_test_free_port ();
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *redis_at = g_strdup_printf ("127.0.0.1:%u", redis.port);
  g_autofree char *db_arg = g_strconcat ("sqlite:", f->tb.db_path, NULL);
  g_autofree char *redis_key = idempotency_key (f->admin, "venue-killed-1");
  g_autofree char *pttl = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
      leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                              G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) other = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  LeapTestBackend killed = { 0 };
  sqlite3 *lock = NULL;
  gint64 started;

  other = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--listen",
                                       listen, "--redis", redis_at, "--database", db_arg, NULL);
  g_assert_no_error (error);
  g_assert_true (leap_test_wait_until (serving, GUINT_TO_POINTER (port), 20000));

  g_assert_cmpint (sqlite3_open (f->tb.db_path, &lock), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  {
    g_autoptr(SoupMessage) msg = NULL;

    killed.base = g_strdup_printf ("http://127.0.0.1:%u", port);
    msg = keyed_message (&killed, "/api/v1/venues", f->admin, "venue-killed-1", body);
    soup_session_send_and_read_async (f->tb.session, msg, G_PRIORITY_DEFAULT, cancellable, NULL,
                                      NULL);
    g_assert_true (leap_test_wait_until (claimed, redis_key, 4000));
  }
  g_subprocess_force_exit (other);
  g_subprocess_wait (other, NULL, NULL);
  g_cancellable_cancel (cancellable);
  g_assert_cmpint (sqlite3_exec (lock, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (lock);
  g_free (killed.base);

  /* Claimed for a lease, not for the day an answer is kept. */
  pttl = leap_test_redis_cli (&redis, "PTTL", redis_key, NULL);
  g_assert_cmpint (g_ascii_strtoll (pttl, NULL, 10), >, 0);
  g_assert_cmpint (g_ascii_strtoll (pttl, NULL, 10), <=, LEASE_MS);

  /* The retry waits for the lease to end, then runs. */
  started = g_get_monotonic_time ();
  keyed_post (f, "/api/v1/venues", f->admin, "venue-killed-1", body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  g_assert_false (replayed (&reply));
  g_assert_cmpint (g_get_monotonic_time () - started, <, (LEASE_MS + 5000) * 1000);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM venues WHERE name = "
                                            "'Killed Hall'"),
                   ==, 1);

  /* And its answer is kept for the next retry. */
  keyed_post (f, "/api/v1/venues", f->admin, "venue-killed-1", body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  g_assert_true (replayed (&reply));
}

int
main (int   argc,
      char *argv[])
{
  int result;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

  g_test_add ("/leap/idempotency/lease-after-kill", Fixture, NULL, setup, test_lease_after_kill,
              teardown);

  result = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return result;
}
