/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A small HTTP/1.1 load generator core shared by the benchmarks: N
 * keep-alive connections, one thread and epoll, a new request on a
 * connection as soon as its answer is in. A few microseconds a request, so
 * it is not what limits a measurement. */
#pragma once

#include <stddef.h>

typedef struct
{
  double *v;
  size_t  n, cap;
} LeapSeries;

double leap_now_s        (void);
void   leap_series_add   (LeapSeries *s,
                          double      v);
/* Sorts the series; then leap_series_pct answers in milliseconds. */
void   leap_series_sort  (LeapSeries *s);
double leap_series_pct   (LeapSeries *s,
                          double      p);

/* Writes request number INDEX into BUF (at most SIZE bytes) and returns
 * its length, or 0 when there are no more requests. */
typedef size_t (*LeapLoadNext)     (void       *data,
                                    long        index,
                                    char       *buf,
                                    size_t      size);
/* The answer to request INDEX, LATENCY seconds after it was sent. */
typedef void   (*LeapLoadResponse) (void       *data,
                                    long        index,
                                    int         status,
                                    const char *body,
                                    size_t      body_len,
                                    double      latency);

/* Runs until every request has its answer; returns the number of answers,
 * or -1 after an error (printed). */
long   leap_load_run     (const char       *host,
                          int               port,
                          int               connections,
                          LeapLoadNext      next,
                          LeapLoadResponse  response,
                          void             *data);
