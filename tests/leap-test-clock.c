/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A clock off by LEAP_TEST_CLOCK_OFFSET_S seconds (e.g. "600", "-600"),
 * preloaded (LD_PRELOAD) into a leap-backend that a test runs with a
 * skewed wall clock. Only the wall clock moves: the monotonic clock, which
 * timers run on, is left alone.
 *
 * Not libfaketime: it initialises itself lazily from inside the first
 * clock call, and a process built with AddressSanitizer makes that call
 * during its own start-up; libfaketime then recurses and can hang the
 * process (seen in CI). This one only makes system calls and reads its
 * offset from the environment, so it works at any moment. */

#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long
offset_s (void)
{
  /* Read every time: a handful of characters, no allocation. */
  const char *text = getenv ("LEAP_TEST_CLOCK_OFFSET_S");

  return text != NULL ? strtol (text, NULL, 10) : 0;
}

static int
real_clock_gettime (clockid_t        clock,
                    struct timespec *ts)
{
  return (int) syscall (SYS_clock_gettime, clock, ts);
}

int
clock_gettime (clockid_t        clock,
               struct timespec *ts)
{
  int result = real_clock_gettime (clock, ts);

  if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE))
    ts->tv_sec += offset_s ();
  return result;
}

int
gettimeofday (struct timeval *tv,
              void           *tz)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_REALTIME, &ts) != 0)
    return -1;
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}

time_t
time (time_t *out)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  if (out != NULL)
    *out = ts.tv_sec;
  return ts.tv_sec;
}
