/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hostile clients at the HTTP edge of the real leap-backend (issue 16):
 * requests written byte for byte on a raw socket, as an attacker would,
 * since an HTTP client library would never send them. Every one must be
 * answered with the JSON error shape and the security headers, and the
 * framing attacks (a body libsoup would read one way and a proxy another)
 * must close the connection before anything behind them is parsed. */
#include "leap-test-util.h"
#include "leap-json.h"
#include "leap-error.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static LeapTestRedis redis;

typedef struct
{
  char        *dir;
  GSubprocess *process;
  guint16      port;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *db = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *redis_at = g_strdup_printf ("127.0.0.1:%u", redis.port);
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;

  f->dir = leap_test_make_tmpdir ();
  db = g_strdup_printf ("sqlite:%s/leap.db", f->dir);
  f->port = leap_test_free_port ();
  listen = g_strdup_printf ("127.0.0.1:%u", f->port);
  f->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--listen",
                                            listen, "--redis", redis_at, "--database", db, NULL);
  g_assert_no_error (error);
  g_assert_true (leap_test_wait_until (leap_test_serving, GUINT_TO_POINTER (f->port), 20000));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_subprocess_send_signal (f->process, SIGTERM);
  g_subprocess_wait (f->process, NULL, NULL);
  g_clear_object (&f->process);
  leap_test_rmdir (f->dir);
  g_clear_pointer (&f->dir, g_free);
}

typedef struct
{
  GString  *text;    /* everything the server sent */
  gboolean  closed;  /* by the server (EOF or reset) within the deadline */
} Answer;

static void
answer_clear (Answer *answer)
{
  if (answer->text != NULL)
    g_string_free (answer->text, TRUE);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Answer, answer_clear)

/* Reads until the server closes or @timeout_ms pass, or, with @until, as
 * soon as that text has come. */
static void
read_answer (int         fd,
             guint       timeout_ms,
             const char *until,
             Answer     *answer)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  if (answer->text == NULL)
    answer->text = g_string_new (NULL);
  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      char buf[4096];
      ssize_t n;

      if (until != NULL && strstr (answer->text->str, until) != NULL)
        return;
      if (poll (&pfd, 1, MAX (1, (int) ((deadline - g_get_monotonic_time ()) / 1000))) <= 0)
        continue;
      n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0)
        g_string_append_len (answer->text, buf, n);
      else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        {
          answer->closed = TRUE;
          return;
        }
    }
}

/* Sends @request whole on a new connection and reads the answer. */
static void
exchange (Fixture    *f,
          const char *request,
          gsize       length,
          Answer     *answer)
{
  int fd = leap_test_connect (f->port);
  gsize sent = 0;

  while (sent < length)
    {
      ssize_t n = send (fd, request + sent, length - sent, MSG_NOSIGNAL);

      /* The server may refuse, and close, before the end. */
      if (n <= 0)
        break;
      sent += n;
    }
  read_answer (fd, 5000, NULL, answer);
  close (fd);
}

/* How many answers @text holds whose status line begins with @prefix. */
static guint
count (const char *text,
       const char *prefix)
{
  guint n = 0;

  for (const char *p = strstr (text, prefix); p != NULL; p = strstr (p + 1, prefix))
    if (g_ascii_isdigit (p[9]) && g_ascii_isdigit (p[10]) && g_ascii_isdigit (p[11]))
      n++;
  return n;
}

/* One answer and no more: @status with {"error": {"code": @code, …}}, the
 * security headers, and the connection closed after it. */
static void
assert_refused (Answer     *answer,
                guint       status,
                const char *code)
{
  g_autofree char *status_line = g_strdup_printf ("HTTP/1.1 %u ", status);
  const char *body = strstr (answer->text->str, "\r\n\r\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  JsonObject *inner;

  g_test_message ("%s", answer->text->str);
  g_assert_true (g_str_has_prefix (answer->text->str, status_line));
  g_assert_cmpuint (count (answer->text->str, "HTTP/1.1 "), ==, 1);
  g_assert_nonnull (strstr (answer->text->str, "\r\nContent-Type: application/json\r\n"));
  g_assert_nonnull (strstr (answer->text->str, "\r\nX-Content-Type-Options: nosniff\r\n"));
  g_assert_nonnull (strstr (answer->text->str, "\r\nContent-Security-Policy: "));
  g_assert_nonnull (strstr (answer->text->str, "\r\nCache-Control: no-store\r\n"));
  g_assert_nonnull (body);
  object = leap_json_parse_object (body + 4, -1, &error);
  g_assert_no_error (error);
  inner = json_object_get_object_member (object, "error");
  g_assert_nonnull (inner);
  g_assert_cmpstr (json_object_get_string_member (inner, "code"), ==, code);
  g_assert_true (json_object_has_member (inner, "message"));
  g_assert_true (answer->closed);
}

static guint
rss_kib (GSubprocess *process)
{
  g_autofree char *path =
    g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (process));
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "VmRSS:");
  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + 6, NULL, 10);
}

/* A body announced at 100 MB is refused from its headers: the 413 comes
 * while the body has not been sent at all, and the connection closes.
 * libsoup 3.2 read (and kept) the whole body first. */
