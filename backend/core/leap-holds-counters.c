/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-holds"

/* Redis's ticket counters: what is available, and the counters of a tier
 * set from the database (on an edit, on start, after an outage). */

#include "leap-holds-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* Availability from the live counters */

/* An event's availability: Redis's counters, then the database's tiers. */
typedef struct
{
  gint64      event_id;
  GHashTable *counted; /* tier id (text) → available (text); NULL: Redis did not answer */
} Counted;

static void
counted_free (Counted *c)
{
  g_clear_pointer (&c->counted, g_hash_table_unref);
  g_free (c);
}

/* In a thread of the store's pool: which tiers exist. */
static gpointer
availability_run (LeapStore *store,
                  gpointer   data,
                  GError   **error)
{
  return leap_store_list_availability (store, *(gint64 *) data, error);
}

static void
availability_read_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Counted *c = g_task_get_task_data (task);
  GHashTable *counted = c->counted;
  g_autoptr(GError) error = NULL;
  JsonArray *tiers = leap_store_call_finish (LEAP_STORE (object), result, &error);
  JsonObject *answer;

  if (tiers == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; counted != NULL && i < json_array_get_length (tiers); i++)
    {
      JsonObject *tier = json_array_get_object_element (tiers, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             json_object_get_int_member (tier, "tier_id"));
      const char *avail = g_hash_table_lookup (counted, id);

      if (avail != NULL)
        json_object_set_int_member (tier, "available", g_ascii_strtoll (avail, NULL, 10));
    }
  answer = json_object_new ();
  json_object_set_int_member (answer, "event_id", c->event_id);
  json_object_set_array_member (answer, "tiers", tiers);
  g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
}

static void
counters_cb (LeapRedis        *redis,
             const redisReply *reply,
             const GError     *error,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapHolds *self = g_task_get_source_object (task);
  Counted *c = g_task_get_task_data (task);
  gint64 *event_id = g_new (gint64, 1);

  /* The database knows which tiers exist; Redis how many are left, if it
   * answered. */
  if (error == NULL && leap_reply_is_array (reply, 0))
    {
      c->counted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      for (gsize i = 0; i + 1 < leap_reply_n_elements (reply); i += 2)
        g_hash_table_replace (c->counted, g_strdup (leap_reply_element_string (reply, i)),
                              g_strdup (leap_reply_element_string (reply, i + 1)));
    }
  *event_id = c->event_id;
  /* Without Redis the figures are the outage's: read after it is opened. */
  if (c->counted == NULL)
    _leap_holds_failover_call (self, availability_run, event_id, g_free,
                               (GDestroyNotify) json_array_unref, availability_read_cb,
                               g_steal_pointer (&task));
  else
    leap_store_call_async (self->store, availability_run, event_id, g_free,
                           (GDestroyNotify) json_array_unref, NULL, availability_read_cb,
                           g_steal_pointer (&task));
}

void
leap_holds_availability_async (LeapHolds          *self,
                               gint64              event_id,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_autofree char *key = leap_keys_event_inventory (event_id, LEAP_INVENTORY_AVAIL);

  g_task_set_source_tag (task, leap_holds_availability_async);
  Counted *c = g_new0 (Counted, 1);

  c->event_id = event_id;
  g_task_set_task_data (task, c, (GDestroyNotify) counted_free);
  leap_redis_command_full (self->redis, counters_cb, task, g_object_unref, "HGETALL", key, NULL);
}

/* Counters from the database */

static void
tier_set_cb (LeapRedis        *redis,
             const redisReply *reply,
             const GError     *error,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;

  if (task == NULL)
    return;
  if (error == NULL && g_str_equal (leap_reply_status (reply), "ok"))
    g_task_return_boolean (task, TRUE);
  else if (error == NULL && g_str_equal (leap_reply_status (reply), "capacity_below"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                             "tier.capacity cannot be lower than the %" G_GINT64_FORMAT
                             " tickets already sold or held",
                             leap_reply_element_int (reply, 1));
  else
    {
      /* Unreachable, or an answer other than the script's: either way the
       * counters are not what the caller asked for. */
      g_warning ("tier-set: %s", error != NULL ? error->message : leap_reply_status (reply));
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "Redis did not take the tier's counters; try again");
    }
}

void
_leap_holds_set_tier_full (LeapHolds         *self,
                           JsonObject        *tier,
                           const char        *mode,
                           LeapRedisReplyFunc func,
                           gpointer           data,
                           GDestroyNotify     destroy)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  gint64 event_id = json_object_get_int_member (tier, "event_id");

  g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT, event_id));
  g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT,
                                          json_object_get_int_member (tier, "tier_id")));
  g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT,
                                          json_object_get_int_member (tier, "capacity")));
  g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT,
                                          json_object_get_int_member (tier, "sold")));
  g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT,
                                          json_object_get_int_member (tier, "max_per_order")));
  g_ptr_array_add (args, g_strdup (mode));
  _leap_holds_run_script (self, "tier-set", event_id, NULL, args, func, data, destroy);
}

