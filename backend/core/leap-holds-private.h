/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-holds.h"

G_BEGIN_DECLS

/* What leap-holds.c (the hold operations) and leap-holds-failover.c (selling
 * from the database while Redis is down, and the rebuild when it is back)
 * share. */

#define EXPIRING_KEY "leap:expiring" /* event id → latest hold expiry (ms) */
#define EXPIRE_TICK_MS 1000

struct _LeapHolds
{
  GObject         parent_instance;

  /* Owned */
  LeapStore      *store;
  LeapRedis      *redis;
  LeapRedis      *subscriber;
  GHashTable     *prices; /* event id → Prices */
  GHashTable     *expiring_sent; /* event id → latest expiry told to Redis (ms) */
  GHashTable     *available; /* tier id → Seen: Redis's last figures, for an outage */

  LeapHoldsConfig config;
  guint           expire_id;

  /* Redis down (see "When Redis is down" in docs/architecture.md) */
  gboolean        ready;          /* Redis counters rebuilt: Redis takes holds */
  guint           generation;     /* one per rebuild; older replies are ignored */
  guint           rebuild_pending;
  gboolean        rebuild_failed;
  guint           rebuild_retry_id;
  guint           handed_over;    /* database holds given to Redis in this rebuild */
  gint64          down_since_ms;  /* 0 while Redis sells */
  gint64          outage_ms;      /* the database outage joined, 0 if none */
  gint64          degraded_ms;    /* over finished outages */
  guint64         db_holds;       /* holds made by the database */
  GPtrArray      *waiting;        /* GTasks of holds asked for during a rebuild */
};

typedef struct
{
  char       *hold_id;
  char       *owner;
  gboolean    guest;
  gint64      event_id;
  gint64      expires_ms;
  JsonArray  *items;    /* [{tier_id, quantity}] as asked */
  JsonObject *answer;
} Create;

/* Every inventory script takes the same keys (see lua/reserve.lua). */
typedef struct
{
  char *keys[9];
} EventKeys;

/* Holds (leap-holds.c) */
char       *_leap_holds_new_hold_id         (gint64              event_id,
                                             gboolean            in_database);
JsonObject *_leap_holds_describe_hold       (LeapHolds          *self,
                                             gint64              event_id,
                                             const char         *hold_id,
                                             const char         *status,
                                             gint64              expires_ms,
                                             JsonArray          *items,
                                             GError            **error);
JsonArray  *_leap_holds_parse_items         (const char         *text);
/* Takes task: it is returned now or from a reply. */
void        _leap_holds_create_in_redis     (LeapHolds          *self,
                                             GTask              *task);
void        _leap_holds_event_keys_init     (EventKeys          *k,
                                             gint64              event_id,
                                             const char         *hold_id);
void        _leap_holds_event_keys_clear    (EventKeys          *k);
void        _leap_holds_run_script          (LeapHolds          *self,
                                             const char         *script,
                                             gint64              event_id,
                                             const char         *hold_id,
                                             GPtrArray          *args,
                                             LeapRedisReplyFunc  func,
                                             gpointer            user_data);

/* Counters (leap-holds-counters.c) */
void        _leap_holds_set_tier_full       (LeapHolds          *self,
                                             JsonObject         *tier,
                                             const char         *mode,
                                             LeapRedisReplyFunc  func,
                                             gpointer            data);

/* Redis down (leap-holds-failover.c) */
/* Takes task, as _leap_holds_create_in_redis does. */
void        _leap_holds_create_in_database  (LeapHolds          *self,
                                             GTask              *task);
void        _leap_holds_read_from_database  (LeapHolds          *self,
                                             GTask              *task,
                                             const char         *hold_id,
                                             const char         *owner);
void        _leap_holds_rebuild             (LeapHolds          *self);
void        _leap_holds_enter_outage        (LeapHolds          *self);
void        _leap_holds_redis_state_cb      (LeapHolds          *self);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EventKeys, _leap_holds_event_keys_clear)

static inline gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static inline const char *
reply_status (const redisReply *reply)
{
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
      reply->element[0]->type == REDIS_REPLY_STRING)
    return reply->element[0]->str;
  return "";
}

static inline gint64
reply_int (const redisReply *reply,
           guint             index)
{
  const redisReply *e;

  if (reply->type != REDIS_REPLY_ARRAY || index >= reply->elements)
    return 0;
  e = reply->element[index];
  if (e->type == REDIS_REPLY_INTEGER)
    return e->integer;
  if (e->type == REDIS_REPLY_STRING)
    return g_ascii_strtoll (e->str, NULL, 10);
  return 0;
}

static inline const char *
hash_field (const redisReply *reply,
            const char       *name)
{
  for (size_t i = 0; i + 1 < reply->elements; i += 2)
    if (reply->element[i]->type == REDIS_REPLY_STRING && g_str_equal (reply->element[i]->str, name))
      return reply->element[i + 1]->str;
  return NULL;
}

G_END_DECLS
