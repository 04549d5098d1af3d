/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The WebSocket at /api/v1/live against hostile and careless clients, on
 * the real leap-backend (its stderr kept to look for criticals): sockets
 * that follow nothing are closed after idle-timeout, sockets that answer
 * no ping are closed, one address gets at most
 * websocket-max-per-address sockets, a client that goes away while it is
 * being sent to costs no critical, a refused subscribe changes nothing,
 * and an order can be followed before it is placed. */
#include "leap-test-util.h"
#include "leap-checkout-worker.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IDLE_TIMEOUT_S 2
#define PING_INTERVAL_S 1
#define MAX_PER_ADDRESS 3
/* An event of the demo catalogue that starts tomorrow. */
#define EVENT 3

static LeapTestRedis redis;

typedef struct
{
  char        *dir;
  char        *log;     /* the backend's stderr */
  GSubprocess *process;
  guint16      port;
  char        *base;
  SoupSession *session;
} Fixture;

/* leap-backend with the demo catalogue and the options given after the
 * usual ones (NULL-terminated). */
static void
start_backend (Fixture    *f,
               const char *first_option,
               ...)
{
  g_autofree char *db = g_strdup_printf ("sqlite:%s/leap.db", f->dir);
  g_autofree char *listen = NULL;
  g_autofree char *redis_at = g_strdup_printf ("127.0.0.1:%u", redis.port);
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  va_list options;

  f->port = leap_test_free_port ();
  listen = g_strdup_printf ("127.0.0.1:%u", f->port);
  g_ptr_array_add (argv, (char *) g_getenv ("LEAP_BACKEND"));
  g_ptr_array_add (argv, "--listen");
  g_ptr_array_add (argv, listen);
  g_ptr_array_add (argv, "--redis");
  g_ptr_array_add (argv, redis_at);
  g_ptr_array_add (argv, "--database");
  g_ptr_array_add (argv, db);
  g_ptr_array_add (argv, "--seed-demo");
  va_start (options, first_option);
  for (const char *o = first_option; o != NULL; o = va_arg (options, const char *))
    g_ptr_array_add (argv, (char *) o);
  va_end (options);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_stderr_file_path (launcher, f->log);
  f->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (leap_test_wait_until (leap_test_serving, GUINT_TO_POINTER (f->port), 20000));
  f->base = g_strdup_printf ("http://127.0.0.1:%u", f->port);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *flushed = leap_test_redis_cli (&redis, "FLUSHALL", NULL);

  g_assert_cmpstr (flushed, ==, "OK");
  f->dir = leap_test_make_tmpdir ();
  f->log = g_build_filename (f->dir, "backend.log", NULL);
  f->session = soup_session_new_with_options ("timeout", 30, NULL);
}

static char *
backend_log (Fixture *f)
{
  g_autofree char *log = NULL;

  g_assert_true (g_file_get_contents (f->log, &log, NULL, NULL));
  return g_steal_pointer (&log);
}

/* Whatever the test did, the backend is still there and logged no
 * critical or warning (under the tests' G_DEBUG=fatal-warnings one would
 * have killed it). */
static void
teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *log = NULL;

  if (f->process != NULL)
    {
      g_auto(LeapTestReply) reply = { 0 };
      g_autofree char *to = g_strconcat (f->base, "/healthz", NULL);

      leap_test_http (f->session, "GET", to, NULL, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 200);
      g_subprocess_send_signal (f->process, SIGTERM);
      g_subprocess_wait (f->process, NULL, NULL);
      g_assert_true (g_subprocess_get_if_exited (f->process));
      g_clear_object (&f->process);
      log = backend_log (f);
      if (strstr (log, "CRITICAL") != NULL || strstr (log, "WARNING") != NULL)
        g_error ("the backend logged:\n%s", log);
    }
  g_clear_object (&f->session);
  leap_test_rmdir (f->dir);
  g_clear_pointer (&f->dir, g_free);
  g_clear_pointer (&f->log, g_free);
  g_clear_pointer (&f->base, g_free);
}

static char *
url (Fixture    *f,
     const char *path)
{
  return g_strconcat (f->base, path, NULL);
}

