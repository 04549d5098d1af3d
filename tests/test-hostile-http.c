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

static gboolean
serving (gpointer data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host (client, "127.0.0.1", GPOINTER_TO_UINT (data), NULL, NULL);
  return conn != NULL;
}

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
  g_assert_true (leap_test_wait_until (serving, GUINT_TO_POINTER (f->port), 20000));
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

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/leap/hostile-http/server-header", test_server_header);
#undef ADD
  status = g_test_run ();
  leap_test_redis_clear (&redis);
  return status;
}
