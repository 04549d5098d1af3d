/* SPDX-License-Identifier: GPL-3.0-or-later */
/* leap-flash: a flash-sale load generator. N keep-alive connections POST the
 * same request as fast as answers come back, until M answers are in; it
 * prints the rate and the latency percentiles of each status separately.
 *
 * usage: leap-flash HOST PORT PATH TOKEN BODY CONNECTIONS MAX_REQUESTS */
#include "leap-load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  char       request[4096];
  size_t     len;
  long       max_requests;
  LeapSeries s201, s409, other;
  double     last_201;
} Flash;

static size_t
next (void   *data,
      long    index,
      char   *buf,
      size_t  size)
{
  Flash *f = data;

  if (index >= f->max_requests || f->len > size)
    return 0;
  memcpy (buf, f->request, f->len);
  return f->len;
}

static void
response (void       *data,
          long        index,
          int         status,
          const char *body,
          size_t      body_len,
          double      latency)
{
  Flash *f = data;

  leap_series_add (status == 201 ? &f->s201 : status == 409 ? &f->s409 : &f->other, latency);
  if (status == 201)
    f->last_201 = leap_now_s ();
}

int
main (int argc, char *argv[])
{
  static Flash f;
  double start, end;
  long done;
  int n;

  if (argc != 8)
    {
      fprintf (stderr, "usage: %s HOST PORT PATH TOKEN BODY CONNECTIONS MAX_REQUESTS\n", argv[0]);
      return 2;
    }
  n = snprintf (f.request, sizeof f.request,
                "POST %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                argv[3], argv[1], argv[2], argv[4], strlen (argv[5]), argv[5]);
  if (n < 0 || (size_t) n >= sizeof f.request)
    return 2;
  f.len = n;
  f.max_requests = atol (argv[7]);

  start = leap_now_s ();
  done = leap_load_run (argv[1], atoi (argv[2]), atoi (argv[6]), next, response, &f);
  end = leap_now_s ();
  if (done < 0)
    return 1;

  leap_series_sort (&f.s201);
  leap_series_sort (&f.s409);
  printf ("requests      %ld in %.2f s (%.0f/s), %s connections\n", done, end - start,
          done / (end - start), argv[6]);
  printf ("201 held      %zu; %.0f holds/s until the last one   p50 %.2f ms  p99 %.2f ms\n",
          f.s201.n, f.s201.n / (f.last_201 - start), leap_series_pct (&f.s201, 0.5),
          leap_series_pct (&f.s201, 0.99));
  printf ("409 sold out  %zu   p50 %.2f ms  p99 %.2f ms\n", f.s409.n,
          leap_series_pct (&f.s409, 0.5), leap_series_pct (&f.s409, 0.99));
  printf ("other         %zu\n", f.other.n);
  return f.other.n == 0 ? 0 : 1;
}
