/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-keys.h"

#include <string.h>

#define EVENT_PREFIX         "leap:{ev:"
#define CHECKOUT_STREAM      "checkout-stream"
#define ORDER_CHANNEL_PREFIX "leap:order:"

/* The order of LeapInventoryKey. */
static const char * const inventory_names[LEAP_INVENTORY_N_KEYS] = {
  "cap", "avail", "held", "checkout", "sold", "max", "holds"
};

static char *
event_key (gint64      event_id,
           const char *name)
{
  return g_strdup_printf (EVENT_PREFIX "%" G_GINT64_FORMAT "}:%s", event_id, name);
}

char *
leap_keys_event_inventory (gint64           event_id,
                           LeapInventoryKey which)
{
  g_return_val_if_fail (which < LEAP_INVENTORY_N_KEYS, NULL);

  return event_key (event_id, inventory_names[which]);
}

/* lua/prelude.lua and lua/reconcile.lua build the same name from the
 * "holds" key, and lua/begin-checkout.lua reads the id back after ":hold:". */
char *
leap_keys_hold (gint64      event_id,
                const char *hold_id)
{
  g_return_val_if_fail (hold_id != NULL, NULL);

  return g_strdup_printf (EVENT_PREFIX "%" G_GINT64_FORMAT "}:hold:%s", event_id, hold_id);
}

char *
leap_keys_event_refunds (gint64 event_id)
{
  return event_key (event_id, "refunds");
}

/* Each event has its own stream, under the event's hash tag, so that
 * begin-checkout touches keys of one shard only. */
char *
leap_keys_checkout_stream (gint64 event_id)
{
  return event_key (event_id, CHECKOUT_STREAM);
}

/* Whether key has the shape of leap_keys_checkout_stream (), for a name
 * read back from Redis (a dead letter's stream). */
gboolean
leap_keys_is_checkout_stream (const char *key)
{
  return key != NULL && g_str_has_prefix (key, EVENT_PREFIX) &&
         g_str_has_suffix (key, "}:" CHECKOUT_STREAM);
}

/* The cached event object: next to its inventory, on the event's shard. */
char *
leap_keys_event (gint64 event_id)
{
  return event_key (event_id, "event");
}

char *
leap_keys_event_pricing (gint64 event_id)
{
  return event_key (event_id, "pricing");
}

/* The event's change counter: bumped by every inventory script, built in
 * lua/prelude.lua and lua/reconcile.lua from the "holds" key. */
char *
leap_keys_event_version (gint64 event_id)
{
  return event_key (event_id, "version");
}

/* The highest lease token whose reconciler repaired the event (see
 * lua/lease.lua): a stalled holder's repair is refused. */
char *
leap_keys_event_fence (gint64 event_id)
{
  return event_key (event_id, "fence");
}

static GPtrArray *
inventory_keys (gint64 event_id)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < LEAP_INVENTORY_N_KEYS; i++)
    g_ptr_array_add (keys, event_key (event_id, inventory_names[i]));
  return keys;
}

/* reserve, release, expire, tier-set, confirm, abort-checkout: the
 * inventory, then the hold (hold:- when the script needs none, as every
 * script takes the same keys). */
GPtrArray *
leap_keys_inventory_script (gint64      event_id,
                            const char *hold_id)
{
  GPtrArray *keys = inventory_keys (event_id);

  g_ptr_array_add (keys, leap_keys_hold (event_id, hold_id != NULL ? hold_id : "-"));
  return keys;
}

/* reserve: as the inventory scripts, then, for a guest (guest_owner not
 * NULL), the set of its holds and the set of the holds of every guest of
 * its address, whose live ones the script counts. Neither is under the
 * event's hash tag: a guest's caps span its holds of every event. */
GPtrArray *
leap_keys_reserve_script (gint64      event_id,
                          const char *hold_id,
                          const char *guest_owner,
                          const char *guest_address)
{
  GPtrArray *keys = leap_keys_inventory_script (event_id, hold_id);

  g_return_val_if_fail ((guest_owner == NULL) == (guest_address == NULL), keys);

  if (guest_owner != NULL)
    {
      g_ptr_array_add (keys, leap_keys_guest_holds (guest_owner));
      g_ptr_array_add (keys, leap_keys_address_holds (guest_address));
    }
  return keys;
}

/* begin-checkout, import-hold: as the inventory scripts, then the
 * event's checkout stream. */
GPtrArray *
leap_keys_checkout_script (gint64      event_id,
                           const char *hold_id)
{
  GPtrArray *keys = leap_keys_inventory_script (event_id, hold_id);

  g_ptr_array_add (keys, leap_keys_checkout_stream (event_id));
  return keys;
}

GPtrArray *
leap_keys_reconcile_script (gint64 event_id)
{
  GPtrArray *keys = inventory_keys (event_id);

  g_ptr_array_add (keys, leap_keys_checkout_stream (event_id));
  g_ptr_array_add (keys, leap_keys_event_fence (event_id));
  return keys;
}

/* An event's waiting room (lua/waiting-room.lua): the line (session →
 * arrival), when each was last seen, who was admitted and when, and the
 * last arrival given. */
GPtrArray *
leap_keys_waiting_room_script (gint64 event_id)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (keys, event_key (event_id, "room:line"));
  g_ptr_array_add (keys, event_key (event_id, "room:seen"));
  g_ptr_array_add (keys, event_key (event_id, "room:admitted"));
  g_ptr_array_add (keys, event_key (event_id, "room:last"));
  return keys;
}

