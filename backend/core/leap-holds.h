/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-money.h"
#include "leap-redis.h"
#include "leap-sessions.h"
#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_HOLDS (leap_holds_get_type ())
G_DECLARE_FINAL_TYPE (LeapHolds, leap_holds, LEAP, HOLDS, GObject)

/* The "now" every inventory script takes: "" asks the script to read
 * Redis's clock (TIME), so that all backends agree on when a hold ends
 * whatever their own clocks say. */
#define LEAP_HOLDS_REDIS_NOW ""

typedef struct
{
  guint ttl_s;              /* how long a hold lives (default 600) */
  guint guest_max_holds;    /* live holds a guest session may have */
  guint guest_max_tickets;  /* tickets in one guest hold */
  guint guest_address_max_tickets; /* tickets in the live holds of all guests of an address */
  guint redis_wait_ms;      /* with a replica, WAIT this long for it before a 201; 0: never */
} LeapHoldsConfig;

/* Reservations: ticket inventory lives in Redis and changes only through
 * the scripts in lua/ (reserve, release, expire, tier-set…), so that no
 * ticket is held or sold twice however many buyers press at once. While
 * Redis is down the database holds, within what Redis had left, and Redis
 * takes those holds over when it is back (see "When Redis is down" in
 * docs/architecture.md). */
LeapHolds  *leap_holds_new                 (LeapStore              *store,
                                            LeapRedis              *redis,
                                            const LeapHoldsConfig  *config);
/* client: the client's address (leap_request_resolve_client ()), whose
 * guests' live held tickets are capped together. */
void        leap_holds_create_async        (LeapHolds              *self,
                                            const LeapSession      *session,
                                            const char             *client,
                                            JsonObject             *request,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
void        leap_holds_get_async           (LeapHolds              *self,
                                            const LeapSession      *session,
                                            const char             *hold_id,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
JsonObject *leap_holds_object_finish       (LeapHolds              *self,
                                            GAsyncResult           *result,
                                            GError                **error);
void        leap_holds_release_async       (LeapHolds              *self,
                                            const LeapSession      *session,
                                            const char             *hold_id,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
gboolean    leap_holds_release_finish      (LeapHolds              *self,
                                            GAsyncResult           *result,
                                            GError                **error);
void        leap_holds_availability_async  (LeapHolds              *self,
                                            gint64                  event_id,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
void        leap_holds_set_tier_async      (LeapHolds              *self,
                                            JsonObject             *tier,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
gboolean    leap_holds_set_tier_finish     (LeapHolds              *self,
                                            GAsyncResult           *result,
                                            GError                **error);
/* What Redis still counts of a tier (or of every tier of an event, with
 * tier_id 0): {held, checking_out, sold}; finish with _object_finish. */
void        leap_holds_committed_async     (LeapHolds              *self,
                                            gint64                  event_id,
                                            gint64                  tier_id,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
void        leap_holds_repair              (LeapHolds              *self);
/* Redis down. watch: the backend's subscribing connection, for the
 * figures an outage starts from. is_ready: Redis takes holds (connected
 * and rebuilt). degraded_since: when Redis was lost (ms, 0 while it
 * sells); degraded_ms: the total time without it. db_holds: holds made
 * by the database. A hold id of the database ends in "_". */
void        leap_holds_watch               (LeapHolds              *self,
                                            LeapRedis              *subscriber);
gboolean    leap_holds_is_ready            (LeapHolds              *self);
gint64      leap_holds_get_degraded_since  (LeapHolds              *self);
gint64      leap_holds_get_degraded_ms     (LeapHolds              *self);
guint64     leap_holds_get_db_holds        (LeapHolds              *self);
gboolean    leap_hold_id_is_db             (const char             *hold_id);
gboolean    leap_hold_id_parse             (const char             *hold_id,
                                            gint64                 *event_id);

/* The price of a hold is fixed when it is made (leap-holds-prices.c).
 * lines_parse reads a hold's record: items "tier:quantity,…" and prices
 * "tier:unit_price:currency,…" (NULL for a hold made before prices were
 * kept) into [{tier_id, quantity[, unit_price, currency]}]; prices_format
 * writes the prices of such lines. lines_price gives each line its name,
 * unit_price and currency (the held price, or the tier's in tiers for a
 * line without one) and the total; a tier missing from tiers fails with
 * LEAP_ERROR_CONFLICT when strict, and lines of two currencies fail with
 * LEAP_ERROR_CURRENCY_MISMATCH. */
JsonArray  *leap_hold_lines_parse          (const char             *items,
                                            const char             *prices);
char       *leap_hold_prices_format        (JsonArray              *lines);
JsonArray  *leap_hold_lines_price          (JsonArray              *lines,
                                            JsonArray              *tiers,
                                            gboolean                strict,
                                            LeapMoney              *total,
                                            GError                **error);

G_END_DECLS