static char *
guest_session (Fixture *f)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *to = url (f, "/api/v1/sessions");

  leap_test_http (f->session, "POST", to, NULL, "{\"guest\": true}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
}

/* The first tier of EVENT. */
static gint64
first_tier (Fixture *f)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *to = url (f, "/api/v1/events/" G_STRINGIFY (EVENT) "/availability");
  JsonArray *tiers;

  leap_test_http (f->session, "GET", to, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  tiers = json_object_get_array_member (leap_test_reply_object (&reply), "tiers");
  return json_object_get_int_member (json_array_get_object_element (tiers, 0), "tier_id");
}

static char *
make_hold (Fixture    *f,
           const char *token)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *to = url (f, "/api/v1/holds");
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %d, \"items\": [{\"tier_id\": %"
                                           G_GINT64_FORMAT ", \"quantity\": 1}]}",
                                           EVENT, first_tier (f));

  leap_test_http (f->session, "POST", to, token, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
}

/* A WebSocket client on a bare socket, so that it can be as rude as an
 * attacker: silent, deaf to pings, or gone with a reset. */

typedef struct
{
  int         fd;
  guint       status;  /* of the answer to the upgrade; 0 until it is read */
  GString    *answer;  /* the answer's head and body; then the frames */
  gsize       head_end;
  gsize       body_length;
  gint64      opened;  /* monotonic µs */
  gint64      closed;  /* when a close frame, the end or a reset came; 0 before */
  guint16     close_code;
  GPtrArray  *texts;   /* the text frames */
} Ws;

static void
ws_open (Ws         *ws,
         guint16     port,
         const char *headers)
{
  g_autofree char *request =
    g_strdup_printf ("GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s\r\n",
                     headers ? headers : "");

  memset (ws, 0, sizeof *ws);
  ws->fd = leap_test_connect (port);
  ws->answer = g_string_new (NULL);
  ws->texts = g_ptr_array_new_with_free_func (g_free);
  ws->opened = g_get_monotonic_time ();
  g_assert_cmpint (send (ws->fd, request, strlen (request), MSG_NOSIGNAL), ==, strlen (request));
}

static void
ws_clear (Ws *ws)
{
  if (ws->fd >= 0)
    close (ws->fd);
  ws->fd = -1;
  g_clear_pointer (&ws->texts, g_ptr_array_unref);
  if (ws->answer != NULL)
    g_string_free (ws->answer, TRUE);
  ws->answer = NULL;
}

/* Takes the server's frames out of what was read past the head. */
static void
ws_parse_frames (Ws *ws)
{
  while (ws->closed == 0)
    {
      const guint8 *data = (const guint8 *) ws->answer->str + ws->head_end;
      gsize have = ws->answer->len - ws->head_end;
      gsize at = 2;
      guint64 length;

      if (have < 2)
        return;
      length = data[1] & 0x7f;
      if (length == 126)
        {
          if (have < 4)
            return;
          length = (data[2] << 8) | data[3];
          at = 4;
        }
      g_assert_cmpuint (length, <, 65536);
      if (have < at + length)
        return;
      if ((data[0] & 0x0f) == 0x1)
        g_ptr_array_add (ws->texts, g_strndup ((const char *) data + at, length));
      else if ((data[0] & 0x0f) == 0x8)
        {
          ws->close_code = length >= 2 ? (data[at] << 8) | data[at + 1] : 0;
          ws->closed = g_get_monotonic_time ();
        }
      ws->head_end += at + length;
    }
}

/* Reads what there is without waiting; notes the end of the connection. */
static void
ws_read (Ws *ws)
{
  char buf[4096];
  ssize_t n = -1;

  while (ws->fd >= 0 && ws->closed == 0 &&
         (n = recv (ws->fd, buf, sizeof buf, MSG_DONTWAIT)) != 0)
    {
      if (n < 0)
        {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            ws->closed = g_get_monotonic_time ();
          break;
        }
      g_string_append_len (ws->answer, buf, n);
    }
  if (n == 0 && ws->closed == 0)
    ws->closed = g_get_monotonic_time ();

  if (ws->status == 0)
    {
      const char *end = strstr (ws->answer->str, "\r\n\r\n");
      const char *length;

      if (end == NULL)
        return;
      ws->head_end = end + 4 - ws->answer->str;
      length = g_strstr_len (ws->answer->str, ws->head_end, "Content-Length: ");
      ws->body_length = length != NULL ? g_ascii_strtoull (length + 16, NULL, 10) : 0;
      g_assert_true (g_str_has_prefix (ws->answer->str, "HTTP/1.1 "));
      ws->status = g_ascii_strtoull (ws->answer->str + 9, NULL, 10);
    }
  if (ws->status == 101)
    ws_parse_frames (ws);
}

