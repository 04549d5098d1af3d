/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-sessions.h"
#include "leap-rate-limiter.h"

#include <sodium.h>

G_BEGIN_DECLS

/* What leap-sessions.c (lookup, logout, users) and leap-sessions-login.c
 * (sign-in and guest sessions) share. */

/* Sessions are written through: the database and Redis in the same request.
 * A lookup reads Redis; a miss (a flushed or restarted Redis) reads the
 * database and fills Redis again; Redis down reads the database.
 *
 * Whoever can write to Redis could otherwise mint a session of any role, so
 * each cached session carries an HMAC-SHA256 of its token hash and fields
 * under a key that only the backends hold (DATABASE.session-key, shared by
 * every backend of one database). One that fails it is ignored, logged, and
 * answered and refilled from the database. */
struct _LeapSessions
{
  GObject          parent_instance;

  /* Owned */
  LeapStore       *store;
  LeapRedis       *redis;
  LeapRateLimiter *per_user;
  LeapRateLimiter *per_address;
  GPtrArray       *unrevoked; /* token hashes whose Redis DEL failed */
  LeapRedis       *subscriber;
  GHashTable      *near;      /* token hash → Near: sessions seen in the last 2 s */

  guint            ttl_s;
  guint64          fallbacks;
  char            *dummy_hash; /* verified against unknown users, for equal timing */
  guint8           mac_key[crypto_auth_hmacsha256_KEYBYTES];
  guint64          forged;     /* cached sessions whose MAC failed */
};

gint64 _leap_sessions_now_s (void);
void   _leap_sessions_cache (LeapSessions      *self,
                             const LeapSession *session,
                             LeapRedisReplyFunc func,
                             gpointer           user_data);

G_END_DECLS
