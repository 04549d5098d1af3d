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

/* The failover's calls to the database run one at a time, in the order
 * they were made (each in the store's pool): an outage opened and then
 * ended is never ended first. */
typedef struct
{
  LeapHolds          *self;
  LeapStoreFunc       func;
  gpointer            data;
  GDestroyNotify      data_destroy;
  GDestroyNotify      result_destroy;
  GAsyncReadyCallback callback;
  gpointer            user_data;
} FailoverCall;

static void failover_call_next (LeapHolds *self);

static void
failover_call_done_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autofree FailoverCall *fc = user_data;
  g_autoptr(LeapHolds) self = fc->self;

  fc->callback (object, result, fc->user_data);
  self->failover_busy = FALSE;
  failover_call_next (self);
}

static void
failover_call_next (LeapHolds *self)
{
  FailoverCall *fc;

  if (self->failover_busy || (fc = g_queue_pop_head (&self->failover_calls)) == NULL)
    return;
  self->failover_busy = TRUE;
  leap_store_call_async (self->store, fc->func, fc->data, fc->data_destroy, fc->result_destroy,
                         NULL, failover_call_done_cb, fc);
}

void
_leap_holds_failover_call (LeapHolds          *self,
                           LeapStoreFunc       func,
                           gpointer            data,
                           GDestroyNotify      data_destroy,
                           GDestroyNotify      result_destroy,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  FailoverCall *fc = g_new (FailoverCall, 1);

  fc->self = g_object_ref (self);
  fc->func = func;
  fc->data = data;
  fc->data_destroy = data_destroy;
  fc->result_destroy = result_destroy;
  fc->callback = callback;
  fc->user_data = user_data;
  g_queue_push_tail (&self->failover_calls, fc);
  failover_call_next (self);
}

/* In a thread of the store's pool. */
static gpointer
db_hold_create_run (LeapStore *store,
                    gpointer   data,
                    GError   **error)
{
  if (leap_store_db_hold_create (store, data, error) == 0)
    return NULL;
  return json_object_ref (data);
}

static void
db_hold_created_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapHolds *self = g_task_get_source_object (task);
  Create *c = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) hold = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (hold == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  self->db_holds++;
  _leap_holds_describe_hold_async (self, c->event_id, c->hold_id, "held", c->expires_ms,
                                   c->items, _leap_holds_described_cb, g_steal_pointer (&task));
}

/* While Redis is down the database holds, within what Redis had left
 * when it was lost (leap_store_db_hold_create), in the store's pool.
 * Between Redis's return and the end of the rebuild neither takes holds. */
void
_leap_holds_create_in_database (LeapHolds *self,
                                GTask     *owned)
{
  g_autoptr(GTask) task = owned;
  Create *c = g_task_get_task_data (task);
  JsonObject *hold;
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
  hold = json_object_new ();
  json_object_set_string_member (hold, "hold_id", c->hold_id);
  json_object_set_int_member (hold, "event_id", c->event_id);
  json_object_set_string_member (hold, "owner", c->owner);
  json_object_set_int_member (hold, "now_ms", now);
  json_object_set_int_member (hold, "expires_ms", c->expires_ms);
  /* Shared with the pool's thread: neither side changes it. */
  json_object_set_array_member (hold, "items", json_array_ref (c->items));
  leap_store_call_async (self->store, db_hold_create_run, hold,
                         (GDestroyNotify) json_object_unref, (GDestroyNotify) json_object_unref,
                         NULL, db_hold_created_cb, g_steal_pointer (&task));
}

/* In a thread of the store's pool: a hold of the database, if it is the
 * asker's (hold id and owner). */
static gpointer
db_hold_get_run (LeapStore *store,
                 gpointer   data,
                 GError   **error)
{
  const char * const *asked = data;
  g_autoptr(JsonObject) hold = leap_store_db_hold_get (store, asked[0], error);

  if (hold == NULL)
    return NULL;
  if (g_strcmp0 (leap_json_get_string (hold, "owner", NULL), asked[1]) != 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
      return NULL;
    }
  return g_steal_pointer (&hold);
}