static gboolean
ws_answered (gpointer data)
{
  Ws *ws = data;

  ws_read (ws);
  return ws->closed != 0 ||
         (ws->status != 0 && (ws->status == 101 ||
                              ws->answer->len >= ws->head_end + ws->body_length));
}

static gboolean
ws_closed (gpointer data)
{
  ws_read (data);
  return ((Ws *) data)->closed != 0;
}

static gboolean
ws_has_text (gpointer data)
{
  ws_read (data);
  return ((Ws *) data)->texts->len > 0;
}

static void
ws_open_ok (Ws         *ws,
            guint16     port,
            const char *headers)
{
  ws_open (ws, port, headers);
  g_assert_true (leap_test_wait_until (ws_answered, ws, 10000));
  g_assert_cmpuint (ws->status, ==, 101);
}

/* A client's frames are masked; a zero mask is a mask. */
static void
ws_send (Ws         *ws,
         const char *text)
{
  gsize length = strlen (text);
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  guint8 head[8] = { 0x81 };
  gsize head_length;

  g_assert_cmpuint (length, <, 65536);
  if (length < 126)
    {
      head[1] = 0x80 | length;
      head_length = 2;
    }
  else
    {
      head[1] = 0x80 | 126;
      head[2] = length >> 8;
      head[3] = length & 0xff;
      head_length = 4;
    }
  g_byte_array_append (frame, head, head_length);
  g_byte_array_append (frame, (const guint8 *) "\0\0\0\0", 4);
  g_byte_array_append (frame, (const guint8 *) text, length);
  g_assert_cmpint (send (ws->fd, frame->data, frame->len, MSG_NOSIGNAL), ==, frame->len);
}

/* Idle sockets */

/* A socket that follows nothing (silent since the upgrade, or after it
 * unsubscribed from everything) is closed after idle-timeout; one that
 * follows an event, or was opened with a session, stays. */
static void
test_idle (Fixture *f, gconstpointer data)
{
  g_autofree char *token = NULL;
  g_autofree char *auth = NULL;
  Ws silent[2], left, following, signed_in;
  gint64 deadline;

  start_backend (f, "--idle-timeout", G_STRINGIFY (IDLE_TIMEOUT_S), NULL);
  token = guest_session (f);
  auth = g_strdup_printf ("Authorization: Bearer %s\r\n", token);

  for (guint i = 0; i < G_N_ELEMENTS (silent); i++)
    ws_open_ok (&silent[i], f->port, NULL);
  ws_open_ok (&left, f->port, NULL);
  ws_send (&left, "{\"subscribe\": [" G_STRINGIFY (EVENT) "]}");
  g_assert_true (leap_test_wait_until (ws_has_text, &left, 10000));
  ws_send (&left, "{\"unsubscribe\": [" G_STRINGIFY (EVENT) "]}");
  ws_open_ok (&following, f->port, NULL);
  ws_send (&following, "{\"subscribe\": [" G_STRINGIFY (EVENT) "]}");
  g_assert_true (leap_test_wait_until (ws_has_text, &following, 10000));
  ws_open_ok (&signed_in, f->port, auth);

  for (guint i = 0; i < G_N_ELEMENTS (silent); i++)
    {
      /* Closed by the server with a close frame, not merely dropped. */
      g_assert_true (leap_test_wait_until (ws_closed, &silent[i], (IDLE_TIMEOUT_S + 5) * 1000));
      g_assert_cmpuint (silent[i].close_code, ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
      g_assert_cmpint (silent[i].closed - silent[i].opened, >=,
                       (IDLE_TIMEOUT_S - 1) * G_USEC_PER_SEC);
      g_test_message ("a silent socket was closed %.1f s after it opened",
                      (silent[i].closed - silent[i].opened) / (double) G_USEC_PER_SEC);
    }
  g_assert_true (leap_test_wait_until (ws_closed, &left, (IDLE_TIMEOUT_S + 5) * 1000));

  /* The others stay open for twice the timeout. */
  deadline = g_get_monotonic_time () + 2 * IDLE_TIMEOUT_S * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_assert_false (ws_closed (&following));
      g_assert_false (ws_closed (&signed_in));
      g_usleep (G_USEC_PER_SEC / 10);
    }

  for (guint i = 0; i < G_N_ELEMENTS (silent); i++)
    ws_clear (&silent[i]);
  ws_clear (&left);
  ws_clear (&following);
  ws_clear (&signed_in);
}

