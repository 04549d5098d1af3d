/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-redis.h"

G_BEGIN_DECLS

#define LEAP_TYPE_LEASE (leap_lease_get_type ())
G_DECLARE_FINAL_TYPE (LeapLease, leap_lease, LEAP, LEASE, GObject)

LeapLease  *leap_lease_new       (LeapRedis  *redis,
                                  const char *name,
                                  guint       ttl_ms);
gboolean    leap_lease_is_held   (LeapLease  *self);
gint64      leap_lease_get_token (LeapLease  *self);
gboolean    leap_lease_may_run   (LeapLease  *self);
const char *leap_lease_get_name  (LeapLease  *self);

G_END_DECLS
