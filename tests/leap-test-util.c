/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-test-util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

guint16
leap_test_free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* A plain blocking socket connected to 127.0.0.1:@port, for tests that
 * write raw HTTP. */
int
leap_test_connect (guint16 port)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  return fd;
}

/* For leap_test_wait_until (): whether something accepts connections on
 * the loopback port GUINT_TO_POINTER (port). */
gboolean
leap_test_serving (gpointer port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host (client, "127.0.0.1", GPOINTER_TO_UINT (port), NULL, NULL);
  return conn != NULL;
}

char *
leap_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("leap-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
leap_test_rmdir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        leap_test_rmdir (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

char *
leap_test_redis_cli (LeapTestRedis *redis,
                     const char    *first_arg,
                     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *out = NULL;
  va_list args;

  g_ptr_array_add (argv, g_strdup ("redis-cli"));
  g_ptr_array_add (argv, g_strdup ("-p"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", redis->port));
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  cli = g_subprocess_newv ((const char * const *) argv->pdata,
                           G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, NULL);
  g_assert_nonnull (cli);
  g_subprocess_communicate_utf8 (cli, NULL, NULL, &out, NULL, NULL);
  g_strchomp (out);
  return g_steal_pointer (&out);
}

static gboolean
redis_answers (gpointer data)
{
  g_autofree char *pong = leap_test_redis_cli (data, "PING", NULL);
  return g_strcmp0 (pong, "PONG") == 0;
}

/* A test that aborts takes its servers with it. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocessLauncher *
leap_test_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return launcher;
}

/* Runs @program with the arguments from @first_arg (NULL-terminated), in
 * the environment @launcher sets (or the test's, for NULL), @input on its
 * standard input, its output and errors into @out; its exit status, -1 if
 * it did not exit. */
int
leap_test_run_va (GSubprocessLauncher *launcher,
                  const char          *input,
                  char               **out,
                  const char          *program,
                  const char          *first_arg,
                  va_list              args)
{
  g_autoptr(GSubprocessLauncher) own = launcher != NULL ? g_object_ref (launcher)
                                                        : leap_test_launcher_new (0);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_flags (own, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                          G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                          G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_ptr_array_add (argv, (gpointer) program);
  for (const char *a = first_arg; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_launcher_spawnv (own, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, input, NULL, out, NULL, &error));
  g_assert_no_error (error);
  return g_subprocess_get_if_exited (p) ? g_subprocess_get_exit_status (p) : -1;
}

/* For tests that break Redis on purpose: the backend's warnings about it
 * are expected, criticals still abort. */
void
leap_test_allow_warnings (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}

void
leap_test_redis_start (LeapTestRedis *redis)
{
  g_autofree char *port = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = leap_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  if (redis->dir == NULL)
    redis->dir = leap_test_make_tmpdir ();
  if (redis->port == 0)
    redis->port = leap_test_free_port ();
  port = g_strdup_printf ("%u", redis->port);
  {
    const char *base[] = { "redis-server", "--port", port, "--bind", "127.0.0.1",
                           "--dir", redis->dir, "--save", "",
                           "--appendonly", "yes", "--appendfsync", "everysec",
                           "--maxmemory-policy", "noeviction" };

    for (guint i = 0; i < G_N_ELEMENTS (base); i++)
      g_ptr_array_add (argv, (gpointer) base[i]);
  }
  for (guint i = 0; redis->args != NULL && redis->args[i] != NULL; i++)
    g_ptr_array_add (argv, redis->args[i]);
  g_ptr_array_add (argv, NULL);
  redis->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                 &error);
  g_assert_no_error (error);
  if (!leap_test_wait_until (redis_answers, redis, 10000))
    g_error ("redis-server did not start on port %u", redis->port);
}

static void
wait_exit (LeapTestRedis *redis)
{
  g_subprocess_wait (redis->process, NULL, NULL);
  g_clear_object (&redis->process);
}

void
leap_test_redis_stop (LeapTestRedis *redis)
{
  if (redis->process == NULL)
    return;
  g_subprocess_send_signal (redis->process, SIGTERM);
  wait_exit (redis);
}

/* kill -9: Redis gets no chance to say goodbye to its clients. */
void
leap_test_redis_kill (LeapTestRedis *redis)
{
  if (redis->process == NULL)
    return;
  g_subprocess_force_exit (redis->process);
  wait_exit (redis);
}

void
leap_test_redis_clear (LeapTestRedis *redis)
{
  leap_test_redis_stop (redis);
  if (redis->dir != NULL)
    leap_test_rmdir (redis->dir);
  g_clear_pointer (&redis->dir, g_free);
}

typedef struct
{
  gboolean timed_out;
} Wait;

static gboolean
timeout_cb (gpointer data)
{
  ((Wait *) data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
leap_test_wait_until (GSourceFunc func,
                      gpointer    data,
                      guint       timeout_ms)
{
  Wait wait = { FALSE };
  guint deadline = g_timeout_add (timeout_ms, timeout_cb, &wait);
  /* Wakes the loop to poll conditions that no source signals (another process). */
  guint tick = g_timeout_add (10, tick_cb, NULL);
  gboolean done;

  while (!(done = func (data)) && !wait.timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!wait.timed_out)
    g_source_remove (deadline);
  g_source_remove (tick);
  return done;
}

void
leap_test_reply_clear (LeapTestReply *reply)
{
  g_clear_pointer (&reply->body, g_free);
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  reply->status = 0;
}

typedef struct
{
  GBytes  *bytes;
  GError  *error;
  gboolean done;
} Call;

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Call *call = user_data;

  call->bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &call->error);
  call->done = TRUE;
}

static gboolean
call_done (gpointer data)
{
  return ((Call *) data)->done;
}

void
leap_test_http (SoupSession   *session,
                const char    *method,
                const char    *url,
                const char    *token,
                const char    *body,
                LeapTestReply *reply)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  leap_test_send (session, msg, reply);
}

/* Appends the exchange to $LEAP_TEST_EXCHANGES/PROGRAM.jsonl, which the
 * "openapi" test checks against docs/openapi.yaml. Each program starts its
 * file afresh, so the folder holds the last run of every program. */
void
leap_test_record (SoupMessage *msg,
                  GBytes      *body)
{
  static gboolean started = FALSE;
  const char *dir = g_getenv ("LEAP_TEST_EXCHANGES");
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *type;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *line = NULL;
  g_autofree char *path = NULL;
  g_autofree char *program = NULL;
  g_autofree char *name = NULL;
  int fd;

  /* No answer (a request cancelled or cut off) is nothing to check. */
  if (dir == NULL || body == NULL || soup_message_get_status (msg) < 100)
    return;
  type = soup_message_headers_get_content_type (headers, NULL);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "test");
  json_builder_add_string_value (builder, g_test_get_path ());
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, soup_message_get_method (msg));
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, g_uri_get_path (soup_message_get_uri (msg)));
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, soup_message_get_status (msg));
  json_builder_set_member_name (builder, "content_type");
  if (type != NULL)
    json_builder_add_string_value (builder, type);
  else
    json_builder_add_null_value (builder);
  /* A body that is not JSON (a PDF, Prometheus text) is checked by its type only. */
  json_builder_set_member_name (builder, "body");
  if (g_strcmp0 (type, "application/json") == 0)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      json_builder_add_string_value (builder, text);
    }
  else if (g_bytes_get_size (body) > 0)
    json_builder_add_string_value (builder, "(not JSON)");
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  line = g_strconcat (json, "\n", NULL);

  program = g_path_get_basename (g_get_prgname ());
  name = g_strconcat (program, ".jsonl", NULL);
  path = g_build_filename (dir, name, NULL);
  g_mkdir_with_parents (dir, 0755);
  fd = g_open (path, O_WRONLY | O_CREAT | O_APPEND | (started ? 0 : O_TRUNC), 0644);
  g_assert_cmpint (fd, >=, 0);
  started = TRUE;
  /* One write a line: the lines of a program's threads never interleave. */
  g_assert_cmpint (write (fd, line, strlen (line)), ==, (gssize) strlen (line));
  close (fd);
}