/* Clients that answer pings and close frames */

typedef struct
{
  SoupWebsocketConnection *conn;
  GError                  *error;
  GPtrArray               *texts;
  gboolean                 closed;
} Client;

static void
client_message_cb (SoupWebsocketConnection *conn,
                   gint                     type,
                   GBytes                  *message,
                   Client                  *client)
{
  g_ptr_array_add (client->texts,
                   g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message)));
}

static void
client_closed_cb (SoupWebsocketConnection *conn,
                  Client                  *client)
{
  client->closed = TRUE;
}

static void
client_connected_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Client *client = user_data;

  client->conn = soup_session_websocket_connect_finish (SOUP_SESSION (object), result,
                                                        &client->error);
  if (client->conn == NULL)
    return;
  g_signal_connect (client->conn, "message", G_CALLBACK (client_message_cb), client);
  g_signal_connect (client->conn, "closed", G_CALLBACK (client_closed_cb), client);
}

static gboolean
client_ready (gpointer data)
{
  Client *client = data;
  return client->conn != NULL || client->error != NULL;
}

/* A libsoup client: it answers pings and close frames itself. */
static void
client_open (Fixture *f,
             Client  *client)
{
  g_autofree char *to = g_strdup_printf ("ws://127.0.0.1:%u/api/v1/live", f->port);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", to);

  memset (client, 0, sizeof *client);
  client->texts = g_ptr_array_new_with_free_func (g_free);
  soup_session_websocket_connect_async (f->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        client_connected_cb, client);
  g_assert_true (leap_test_wait_until (client_ready, client, 10000));
  g_assert_no_error (client->error);
}

static void
client_clear (Client *client)
{
  if (client->conn != NULL &&
      soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&client->conn);
  g_clear_pointer (&client->texts, g_ptr_array_unref);
}

