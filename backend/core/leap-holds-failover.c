/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-holds"

/* Redis down: the database holds, within what Redis had left, and Redis
 * takes those holds over when it is back; then the counters are rebuilt
 * from the database (see "When Redis is down" in docs/architecture.md). */

#include "leap-holds-private.h"
#include "leap-error.h"
#include "leap-json.h"

#include <glib/gi18n.h>

/* Holds asked for while Redis's counters were rebuilt go on, to Redis if
 * it is ready or to the database if it was lost again. */
static void
resume_waiting (LeapHolds *self)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);

  self->waiting = g_ptr_array_new ();
  for (guint i = 0; i < waiting->len; i++)
    {
      if (self->ready)
        _leap_holds_create_in_redis (self, waiting->pdata[i]);
      else
        _leap_holds_create_in_database (self, waiting->pdata[i]);
    }
}

/* While Redis is down the database holds, within what Redis had left
 * when it was lost (leap_store_db_hold_create). Between Redis's return and
 * the end of the rebuild neither takes holds. */
void
_leap_holds_create_in_database (LeapHolds *self,
                                GTask     *owned)
{
  g_autoptr(GTask) task = owned;
  Create *c = g_task_get_task_data (task);
  g_autoptr(JsonObject) hold = json_object_new ();
  g_autoptr(GError) error = NULL;
  gint64 now = now_ms ();

  if (leap_redis_is_connected (self->redis) || self->outage_ms == 0)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               N_("Tickets cannot be held right now; try again in a moment"));
      return;
    }
  c->hold_id = _leap_holds_new_hold_id (c->event_id, TRUE);
  /* Whole seconds: the database keeps times in seconds. */
  c->expires_ms = (now + self->config.ttl_s * 1000) / 1000 * 1000;
  json_object_set_string_member (hold, "hold_id", c->hold_id);
  json_object_set_int_member (hold, "event_id", c->event_id);
  json_object_set_string_member (hold, "owner", c->owner);
  json_object_set_int_member (hold, "now_ms", now);
  json_object_set_int_member (hold, "expires_ms", c->expires_ms);
  json_object_set_array_member (hold, "items", json_array_ref (c->items));
  if (leap_store_db_hold_create (self->store, hold, &error) == 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  self->db_holds++;
  c->answer = _leap_holds_describe_hold (self, c->event_id, c->hold_id, "held", c->expires_ms,
                                         c->items, &error);
  if (c->answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, json_object_ref (c->answer),
                           (GDestroyNotify) json_object_unref);
}

void
_leap_holds_read_from_database (LeapHolds  *self,
                                GTask      *task,
                                const char *hold_id,
                                const char *owner)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) hold = leap_store_db_hold_get (self->store, hold_id, &error);
  g_autoptr(JsonArray) items = NULL;
  JsonObject *answer;
  const char *status;
  gint64 expires_ms;

  if (hold == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_strcmp0 (leap_json_get_string (hold, "owner", NULL), owner) != 0)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
      return;
    }
  status = leap_json_get_string (hold, "status", "unknown");
  expires_ms = leap_json_get_int (hold, "expires_ms", 0);
  if (g_str_equal (status, "held") && expires_ms <= now_ms ())
    status = "expired";
  items = leap_hold_lines_parse (leap_json_get_string (hold, "items", ""),
                                 leap_json_get_string (hold, "prices", NULL));
  answer = _leap_holds_describe_hold (self, leap_json_get_int (hold, "event_id", 0), hold_id,
                                      status, expires_ms, items, &error);
  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
}

static void rebuild_step_done (LeapHolds    *self,
                               guint         generation,
                               const GError *error);

typedef struct
{
  LeapHolds *self;
  guint      generation;
  gint64     event_id;
} Step;

static Step *
step_new (LeapHolds *self)
{
  Step *step = g_new (Step, 1);

  step->self = self;
  step->generation = self->generation;
  step->event_id = 0;
  self->rebuild_pending++;
  return step;
}

/* A repair during a rebuild. */
static void
repaired_cb (LeapRedis        *redis,
             const redisReply *reply,
             const GError     *error,
             gpointer          user_data)
{
  g_autofree Step *step = user_data;

  rebuild_step_done (step->self, step->generation, error);
}

