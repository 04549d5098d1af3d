/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The leap-backend program as an operator runs it. */
#include "leap-test-util.h"

#include <string.h>

static LeapTestRedis redis;

static int
run (const char  *input,
     char       **out,
     const char  *first,
     ...)
{
  va_list args;
  int status;

  va_start (args, first);
  status = leap_test_run_va (NULL, input, out, g_getenv ("LEAP_BACKEND"), first, args);
  va_end (args);
  return status;
}

static void
test_version_help (void)
{
  g_autofree char *out = NULL;
  g_autofree char *help = NULL;
  g_autofree char *bad = NULL;

  g_assert_cmpint (run (NULL, &out, "--version", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "leap-backend "));
  g_assert_cmpint (run (NULL, &help, "--help", NULL), ==, 0);
  for (const char *o =
           "--listen\0--redis\0--database\0--config\0--seed-demo\0--create-user\0--role\0";
       *o; o += strlen (o) + 1)
    g_assert_nonnull (strstr (help, o));
  g_assert_cmpint (run (NULL, &bad, "--no-such-option", NULL), ==, 2);
  g_assert_nonnull (strstr (bad, "--help"));
}

static void
test_create_user (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *db = g_strdup_printf ("sqlite:%s/leap.db", dir);
  g_autofree char *port = g_strdup_printf ("127.0.0.1:%u", redis.port);
  g_autofree char *out = NULL;

  g_assert_cmpint (run ("a-good-password\n", &out, "--database", db, "--redis", port,
                        "--create-user", "boss", "--role", "admin", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Created admin"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run ("a-good-password\n", &out, "--database", db, "--redis", port,
                        "--create-user", "boss", "--role", "admin", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "already exists"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run ("short\n", &out, "--database", db, "--redis", port,
                        "--create-user", "clerk", "--role", "cashier", NULL), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run ("a-good-password\n", &out, "--database", db, "--redis", port,
                        "--create-user", "clerk", "--role", "king", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "Unknown role"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run (NULL, &out, "--create-user", "clerk", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run (NULL, &out, "--listen", "nonsense", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run (NULL, &out, "--database", "mysql://x", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "sqlite:"));
  leap_test_rmdir (dir);
}

/* --database-replica is PostgreSQL's: refused beside a SQLite database. */
static void
test_database_replica (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *db = g_strdup_printf ("sqlite:%s/leap.db", dir);
  g_autofree char *out = NULL;

  g_assert_cmpint (run (NULL, &out, "--database", db, "--database-replica",
                        "postgresql://leap@127.0.0.1:1/leap", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "Read replicas are PostgreSQL's"));
  leap_test_rmdir (dir);
}

typedef struct
{
  SoupSession *session;
  char        *url;
} Probe;

static gboolean
serving (gpointer data)
{
  Probe *probe = data;
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", probe->url);
  g_autoptr(GBytes) bytes = soup_session_send_and_read (probe->session, msg, NULL, NULL);

  return bytes != NULL && soup_message_get_status (msg) == 200;
}

/* The start the README uses: a config file, the demo catalogue, a clean stop. */
static void
test_serve (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *config = g_build_filename (dir, "leap.conf", NULL);
  g_autofree char *text = NULL;
  guint16 port = leap_test_free_port ();
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  Probe probe = { soup_session_new_with_options ("timeout", 5, NULL), NULL };

  text = g_strdup_printf (
      "[backend]\nlisten=127.0.0.1:%u\nredis=127.0.0.1:%u\ndatabase=sqlite:%s/leap.db\n", port,
      redis.port, dir);
  g_assert_true (g_file_set_contents (config, text, -1, NULL));
  {
    g_autofree char *out = NULL;
    g_assert_cmpint (run ("cashier-password\n", &out, "--config", config, "--create-user",
                          "cashier", "--role", "cashier", NULL),
                     ==, 0);
  }
  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--config", config,
                                   "--seed-demo", NULL);
  g_assert_no_error (error);

  probe.url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/events", port);
  g_assert_true (leap_test_wait_until (serving, &probe, 20000));
  {
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", probe.url);
    g_autoptr(GBytes) bytes = soup_session_send_and_read (probe.session, msg, NULL, NULL);
    g_autofree char *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

    leap_test_record (msg, bytes);
    g_assert_nonnull (strstr (body, "Hamlet"));
  }

  /* The demo sells at once: its tiers are counted in Redis. */
  {
    g_autofree char *base = g_strdup_printf ("http://127.0.0.1:%u/api/v1/", port);
    g_autofree char *url = g_strconcat (base, "sessions", NULL);
    g_autoptr(SoupMessage) login = soup_message_new ("POST", url);
    static const char creds_text[] =
        "{\"username\": \"cashier\", \"password\": \"cashier-password\"}";
    static const char want_text[] =
        "{\"event_id\": 1, \"items\": [{\"tier_id\": 1, \"quantity\": 2}]}";
    g_autoptr(GBytes) creds = g_bytes_new_static (creds_text, sizeof creds_text - 1);
    g_autoptr(GBytes) answer = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autofree char *auth = NULL;
    g_autofree char *holds = g_strconcat (base, "holds", NULL);
    g_autoptr(SoupMessage) hold = soup_message_new ("POST", holds);
    g_autoptr(GBytes) want = g_bytes_new_static (want_text, sizeof want_text - 1);
    g_autoptr(GBytes) held = NULL;

    soup_message_set_request_body_from_bytes (login, "application/json", creds);
    answer = soup_session_send_and_read (probe.session, login, NULL, NULL);
    leap_test_record (login, answer);
    g_assert_cmpuint (soup_message_get_status (login), ==, 201);
    g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                               g_bytes_get_size (answer), NULL));
    auth = g_strconcat ("Bearer ",
                        json_object_get_string_member (json_node_get_object (
                                                           json_parser_get_root (parser)),
                                                       "token"),
                        NULL);
    soup_message_headers_replace (soup_message_get_request_headers (hold), "Authorization", auth);
    soup_message_set_request_body_from_bytes (hold, "application/json", want);
    held = soup_session_send_and_read (probe.session, hold, NULL, NULL);
    leap_test_record (hold, held);
    g_assert_cmpuint (soup_message_get_status (hold), ==, 201);
  }

  g_subprocess_send_signal (p, SIGTERM);
  g_assert_true (g_subprocess_wait (p, NULL, NULL));
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);

  g_free (probe.url);
  g_object_unref (probe.session);
  leap_test_rmdir (dir);
}

