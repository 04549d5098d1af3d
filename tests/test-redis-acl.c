/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The shipped Redis set-up (data/redis/): redis-server runs with
 * leap-redis.conf and a user file made by leap-redis-acl.sh, as a deployment
 * would. The backend and the real leap-worker sign in as the user "leap"
 * (LEAP_REDIS_USER, LEAP_REDIS_PASSWORD_FILE) and run the core flows — sign
 * in, catalogue, live WebSocket, holds, a guest hold, card and cash orders,
 * check-in — with no refusal in Redis' ACL LOG; the same user cannot
 * run what the backend never needs (FLUSHALL, CONFIG, KEYS, scripts that
 * reach past leap:*), and a wrong password keeps the backend out. */
#include "leap-test-backend.h"
#include "leap-redis.h"

#include <signal.h>
#include <string.h>

static LeapTestRedis redis;
static char *leap_password_file;
static char *leap_password;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  char           *cashier;
  gint64          event;
  gint64          tier;
  GSubprocess    *worker;
} Fixture;

/* redis-cli as the user "leap"; stderr with stdout. */
static char *
cli_as_leap (const char *first_arg,
             ...) G_GNUC_NULL_TERMINATED;

static char *
cli_as_leap (const char *first_arg,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = leap_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) cli = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  va_list args;

  g_ptr_array_add (argv, g_strdup ("redis-cli"));
  g_ptr_array_add (argv, g_strdup ("-p"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", redis.port));
  g_ptr_array_add (argv, g_strdup ("--user"));
  g_ptr_array_add (argv, g_strdup ("leap"));
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  /* The password through the environment, not the command line. */
  g_subprocess_launcher_setenv (launcher, "REDISCLI_AUTH", leap_password, TRUE);
  cli = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (cli, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_strchomp (out);
  return g_steal_pointer (&out);
}

static gboolean
redis_answers (gpointer data)
{
  g_autofree char *pong = leap_test_redis_cli (&redis, "PING", NULL);
  return g_strcmp0 (pong, "PONG") == 0;
}

static void
start_redis (void)
{
  g_autofree char *source = g_strdup (g_getenv ("LEAP_SOURCE_ROOT"));
  g_autofree char *conf = g_build_filename (source, "data", "redis", "leap-redis.conf", NULL);
  g_autofree char *script = g_build_filename (source, "data", "redis", "leap-redis-acl.sh", NULL);
  g_autofree char *template = g_build_filename (source, "data", "redis", "leap-redis-users.acl.in",
                                                NULL);
  g_autofree char *acl = NULL, *secrets = NULL, *port = NULL, *admin_file = NULL, *admin = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GSubprocess) maker = NULL;
  g_autoptr(GError) error = NULL;

  redis.dir = leap_test_make_tmpdir ();
  redis.port = leap_test_free_port ();
  acl = g_build_filename (redis.dir, "leap-users.acl", NULL);
  secrets = g_build_filename (redis.dir, "secrets", NULL);

  /* The user file as an operator makes it. */
  maker = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sh", script, template, acl, secrets,
                            NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (maker, NULL, &error));
  g_assert_no_error (error);

  leap_password_file = g_build_filename (secrets, "redis-password", NULL);
  g_assert_true (g_file_get_contents (leap_password_file, &leap_password, NULL, NULL));
  g_assert_cmpuint (strlen (leap_password), ==, 64);
  admin_file = g_build_filename (secrets, "redis-default-password", NULL);
  g_assert_true (g_file_get_contents (admin_file, &admin, NULL, NULL));
  /* leap_test_redis_cli () is the operator: the default user. */
  g_setenv ("REDISCLI_AUTH", admin, TRUE);

  /* The shipped file, with only what a test must change: port and folder. */
  port = g_strdup_printf ("%u", redis.port);
  redis.process = g_subprocess_launcher_spawn (launcher, &error, "redis-server", conf,
                                               "--port", port, "--dir", redis.dir, "--aclfile", acl,
                                               "--save", "", "--daemonize", "no", NULL);
  g_assert_no_error (error);
  if (!leap_test_wait_until (redis_answers, NULL, 10000))
    g_error ("redis-server did not start with data/redis/leap-redis.conf");
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL, *path = NULL;
  gint64 venue;

  leap_test_backend_setup (&f->tb, 0);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"ACL night\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  f->tier =
      leap_test_backend_create (&f->tb, f->admin, path,
                                "{\"name\": \"Stalls\", \"price\": 2500, \"currency\": \"EUR\", "
                                "\"capacity\": 50, \"max_per_order\": 10}");
}

