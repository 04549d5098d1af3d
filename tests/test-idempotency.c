/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Idempotency-Key under the failures a retry is for: a client that closes
 * its socket while its request waits (held with CLIENT PAUSE WRITE) still
 * leaves its answer for the retry, so a hold is made once, a partial refund
 * paid once and a check-in answered as the first time; and a backend
 * killed while it runs a request leaves the key claimed only until its
 * lease ends, not for the day an answer is kept. */
#include "leap-test-backend.h"
#include "leap-keys.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
  LeapTestDb     *db;
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
  f->db = leap_test_db_open (f->tb.db_url);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  leap_test_stop_process (&f->worker, SIGTERM);
  leap_test_db_close (f->db);
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

/* A client of Redis waits in CLIENT PAUSE with this command. */
static gboolean
redis_holds_command (gpointer data)
{
  g_autofree char *clients = leap_test_redis_cli (&redis, "CLIENT", "LIST", NULL);
  g_autofree char *wanted = g_strdup_printf (" cmd=%s ", (const char *) data);
  g_auto(GStrv) lines = g_strsplit (clients, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], " flags=b ") != NULL && strstr (lines[i], wanted) != NULL)
      return TRUE;
  return FALSE;
}

typedef struct
{
  const char  *redis_key;
  GSourceFunc  done;    /* what the request does, seen from outside */
  Fixture     *f;
} Settled;

/* The request did its work and its claim is settled: no longer "P…". */
static gboolean
settled (gpointer data)
{
  Settled *s = data;
  g_autofree char *value = NULL;

  if (!s->done (s->f))
    return FALSE;
  value = leap_test_redis_cli (&redis, "GET", s->redis_key, NULL);
  return value[0] != 'P';
}

/* Sends a POST on a socket of its own while Redis holds writes, so that
 * the request waits for its Idempotency-Key claim; closes the socket, as
 * a client that gave up, and lets Redis go on. Returns once the request
 * has done its work (@done) and its claim is settled. */
static void
post_and_vanish (Fixture    *f,
                 const char *path,
                 const char *token,
                 const char *key,
                 const char *body,
                 GSourceFunc done)
{
  g_autofree char *request = g_strdup_printf ("POST %s HTTP/1.1\r\n"
                                              "Host: 127.0.0.1\r\n"
                                              "Authorization: Bearer %s\r\n"
                                              "Idempotency-Key: %s\r\n"
                                              "Content-Type: application/json\r\n"
                                              "Content-Length: %zu\r\n"
                                              "\r\n%s",
                                              path, token, key, strlen (body), body);
  g_autofree char *paused = leap_test_redis_cli (&redis, "CLIENT", "PAUSE", "20000", "WRITE",
                                                 NULL);
  g_autofree char *unpaused = NULL;
  g_autofree char *redis_key = idempotency_key (token, key);
  Settled s = { redis_key, done, f };
  int fd;

  g_assert_cmpstr (paused, ==, "OK");
  fd = leap_test_connect (leap_backend_get_port (f->tb.backend));
  g_assert_cmpint (send (fd, request, strlen (request), MSG_NOSIGNAL), ==, strlen (request));
  /* The backend took the request and waits for Redis to take its claim. */
  g_assert_true (leap_test_wait_until (redis_holds_command, (gpointer) "set", 10000));
  g_assert_cmpint (shutdown (fd, SHUT_RDWR), ==, 0);
  close (fd);
  unpaused = leap_test_redis_cli (&redis, "CLIENT", "UNPAUSE", NULL);
  g_assert_cmpstr (unpaused, ==, "OK");
  g_assert_true (leap_test_wait_until (settled, &s, 10000));
}

static gint64
available (Fixture *f)
{
  return leap_test_redis_hget (f->tb.redis, f->event, "avail", f->tier);
}

static gboolean
two_held (gpointer data)
{
  return available (data) == 8;
}

/* POST /holds whose client left: the retry, which arrives while the first
 * still waits, gets the first hold, and only one is made. */
