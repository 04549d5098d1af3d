/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every name the box office uses in Redis: keys, the checkout consumer
 * group and the pub/sub channels. Nothing else formats one, so that a key
 * and its hash tag are defined once. An event's keys share the tag
 * {ev:ID} and the catalogue's share {cat}, so that one script touches one
 * shard only.
 *
 * Some names are also built inside lua/ (see the script headers): the
 * hold keys of expire and reconcile come from the "holds" key (its name
 * minus "holds", plus "hold:ID"), so does the event's change counter
 * (minus "holds", plus "version"), and the scripts publish on
 * leap:avail:EVENT themselves. leap_keys_hold () and
 * leap_keys_avail_channel () must keep those shapes.
 *
 * Functions returning const char * give a static string; the others a
 * newly allocated one. */

/* An event's inventory keys, in the order in which every inventory script
 * takes them as KEYS[1…7] (see lua/reserve.lua). */
typedef enum
{
  LEAP_INVENTORY_CAP,       /* HASH tier → capacity */
  LEAP_INVENTORY_AVAIL,     /* HASH tier → available */
  LEAP_INVENTORY_HELD,      /* HASH tier → in live holds */
  LEAP_INVENTORY_CHECKOUT,  /* HASH tier → in holds being checked out */
  LEAP_INVENTORY_SOLD,      /* HASH tier → sold */
  LEAP_INVENTORY_MAX,       /* HASH tier → max per order */
  LEAP_INVENTORY_HOLDS,     /* ZSET live hold id → expires_ms */
  LEAP_INVENTORY_N_KEYS
} LeapInventoryKey;

/* Keys of one event */
char       *leap_keys_event_inventory          (gint64            event_id,
                                                LeapInventoryKey  which);
char       *leap_keys_hold                     (gint64            event_id,
                                                const char       *hold_id);
char       *leap_keys_event_refunds            (gint64            event_id);
char       *leap_keys_checkout_stream          (gint64            event_id);
gboolean    leap_keys_is_checkout_stream       (const char       *key);
char       *leap_keys_event                    (gint64            event_id);
char       *leap_keys_event_pricing            (gint64            event_id);
char       *leap_keys_event_version            (gint64            event_id);
char       *leap_keys_event_fence              (gint64            event_id);

/* The KEYS of each script, in its order; append the ARGV (newly
 * allocated: the array frees its elements) and pass the array's length
 * before that as nkeys. */
GPtrArray  *leap_keys_inventory_script         (gint64            event_id,
                                                const char       *hold_id);
GPtrArray  *leap_keys_reserve_script           (gint64            event_id,
                                                const char       *hold_id,
                                                const char       *guest_owner,
                                                const char       *guest_address);
GPtrArray  *leap_keys_checkout_script          (gint64            event_id,
                                                const char       *hold_id);
GPtrArray  *leap_keys_reconcile_script         (gint64            event_id);
GPtrArray  *leap_keys_refund_script            (gint64            event_id);
GPtrArray  *leap_keys_lease_script             (const char       *name);
GPtrArray  *leap_keys_replay_dead_script       (const char       *stream,
                                                const char       *hold_key);
GPtrArray  *leap_keys_waiting_room_script      (gint64            event_id);

/* Keys of no one event */
const char *leap_keys_expiring                 (void);
char       *leap_keys_guest_holds              (const char       *owner);
char       *leap_keys_address_holds            (const char       *address);
const char *leap_keys_checkout_streams         (void);
const char *leap_keys_checkout_group           (void);
const char *leap_keys_checkout_dead            (void);
const char *leap_keys_checkout_errors          (void);
char       *leap_keys_session                  (const char       *token_hash);
char       *leap_keys_idempotency              (const char       *scope,
                                                const char       *key_hash);
char       *leap_keys_rate_limit               (const char       *name,
                                                const char       *subject);
const char *leap_keys_waiting_rooms            (void);

/* The catalogue's cache-aside keys */
const char *leap_keys_venues                   (void);
char       *leap_keys_venue                    (gint64            venue_id);
const char *leap_keys_event_listings           (void);
char       *leap_keys_event_listing            (const char       *digest);

/* Pub/sub channels */
char       *leap_keys_avail_channel            (gint64            event_id);
const char *leap_keys_avail_channel_pattern    (void);
char       *leap_keys_order_channel            (const char       *order_id);
const char *leap_keys_order_channel_pattern    (void);
const char *leap_keys_order_channel_order_id   (const char       *channel);
const char *leap_keys_invalidate_channel       (void);
const char *leap_keys_session_revoked_channel  (void);

G_END_DECLS