static void
teardown (Fixture *f, gconstpointer data)
{
  leap_test_stop_process (&f->worker, SIGTERM);
  g_free (f->admin);
  g_free (f->cashier);
  leap_test_backend_teardown (&f->tb);
}

/* The real leap-worker, which inherits LEAP_REDIS_USER and the password file. */
static void
start_worker (Fixture *f)
{
  f->worker = leap_test_backend_spawn_worker (&f->tb, "acl", FALSE, NULL);
}

static char *
hold (Fixture    *f,
      const char *token,
      guint       quantity)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": %u}]}",
                                           f->event, f->tier, quantity);

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", token, body, &reply);
  if (reply.status != 201)
    g_error ("POST /holds: %u %s", reply.status, reply.body);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
}

static char *
place (Fixture    *f,
       const char *token,
       const char *hold_id,
       const char *payment)
{
  return leap_test_backend_order (&f->tb, token, hold_id, payment);
}

typedef struct
{
  Fixture    *f;
  const char *token;
  const char *order_id;
  JsonObject *order;
  gint64      next_check;
} PaidWait;

static gboolean
order_paid (gpointer data)
{
  PaidWait *w = data;
  g_autofree char *path = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *order;

  if (g_get_monotonic_time () < w->next_check)
    return FALSE;
  w->next_check = g_get_monotonic_time () + 20 * G_TIME_SPAN_MILLISECOND;
  path = g_strconcat ("/api/v1/orders/", w->order_id, NULL);
  leap_test_backend_call (&w->f->tb, "GET", path, w->token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  order = leap_test_reply_object (&reply);
  if (g_strcmp0 (json_object_get_string_member (order, "status"), "paid") != 0)
    return FALSE;
  w->order = json_object_ref (order);
  return TRUE;
}

static JsonObject *
wait_paid (Fixture    *f,
           const char *token,
           const char *order_id)
{
  PaidWait w = { f, token, order_id, NULL, 0 };

  if (!leap_test_wait_until (order_paid, &w, 15000))
    g_error ("Order %s was not paid in time", order_id);
  return w.order;
}

typedef struct
{
  SoupWebsocketConnection *conn;
  GError                  *error;
  guint                    messages;
} Live;

static void
live_message_cb (SoupWebsocketConnection *conn,
                 gint                     type,
                 GBytes                  *message,
                 Live                    *live)
{
  live->messages++;
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
live_has_messages (gpointer data)
{
  Live *live = data;
  return live->messages >= 2; /* the snapshot, then a change published by a script */
}

static gboolean
acl_log_empty (void)
{
  g_autofree char *log = leap_test_redis_cli (&redis, "ACL", "LOG", NULL);

  if (log[0] != '\0')
    g_test_message ("ACL LOG: %s", log);
  return log[0] == '\0';
}

/* Every command, key and channel the flows need is allowed to "leap". */
static void
test_flows (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/api/v1/live",
                                          leap_backend_get_port (f->tb.backend));
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autofree char *subscribe = g_strdup_printf ("{\"subscribe\": [%" G_GINT64_FORMAT "]}",
                                                f->event);
  g_autofree char *path = NULL, *clients = NULL, *guest = NULL;
  g_autofree char *released = NULL, *card_hold = NULL, *cash_hold = NULL, *guest_hold = NULL;
  g_autofree char *card = NULL, *cash = NULL;
  g_autoptr(JsonObject) paid = NULL;
  g_autoptr(JsonObject) paid_cash = NULL;
  Live live = { NULL, NULL, 0 };
  JsonArray *tickets;
  g_autofree char *reset = leap_test_redis_cli (&redis, "ACL", "LOG", "RESET", NULL);

  g_assert_cmpstr (reset, ==, "OK");
  /* The backend's connections are the user "leap". */
  clients = leap_test_redis_cli (&redis, "CLIENT", "LIST", NULL);
  g_assert_nonnull (strstr (clients, "user=leap"));

  start_worker (f);

  /* Live availability: PSUBSCRIBE leap:avail:*, then PUBLISH from a script. */
  soup_session_websocket_connect_async (f->tb.session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        live_connected_cb, &live);
  g_assert_true (leap_test_wait_until (live_ready, &live, 10000));
  g_assert_no_error (live.error);
  soup_websocket_connection_send_text (live.conn, subscribe);

  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability", f->event);
  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  leap_test_reply_clear (&reply);

  /* A hold, released. */
  released = hold (f, f->cashier, 2);
  g_free (path);
  path = g_strconcat ("/api/v1/holds/", released, NULL);
  leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "DELETE", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);
  leap_test_reply_clear (&reply);
  g_assert_true (leap_test_wait_until (live_has_messages, &live, 10000));

  /* A guest's hold (its own counter of live holds). */
  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  guest = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
  leap_test_reply_clear (&reply);
  guest_hold = hold (f, guest, 1);

  /* Orders through the checkout stream and the worker. */
  card_hold = hold (f, f->cashier, 2);
  card = place (f, f->cashier, card_hold, "{\"method\": \"card\"}");
  paid = wait_paid (f, f->cashier, card);
  cash_hold = hold (f, f->cashier, 1);
  cash = place (f, f->cashier, cash_hold, "{\"method\": \"cash\", \"tendered\": 5000}");
  paid_cash = wait_paid (f, f->cashier, cash);

  /* Check-in of the first ticket. */
  tickets = json_object_get_array_member (paid, "tickets");
  if (tickets != NULL && json_array_get_length (tickets) > 0)
    {
      const char *code = json_object_get_string_member (json_array_get_object_element (tickets, 0),
                                                        "code");
      g_autofree char *body = g_strdup_printf ("{\"code\": \"%s\"}", code);

      leap_test_backend_call (&f->tb, "POST", "/api/v1/checkins", f->cashier, body, &reply);
      g_assert_cmpuint (reply.status, ==, 200);
      leap_test_reply_clear (&reply);
    }

  /* Nothing was refused on the way. */
  g_assert_true (acl_log_empty ());

  soup_websocket_connection_close (live.conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&live.conn);
}