/* Redis's last figures: what the database may sell if Redis is lost */

typedef struct
{
  gint64 event_id;
  gint64 available;
} Seen;

static void
seen_set (LeapHolds *self,
          gint64     event_id,
          gint64     tier_id,
          gint64     available)
{
  Seen *seen = g_hash_table_lookup (self->available, &tier_id);

  if (seen == NULL)
    {
      gint64 *key = g_new (gint64, 1);

      *key = tier_id;
      seen = g_new (Seen, 1);
      g_hash_table_insert (self->available, key, seen);
    }
  seen->event_id = event_id;
  seen->available = available;
}

/* {"event_id": E, "tiers": [{"tier_id", "available"}]}, published by every
 * script that changes what is available. */
static void
avail_published_cb (LeapRedis  *redis,
                    const char *channel,
                    const char *message,
                    gsize       length,
                    gpointer    user_data)
{
  LeapHolds *self = user_data;
  g_autoptr(JsonObject) object = leap_json_parse_object (message, length, NULL);
  JsonNode *tiers;
  gint64 event_id;

  if (object == NULL || (tiers = json_object_get_member (object, "tiers")) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (tiers))
    return;
  event_id = leap_json_get_int (object, "event_id", 0);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (tiers)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (tiers), i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        seen_set (self, event_id, leap_json_get_int (json_node_get_object (node), "tier_id", 0),
                  leap_json_get_int (json_node_get_object (node), "available", 0));
    }
  /* The last messages of a Redis that just died can arrive after its
   * command connection was found closed: the outage takes them too (it
   * keeps the smallest figure), if it is still open. One that another
   * backend ended is not opened again: that one sells through Redis. */
  if (self->outage_ms != 0 && !self->ready)
    {
      g_autoptr(JsonArray) late = json_array_new ();
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < json_array_get_length (json_node_get_array (tiers)); i++)
        {
          JsonNode *node = json_array_get_element (json_node_get_array (tiers), i);

          if (JSON_NODE_HOLDS_OBJECT (node))
            json_array_add_object_element (late, json_object_ref (json_node_get_object (node)));
        }
      /* Then the outage keeps the figures it opened with, and the database
       * may sell tickets this Redis no longer had: worth a warning. */
      if (!leap_store_outage_lower (self->store, self->outage_ms, late, &error))
        g_warning ("Redis's last figures did not reach the database: %s", error->message);
    }
}

static void
seed_cb (LeapRedis        *redis,
         const redisReply *reply,
         const GError     *error,
         gpointer          user_data)
{
  g_autofree Step *step = user_data;
  LeapHolds *self = step->self;

  /* tier, available pairs (HGETALL); a pair that is not two strings is
   * skipped. */
  if (error == NULL && step->generation == self->generation)
    for (gsize i = 0; i + 1 < leap_reply_n_elements (reply); i += 2)
      if (leap_reply_element_string (reply, i) != NULL &&
          leap_reply_element_string (reply, i + 1) != NULL)
        seen_set (self, step->event_id, leap_reply_element_int (reply, i),
                  leap_reply_element_int (reply, i + 1));
  rebuild_step_done (self, step->generation, error);
}

static void
import_cb (LeapRedis        *redis,
           const redisReply *reply,
           const GError     *error,
           gpointer          user_data)
{
  g_autofree Step *step = user_data;
  LeapHolds *self = step->self;

  if (error == NULL && g_str_equal (leap_reply_status (reply), "ok"))
    self->handed_over++;
  else if (error == NULL && !g_str_equal (leap_reply_status (reply), "exists") &&
           !g_str_equal (leap_reply_status (reply), "expired"))
    g_warning ("A hold of the database was not handed to Redis: %s", leap_reply_status (reply));
  rebuild_step_done (self, step->generation, error);
}

