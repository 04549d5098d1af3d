/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-holds.h"
#include "leap-keys.h"
#include "leap-reply.h"

G_BEGIN_DECLS

/* What leap-holds.c (making holds, expiry), leap-holds-get.c (reading and
 * releasing one) and leap-holds-failover.c (selling from the database while
 * Redis is down, and the rebuild when it is back) share. */

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
  gboolean        fenced;         /* down, but the subscriber still hears Redis:
                                   * others may sell through it, so no outage */
  gint64          degraded_ms;    /* over finished outages */
  guint64         db_holds;       /* holds made by the database */
  GPtrArray      *waiting;        /* GTasks of holds asked for during a rebuild */
  char           *lease_holder;   /* this backend's name in the lease table */
  gint64          lease_until;    /* monotonic ms: sells through Redis until then */
  gboolean        renewing;       /* a renewal is waiting for the database */
  gboolean        expiring;       /* the database's holds are being expired */
  gboolean        opening;        /* the outage is being opened in the database */
  GQueue          failover_calls; /* FailoverCall: waiting for the one in flight */
  gboolean        failover_busy;

  /* Replication (see "An acknowledged hold" in docs/reliability.md) */
  guint           replicas;       /* replicas that keep up, at the last ROLE */
  gint64          catch_up_to;    /* the offset a replica must have acknowledged */
  gboolean        wait_failed;    /* a WAIT found no replica since the last ROLE */
  GPtrArray      *unreplicated;   /* GTasks of holds made, for the next WAIT */
  gboolean        replicating;    /* a WAIT is in flight */
};

typedef struct
{
  char       *hold_id;
  char       *owner;
  char       *client;   /* the client's address */
  gboolean    guest;
  gint64      event_id;
  gint64      expires_ms;
  JsonArray  *items;    /* [{tier_id, quantity, unit_price, currency…}]: priced when asked */
  char       *prices;   /* the same prices, as the hold's record keeps them */
  JsonObject *answer;
} Create;

/* Holds (leap-holds.c) */
char       *_leap_holds_new_hold_id         (gint64              event_id,
                                             gboolean            in_database);
void        _leap_holds_describe_hold_async (LeapHolds          *self,
                                             gint64              event_id,
                                             const char         *hold_id,
                                             const char         *status,
                                             gint64              expires_ms,
                                             JsonArray          *items,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
JsonObject *_leap_holds_describe_hold_finish (LeapHolds         *self,
                                             GAsyncResult       *result,
                                             GError            **error);
void        _leap_holds_described_cb        (GObject            *object,
                                             GAsyncResult       *result,
                                             gpointer            user_data);
/* Takes task: it is returned now or from a reply. */
void        _leap_holds_create_in_redis     (LeapHolds          *self,
                                             GTask              *task);
void        _leap_holds_run_script          (LeapHolds          *self,
                                             const char         *script,
                                             gint64              event_id,
                                             const char         *hold_id,
                                             GPtrArray          *args,
                                             LeapRedisReplyFunc  func,
                                             gpointer            user_data,
                                             GDestroyNotify      destroy);

/* Takes task: answers it with the hold reserve made in Redis. */
void        _leap_holds_reserved            (LeapHolds          *self,
                                             GTask              *task);

/* Replication (leap-holds-replicas.c) */
void        _leap_holds_replicas_init       (LeapHolds          *self);
void        _leap_holds_replicas_dispose    (LeapHolds          *self);
void        _leap_holds_replicas_poll       (LeapHolds          *self);
void        _leap_holds_replicas_connected  (LeapHolds          *self);
gboolean    _leap_holds_replicas_wanted     (LeapHolds          *self);
/* Takes task, whose hold is made: answered once a replica has it. */
void        _leap_holds_replicate           (LeapHolds          *self,
                                             GTask              *task);

/* Counters (leap-holds-counters.c) */
void        _leap_holds_set_tier_full       (LeapHolds          *self,
                                             JsonObject         *tier,
                                             const char         *mode,
                                             LeapRedisReplyFunc  func,
                                             gpointer            data,
                                             GDestroyNotify      destroy);

/* Redis down (leap-holds-failover.c) */
/* Takes task, as _leap_holds_create_in_redis does. */
void        _leap_holds_create_in_database  (LeapHolds          *self,
                                             GTask              *task);
void        _leap_holds_db_hold_get_async   (LeapHolds          *self,
                                             const char         *hold_id,
                                             const char         *owner,
                                             GAsyncReadyCallback callback,
                                             GTask              *task);
/* Takes task. */
void        _leap_holds_read_from_database  (LeapHolds          *self,
                                             GTask              *task,
                                             const char         *hold_id,
                                             const char         *owner);
void        _leap_holds_failover_call       (LeapHolds          *self,
                                             LeapStoreFunc       func,
                                             gpointer            data,
                                             GDestroyNotify      data_destroy,
                                             GDestroyNotify      result_destroy,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
void        _leap_holds_rebuild             (LeapHolds          *self);
void        _leap_holds_enter_outage        (LeapHolds          *self);
void        _leap_holds_redis_state_cb      (LeapHolds          *self);

/* The fence (leap-holds-lease.c) */
void        _leap_holds_lease_init          (LeapHolds          *self);
gboolean    _leap_holds_lease_renew_on      (LeapStore          *store,
                                             const char         *holder,
                                             GError            **error);
void        _leap_holds_lease_renewed       (LeapHolds          *self,
                                             gint64              start,
                                             const GError       *error);
void        _leap_holds_lease_renew_async   (LeapHolds          *self);
gboolean    _leap_holds_lease_held          (LeapHolds          *self);
void        _leap_holds_lease_drop          (LeapHolds          *self,
                                             gboolean            in_turn);

static inline gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

G_END_DECLS