static void
test_large_body_refused_at_headers (Fixture *f, gconstpointer data)
{
  static const char *paths[] = { "/api/v1/sessions", "/api/v1/venues", "/no/such/route" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_auto(Answer) answer = { 0 };
      g_autofree char *head = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: localhost\r\n"
                                               "Content-Type: application/json\r\n"
                                               "Content-Length: 104857600\r\n\r\n",
                                               paths[i]);
      guint before = rss_kib (f->process);
      int fd = leap_test_connect (f->port);

      g_assert_cmpint (send (fd, head, strlen (head), MSG_NOSIGNAL), ==, strlen (head));
      read_answer (fd, 5000, NULL, &answer);
      close (fd);
      assert_refused (&answer, 413, "too_large");
      g_assert_cmpuint (rss_kib (f->process), <, before + 4 * 1024);
    }
}

/* What nginx and libsoup would frame differently, each with a request
 * smuggled behind it: refused with 400, and nothing behind is answered. */
static void
test_framing (Fixture *f, gconstpointer data)
{
  static const char smuggled[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  static const char *requests[] = {
    /* both Content-Length and Transfer-Encoding */
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
    "Content-Length: 5\r\n\r\n0\r\n\r\n",
    /* two different Content-Lengths, and two equal ones */
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
    "Content-Length: 47\r\n\r\n{}",
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
    "Content-Length: 2\r\n\r\n{}",
    /* a Content-Length that is not 1*DIGIT */
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Length: +2\r\n\r\n{}",
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0x2\r\n\r\n{}",
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2, 2\r\n\r\n{}",
    /* chunk sizes that are not hex digits, or a chunk without its CR LF */
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    "zz\r\n",
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    "-2\r\n{}\r\n0\r\n\r\n",
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    "0x2\r\n{}\r\n0\r\n\r\n",
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    "2\r\n{}XX0\r\n\r\n",
    /* a Transfer-Encoding other than chunked, and line folding */
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n"
    "\r\n0\r\n\r\n",
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
    "0\r\n\r\n",
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Length : 2\r\n\r\n{}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_auto(Answer) answer = { 0 };
      g_autofree char *request = g_strconcat (requests[i], smuggled, NULL);

      exchange (f, request, strlen (request), &answer);
      assert_refused (&answer, 400, "malformed");
      g_assert_null (strstr (answer.text->str, "\"status\""));
    }
}

/* Requests libsoup answered with an empty 400, a reset or silence. */
static void
test_errors_in_shape (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *request;
    guint       status;
    const char *code;
  } cases[] = {
    { "GET /api/v1/events/%zz HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "malformed" },
    { "GET /api/v1/events/%4 HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "malformed" },
    { "GET /api/v1/events/1%00 HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "malformed" },
    { "GET /api/v1/events?q=%00 HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "malformed" },
    { "GET /healthz HTTP/1.1\r\n\r\n", 400, "malformed" },
    { "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "malformed" },
    { "GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "malformed" },
    { "GET /healthz\r\n", 400, "malformed" },
    { "GET /healthz HTTP/2.0\r\nHost: localhost\r\n\r\n", 400, "malformed" },
    { "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n", 400, "malformed" },
    { "GET http://localhost/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "malformed" },
    { "GET /healthz HTTP/1.1\nHost: localhost\n\n", 400, "malformed" },
    { "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-A: \001\r\n\r\n", 400, "malformed" },
    /* the WebSocket endpoint without a handshake (libsoup: an HTML 400) */
    { "GET /api/v1/live HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\n\r\n", 400, "malformed" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Answer) answer = { 0 };

      exchange (f, cases[i].request, strlen (cases[i].request), &answer);
      if (strstr (cases[i].request, "/live") != NULL)
        {
          /* A handshake error may keep the connection open. */
          answer.closed = TRUE;
        }
      assert_refused (&answer, cases[i].status, cases[i].code);
    }
}

/* A head over 64 KiB (libsoup: a reset) is answered 431, and the rest of
 * it read and dropped, so that the client gets the answer, not a reset. */
static void
test_head_too_large (Fixture *f, gconstpointer data)
{
  g_auto(Answer) answer = { 0 };
  g_autoptr(GString) request = g_string_new ("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-A: ");

  while (request->len < 100 * 1024)
    g_string_append (request, "aaaaaaaaaaaaaaaa");
  g_string_append (request, "\r\n\r\n");
  exchange (f, request->str, request->len, &answer);
  assert_refused (&answer, 431, "too_large");
}

/* The answers that pass still keep the connection, pipelined or not. */
static void
test_pipelined (Fixture *f, gconstpointer data)
{
  g_auto(Answer) answer = { 0 };
  static const char request[] =
    "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    "POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    "1\r\n{\r\n1;ext=1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n"
    "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

  exchange (f, request, strlen (request), &answer);
  g_test_message ("%s", answer.text->str);
  g_assert_cmpuint (count (answer.text->str, "HTTP/1.1 200 OK"), ==, 2);
  g_assert_cmpuint (count (answer.text->str, "HTTP/1.1 422 "), ==, 1);
  g_assert_true (answer.closed);
}

/* The Server header names the product, not libsoup's version. */
static void
test_server_header (Fixture *f, gconstpointer data)
{
  g_auto(Answer) answer = { 0 };
  static const char request[] =
    "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

  exchange (f, request, strlen (request), &answer);
  g_assert_true (g_str_has_prefix (answer.text->str, "HTTP/1.1 200 OK\r\n"));
  g_assert_nonnull (strstr (answer.text->str, "\r\nServer: Leap\r\n"));
  g_assert_null (strstr (answer.text->str, "libsoup"));
}

/* Bodies that json-glib 1.6 took although they are not JSON. */
static const char * const not_json[] = {
  "{\"username\": \"a\", \"password\": \"b\", \"x\": 010}",
  "{\"username\": \"a\", \"password\": \"b\", \"x\": 0x3}",
  "{\"username\": \"a\", \"password\": \"b\", \"x\": -01}",
  "{\"username\": \"a\", \"password\": \"b\", \"x\": +1}",
  "{\"username\": \"a\", \"password\": \"b\", \"x\": .5}",
  "{\"username\": \"a\", \"password\": \"b\", \"x\": 1.}",
  "{'username': 'a', 'password': 'b'}",
  "{\"username\": \"a\", /* a comment */ \"password\": \"b\"}",
  "{\"username\": \"a\", \"password\": \"b\"} // a comment",
  "{\"username\": \"a\", \"password\": \"b\"}\n# a comment",
  "{\"username\": \"a\tb\", \"password\": \"b\"}",
  "{\"username\": \"a\", \"password\": \"b\"}{\"username\": \"c\"}",
  "{\"username\": \"a\", \"password\": \"b\"} 1",
  "{\"username\": \"a\", \"username\": \"admin\", \"password\": \"b\"}",
  "{\"username\": \"a\", \"\\u0075sername\": \"admin\", \"password\": \"b\"}",
  "{\"username\": \"a\", \"password\": \"b\",}",
  "{\"username\": \"a\", \"password\": \"b\", \"x\": [1,]}",
  "{\"username\": \"a\", \"password\": \"b\", \"x\": NaN}",
  "{\"username\": \"a\", \"password\": \"b\", \"x\": Infinity}",
  "{\"username\": \"a\", \"password\": \"b\", \"x\": True}",
  "{username: \"a\", \"password\": \"b\"}",
  "{\"username\" \"a\", \"password\": \"b\"}",
};

static void
test_json_strict (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (not_json); i++)
    {
      g_auto(Answer) answer = { 0 };
      g_autofree char *request =
        g_strdup_printf ("POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\n"
                         "Content-Type: application/json\r\nConnection: close\r\n"
                         "Content-Length: %zu\r\n\r\n%s",
                         strlen (not_json[i]), not_json[i]);

      exchange (f, request, strlen (request), &answer);
      assert_refused (&answer, 400, "malformed");
    }
}

/* The same at the parser, which the WebSocket and Redis readers share. */
static void
test_json_strict_parser (void)
{
  static const char * const json[] = {
    "{\"a\": 1, \"b\": [true, false, null, -0, 0.5e-3, 1E+2, \"\\ud83d\\ude00\\/\\b\"]}",
    " {\"a\": {\"a\": {}}, \"b\": []}\r\n",
    "{\"\": 1, \"a\\u0000\": 2}",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (not_json); i++)
    {
      g_autoptr(GError) refused = NULL;
      g_autoptr(JsonObject) none = leap_json_parse_object (not_json[i], -1, &refused);

      g_assert_null (none);
      g_assert_error (refused, LEAP_ERROR, LEAP_ERROR_MALFORMED);
    }
  object = leap_json_parse_object (json[0], -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (object, "a"), ==, 1);
  g_clear_pointer (&object, json_object_unref);
  object = leap_json_parse_object (json[1], -1, &error);
  g_assert_no_error (error);
  g_clear_pointer (&object, json_object_unref);
  /* \u0000 stays refused: json-glib would cut the name there. */
  object = leap_json_parse_object (json[2], -1, &error);
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_MALFORMED);
  g_clear_error (&error);
  /* Out of 64 bits is out of range (422), as before. */
  object = leap_json_parse_object ("{\"a\": 99999999999999999999}", -1, &error);
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/leap/hostile-http/large-body-refused-at-headers", test_large_body_refused_at_headers);
  ADD ("/leap/hostile-http/framing", test_framing);
  ADD ("/leap/hostile-http/errors-in-shape", test_errors_in_shape);
  ADD ("/leap/hostile-http/head-too-large", test_head_too_large);
  ADD ("/leap/hostile-http/pipelined", test_pipelined);
  ADD ("/leap/hostile-http/server-header", test_server_header);
  ADD ("/leap/hostile-http/json-strict", test_json_strict);
#undef ADD
  g_test_add_func ("/leap/hostile-http/json-strict-parser", test_json_strict_parser);
  status = g_test_run ();
  leap_test_redis_clear (&redis);
  return status;
}