/* Gives Redis a hold the database made (lua/import-hold.lua). */
static void
hand_over (LeapHolds  *self,
           JsonObject *hold)
{
  gint64 event_id = leap_json_get_int (hold, "event_id", 0);
  const char *hold_id = leap_json_get_string (hold, "hold_id", "");
  const char *status = leap_json_get_string (hold, "status", "");
  g_autoptr(GPtrArray) argv = leap_keys_checkout_script (event_id, hold_id);
  guint nkeys = argv->len;
  g_autofree char *stream = leap_keys_checkout_stream (event_id);
  g_autofree char *event = g_strdup_printf ("%" G_GINT64_FORMAT, event_id);
  g_autofree char *expires = g_strdup_printf ("%" G_GINT64_FORMAT,
                                              leap_json_get_int (hold, "expires_ms", 0));
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, g_strdup (event));
  g_ptr_array_add (argv, g_strdup (hold_id));
  g_ptr_array_add (argv, g_strdup (leap_json_get_string (hold, "owner", "")));
  g_ptr_array_add (argv, g_strdup (status));
  g_ptr_array_add (argv, g_strdup (expires));
  g_ptr_array_add (argv, g_strdup (LEAP_HOLDS_REDIS_NOW));
  g_ptr_array_add (argv, g_strdup (leap_json_get_string (hold, "items", "")));
  g_ptr_array_add (argv, g_strdup (leap_json_get_string (hold, "order_id", "")));
  g_ptr_array_add (argv, g_strdup (leap_json_get_string (hold, "message", "")));
  g_ptr_array_add (argv, g_strdup (leap_json_get_string (hold, "prices", "")));

  /* SADD and ZADD go without a reply handler: a lost connection fails
   * import-hold just after them too, and the rebuild tries again. */
  if (g_str_equal (status, "checking_out"))
    {
      const char *order_id = leap_json_get_string (hold, "order_id", "");

      /* The workers learn of the stream first (as for begin-checkout). */
      leap_redis_command (self->redis, NULL, NULL, "SADD", leap_keys_checkout_streams (),
                          stream, NULL);
      /* sent_at is only a record (nothing reads it back): a failure is
       * told, not acted on. */
      if (!leap_store_outbox_mark_sent (self->store, order_id, now_ms (), &error))
        g_warning ("Order %s not marked as sent to Redis: %s", order_id, error->message);
    }
  else
    leap_redis_command (self->redis, NULL, NULL, "ZADD", leap_keys_expiring (), "GT", expires,
                        event, NULL);
  leap_redis_eval_argv_full (self->redis, "import-hold", import_cb, step_new (self), g_free,
                             nkeys, argv->len, (const char **) argv->pdata, NULL);
}

static gboolean rebuild_retry_cb (gpointer data);

/* TRUE if event_id was not in the set yet. */
static gboolean
add_event (GHashTable *events,
           gint64      event_id)
{
  gint64 *key;

  if (g_hash_table_contains (events, &event_id))
    return FALSE;
  key = g_new (gint64, 1);
  *key = event_id;
  g_hash_table_add (events, key);
  return TRUE;
}

/* Redis is back (or the backend starts): before Redis takes holds again,
 * end the database's outage (so that it makes no more holds), set the
 * counters Redis lost from the database, hand the database's holds and
 * queued orders over, and read the figures an outage would start from. */
