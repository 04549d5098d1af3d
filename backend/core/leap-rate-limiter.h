/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "leap-redis.h"

G_BEGIN_DECLS

#define LEAP_TYPE_RATE_LIMITER (leap_rate_limiter_get_type ())
G_DECLARE_FINAL_TYPE (LeapRateLimiter, leap_rate_limiter, LEAP, RATE_LIMITER, GObject)

typedef enum
{
  LEAP_RATE_LIMIT_CHECK, /* is every key under its limit? */
  LEAP_RATE_LIMIT_TAKE,  /* the same, and if so count one against each */
  LEAP_RATE_LIMIT_ADD,   /* count one against each, whatever the limits */
  LEAP_RATE_LIMIT_RESET, /* forget the keys' counts */
} LeapRateLimitOp;

LeapRateLimiter *leap_rate_limiter_new          (LeapRedis        *redis,
                                                 const char       *name,
                                                 guint             max_events,
                                                 guint             window_s);
void             leap_rate_limiter_run_async    (LeapRateLimitOp   op,
                                                 guint             n,
                                                 LeapRateLimiter **limiters,
                                                 const char      **keys,
                                                 GAsyncReadyCallback callback,
                                                 gpointer          user_data);
gboolean         leap_rate_limiter_run_finish   (GAsyncResult     *result,
                                                 guint            *retry_after_s);
guint64          leap_rate_limiter_get_local    (LeapRateLimiter  *self);

G_END_DECLS