void
leap_test_send (SoupSession   *session,
                SoupMessage   *msg,
                LeapTestReply *reply)
{
  Call call = { NULL, NULL, FALSE };

  leap_test_reply_clear (reply);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, &call);
  g_assert_true (leap_test_wait_until (call_done, &call, 30000));
  g_assert_no_error (call.error);

  leap_test_record (msg, call.bytes);
  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  reply->body = g_bytes_get_size (call.bytes) > 0
                ? g_strndup (g_bytes_get_data (call.bytes, NULL), g_bytes_get_size (call.bytes))
                : g_strdup ("");
  g_bytes_unref (call.bytes);
  if (reply->body[0] != '\0')
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      if (json_parser_load_from_data (parser, reply->body, -1, NULL) &&
          json_parser_get_root (parser))
        reply->json = json_node_copy (json_parser_get_root (parser));
    }
}

JsonObject *
leap_test_reply_object (LeapTestReply *reply)
{
  if (reply->json == NULL || !JSON_NODE_HOLDS_OBJECT (reply->json))
    g_error ("Expected a JSON object, got status %u: %s", reply->status, reply->body);
  return json_node_get_object (reply->json);
}

/* The "code" of an {"error": {"code", "message"}} answer; checks its shape. */
const char *
leap_test_error_code (LeapTestReply *reply)
{
  JsonObject *object = leap_test_reply_object (reply);
  JsonObject *error;

  g_assert_true (json_object_has_member (object, "error"));
  error = json_object_get_object_member (object, "error");
  g_assert_nonnull (json_object_get_string_member (error, "message"));
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
  return json_object_get_string_member (error, "code");
}