void
_leap_holds_rebuild (LeapHolds *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) holds = NULL;
  g_autoptr(JsonArray) tiers = NULL;
  g_autoptr(GHashTable) events = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  self->generation++;
  self->rebuild_pending = 0;
  self->rebuild_failed = FALSE;
  self->handed_over = 0;
  /* The lease first: from its commit on the database makes no hold, so
   * the outage closed next hands over every hold it made. */
  if (_leap_holds_lease_renew (self))
    holds = leap_store_outage_close (self->store, now_ms (), &error);
  else
    g_set_error_literal (&error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                         "the database did not take this backend's lease");
  if (holds != NULL)
    tiers = leap_store_list_inventory (self->store, 0, &error);
  if (tiers == NULL)
    {
      g_warning ("Cannot rebuild the Redis counters from the database: %s; retrying",
                 error->message);
      self->rebuild_retry_id = g_timeout_add (EXPIRE_TICK_MS, rebuild_retry_cb, self);
      if (!self->ready)
        resume_waiting (self);
      return;
    }
  self->outage_ms = 0;

  for (guint i = 0; i < json_array_get_length (tiers); i++)
    add_event (events, json_object_get_int_member (json_array_get_object_element (tiers, i),
                                                   "event_id"));
  /* An event taken off sale can still have holds and accepted orders to
   * hand over: its counters are needed too, or they are refused. */
  for (guint i = 0; i < json_array_get_length (holds); i++)
    {
      gint64 event_id = leap_json_get_int (json_array_get_object_element (holds, i),
                                           "event_id", 0);
      g_autoptr(JsonArray) more = NULL;

      if (!add_event (events, event_id))
        continue;
      more = leap_store_list_inventory (self->store, event_id, &error);
      if (more == NULL)
        {
          /* Its import is then refused (unknown tier) and tried again by
           * the next rebuild. */
          g_warning ("Cannot read the tiers of event %" G_GINT64_FORMAT ": %s", event_id,
                     error->message);
          g_clear_error (&error);
          continue;
        }
      for (guint j = 0; j < json_array_get_length (more); j++)
        json_array_add_object_element (tiers,
                                       json_object_ref (json_array_get_object_element (more, j)));
    }
  for (guint i = 0; i < json_array_get_length (tiers); i++)
    _leap_holds_set_tier_full (self, json_array_get_object_element (tiers, i), "repair",
                               repaired_cb, step_new (self), g_free);
  for (guint i = 0; i < json_array_get_length (holds); i++)
    hand_over (self, json_array_get_object_element (holds, i));

  /* What is available now, per tier; published changes keep it current. */
  {
    GHashTableIter iter;
    gint64 *event_id;

    g_hash_table_iter_init (&iter, events);
    while (g_hash_table_iter_next (&iter, (gpointer *) &event_id, NULL))
      {
        g_autofree char *key = leap_keys_event_inventory (*event_id, LEAP_INVENTORY_AVAIL);
        Step *step = step_new (self);

        step->event_id = *event_id;
        leap_redis_command_full (self->redis, seed_cb, step, g_free, "HGETALL", key, NULL);
      }
  }
  /* Nothing to wait for. */
  self->rebuild_pending++;
  rebuild_step_done (self, self->generation, NULL);
}

static gboolean
rebuild_retry_cb (gpointer data)
{
  LeapHolds *self = data;

  self->rebuild_retry_id = 0;
  if (leap_redis_is_connected (self->redis) && !self->ready)
    _leap_holds_rebuild (self);
  return G_SOURCE_REMOVE;
}

static void
rebuild_step_done (LeapHolds    *self,
                   guint         generation,
                   const GError *error)
{
  if (generation != self->generation)
    return;
  if (error != NULL)
    self->rebuild_failed = TRUE;
  g_assert (self->rebuild_pending > 0);
  if (--self->rebuild_pending > 0)
    return;
  if (self->rebuild_failed)
    {
      if (leap_redis_is_connected (self->redis))
        {
          g_warning ("Rebuilding the Redis counters failed; retrying");
          self->rebuild_retry_id = g_timeout_add (EXPIRE_TICK_MS, rebuild_retry_cb, self);
        }
      /* Refused (503) rather than kept waiting for the retry. */
      if (!self->ready)
        resume_waiting (self);
      return;
    }
  self->ready = TRUE;
  resume_waiting (self);
  if (self->down_since_ms != 0)
    {
      gint64 down = now_ms () - self->down_since_ms;

      self->degraded_ms += down;
      self->down_since_ms = 0;
      g_message ("Redis back after %" G_GINT64_FORMAT ".%01" G_GINT64_FORMAT " s; counters rebuilt "
                 "(%u holds of the database handed over)",
                 down / 1000, down % 1000 / 100, self->handed_over);
    }
}

/* Opens the outage (or joins another backend's) with Redis's last figures:
 * the database sells from here on. */
static void
open_outage (LeapHolds *self)
{
  g_autoptr(JsonArray) available = json_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *since = leap_time_format (self->down_since_ms / 1000);
  GHashTableIter iter;
  gint64 *tier_id;
  Seen *seen;

  self->fenced = FALSE;
  g_hash_table_iter_init (&iter, self->available);
  while (g_hash_table_iter_next (&iter, (gpointer *) &tier_id, (gpointer *) &seen))
    {
      JsonObject *tier = json_object_new ();

      json_object_set_int_member (tier, "tier_id", *tier_id);
      json_object_set_int_member (tier, "event_id", seen->event_id);
      json_object_set_int_member (tier, "available", seen->available);
      json_array_add_object_element (available, tier);
    }
  /* Named by this moment, not by when Redis was lost: an outage opened
   * again after another backend ended one is a new one, whose holds and
   * figures are not the ended one's. */
  self->outage_ms = leap_store_outage_open (self->store, MAX (now_ms (), self->down_since_ms),
                                            available, &error);
  if (self->outage_ms == 0)
    g_warning ("Redis unreachable since %s; the database cannot sell either: %s",
               since, error->message);
  else
    g_warning ("Redis unreachable since %s; selling from the database", since);
}