static gboolean
process_ended (gpointer data)
{
  return g_subprocess_get_identifier (data) == NULL;
}

/* --processes 2: both serve, and SIGTERM stops them all. Failed before:
 * the children, copies of a parent whose database threads were still
 * closing, hung at start on SQLite's lock (2 of 2 tries), and the parent
 * waited for them for ever. */
static void
test_processes (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *db = g_strdup_printf ("sqlite:%s/leap.db", dir);
  g_autofree char *listen = NULL;
  g_autofree char *redis_arg = g_strdup_printf ("127.0.0.1:%u", redis.port);
  guint16 port = leap_test_free_port ();
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  Probe probe = { soup_session_new_with_options ("timeout", 5, NULL), NULL };

  listen = g_strdup_printf ("127.0.0.1:%u", port);
  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--listen", listen,
                                   "--redis", redis_arg, "--database", db, "--processes", "2",
                                   "--seed-demo", NULL);
  g_assert_no_error (error);
  probe.url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/events", port);
  g_assert_true (leap_test_wait_until (serving, &probe, 30000));
  /* Many answers in a row: from either child. */
  for (guint i = 0; i < 20; i++)
    g_assert_true (serving (&probe));

  g_subprocess_send_signal (p, SIGTERM);
  g_assert_true (leap_test_wait_until (process_ended, p, 20000));
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 0);
  /* Nothing serves any more: the children went with it. */
  g_assert_false (serving (&probe));

  g_free (probe.url);
  g_object_unref (probe.session);
  leap_test_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  g_test_add_func ("/leap/cli/version-help", test_version_help);
  g_test_add_func ("/leap/cli/create-user", test_create_user);
  g_test_add_func ("/leap/cli/serve", test_serve);
  g_test_add_func ("/leap/cli/processes", test_processes);
  g_test_add_func ("/leap/cli/database-replica", test_database_replica);
  status = g_test_run ();
  leap_test_redis_clear (&redis);
  return status;
}