/* Waits for a text that contains the needle set on the client. */
static gboolean
client_has (gpointer data)
{
  Client *client = data;
  const char *needle = g_object_get_data (G_OBJECT (client->conn), "needle");

  for (guint i = 0; i < client->texts->len; i++)
    if (strstr (g_ptr_array_index (client->texts, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
client_wait_for (Client     *client,
                 const char *needle,
                 guint       timeout_ms)
{
  g_object_set_data_full (G_OBJECT (client->conn), "needle", g_strdup (needle), g_free);
  return leap_test_wait_until (client_has, client, timeout_ms);
}

/* Dead peers */

/* Both pinged every second: the one that never answers (it reads nothing)
 * is closed, the one that answers stays. */
static void
test_dead (Fixture *f, gconstpointer data)
{
  Client alive;
  Ws deaf;

  start_backend (f, "--websocket-ping-interval", G_STRINGIFY (PING_INTERVAL_S), NULL);
  client_open (f, &alive);
  soup_websocket_connection_send_text (alive.conn, "{\"subscribe\": [" G_STRINGIFY (EVENT) "]}");
  g_assert_true (client_wait_for (&alive, "\"event_id\":" G_STRINGIFY (EVENT), 10000));
  ws_open_ok (&deaf, f->port, NULL);
  ws_send (&deaf, "{\"subscribe\": [" G_STRINGIFY (EVENT) "]}");
  g_assert_true (leap_test_wait_until (ws_has_text, &deaf, 10000));

  /* No pong for two intervals, then five seconds for the close handshake. */
  g_assert_true (leap_test_wait_until (ws_closed, &deaf, (4 * PING_INTERVAL_S + 8) * 1000));
  g_test_message ("a socket that answers no ping was closed %.1f s after it opened",
                  (deaf.closed - deaf.opened) / (double) G_USEC_PER_SEC);
  g_assert_false (alive.closed);
  g_assert_cmpint (soup_websocket_connection_get_state (alive.conn), ==,
                   SOUP_WEBSOCKET_STATE_OPEN);

  ws_clear (&deaf);
  client_clear (&alive);
}

/* Connections per address */

static void
assert_refused (Ws *ws)
{
  g_autoptr(JsonNode) body = NULL;
  JsonObject *error;

  g_assert_true (leap_test_wait_until (ws_answered, ws, 10000));
  g_assert_cmpuint (ws->status, ==, 429);
  g_assert_nonnull (g_strstr_len (ws->answer->str, ws->head_end,
                                  "Content-Type: application/json"));
  g_assert_nonnull (g_strstr_len (ws->answer->str, ws->head_end,
                                  "X-Content-Type-Options: nosniff"));
  g_assert_nonnull (g_strstr_len (ws->answer->str, ws->head_end, "Retry-After: "));
  body = json_from_string (ws->answer->str + ws->head_end, NULL);
  g_assert_nonnull (body);
  error = json_object_get_object_member (json_node_get_object (body), "error");
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "rate_limited");
}

static guint
websocket_clients (Fixture *f)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *to = url (f, "/metrics");
  const char *line;

  leap_test_http (f->session, "GET", to, NULL, NULL, &reply);
  line = strstr (reply.body, "\nleap_websocket_clients ");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("\nleap_websocket_clients "), NULL, 10);
}

static gboolean
websocket_clients_are (gpointer data)
{
  Fixture *f = data;
  return websocket_clients (f) == GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (f->session),
                                                                       "want"));
}

static void
wait_for_websocket_clients (Fixture *f,
                            guint    n)
{
  g_object_set_data (G_OBJECT (f->session), "want", GUINT_TO_POINTER (n));
  g_assert_true (leap_test_wait_until (websocket_clients_are, f, 20000));
}

/* Behind a trusted proxy each client address has its own count; the
 * upgrades beyond it, even sent all at once, are refused before the
 * upgrade; a closed socket gives its place back. */
static void
test_per_address (Fixture *f, gconstpointer data)
{
  g_autofree char *config = g_build_filename (f->dir, "backend.conf", NULL);
  Ws ws[MAX_PER_ADDRESS + 2], other, again;
  guint upgraded = 0;

  /* The limit from the key file, this time. */
  g_assert_true (g_file_set_contents (config,
                                      "[backend]\n"
                                      "websocket-max-per-address="
                                      G_STRINGIFY (MAX_PER_ADDRESS) "\n"
                                      "trusted-proxies=127.0.0.1\n",
                                      -1, NULL));
  start_backend (f, "--config", config, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (ws); i++)
    ws_open (&ws[i], f->port, "X-Forwarded-For: 192.0.2.1\r\n");
  for (guint i = 0; i < G_N_ELEMENTS (ws); i++)
    {
      g_assert_true (leap_test_wait_until (ws_answered, &ws[i], 10000));
      if (ws[i].status == 101)
        upgraded++;
      else
        assert_refused (&ws[i]);
    }
  g_assert_cmpuint (upgraded, ==, MAX_PER_ADDRESS);

  ws_open_ok (&other, f->port, "X-Forwarded-For: 192.0.2.2\r\n");

  for (guint i = 0; i < G_N_ELEMENTS (ws); i++)
    if (ws[i].status == 101)
      {
        ws_clear (&ws[i]);
        break;
      }
  wait_for_websocket_clients (f, MAX_PER_ADDRESS);
  ws_open_ok (&again, f->port, "X-Forwarded-For: 192.0.2.1\r\n");

  for (guint i = 0; i < G_N_ELEMENTS (ws); i++)
    ws_clear (&ws[i]);
  ws_clear (&other);
  ws_clear (&again);
}

/* Clients that leave mid-send */

