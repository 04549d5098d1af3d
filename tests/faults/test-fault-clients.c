/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Misbehaving clients during a flash sale, against the real leap-backend:
 * clients that vanish in the middle of a request, and slow clients that
 * hold connections open without finishing a request. */
#include "leap-fault.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static LeapTestRedis redis;

#define IDLE_TIMEOUT_S 2

static void
setup (LeapFault *f, gconstpointer data)
{
  g_autofree char *config = NULL;

  leap_fault_setup (f, 600, 300);
  config = g_build_filename (f->tb.dir, "backend.conf", NULL);
  g_assert_true (g_file_set_contents (config,
                                      "[backend]\nidle-timeout=" G_STRINGIFY (IDLE_TIMEOUT_S) "\n",
                                      -1, NULL));
  f->backend_config = g_intern_string (config);
  leap_fault_start_backend_process (f);
}

static void
teardown (LeapFault *f, gconstpointer data)
{
  leap_fault_teardown (f);
}

static int
connect_to (LeapFault *f)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  addr.sin_family = AF_INET;
  addr.sin_port = htons (f->backend_port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  return fd;
}

static void
send_all (int         fd,
          const char *data,
          gsize       len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      g_assert_cmpint (n, >, 0);
      data += n;
      len -= n;
    }
}

static guint
count_fds (LeapFault *f)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", g_subprocess_get_identifier (f->backend));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

typedef struct
{
  LeapFault *f;
  guint      limit;
} FdsWait;

static gboolean
fds_back (gpointer data)
{
  FdsWait *w = data;
  return count_fds (w->f) <= w->limit;
}

static void
assert_no_server_errors (LeapFault *f)
{
  for (guint i = 0; i < LEAP_FAULT_N_PHASES; i++)
    {
      g_assert_cmpuint (leap_fault_get_stats (f, i)->server, ==, 0);
      g_assert_cmpuint (leap_fault_get_stats (f, i)->transport, ==, 0);
    }
}

/* 300 clients that leave in the middle: a body cut short, a whole hold
 * request sent and the connection closed before the answer, and the
 * connection reset (RST) just after the headers. */
static void
test_disconnect (LeapFault *f, gconstpointer data)
{
  g_autofree char *hold = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": 1}]}",
                                           f->event, f->tiers[0]);
  g_autofree char *full =
      g_strdup_printf ("POST /api/v1/holds HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\n\r\n%s",
                       f->cashier, strlen (hold), hold);
  g_autofree char *cut =
      g_strdup_printf ("POST /api/v1/holds HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: 500\r\n\r\n%.20s",
                       f->cashier, hold);
  guint before;
  FdsWait w = { f, 0 };

  leap_fault_start_worker (f, "w1", 1000, 0);
  leap_fault_load_start (f, 50);
  leap_fault_wait_holds (f, 100, 20000);
  before = count_fds (f);

  leap_fault_set_phase (f, LEAP_FAULT_DURING);
  for (guint round = 0; round < 10; round++)
    {
      for (guint i = 0; i < 10; i++)
        {
          int a = connect_to (f), b = connect_to (f), c = connect_to (f);
          struct linger reset = { 1, 0 };

          send_all (a, cut, strlen (cut));
          close (a);
          send_all (b, full, strlen (full));
          close (b);
          send_all (c, full, strstr (full, "\r\n\r\n") + 4 - full);
          g_assert_cmpint (setsockopt (c, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), ==, 0);
          close (c);
        }
      leap_fault_run_for (f, 50);
    }

  leap_fault_set_phase (f, LEAP_FAULT_AFTER);
  leap_fault_assert_recovers (f, 10000);
  leap_fault_wait_requests (f, 200, 20000);
  leap_fault_load_stop (f);
  /* Every connection of the vanished clients is closed again. */
  w.limit = before + 10;
  g_assert_true (leap_test_wait_until (fds_back, &w, 10000));
  leap_fault_assert_invariants (f);
  g_test_message ("clients vanishing mid-request: backend descriptors %u during the sale, %u after",
                  before, count_fds (f));
  leap_fault_print_figures (f, "300 clients vanishing mid-request");
  assert_no_server_errors (f);
}