static void
live_message_cb (SoupWebsocketConnection *conn,
                 gint                     type,
                 GBytes                  *message,
                 LeapTestLive            *live)
{
  g_ptr_array_add (live->messages,
                   g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message)));
}

static void
live_connected_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  LeapTestLive *live = user_data;
  g_autoptr(GError) error = NULL;

  live->conn = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  g_assert_no_error (error);
  g_signal_connect (live->conn, "message", G_CALLBACK (live_message_cb), live);
}

static gboolean
live_open (gpointer data)
{
  return ((LeapTestLive *) data)->conn != NULL;
}

/* Connects to ws://127.0.0.1:PORT/api/v1/live, within 10 s. */
void
leap_test_live_open (LeapTestLive *live,
                     SoupSession  *session,
                     guint16       port)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/api/v1/live", port);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  live->messages = g_ptr_array_new_with_free_func (g_free);
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        live_connected_cb, live);
  g_assert_true (leap_test_wait_until (live_open, live, 10000));
}

typedef struct
{
  LeapTestLive *live;
  const char   *needle;
} LiveWait;

static gboolean
live_has (gpointer data)
{
  LiveWait *wait = data;

  for (guint i = 0; i < wait->live->messages->len; i++)
    if (strstr (g_ptr_array_index (wait->live->messages, i), wait->needle) != NULL)
      return TRUE;
  return FALSE;
}

/* Whether a message received so far, or within @timeout_ms, contains @needle. */
gboolean
leap_test_live_wait (LeapTestLive *live,
                     const char   *needle,
                     guint         timeout_ms)
{
  LiveWait wait = { live, needle };

  return leap_test_wait_until (live_has, &wait, timeout_ms);
}

void
leap_test_live_close (LeapTestLive *live)
{
  if (live->conn != NULL &&
      soup_websocket_connection_get_state (live->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (live->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&live->conn);
  g_clear_pointer (&live->messages, g_ptr_array_unref);
}