/* What the backend never sends is refused to its user, scripts included. */
static void
test_confined (void)
{
  static const char * const refused[][6] = {
    { "FLUSHALL", NULL },
    { "FLUSHDB", NULL },
    { "CONFIG", "GET", "dir", NULL },
    { "CONFIG", "SET", "dir", "/tmp", NULL },
    { "KEYS", "leap:*", NULL },
    { "SCRIPT", "FLUSH", NULL },
    { "ACL", "LIST", NULL },
    { "SHUTDOWN", NULL },
    { "CLIENT", "LIST", NULL },
    { "DEBUG", "SLEEP", "0", NULL },
    { "GET", "someone-else:key", NULL },
    { "SET", "config", "x", NULL },
    { "PUBLISH", "other-channel", "x", NULL },
    { "EVAL", "return redis.call('FLUSHALL')", "0", NULL },
    { "EVAL", "return redis.call('GET', 'someone-else:key')", "0", NULL },
  };
  g_autofree char *ok = NULL, *got = NULL, *anonymous = NULL;
  g_autoptr(GSubprocessLauncher) launcher = leap_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *port = g_strdup_printf ("%u", redis.port);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      const char * const *a = refused[i];
      g_autofree char *out = cli_as_leap (a[0], a[1], a[2], a[3], a[4], NULL);

      g_test_message ("%s %s: %s", a[0], a[1] ? a[1] : "", out);
      /* NOPERM from a command, "can't" from a script, "not allowed" from DEBUG. */
      g_assert_true (strstr (out, "NOPERM") != NULL || strstr (out, "can't") != NULL ||
                     strstr (out, "not allowed") != NULL);
    }

  /* Its own keys it may use. */
  ok = cli_as_leap ("SET", "leap:acl-test", "1", NULL);
  g_assert_cmpstr (ok, ==, "OK");
  got = cli_as_leap ("GET", "leap:acl-test", NULL);
  g_assert_cmpstr (got, ==, "1");

  /* Without a name and password, nothing. */
  g_subprocess_launcher_unsetenv (launcher, "REDISCLI_AUTH");
  cli = g_subprocess_launcher_spawn (launcher, NULL, "redis-cli", "-p", port, "GET",
                                     "leap:acl-test", NULL);
  g_assert_nonnull (cli);
  g_subprocess_communicate_utf8 (cli, NULL, NULL, &anonymous, NULL, NULL);
  g_assert_nonnull (strstr (anonymous, "NOAUTH"));
}