/* Slow clients hold connections: 300 that connect and send nothing, 50
 * that trickle a request's headers a byte at a time. The sale goes on,
 * and the idle ones are closed after the idle timeout. */
typedef struct
{
  int  *fds;
  guint n;
  guint sent;
} Trickle;

static gboolean
trickle_cb (gpointer data)
{
  Trickle *t = data;
  static const char headers[] = "POST /api/v1/holds HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

  for (guint i = 0; i < t->n; i++)
    if (t->fds[i] >= 0)
      {
        char c = t->sent < sizeof headers - 1 ? headers[t->sent] : 'a';

        if (send (t->fds[i], &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
          {
            close (t->fds[i]);
            t->fds[i] = -1;
          }
      }
  t->sent++;
  return G_SOURCE_CONTINUE;
}

static guint
closed_by_server (int  *fds,
                  guint n)
{
  guint closed = 0;

  for (guint i = 0; i < n; i++)
    {
      char c;

      if (fds[i] < 0)
        closed++;
      else if (recv (fds[i], &c, 1, MSG_DONTWAIT) == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        closed++;
    }
  return closed;
}

typedef struct
{
  int  *fds;
  guint n;
} Closed;

static gboolean
all_closed (gpointer data)
{
  Closed *c = data;
  return closed_by_server (c->fds, c->n) == c->n;
}

static void
test_slow (LeapFault *f, gconstpointer data)
{
  int idle[300], slow[50];
  Trickle t = { slow, G_N_ELEMENTS (slow), 0 };
  Closed idle_closed = { idle, G_N_ELEMENTS (idle) };
  const LeapFaultStats *during;
  guint trickle_id, slow_closed;
  gint64 started;

  leap_fault_start_worker (f, "w1", 1000, 0);
  leap_fault_load_start (f, 50);
  leap_fault_wait_holds (f, 100, 20000);

  leap_fault_set_phase (f, LEAP_FAULT_DURING);
  started = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (idle); i++)
    idle[i] = connect_to (f);
  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    slow[i] = connect_to (f);
  trickle_id = g_timeout_add (200, trickle_cb, &t);
  leap_fault_run_for (f, 1000);
  during = leap_fault_get_stats (f, LEAP_FAULT_DURING);
  /* The sale is not held up by them. */
  g_assert_cmpuint (during->requests, >, 100);

  /* The idle ones are closed by the server after the idle timeout. */
  g_assert_true (leap_test_wait_until (all_closed, &idle_closed, (IDLE_TIMEOUT_S + 10) * 1000));
  g_test_message (
      "slow clients: 300 idle connections closed by the server %.1f s after they opened",
      (g_get_monotonic_time () - started) / 1e6);
  {
    Closed slow_all = { slow, G_N_ELEMENTS (slow) };

    /* A figure, not a check: how long a client trickling its headers keeps
     * its connection (a slowloris). */
    leap_test_wait_until (all_closed, &slow_all, (IDLE_TIMEOUT_S + 6) * 1000);
  }
  slow_closed = closed_by_server (slow, G_N_ELEMENTS (slow));
  g_test_message ("slow clients: %u of 50 trickling headers closed by the server after %.1f s",
                  slow_closed, (g_get_monotonic_time () - started) / 1e6);
  g_source_remove (trickle_id);
  for (guint i = 0; i < G_N_ELEMENTS (idle); i++)
    close (idle[i]);
  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    if (slow[i] >= 0)
      close (slow[i]);

  leap_fault_set_phase (f, LEAP_FAULT_AFTER);
  leap_fault_assert_recovers (f, 10000);
  leap_fault_wait_requests (f, 200, 20000);
  leap_fault_load_stop (f);
  leap_fault_assert_invariants (f);
  leap_fault_print_figures (f, "350 slow clients");
  assert_no_server_errors (f);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_fault_global_init (&redis);
  g_test_add ("/leap/faults/clients/disconnect-mid-request", LeapFault, NULL, setup,
              test_disconnect, teardown);
  g_test_add ("/leap/faults/clients/slow", LeapFault, NULL, setup, test_slow, teardown);
  status = g_test_run ();
  leap_fault_global_fini (&redis);
  return status;
}