/* Sixty clients subscribe to 200 events each, read one message and go
 * with a reset while the counts of the others are still being sent: the
 * backend must not send on their closed sockets (a critical, which
 * teardown looks for, and under G_DEBUG=fatal-criticals an abort). */
static void
test_gone_mid_send (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) subscribe = g_string_new ("{\"subscribe\": [");
  Ws ws[60];
  struct linger reset = { 1, 0 };

  start_backend (f, "--websocket-max-per-address", "100", NULL);
  for (guint id = 1; id <= 200; id++)
    g_string_append_printf (subscribe, "%s%u", id > 1 ? ", " : "", id);
  g_string_append (subscribe, "]}");

  for (guint i = 0; i < G_N_ELEMENTS (ws); i++)
    ws_open_ok (&ws[i], f->port, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (ws); i++)
    ws_send (&ws[i], subscribe->str);
  for (guint i = 0; i < G_N_ELEMENTS (ws); i++)
    {
      if (!leap_test_wait_until (ws_has_text, &ws[i], 10000))
        g_error ("no counts came; the backend logged:\n%s", backend_log (f));
      g_assert_cmpint (setsockopt (ws[i].fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), ==, 0);
      ws_clear (&ws[i]);
    }
  wait_for_websocket_clients (f, 0);
}

/* Subscriptions */

/* Whether any text holds both needles (the second may be NULL). */
static gboolean
client_saw (Client     *client,
            const char *needle,
            const char *also)
{
  for (guint i = 0; i < client->texts->len; i++)
    {
      const char *text = g_ptr_array_index (client->texts, i);

      if (strstr (text, needle) != NULL && (also == NULL || strstr (text, also) != NULL))
        return TRUE;
    }
  return FALSE;
}

/* Sends a subscribe that must be refused with @refusal, then one for
 * @barrier, whose counts come after any that the refused message would
 * have asked for (one Redis connection answers in order): none of
 * @refused_event came, and subscribing to it now brings them. */
static void
assert_refused_subscribe (Client     *client,
                          const char *message,
                          const char *refusal,
                          guint       refused_event,
                          guint       barrier)
{
  g_autofree char *refused = g_strdup_printf ("{\"event_id\":%u,", refused_event);
  g_autofree char *barrier_counts = g_strdup_printf ("{\"event_id\":%u,", barrier);
  g_autofree char *subscribe_barrier = g_strdup_printf ("{\"subscribe\": [%u]}", barrier);
  g_autofree char *subscribe_refused = g_strdup_printf ("{\"subscribe\": [%u]}", refused_event);

  soup_websocket_connection_send_text (client->conn, message);
  g_assert_true (client_wait_for (client, refusal, 10000));
  soup_websocket_connection_send_text (client->conn, subscribe_barrier);
  g_assert_true (client_wait_for (client, barrier_counts, 10000));
  g_assert_false (client_saw (client, refused, NULL));
  soup_websocket_connection_send_text (client->conn, subscribe_refused);
  g_assert_true (client_wait_for (client, refused, 10000));
}

/* A subscribe that is refused (too many events, a bad id) subscribes to
 * none of its events, and a refused unsubscribe drops none: a refused
 * message changes nothing. */
static void
test_refused_subscribe (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) too_many = g_string_new ("{\"subscribe\": [1");
  g_autofree char *token = NULL;
  Client client;

  start_backend (f, NULL);
  token = guest_session (f);
  for (guint id = 1000; id < 1200; id++)
    g_string_append_printf (too_many, ", %u", id);
  g_string_append (too_many, "]}");

  client_open (f, &client);
  assert_refused_subscribe (&client, too_many->str, "Too many subscriptions", 1, 5);
  assert_refused_subscribe (&client, "{\"subscribe\": [2, 0]}", "positive integers", 2, 4);

  /* Still following EVENT after a refused unsubscribe: its change comes. */
  soup_websocket_connection_send_text (client.conn, "{\"subscribe\": [" G_STRINGIFY (EVENT) "]}");
  g_assert_true (client_wait_for (&client, "{\"event_id\":" G_STRINGIFY (EVENT) ",", 10000));
  g_ptr_array_set_size (client.texts, 0);
  soup_websocket_connection_send_text (client.conn,
                                       "{\"unsubscribe\": [" G_STRINGIFY (EVENT) ", -1]}");
  g_assert_true (client_wait_for (&client, "positive integers", 10000));
  g_free (make_hold (f, token));
  g_assert_true (client_wait_for (&client, "{\"event_id\":" G_STRINGIFY (EVENT) ",", 10000));

  client_clear (&client);
}