/* A lease's own tag: it belongs to no event. */
GPtrArray *
leap_keys_lease_script (const char *name)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (name != NULL, keys);

  g_ptr_array_add (keys, g_strdup_printf ("leap:{lease:%s}", name));
  g_ptr_array_add (keys, g_strdup_printf ("leap:{lease:%s}:fence", name));
  return keys;
}

GPtrArray *
leap_keys_refund_script (gint64 event_id)
{
  GPtrArray *keys = inventory_keys (event_id);

  g_ptr_array_add (keys, leap_keys_event_refunds (event_id));
  return keys;
}

GPtrArray *
leap_keys_replay_dead_script (const char *stream,
                              const char *hold_key)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (stream != NULL && hold_key != NULL, keys);

  g_ptr_array_add (keys, g_strdup (leap_keys_checkout_dead ()));
  g_ptr_array_add (keys, g_strdup (stream));
  g_ptr_array_add (keys, g_strdup (leap_keys_checkout_streams ()));
  g_ptr_array_add (keys, g_strdup (hold_key));
  return keys;
}

/* ZSET event id → latest hold expiry (ms). */
const char *
leap_keys_expiring (void)
{
  return "leap:expiring";
}

/* ZSET of a guest session's holds: hold key → expires_ms. lua/reserve.lua
 * keeps it, dropping the holds that are no longer live when it counts. */
char *
leap_keys_guest_holds (const char *owner)
{
  g_return_val_if_fail (owner != NULL, NULL);

  return g_strconcat ("leap:guest-holds:", owner, NULL);
}

/* ZSET of the holds of every guest session of one client address (as
 * leap_request_resolve_client () reads it): hold key → expires_ms.
 * lua/reserve.lua keeps it as the guest's own set, and sums the tickets of
 * the live ones against guest-address-max-tickets. */
char *
leap_keys_address_holds (const char *address)
{
  g_return_val_if_fail (address != NULL, NULL);

  return g_strconcat ("leap:address-holds:", address, NULL);
}

/* SET of every checkout stream that ever had a message, for the workers. */
const char *
leap_keys_checkout_streams (void)
{
  return "leap:checkout-streams";
}

/* Not a key: the consumer group of every checkout stream. */
const char *
leap_keys_checkout_group (void)
{
  return "leap-workers";
}

const char *
leap_keys_checkout_dead (void)
{
  return "leap:checkout-dead";
}

/* HASH stream entry → last error. */
const char *
leap_keys_checkout_errors (void)
{
  return "leap:checkout-errors";
}

char *
leap_keys_session (const char *token_hash)
{
  g_return_val_if_fail (token_hash != NULL, NULL);

  return g_strconcat ("leap:session:", token_hash, NULL);
}

char *
leap_keys_idempotency (const char *scope,
                       const char *key_hash)
{
  g_return_val_if_fail (scope != NULL && key_hash != NULL, NULL);

  return g_strdup_printf ("leap:idem:%s:%s", scope, key_hash);
}

/* STRING a count of lua/rate-limit.lua: the requests of SUBJECT (an
 * account, an address, a session) in the current window of the limit NAME.
 * Every limit shares one hash tag, so that one script counts several. */
char *
leap_keys_rate_limit (const char *name,
                      const char *subject)
{
  g_return_val_if_fail (name != NULL && subject != NULL, NULL);

  return g_strconcat ("leap:{limits}:", name, ":", subject, NULL);
}

/* SET of the events whose waiting room has someone in line: what the
 * admitting timer walks. */
const char *
leap_keys_waiting_rooms (void)
{
  return "leap:{rooms}";
}

const char *
leap_keys_venues (void)
{
  return "leap:{cat}:venues";
}

char *
leap_keys_venue (gint64 venue_id)
{
  return g_strdup_printf ("leap:{cat}:venue:%" G_GINT64_FORMAT, venue_id);
}

/* The index set of every cached listing, and the prefix of their keys:
 * LeapCache drops near copies by that prefix. */
const char *
leap_keys_event_listings (void)
{
  return "leap:{cat}:events:";
}

char *
leap_keys_event_listing (const char *digest)
{
  g_return_val_if_fail (digest != NULL, NULL);

  return g_strconcat (leap_keys_event_listings (), digest, NULL);
}

/* Published by the inventory scripts themselves (lua/prelude.lua). */
char *
leap_keys_avail_channel (gint64 event_id)
{
  return g_strdup_printf ("leap:avail:%" G_GINT64_FORMAT, event_id);
}

const char *
leap_keys_avail_channel_pattern (void)
{
  return "leap:avail:*";
}

/* Where the result of an order is published once the worker is done. */
char *
leap_keys_order_channel (const char *order_id)
{
  g_return_val_if_fail (order_id != NULL, NULL);

  return g_strconcat (ORDER_CHANNEL_PREFIX, order_id, NULL);
}

const char *
leap_keys_order_channel_pattern (void)
{
  return ORDER_CHANNEL_PREFIX "*";
}

/* The order id that channel is named after, or NULL for another channel. */
const char *
leap_keys_order_channel_order_id (const char *channel)
{
  if (channel == NULL || !g_str_has_prefix (channel, ORDER_CHANNEL_PREFIX))
    return NULL;
  return channel + strlen (ORDER_CHANNEL_PREFIX);
}

const char *
leap_keys_invalidate_channel (void)
{
  return "leap:invalidate";
}

const char *
leap_keys_session_revoked_channel (void)
{
  return "leap:session-revoked";
}