static void
db_hold_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapHolds *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) hold = leap_store_call_finish (LEAP_STORE (object), result, &error);
  g_autoptr(JsonArray) items = NULL;
  const char *status;
  gint64 expires_ms;

  if (hold == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  status = leap_json_get_string (hold, "status", "unknown");
  expires_ms = leap_json_get_int (hold, "expires_ms", 0);
  if (g_str_equal (status, "held") && expires_ms <= now_ms ())
    status = "expired";
  items = leap_hold_lines_parse (leap_json_get_string (hold, "items", ""),
                                 leap_json_get_string (hold, "prices", NULL));
  _leap_holds_describe_hold_async (self, leap_json_get_int (hold, "event_id", 0),
                                   leap_json_get_string (hold, "hold_id", ""), status, expires_ms,
                                   items, _leap_holds_described_cb, g_steal_pointer (&task));
}

/* A hold of the database if it is owner's (else NOT_FOUND), read in the
 * store's pool; callback takes task and reads the hold with
 * leap_store_call_finish (). */
void
_leap_holds_db_hold_get_async (LeapHolds          *self,
                               const char         *hold_id,
                               const char         *owner,
                               GAsyncReadyCallback callback,
                               GTask              *task)
{
  const char *asked[] = { hold_id, owner, NULL };

  leap_store_call_async (self->store, db_hold_get_run, g_strdupv ((char **) asked),
                         (GDestroyNotify) g_strfreev, (GDestroyNotify) json_object_unref, NULL,
                         callback, task);
}

