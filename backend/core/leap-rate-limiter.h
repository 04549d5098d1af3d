/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LEAP_TYPE_RATE_LIMITER (leap_rate_limiter_get_type ())
G_DECLARE_FINAL_TYPE (LeapRateLimiter, leap_rate_limiter, LEAP, RATE_LIMITER, GObject)

LeapRateLimiter *leap_rate_limiter_new    (guint            max_events,
                                           guint            window_s);
gboolean         leap_rate_limiter_check  (LeapRateLimiter *self,
                                           const char      *key,
                                           guint           *retry_after_s);
void             leap_rate_limiter_record (LeapRateLimiter *self,
                                           const char      *key);
void             leap_rate_limiter_reset  (LeapRateLimiter *self,
                                           const char      *key);

G_END_DECLS
