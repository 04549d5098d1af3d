/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libsoup 3.2.3 keeps the descriptor of every keep-alive connection that a
 * client closes between requests. The real leap-backend, thousands of
 * clients that come and go: its open descriptors must not grow. */
#include "leap-test-util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static LeapTestRedis redis;

static guint
count_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* One keep-alive request and its whole answer; the connection stays open. */
static void
request (int fd)
{
  static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  char buf[2048];
  gsize got = 0;

  g_assert_cmpint (write (fd, req, sizeof req - 1), ==, sizeof req - 1);
  while (got < sizeof buf - 1)
    {
      ssize_t r = read (fd, buf + got, sizeof buf - 1 - got);
      g_assert_cmpint (r, >, 0);
      got += r;
      buf[got] = '\0';
      if (strstr (buf, "{\"status\":\"ok\"}") != NULL)
        return;
    }
  g_assert_not_reached ();
}

typedef struct
{
  GPid  pid;
  guint limit;
} Fds;

static gboolean
fds_settled (gpointer data)
{
  Fds *fds = data;
  return count_fds (fds->pid) <= fds->limit;
}

static void
test_fds_stable (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *db = g_strdup_printf ("sqlite:%s/leap.db", dir);
  g_autofree char *listen = NULL;
  g_autofree char *redis_at = g_strdup_printf ("127.0.0.1:%u", redis.port);
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port = leap_test_free_port ();
  guint before, after;
  Fds fds;

  listen = g_strdup_printf ("127.0.0.1:%u", port);
  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--listen", listen,
                                   "--redis", redis_at, "--database", db, NULL);
  g_assert_no_error (error);
  g_assert_true (leap_test_wait_until (leap_test_serving, GUINT_TO_POINTER (port), 20000));
  fds.pid = atoi (g_subprocess_get_identifier (p));

  /* Warm up, then count. */
  for (guint i = 0; i < 20; i++)
    {
      int fd = leap_test_connect (port);
      request (fd);
      close (fd);
    }
  fds.limit = count_fds (fds.pid) + 5;
  g_assert_true (leap_test_wait_until (fds_settled, &fds, 10000));
  before = count_fds (fds.pid);

  /* 3,000 clients, 50 at a time: each makes a request and leaves while its
   * connection is idle. */
  for (guint round = 0; round < 60; round++)
    {
      int batch[50];

      for (guint i = 0; i < G_N_ELEMENTS (batch); i++)
        {
          batch[i] = leap_test_connect (port);
          request (batch[i]);
        }
      for (guint i = 0; i < G_N_ELEMENTS (batch); i++)
        close (batch[i]);
    }

  fds.limit = before + 10;
  leap_test_wait_until (fds_settled, &fds, 10000);
  after = count_fds (fds.pid);
  g_test_message ("backend descriptors: %u before, %u after 3000 connections", before, after);
  g_assert_cmpuint (after, <=, before + 10);

  g_subprocess_send_signal (p, SIGTERM);
  g_subprocess_wait (p, NULL, NULL);
  leap_test_rmdir (dir);
}

static guint
rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "VmRSS:");
  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + 6, NULL, 10);
}

/* A chunked body announces no length, so it cannot be refused before it
 * is read: 128 MiB of it must still cost the backend no memory, and get
 * 413 on the same connection. */
static void
test_chunked_body_bounded (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *db = g_strdup_printf ("sqlite:%s/leap.db", dir);
  g_autofree char *listen = NULL;
  g_autofree char *redis_at = g_strdup_printf ("127.0.0.1:%u", redis.port);
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  static const char head[] = "POST /api/v1/venues HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  g_autofree char *chunk = NULL;
  guint16 port = leap_test_free_port ();
  gsize chunk_len;
  char answer[4096];
  gsize got = 0;
  guint before, after;
  GPid pid;
  int fd;

  listen = g_strdup_printf ("127.0.0.1:%u", port);
  /* Under AddressSanitizer freed memory waits in a quarantine (256 MiB)
   * and would count as resident: no quarantine for this backend. */
  {
    g_autofree char *asan =
        g_strdup_printf ("%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0",
                         g_getenv ("ASAN_OPTIONS") ? g_getenv ("ASAN_OPTIONS") : "",
                         g_getenv ("ASAN_OPTIONS") ? ":" : "");

    g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
  }
  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--listen", listen,
                                   "--redis", redis_at, "--database", db, NULL);
  g_assert_no_error (error);
  g_assert_true (leap_test_wait_until (leap_test_serving, GUINT_TO_POINTER (port), 20000));
  pid = atoi (g_subprocess_get_identifier (p));
  fd = leap_test_connect (port);
  request (fd);
  before = rss_kib (pid);

  {
    g_autofree char *data = g_malloc (65536);

    memset (data, ' ', 65536);
    chunk = g_strdup_printf ("10000\r\n%.*s\r\n", 65536, data);
    chunk_len = strlen (chunk);
  }
  g_assert_cmpint (write (fd, head, sizeof head - 1), ==, sizeof head - 1);
  for (guint i = 0; i < 2048; i++)
    {
      gsize done = 0;

      while (done < chunk_len)
        {
          ssize_t w = write (fd, chunk + done, chunk_len - done);

          g_assert_cmpint (w, >, 0);
          done += w;
        }
    }
  g_assert_cmpint (write (fd, "0\r\n\r\n", 5), ==, 5);
  while (got < sizeof answer - 1 && strstr (answer, "too_large") == NULL)
    {
      ssize_t r = read (fd, answer + got, sizeof answer - 1 - got);

      g_assert_cmpint (r, >, 0);
      got += r;
      answer[got] = '\0';
    }
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 413"));
  after = rss_kib (pid);
  g_test_message ("backend RSS %u KiB before, %u KiB after a 128 MiB chunked body", before, after);
  g_assert_cmpuint (after, <, before + 32 * 1024);
  /* The connection goes on. */
  request (fd);
  close (fd);

  g_subprocess_send_signal (p, SIGTERM);
  g_subprocess_wait (p, NULL, NULL);
  leap_test_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  g_test_add_func ("/leap/fds/stable-after-many-connections", test_fds_stable);
  g_test_add_func ("/leap/fds/chunked-body-bounded", test_chunked_body_bounded);
  status = g_test_run ();
  leap_test_redis_clear (&redis);
  return status;
}