void
_leap_holds_read_from_database (LeapHolds  *self,
                                GTask      *owned,
                                const char *hold_id,
                                const char *owner)
{
  _leap_holds_db_hold_get_async (self, hold_id, owner, db_hold_read_cb, owned);
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

/* In a thread of the store's pool: {outage_ms, tiers}. */
static gpointer
outage_lower_run (LeapStore *store,
                  gpointer   data,
                  GError   **error)
{
  JsonObject *lower = data;

  if (!leap_store_outage_lower (store, leap_json_get_int (lower, "outage_ms", 0),
                                json_object_get_array_member (lower, "tiers"), error))
    return NULL;
  return lower;
}

static void
outage_lowered_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Then the outage keeps the figures it opened with, and the database
   * may sell tickets this Redis no longer had: worth a warning. */
  if (leap_store_call_finish (LEAP_STORE (object), result, &error) == NULL)
    g_warning ("Redis's last figures did not reach the database: %s", error->message);
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
      g_autoptr(JsonObject) lower = json_object_new ();

      for (guint i = 0; i < json_array_get_length (json_node_get_array (tiers)); i++)
        {
          JsonNode *node = json_array_get_element (json_node_get_array (tiers), i);

          if (JSON_NODE_HOLDS_OBJECT (node))
            json_array_add_object_element (late, json_object_ref (json_node_get_object (node)));
        }
      json_object_set_int_member (lower, "outage_ms", self->outage_ms);
      json_object_set_array_member (lower, "tiers", g_steal_pointer (&late));
      _leap_holds_failover_call (self, outage_lower_run, g_steal_pointer (&lower),
                                 (GDestroyNotify) json_object_unref, NULL, outage_lowered_cb,
                                 NULL);
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

/* In a thread of the store's pool. */
static gpointer
outbox_mark_sent_run (LeapStore *store,
                      gpointer   data,
                      GError   **error)
{
  return leap_store_outbox_mark_sent (store, data, now_ms (), error) ? data : NULL;
}

static void
outbox_marked_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autofree char *order_id = user_data;
  g_autoptr(GError) error = NULL;

  if (leap_store_call_finish (LEAP_STORE (object), result, &error) == NULL)
    g_warning ("Order %s not marked as sent to Redis: %s", order_id, error->message);
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
      leap_store_call_async (self->store, outbox_mark_sent_run, g_strdup (order_id), g_free,
                             NULL, NULL, outbox_marked_cb, g_strdup (order_id));
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

/* What the rebuild reads of the database before it talks to Redis. */
typedef struct
{
  char       *holder;
  gint64      start;        /* monotonic ms, taken before the lease's write */
  guint       generation;
  GError     *lease_error;  /* the lease was not renewed */
  GError     *error;        /* the rebuild cannot go on */
  JsonArray  *holds;        /* the database's, to hand over */
  JsonArray  *tiers;        /* every tier whose counters Redis needs */
  GHashTable *events;       /* gint64 → their events */
} Rebuild;

static void
rebuild_free (Rebuild *r)
{
  g_free (r->holder);
  g_clear_error (&r->lease_error);
  g_clear_error (&r->error);
  g_clear_pointer (&r->holds, json_array_unref);
  g_clear_pointer (&r->tiers, json_array_unref);
  g_clear_pointer (&r->events, g_hash_table_unref);
  g_free (r);
}

/* In a thread of the store's pool; what failed is in r. */
static gpointer
rebuild_run (LeapStore *store,
             gpointer   data,
             GError   **error)
{
  Rebuild *r = data;

  /* The lease first: from its commit on the database makes no hold, so
   * the outage closed next hands over every hold it made. */
  if (!_leap_holds_lease_renew_on (store, r->holder, &r->lease_error))
    {
      g_set_error_literal (&r->error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                           "the database did not take this backend's lease");
      return r;
    }
  r->holds = leap_store_outage_close (store, now_ms (), &r->error);
  if (r->holds == NULL)
    return r;
  r->tiers = leap_store_list_inventory (store, 0, &r->error);
  if (r->tiers == NULL)
    return r;

  for (guint i = 0; i < json_array_get_length (r->tiers); i++)
    add_event (r->events, json_object_get_int_member (json_array_get_object_element (r->tiers, i),
                                                      "event_id"));
  /* An event taken off sale can still have holds and accepted orders to
   * hand over: its counters are needed too, or they are refused. */
  for (guint i = 0; i < json_array_get_length (r->holds); i++)
    {
      gint64 event_id = leap_json_get_int (json_array_get_object_element (r->holds, i),
                                           "event_id", 0);
      g_autoptr(JsonArray) more = NULL;
      g_autoptr(GError) local_error = NULL;

      if (!add_event (r->events, event_id))
        continue;
      more = leap_store_list_inventory (store, event_id, &local_error);
      if (more == NULL)
        {
          /* Its import is then refused (unknown tier) and tried again by
           * the next rebuild. */
          g_warning ("Cannot read the tiers of event %" G_GINT64_FORMAT ": %s", event_id,
                     local_error->message);
          continue;
        }
      for (guint j = 0; j < json_array_get_length (more); j++)
        json_array_add_object_element (r->tiers,
                                       json_object_ref (json_array_get_object_element (more, j)));
    }
  return r;
}

static void
rebuild_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LeapHolds *self = user_data;
  Rebuild *r = leap_store_call_finish (LEAP_STORE (object), result, NULL);
  GHashTableIter iter;
  gint64 *event_id;

  /* Lost again, rebuilt again or disposed meanwhile. */
  if (r->generation != self->generation)
    return;
  _leap_holds_lease_renewed (self, r->start, r->lease_error);
  if (r->error != NULL)
    {
      g_warning ("Cannot rebuild the Redis counters from the database: %s; retrying",
                 r->error->message);
      self->rebuild_retry_id = g_timeout_add (EXPIRE_TICK_MS, rebuild_retry_cb, self);
      if (!self->ready)
        resume_waiting (self);
      return;
    }
  self->outage_ms = 0;

  for (guint i = 0; i < json_array_get_length (r->tiers); i++)
    _leap_holds_set_tier_full (self, json_array_get_object_element (r->tiers, i), "repair",
                               repaired_cb, step_new (self), g_free);
  for (guint i = 0; i < json_array_get_length (r->holds); i++)
    hand_over (self, json_array_get_object_element (r->holds, i));

  /* What is available now, per tier; published changes keep it current. */
  g_hash_table_iter_init (&iter, r->events);
  while (g_hash_table_iter_next (&iter, (gpointer *) &event_id, NULL))
    {
      g_autofree char *key = leap_keys_event_inventory (*event_id, LEAP_INVENTORY_AVAIL);
      Step *step = step_new (self);

      step->event_id = *event_id;
      leap_redis_command_full (self->redis, seed_cb, step, g_free, "HGETALL", key, NULL);
    }
  /* Nothing to wait for. */
  self->rebuild_pending++;
  rebuild_step_done (self, self->generation, NULL);
}

