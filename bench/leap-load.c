/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "leap-load.h"

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
  long   index;
  double sent_at;
  char   buf[65536];
  size_t len;
} Conn;

double
leap_now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
leap_series_add (LeapSeries *s,
                 double      v)
{
  if (s->n == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 4096;
      s->v = realloc (s->v, s->cap * sizeof (double));
    }
  s->v[s->n++] = v;
}

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

void
leap_series_sort (LeapSeries *s)
{
  qsort (s->v, s->n, sizeof (double), cmp);
}

double
leap_series_pct (LeapSeries *s,
                 double      p)
{
  if (s->n == 0)
    return 0;
  return s->v[(size_t) (p * (s->n - 1) + 0.5)] * 1000.0;
}

static int
connect_to (const char *host,
            int         port)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0), one = 1;

  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  inet_pton (AF_INET, host, &addr.sin_addr);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      perror ("connect");
      return -1;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl (fd, F_SETFL, O_NONBLOCK);
  return fd;
}

/* Sends the next request on C, if there is one. */
static int
send_next (Conn         *c,
           long         *sent,
           LeapLoadNext  next,
           void         *data)
{
  char request[8192];
  size_t len = next (data, *sent, request, sizeof request);

  if (len == 0)
    return 0;
  c->index = (*sent)++;
  c->sent_at = leap_now_s ();
  if (write (c->fd, request, len) != (ssize_t) len)
    {
      perror ("write");
      return -1;
    }
  return 1;
}

long
leap_load_run (const char       *host,
               int               port,
               int               connections,
               LeapLoadNext      next,
               LeapLoadResponse  response,
               void             *data)
{
  int epfd = epoll_create1 (0);
  Conn *conns = calloc (connections, sizeof (Conn));
  long sent = 0, done = 0, result = -1;

  for (int i = 0; i < connections; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

      if ((conns[i].fd = connect_to (host, port)) < 0)
        goto out;
      epoll_ctl (epfd, EPOLL_CTL_ADD, conns[i].fd, &ev);
      if (send_next (&conns[i], &sent, next, data) < 0)
        goto out;
    }

  while (done < sent)
    {
      struct epoll_event events[256];
      int n = epoll_wait (epfd, events, 256, 10000);

      if (n <= 0)
        {
          fprintf (stderr, "no answer for 10 s (%ld of %ld done)\n", done, sent);
          goto out;
        }
      for (int e = 0; e < n; e++)
        {
          Conn *c = &conns[events[e].data.u32];
          ssize_t r = read (c->fd, c->buf + c->len, sizeof c->buf - c->len - 1);
          char *head_end, *cl;
          size_t head, need;

          if (r <= 0)
            {
              if (r < 0 && errno == EAGAIN)
                continue;
              fprintf (stderr, "connection closed by the server\n");
              goto out;
            }
          c->len += r;
          c->buf[c->len] = '\0';
          head_end = strstr (c->buf, "\r\n\r\n");
          if (head_end == NULL)
            continue;
          cl = strcasestr (c->buf, "\r\nContent-Length:");
          head = (head_end - c->buf) + 4;
          need = head + (cl && cl < head_end ? strtoul (cl + 17, NULL, 10) : 0);
          if (c->len < need)
            continue;

          response (data, c->index, atoi (c->buf + 9), c->buf + head, need - head,
                    leap_now_s () - c->sent_at);
          done++;
          memmove (c->buf, c->buf + need, c->len - need);
          c->len -= need;
          if (send_next (c, &sent, next, data) < 0)
            goto out;
        }
    }
  result = done;

out:
  for (int i = 0; i < connections; i++)
    if (conns[i].fd > 0)
      close (conns[i].fd);
  free (conns);
  close (epfd);
  return result;
}
