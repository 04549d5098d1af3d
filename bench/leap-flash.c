/* SPDX-License-Identifier: GPL-3.0-or-later */
/* leap-flash: a flash-sale load generator. N keep-alive connections POST the
 * same request as fast as answers come back, until M answers are in; it
 * prints the rate and the latency percentiles of each status separately.
 * One thread and epoll: a few microseconds a request, so it is not what
 * limits the measurement.
 *
 * usage: leap-flash HOST PORT PATH TOKEN BODY CONNECTIONS MAX_REQUESTS */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct
{
  int    fd;
  double sent_at;
  char   buf[16384];
  size_t len;
} Conn;

typedef struct
{
  double *lat;
  size_t  n, cap;
} Series;

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
series_add (Series *s, double v)
{
  if (s->n == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 4096;
      s->lat = realloc (s->lat, s->cap * sizeof (double));
    }
  s->lat[s->n++] = v;
}

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
pct (Series *s, double p)
{
  size_t i;

  if (s->n == 0)
    return 0;
  i = (size_t) (p * (s->n - 1) + 0.5);
  return s->lat[i] * 1000.0;
}

static int
connect_to (const char *host, int port)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0), one = 1;

  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  inet_pton (AF_INET, host, &addr.sin_addr);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      perror ("connect");
      exit (1);
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl (fd, F_SETFL, O_NONBLOCK);
  return fd;
}

int
main (int argc, char *argv[])
{
  const char *host, *path, *token, *body;
  int port, nconns, epfd;
  long max_requests, sent = 0, done = 0;
  Conn *conns;
  Series s201 = { 0 }, s409 = { 0 }, sother = { 0 };
  char request[4096];
  int reqlen;
  double start, end, last_201 = 0;

  if (argc != 8)
    {
      fprintf (stderr, "usage: %s HOST PORT PATH TOKEN BODY CONNECTIONS MAX_REQUESTS\n", argv[0]);
      return 2;
    }
  host = argv[1];
  port = atoi (argv[2]);
  path = argv[3];
  token = argv[4];
  body = argv[5];
  nconns = atoi (argv[6]);
  max_requests = atol (argv[7]);
  reqlen = snprintf (request, sizeof request,
                     "POST %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     path, host, port, token, strlen (body), body);

  epfd = epoll_create1 (0);
  conns = calloc (nconns, sizeof (Conn));
  start = now_s ();
  for (int i = 0; i < nconns; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

      conns[i].fd = connect_to (host, port);
      epoll_ctl (epfd, EPOLL_CTL_ADD, conns[i].fd, &ev);
      if (sent < max_requests)
        {
          conns[i].sent_at = now_s ();
          if (write (conns[i].fd, request, reqlen) != reqlen)
            return 1;
          sent++;
        }
    }

  while (done < sent)
    {
      struct epoll_event events[256];
      int n = epoll_wait (epfd, events, 256, 10000);

      if (n <= 0)
        {
          fprintf (stderr, "no answer for 10 s (%ld of %ld done)\n", done, sent);
          return 1;
        }
      for (int e = 0; e < n; e++)
        {
          Conn *c = &conns[events[e].data.u32];
          ssize_t r = read (c->fd, c->buf + c->len, sizeof c->buf - c->len - 1);
          char *head_end, *cl;
          size_t need;
          int status;

          if (r <= 0)
            {
              if (r < 0 && errno == EAGAIN)
                continue;
              fprintf (stderr, "connection closed by the server\n");
              return 1;
            }
          c->len += r;
          c->buf[c->len] = '\0';
          head_end = strstr (c->buf, "\r\n\r\n");
          if (head_end == NULL)
            continue;
          cl = strcasestr (c->buf, "\r\nContent-Length:");
          need = (head_end - c->buf) + 4 + (cl && cl < head_end ? strtoul (cl + 17, NULL, 10) : 0);
          if (c->len < need)
            continue;

          status = atoi (c->buf + 9);
          {
            double t = now_s ();
            series_add (status == 201 ? &s201 : status == 409 ? &s409 : &sother, t - c->sent_at);
            if (status == 201)
              last_201 = t;
          }
          done++;
          memmove (c->buf, c->buf + need, c->len - need);
          c->len -= need;

          if (sent < max_requests)
            {
              c->sent_at = now_s ();
              if (write (c->fd, request, reqlen) != reqlen)
                return 1;
              sent++;
            }
        }
    }
  end = now_s ();

  qsort (s201.lat, s201.n, sizeof (double), cmp);
  qsort (s409.lat, s409.n, sizeof (double), cmp);
  qsort (sother.lat, sother.n, sizeof (double), cmp);
  printf ("requests      %ld in %.2f s (%.0f/s), %d connections\n", done, end - start, done / (end - start), nconns);
  printf ("201 held      %zu; %.0f holds/s until the last one   p50 %.2f ms  p99 %.2f ms\n",
          s201.n, s201.n / (last_201 - start), pct (&s201, 0.5), pct (&s201, 0.99));
  printf ("409 sold out  %zu   p50 %.2f ms  p99 %.2f ms\n", s409.n, pct (&s409, 0.5), pct (&s409, 0.99));
  printf ("other         %zu\n", sother.n);
  return sother.n == 0 ? 0 : 1;
}