/* The settings that keep inventory safe are the ones Redis runs with. */
static void
test_config (void)
{
  static const char * const expected[][2] = {
    { "protected-mode", "yes" },
    { "appendonly", "yes" },
    { "appendfsync", "everysec" },
    { "maxmemory-policy", "noeviction" },
    { "enable-debug-command", "no" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *out = leap_test_redis_cli (&redis, "CONFIG", "GET", expected[i][0], NULL);
      g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

      g_assert_cmpuint (g_strv_length (lines), ==, 2);
      g_assert_cmpstr (lines[1], ==, expected[i][1]);
    }
  {
    g_autofree char *bind = leap_test_redis_cli (&redis, "CONFIG", "GET", "bind", NULL);
    g_assert_nonnull (strstr (bind, "127.0.0.1"));
    g_assert_null (strstr (bind, "0.0.0.0"));
  }
}

static gboolean
acl_log_has_auth_failure (gpointer data)
{
  g_autofree char *log = leap_test_redis_cli (&redis, "ACL", "LOG", NULL);
  return strstr (log, "auth") != NULL && strstr (log, "leap") != NULL;
}

static gboolean
is_connected (gpointer data)
{
  return leap_redis_is_connected (data);
}

/* A wrong password: Redis refuses it, and the connection never counts as up. */
static void
test_wrong_password (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *file = g_build_filename (dir, "wrong", NULL);
  g_autoptr(LeapRedis) client = NULL;
  g_autofree char *reset = leap_test_redis_cli (&redis, "ACL", "LOG", "RESET", NULL);

  g_assert_cmpstr (reset, ==, "OK");
  g_assert_true (g_file_set_contents (file, "not-the-password\n", -1, NULL));
  leap_test_allow_warnings ();
  g_setenv ("LEAP_REDIS_PASSWORD_FILE", file, TRUE);
  client = leap_redis_new ("127.0.0.1", redis.port);
  g_setenv ("LEAP_REDIS_PASSWORD_FILE", leap_password_file, TRUE);

  g_assert_true (leap_test_wait_until (acl_log_has_auth_failure, NULL, 10000));
  g_assert_false (leap_test_wait_until (is_connected, client, 500));
  g_object_run_dispose (G_OBJECT (client));
  leap_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  start_redis ();
  g_setenv ("LEAP_REDIS_USER", "leap", TRUE);
  g_setenv ("LEAP_REDIS_PASSWORD_FILE", leap_password_file, TRUE);
  leap_test_backend_global_init (&redis);

  g_test_add_func ("/redis-acl/config", test_config);
  g_test_add_func ("/redis-acl/confined", test_confined);
  g_test_add ("/redis-acl/flows", Fixture, NULL, setup, test_flows, teardown);
  g_test_add_func ("/redis-acl/wrong-password", test_wrong_password);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  g_free (leap_password_file);
  g_free (leap_password);
  return status;
}