static void
test_hold_client_gone (Fixture *f, gconstpointer data)
{
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": 2}]}",
                                           f->event, f->tier);
  g_autofree char *holds = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:holds", f->event);
  g_autofree char *count = NULL;
  g_auto(LeapTestReply) reply = { 0 };

  post_and_vanish (f, "/api/v1/holds", f->cashier, "hold-gone-1", body, two_held);
  keyed_post (f, "/api/v1/holds", f->cashier, "hold-gone-1", body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  g_assert_true (replayed (&reply));
  g_assert_nonnull (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
  g_assert_cmpint (available (f), ==, 8);
  count = leap_test_redis_cli (&redis, "ZCARD", holds, NULL);
  g_assert_cmpstr (count, ==, "1");
}

/* An order of @quantity tickets, paid in cash by the real leap-worker. */
static char *
paid_order (Fixture *f,
            guint    quantity)
{
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": %u}]}",
                                           f->event, f->tier, quantity);
  g_auto(LeapTestReply) reply = { 0 };
  char *order_id;

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  order_id = leap_test_backend_order (&f->tb, f->cashier,
                                      json_object_get_string_member (
                                          leap_test_reply_object (&reply), "hold_id"),
                                      "{\"method\": \"cash\", \"tendered\": 100000}");
  f->worker = leap_test_backend_spawn_worker (&f->tb, "idempotency", FALSE, NULL);
  leap_test_wait_db (f->db, 1, 15000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'paid'", order_id);
  return order_id;
}

static gboolean
one_refund (gpointer data)
{
  Fixture *f = data;

  return leap_test_db_int (f->db, "SELECT count(*) FROM refunds") == 1;
}

/* A partial refund whose client left: the retry gets the first answer and
 * nothing is paid back twice. */
static void
test_refund_client_gone (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 3);
  g_autofree char *path = g_strconcat ("/api/v1/orders/", order_id, "/refund", NULL);
  g_autofree char *one = g_strdup_printf ("{\"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                                          ", \"quantity\": 1}]}",
                                          f->tier);
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *order;

  post_and_vanish (f, path, f->manager, "refund-gone-1", one, one_refund);
  keyed_post (f, path, f->manager, "refund-gone-1", one, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_true (replayed (&reply));
  order = leap_test_reply_object (&reply);
  g_assert_cmpint (json_object_get_int_member (order, "refunded_amount"), ==, 2500);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM refunds"), ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM payments WHERE status = 'refunded'"),
                   ==, 1);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE status = 'voided'"),
                   ==, 1);
}

static gboolean
one_checked_in (gpointer data)
{
  Fixture *f = data;

  return leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE checked_in_at IS NOT NULL")
         == 1;
}

/* A check-in whose scanner left: its retry is admitted, as the first
 * answer said, not already_checked_in. */
static void
test_checkin_client_gone (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = paid_order (f, 1);
  g_autofree char *path = g_strconcat ("/api/v1/orders/", order_id, NULL);
  g_autofree char *body = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  JsonArray *tickets;

  leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  tickets = json_object_get_array_member (leap_test_reply_object (&reply), "tickets");
  body = g_strdup_printf ("{\"code\": \"%s\"}",
                          json_object_get_string_member (
                              json_array_get_object_element (tickets, 0), "code"));

  post_and_vanish (f, "/api/v1/checkins", f->cashier, "checkin-gone-1", body, one_checked_in);
  keyed_post (f, "/api/v1/checkins", f->cashier, "checkin-gone-1", body, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_true (replayed (&reply));

  /* Without the key it is a second scan. */
  leap_test_backend_call (&f->tb, "POST", "/api/v1/checkins", f->cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "already_checked_in");
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
  g_autoptr(LeapTestDb) lock = leap_test_db_open (f->tb.db_url);
  gint64 started;

  other = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--listen",
                                       listen, "--redis", redis_at, "--database", f->tb.db_url,
                                       "--ticket-key", f->tb.ticket_key, "--session-key",
                                       f->tb.session_key, NULL);
  g_assert_no_error (error);
  g_assert_true (leap_test_wait_until (serving, GUINT_TO_POINTER (port), 20000));

  leap_test_db_lock (lock, "venues");
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
  leap_test_db_unlock (lock);
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

  g_test_add ("/leap/idempotency/hold-client-gone", Fixture, NULL, setup,
              test_hold_client_gone, teardown);
  g_test_add ("/leap/idempotency/refund-client-gone", Fixture, NULL, setup,
              test_refund_client_gone, teardown);
  g_test_add ("/leap/idempotency/checkin-client-gone", Fixture, NULL, setup,
              test_checkin_client_gone, teardown);
  g_test_add ("/leap/idempotency/lease-after-kill", Fixture, NULL, setup, test_lease_after_kill,
              teardown);

  result = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return result;
}