static gboolean
subscriber_hears_redis (LeapHolds *self)
{
  return self->subscriber != NULL && leap_redis_is_connected (self->subscriber);
}

/* Redis lost: the database sells from here on, within what Redis had
 * available at the end (the figures published by its scripts), unless the
 * subscribing connection still reaches Redis. Then Redis is alive and other
 * backends may be selling through it: the database would sell the same
 * tickets, so holds are refused (503) until one connection or the other
 * changes (see "When Redis is down" in docs/architecture.md). */
void
_leap_holds_enter_outage (LeapHolds *self)
{
  self->ready = FALSE;
  _leap_holds_lease_drop (self);
  self->generation++;
  g_clear_handle_id (&self->rebuild_retry_id, g_source_remove);
  if (self->down_since_ms == 0)
    self->down_since_ms = now_ms ();
  if (subscriber_hears_redis (self))
    {
      g_autofree char *since = leap_time_format (self->down_since_ms / 1000);

      self->fenced = TRUE;
      g_message ("Redis unreachable since %s, but still heard by subscription: other backends "
                 "may sell through it, so the database does not sell either", since);
    }
  else
    open_outage (self);
  resume_waiting (self);
}

/* The subscribing connection decides only while the command connection is
 * down: lost too, the outage opens; back, this backend stops selling from
 * the database (another backend that has Redis ends the outage). */
static void
subscriber_state_cb (LeapHolds *self)
{
  if (self->subscriber == NULL || leap_redis_is_connected (self->redis) ||
      self->down_since_ms == 0)
    return;
  if (self->fenced && !subscriber_hears_redis (self))
    open_outage (self);
  else if (self->outage_ms != 0 && subscriber_hears_redis (self))
    {
      g_warning ("Redis heard again by subscription: the database stops selling here");
      self->outage_ms = 0;
      self->fenced = TRUE;
    }
}

void
_leap_holds_redis_state_cb (LeapHolds *self)
{
  if (leap_redis_is_connected (self->redis))
    {
      g_clear_handle_id (&self->rebuild_retry_id, g_source_remove);
      self->fenced = FALSE;
      _leap_holds_rebuild (self);
    }
  else if (self->ready || self->down_since_ms == 0)
    _leap_holds_enter_outage (self);
  else
    {
      /* Lost again during the rebuild: the outage was ended already and
       * the figures are stale, so the database does not sell until Redis
       * returns (503); holds waiting for the rebuild are refused. */
      self->generation++;
      resume_waiting (self);
    }
}

/* Also gives the database figures to fall back on: every backend forwards
 * what the scripts publish (subscriber is its subscribing connection). */
void
leap_holds_watch (LeapHolds *self,
                  LeapRedis *subscriber)
{
  g_return_if_fail (LEAP_IS_HOLDS (self));
  g_return_if_fail (self->subscriber == NULL);

  self->subscriber = g_object_ref (subscriber);
  leap_redis_subscribe (subscriber, leap_keys_avail_channel_pattern (), avail_published_cb, self);
  g_signal_connect_object (subscriber, "notify::connected", G_CALLBACK (subscriber_state_cb), self,
                           G_CONNECT_SWAPPED);
}

gint64
leap_holds_get_degraded_since (LeapHolds *self)
{
  return self->down_since_ms;
}

gint64
leap_holds_get_degraded_ms (LeapHolds *self)
{
  return self->degraded_ms + (self->down_since_ms != 0 ? now_ms () - self->down_since_ms : 0);
}

guint64
leap_holds_get_db_holds (LeapHolds *self)
{
  return self->db_holds;
}

gboolean
leap_holds_is_ready (LeapHolds *self)
{
  return self->ready;
}