/* Orders */

static LeapCheckoutWorker *
start_worker (Fixture *f)
{
  LeapCheckoutWorkerConfig config;
  g_autoptr(GError) error = NULL;
  LeapCheckoutWorker *worker;

  leap_checkout_worker_config_init (&config);
  g_free (config.database_url);
  config.database_url = g_strdup_printf ("sqlite:%s/leap.db", f->dir);
  config.redis_port = redis.port;
  config.block_ms = 100;
  worker = leap_checkout_worker_new (&config, &error);
  leap_checkout_worker_config_clear (&config);
  g_assert_no_error (error);
  leap_checkout_worker_start (worker);
  return worker;
}

static void
subscribe_order (Client     *client,
                 const char *order_id,
                 const char *token)
{
  g_autofree char *text =
    g_strdup_printf ("{\"subscribe\": {\"order\": \"%s\", \"token\": \"%s\"}}", order_id, token);
  soup_websocket_connection_send_text (client->conn, text);
}

/* "Subscribe before or after placing the order": subscribed while it is
 * still a hold, the result comes when the worker has settled it. Another
 * session's hold, and an order that can never be, answer not_found. */
static void
test_order_before_placing (Fixture *f, gconstpointer data)
{
  g_autoptr(LeapCheckoutWorker) worker = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *token = NULL;
  g_autofree char *other = NULL;
  g_autofree char *hold_id = NULL;
  g_autofree char *order_id = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *to = NULL;
  g_autofree char *body = NULL;
  g_autofree char *paid = NULL;
  const char *never = "o-" G_STRINGIFY (EVENT) "-AAAAAAAAAAAAAAAAAAAAAA";
  Client mine, theirs;

  start_backend (f, NULL);
  worker = start_worker (f);
  token = guest_session (f);
  other = guest_session (f);
  hold_id = make_hold (f, token);
  order_id = g_strconcat ("o-", hold_id, NULL);
  quoted = g_strdup_printf ("\"%s\"", order_id);

  client_open (f, &mine);
  client_open (f, &theirs);
  subscribe_order (&mine, order_id, token);
  subscribe_order (&theirs, order_id, other);
  g_assert_true (client_wait_for (&theirs, quoted, 10000));
  g_assert_true (client_saw (&theirs, "not_found", quoted));
  /* Asked after the first, answered after it. */
  subscribe_order (&mine, never, token);
  g_assert_true (client_wait_for (&mine, never, 10000));
  g_assert_true (client_saw (&mine, "not_found", never));
  g_assert_false (client_saw (&mine, "\"error\"", quoted));

  to = url (f, "/api/v1/orders");
  body = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"card\"}, "
                          "\"customer\": {\"name\": \"Ada\", \"email\": \"ada@example.org\"}}",
                          hold_id);
  leap_test_http (f->session, "POST", to, token, body, &reply);
  g_assert_cmpuint (reply.status, ==, 202);

  paid = g_strdup_printf ("{\"type\":\"order\",\"order_id\":\"%s\",\"status\":\"paid\"}",
                          order_id);
  g_assert_true (client_wait_for (&mine, paid, 20000));
  g_assert_false (client_saw (&mine, "\"error\"", quoted));

  client_clear (&mine);
  client_clear (&theirs);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/leap/live-limits/idle", test_idle);
  ADD ("/leap/live-limits/dead", test_dead);
  ADD ("/leap/live-limits/per-address", test_per_address);
  ADD ("/leap/live-limits/gone-mid-send", test_gone_mid_send);
  ADD ("/leap/live-limits/refused-subscribe", test_refused_subscribe);
  ADD ("/leap/live-limits/order-before-placing", test_order_before_placing);
#undef ADD

  status = g_test_run ();
  leap_test_redis_clear (&redis);
  return status;
}