/* Redis is back (or the backend starts): before Redis takes holds again,
 * end the database's outage (so that it makes no more holds), set the
 * counters Redis lost from the database, hand the database's holds and
 * queued orders over, and read the figures an outage would start from.
 * The database is read in the store's pool, in turn with the failover's
 * other calls. */
void
_leap_holds_rebuild (LeapHolds *self)
{
  Rebuild *r = g_new0 (Rebuild, 1);

  self->generation++;
  self->rebuild_pending = 0;
  self->rebuild_failed = FALSE;
  self->handed_over = 0;
  r->holder = g_strdup (self->lease_holder);
  r->start = g_get_monotonic_time () / 1000;
  r->generation = self->generation;
  r->events = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  _leap_holds_failover_call (self, rebuild_run, r, (GDestroyNotify) rebuild_free, NULL,
                             rebuild_read_cb, self);
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

static gboolean subscriber_hears_redis (LeapHolds *self);

typedef struct
{
  gint64     since_ms;
  guint      generation;
  JsonArray *available;
  gint64     outage_ms;
} Opening;

static void
opening_free (Opening *o)
{
  json_array_unref (o->available);
  g_free (o);
}

/* In a thread of the store's pool. */
static gpointer
open_outage_run (LeapStore *store,
                 gpointer   data,
                 GError   **error)
{
  Opening *o = data;

  o->outage_ms = leap_store_outage_open (store, o->since_ms, o->available, error);
  return o->outage_ms != 0 ? o : NULL;
}

static void
outage_opened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  LeapHolds *self = user_data;
  g_autoptr(GError) error = NULL;
  Opening *o = leap_store_call_finish (LEAP_STORE (object), result, &error);
  g_autofree char *since = leap_time_format (self->down_since_ms / 1000);

  self->opening = FALSE;
  /* Redis back meanwhile: the rebuild, next in turn, ends this outage and
   * answers the holds that waited. */
  if (leap_redis_is_connected (self->redis))
    return;
  if (o == NULL)
    g_warning ("Redis unreachable since %s; the database cannot sell either: %s",
               since, error->message);
  else if (o->generation == self->generation && subscriber_hears_redis (self))
    {
      /* Heard again by subscription meanwhile (see subscriber_state_cb). */
      g_warning ("Redis heard again by subscription: the database stops selling here");
      self->fenced = TRUE;
    }
  else if (o->generation == self->generation)
    {
      self->outage_ms = o->outage_ms;
      g_warning ("Redis unreachable since %s; selling from the database", since);
    }
  resume_waiting (self);
}

/* Opens the outage (or joins another backend's) with Redis's last figures:
 * the database sells from then on; holds asked meanwhile wait for it. */
static void
open_outage (LeapHolds *self)
{
  Opening *o = g_new0 (Opening, 1);
  GHashTableIter iter;
  gint64 *tier_id;
  Seen *seen;

  self->fenced = FALSE;
  self->opening = TRUE;
  o->available = json_array_new ();
  g_hash_table_iter_init (&iter, self->available);
  while (g_hash_table_iter_next (&iter, (gpointer *) &tier_id, (gpointer *) &seen))
    {
      JsonObject *tier = json_object_new ();

      json_object_set_int_member (tier, "tier_id", *tier_id);
      json_object_set_int_member (tier, "event_id", seen->event_id);
      json_object_set_int_member (tier, "available", seen->available);
      json_array_add_object_element (o->available, tier);
    }
  /* Named by this moment, not by when Redis was lost: an outage opened
   * again after another backend ended one is a new one, whose holds and
   * figures are not the ended one's. */
  o->since_ms = MAX (now_ms (), self->down_since_ms);
  o->generation = self->generation;
  _leap_holds_failover_call (self, open_outage_run, o, (GDestroyNotify) opening_free, NULL,
                             outage_opened_cb, self);
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
  _leap_holds_lease_drop (self, TRUE);
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
      resume_waiting (self);
    }
  else
    open_outage (self);
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
      _leap_holds_replicas_connected (self);
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