static void
set_tier (LeapHolds  *self,
          JsonObject *tier,
          const char *mode,
          GTask      *task)
{
  _leap_holds_set_tier_full (self, tier, mode, tier_set_cb, task, task ? g_object_unref : NULL);
}

/* Sets a tier's counters from what the database says (capacity, sold,
 * max_per_order) and the holds Redis has; refused with CONFLICT if the
 * capacity is below what is sold and held. tier: tier_id, event_id,
 * capacity, sold, max_per_order. */
void
leap_holds_set_tier_async (LeapHolds          *self,
                           JsonObject         *tier,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, leap_holds_set_tier_async);
  g_hash_table_remove_all (self->prices);
  set_tier (self, tier, "set", task);
}

gboolean
leap_holds_set_tier_finish (LeapHolds    *self,
                            GAsyncResult *result,
                            GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sets the missing counters from the database (a Redis that came back
 * empty): capacity − sold; the holds of the database are added by
 * hand_over after these in the same connection. Redis's own holds stay as
 * Redis has them (with its AOF they survived; without it they are gone). */
void
leap_holds_repair (LeapHolds *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) tiers = leap_store_list_inventory (self->store, 0, &error);

  if (tiers == NULL)
    {
      g_warning ("Cannot read the inventory to check Redis: %s", error->message);
      return;
    }
  for (guint i = 0; i < json_array_get_length (tiers); i++)
    set_tier (self, json_array_get_object_element (tiers, i), "repair", NULL);
}

/* What is still committed of one tier (tier_id) or of every tier of an
 * event (tier_id 0), as Redis counts it: {held, checking_out, sold}. */

static const struct
{
  LeapInventoryKey key;
  const char      *name;
} committed_counters[] = {
  { LEAP_INVENTORY_HELD, "held" },
  { LEAP_INVENTORY_CHECKOUT, "checking_out" },
  { LEAP_INVENTORY_SOLD, "sold" },
};

typedef struct
{
  gint64      tier_id;
  guint       pending;
  gboolean    failed;
  JsonObject *counts;
} Committed;

/* One HGETALL of the three: which counter it reads, for the task. */
typedef struct
{
  GTask *task;
  guint  index;
} CommittedPart;

static void
committed_free (Committed *c)
{
  json_object_unref (c->counts);
  g_free (c);
}

static void
committed_part_free (CommittedPart *part)
{
  g_object_unref (part->task);
  g_free (part);
}

static gint64
sum_fields (const redisReply *fields,
            gint64            tier_id)
{
  g_autofree char *tier = g_strdup_printf ("%" G_GINT64_FORMAT, tier_id);
  const char *value;
  gint64 sum = 0;

  if (tier_id != 0)
    return (value = leap_reply_field (fields, tier)) ? g_ascii_strtoll (value, NULL, 10) : 0;
  for (gsize i = 1; i < leap_reply_n_elements (fields); i += 2)
    if ((value = leap_reply_element_string (fields, i)) != NULL)
      sum += g_ascii_strtoll (value, NULL, 10);
  return sum;
}

static void
committed_cb (LeapRedis        *redis,
              const redisReply *reply,
              const GError     *error,
              gpointer          user_data)
{
  g_autofree CommittedPart *part = user_data;
  g_autoptr(GTask) task = part->task;
  Committed *c = g_task_get_task_data (task);

  if (error != NULL || !leap_reply_is_array (reply, 0))
    c->failed = TRUE;
  else
    json_object_set_int_member (c->counts, committed_counters[part->index].name,
                                sum_fields (reply, c->tier_id));
  if (--c->pending > 0)
    return;
  if (c->failed)
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                             "Redis did not say what is held; try again");
  else
    g_task_return_pointer (task, json_object_ref (c->counts), (GDestroyNotify) json_object_unref);
}

/* Completes with leap_holds_object_finish (). */
void
leap_holds_committed_async (LeapHolds          *self,
                            gint64              event_id,
                            gint64              tier_id,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Committed *c = g_new0 (Committed, 1);

  g_task_set_source_tag (task, leap_holds_committed_async);
  c->tier_id = tier_id;
  c->pending = G_N_ELEMENTS (committed_counters);
  c->counts = json_object_new ();
  g_task_set_task_data (task, c, (GDestroyNotify) committed_free);
  for (guint i = 0; i < G_N_ELEMENTS (committed_counters); i++)
    {
      g_autofree char *key = leap_keys_event_inventory (event_id, committed_counters[i].key);
      CommittedPart *part = g_new0 (CommittedPart, 1);

      part->task = g_object_ref (task);
      part->index = i;
      leap_redis_command_full (self->redis, committed_cb, part,
                               (GDestroyNotify) committed_part_free, "HGETALL", key, NULL);
    }
}
