/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Slow clients against the real leap-backend: a client that trickles its
 * request (a slowloris) must not keep a connection longer than the idle
 * timeout, however steadily it sends, while a client that is merely slow
 * within that time is answered. */
#include "leap-test-util.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IDLE_TIMEOUT_S 3
/* The guard sweeps every second at this timeout: closed by 4 s, and some
 * slack for a loaded machine (or AddressSanitizer). */
#define CLOSED_WITHIN_S (IDLE_TIMEOUT_S + 6)

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
                                            listen, "--redis", redis_at, "--database", db,
                                            "--idle-timeout", G_STRINGIFY (IDLE_TIMEOUT_S), NULL);
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

/* A client that sends @head at once, then @trickle one byte a second. */
typedef struct
{
  const char *name;
  const char *head;
  const char *trickle;
  int         fd;
  gsize       sent;       /* of @trickle */
  gint64      opened;     /* monotonic µs */
  gint64      closed;     /* 0 while open */
  GString    *answer;     /* what the server sent back */
} Trickler;

static void
trickler_open (Trickler *t,
               guint16   port)
{
  t->fd = leap_test_connect (port);
  t->opened = g_get_monotonic_time ();
  t->answer = g_string_new (NULL);
  if (*t->head != '\0')
    g_assert_cmpint (send (t->fd, t->head, strlen (t->head), MSG_NOSIGNAL), ==, strlen (t->head));
}

/* Reads what the server sent; notes the close (EOF or reset). */
static void
trickler_read (Trickler *t)
{
  char buf[1024];
  ssize_t n = recv (t->fd, buf, sizeof buf, MSG_DONTWAIT);

  if (n > 0)
    g_string_append_len (t->answer, buf, n);
  else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
    t->closed = g_get_monotonic_time ();
}

static void
trickler_send_byte (Trickler *t)
{
  if (t->closed != 0 || t->trickle[t->sent] == '\0')
    return;
  if (send (t->fd, t->trickle + t->sent, 1, MSG_NOSIGNAL) == 1)
    t->sent++;
  else
    t->closed = g_get_monotonic_time ();
}

/* Paced by the server: waits up to a second for any of them to be answered
 * or closed, then each sends its next byte; until all are closed or the
 * deadline passes. */
static void
run_tricklers (Trickler *t,
               guint     n,
               guint     deadline_s)
{
  gint64 deadline = g_get_monotonic_time () + deadline_s * G_USEC_PER_SEC;
  gint64 next_byte = g_get_monotonic_time () + G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd fds[8];
      guint open = 0;

      g_assert_cmpuint (n, <=, G_N_ELEMENTS (fds));
      for (guint i = 0; i < n; i++)
        {
          fds[i].fd = t[i].closed ? -1 : t[i].fd;
          fds[i].events = POLLIN;
          fds[i].revents = 0;
          open += t[i].closed == 0;
        }
      if (open == 0)
        return;
      poll (fds, n, MAX (0, (int) ((next_byte - g_get_monotonic_time ()) / 1000)));
      for (guint i = 0; i < n; i++)
        if (fds[i].revents != 0)
          trickler_read (&t[i]);
      if (g_get_monotonic_time () >= next_byte)
        {
          for (guint i = 0; i < n; i++)
            trickler_send_byte (&t[i]);
          next_byte += G_USEC_PER_SEC;
        }
    }
}

static double
open_for_s (const Trickler *t)
{
  return (t->closed - t->opened) / (double) G_USEC_PER_SEC;
}

/* A slowloris keeps a byte coming every second, so that no single read ever
 * waits long: the whole request still has the idle timeout to arrive. */
static void
test_trickle (Fixture *f, gconstpointer data)
{
  static const char body_head[] = "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Content-Type: application/json\r\nContent-Length: 60\r\n\r\n";
  static const char body[] = "{\"username\": \"nobody\", \"password\": \"not-the-password\"}      ";
  Trickler t[] = {
    { "headers", "",
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris-test\r\n\r\n" },
    { "body", body_head, body },
    { "chunked body", "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      "1\r\n{\r\n1\r\n \r\n1\r\n \r\n1\r\n \r\n1\r\n \r\n"
      "1\r\n \r\n1\r\n \r\n1\r\n \r\n1\r\n \r\n" },
    { "headers then nothing", body_head, "" },
  };

  G_STATIC_ASSERT (sizeof body - 1 == 60);
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    trickler_open (&t[i], f->port);
  run_tricklers (t, G_N_ELEMENTS (t), CLOSED_WITHIN_S);

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      if (t[i].closed == 0)
        g_test_message ("%s: still open after %u s, %zu of %zu bytes sent", t[i].name,
                        CLOSED_WITHIN_S, t[i].sent, strlen (t[i].trickle));
      else
        g_test_message ("%s: closed by the server after %.1f s, %zu of %zu bytes sent", t[i].name,
                        open_for_s (&t[i]), t[i].sent, strlen (t[i].trickle));
      g_assert_cmpint (t[i].closed, !=, 0);
      /* Not before the timeout: the guard does not cut a request short. */
      g_assert_cmpfloat (open_for_s (&t[i]), >=, IDLE_TIMEOUT_S - 0.1);
      /* Closed unanswered, and before the request was complete. */
      g_assert_cmpuint (t[i].answer->len, ==, 0);
      g_assert_cmpuint (t[i].sent, <, strlen (t[i].trickle) + (*t[i].trickle == '\0'));
    }

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      close (t[i].fd);
      g_string_free (t[i].answer, TRUE);
    }
}

/* Slow but within the timeout: headers, then the body a second later. The
 * request is answered, and the connection serves another request. */
static void
test_slow_but_in_time (Fixture *f, gconstpointer data)
{
  static const char head[] = "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\nContent-Length: 54\r\n\r\n";
  static const char body[] = "{\"username\": \"nobody\", \"password\": \"not-the-password\"}";
  static const char again[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  Trickler t = { "in time", head, "" };

  G_STATIC_ASSERT (sizeof body - 1 == 54);
  trickler_open (&t, f->port);
  /* A second of nothing from the server: the body is still to come. */
  run_tricklers (&t, 1, 1);
  g_assert_cmpint (t.closed, ==, 0);
  g_assert_cmpuint (t.answer->len, ==, 0);
  g_assert_cmpint (send (t.fd, body, sizeof body - 1, MSG_NOSIGNAL), ==, sizeof body - 1);
  /* Answered (wrong password), on a connection that stays open. */
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (strstr (t.answer->str, "}}") == NULL && t.closed == 0 &&
           g_get_monotonic_time () < deadline)
      {
        struct pollfd p = { t.fd, POLLIN, 0 };

        if (poll (&p, 1, 100) > 0)
          trickler_read (&t);
      }
  }
  g_assert_true (g_str_has_prefix (t.answer->str, "HTTP/1.1 401"));
  g_assert_cmpint (t.closed, ==, 0);

  g_string_truncate (t.answer, 0);
  g_assert_cmpint (send (t.fd, again, sizeof again - 1, MSG_NOSIGNAL), ==, sizeof again - 1);
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (strstr (t.answer->str, "\"ok\"") == NULL && t.closed == 0 &&
           g_get_monotonic_time () < deadline)
      {
        struct pollfd p = { t.fd, POLLIN, 0 };

        if (poll (&p, 1, 100) > 0)
          trickler_read (&t);
      }
  }
  g_assert_true (g_str_has_prefix (t.answer->str, "HTTP/1.1 200"));
  close (t.fd);
  g_string_free (t.answer, TRUE);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  g_test_add ("/leap/slow-clients/trickle", Fixture, NULL, setup, test_trickle, teardown);
  g_test_add ("/leap/slow-clients/slow-but-in-time", Fixture, NULL, setup, test_slow_but_in_time,
              teardown);
  status = g_test_run ();
  leap_test_redis_clear (&redis);
  return status;
}
