/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-reconciler"

/* What the counters of an event should be: from the walk of Redis (what
 * leap-reconciler.c read) and the database, read so that a checkout
 * between its commit and its confirm does not look like drift. */

#include "leap-reconciler-private.h"
#include "leap-json.h"

const char * const _leap_reconciler_counter_names[N_COUNTERS] = {
  "capacity", "available", "held", "checkout", "sold",
};

JsonObject *
_leap_reconciler_counters_object (const gboolean *present,
                                  const gint64   *value)
{
  JsonObject *object = json_object_new ();

  for (guint i = 0; i < N_COUNTERS; i++)
    if (present[i])
      json_object_set_int_member (object, _leap_reconciler_counter_names[i], value[i]);
    else
      json_object_set_null_member (object, _leap_reconciler_counter_names[i]);
  return object;
}

static void
note_oversold (Run        *run,
               gint64      tier_id,
               gint64      capacity,
               gint64      sold,
               const char *source)
{
  gint64 event_id = current_event (run);
  JsonObject *entry = json_object_new ();

  json_object_set_int_member (entry, "event_id", event_id);
  json_object_set_int_member (entry, "tier_id", tier_id);
  json_object_set_int_member (entry, "capacity", capacity);
  json_object_set_int_member (entry, "sold", sold);
  json_object_set_string_member (entry, "source", source);
  g_hash_table_replace (run->oversold,
                        g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, event_id,
                                         tier_id),
                        entry);
}

/* The paid state of each order being checked out, as the database has it:
 * tier id → tickets already counted in tiers.sold. */
static GHashTable *
paid_pending (LeapStore *store,
              GPtrArray *checking)
{
  GHashTable *paid = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);

  for (guint i = 0; i + 1 < checking->len; i += 2)
    {
      const char *order_id = g_ptr_array_index (checking, i);
      const char *items = g_ptr_array_index (checking, i + 1);
      g_autoptr(JsonObject) order = NULL;
      g_auto(GStrv) pairs = NULL;

      order = leap_store_get_order (store, order_id, NULL);
      if (order == NULL || g_strcmp0 (leap_json_get_string (order, "status", NULL), "paid") != 0)
        continue;
      pairs = g_strsplit (items, ",", -1);
      for (guint p = 0; pairs[p] != NULL; p++)
        {
          g_auto(GStrv) tq = g_strsplit (pairs[p], ":", 2);
          gint64 tier, quantity, *count;

          if (g_strv_length (tq) != 2 ||
              !g_ascii_string_to_signed (tq[0], 10, 1, G_MAXINT64, &tier, NULL) ||
              !g_ascii_string_to_signed (tq[1], 10, 1, G_MAXINT32, &quantity, NULL))
            continue;
          count = g_hash_table_lookup (paid, &tier);
          if (count == NULL)
            {
              gint64 *key = g_new (gint64, 1);

              *key = tier;
              count = g_new0 (gint64, 1);
              g_hash_table_insert (paid, key, count);
            }
          *count += quantity;
        }
    }
  return paid;
}

static gboolean
same_counts (GHashTable *a,
             GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 *other = g_hash_table_lookup (b, key);

      if (other == NULL || *other != *(gint64 *) value)
        return FALSE;
    }
  return TRUE;
}

void
_leap_reconciler_plan_read_free (PlanRead *read)
{
  g_clear_pointer (&read->checking, g_ptr_array_unref);
  g_clear_pointer (&read->tiers, json_array_unref);
  g_clear_pointer (&read->paid, g_hash_table_unref);
  g_free (read);
}

/* In a thread of the store's pool. A worker commits the order
 * (tiers.sold) before it confirms in Redis: read which orders being
 * checked out are paid before and after the tiers, and trust the pair only
 * if nothing changed in between. */
static gpointer
plan_read_run (LeapStore *store,
               gpointer   data,
               GError   **error)
{
  PlanRead *read = data;
  g_autoptr(GHashTable) paid_before = paid_pending (store, read->checking);
  g_autoptr(JsonArray) tiers = leap_store_list_inventory (store, read->event_id, error);

  if (tiers == NULL)
    return NULL;
  read->paid = paid_pending (store, read->checking);
  if (same_counts (paid_before, read->paid))
    read->tiers = g_steal_pointer (&tiers);
  return read;
}

/* What the database has of the current event, for the plan: callback
 * gets run and reads a PlanRead (borrowed) with leap_store_call_finish. */
void
_leap_reconciler_read_database_async (Run                *run,
                                      GAsyncReadyCallback callback)
{
  PlanRead *read = g_new0 (PlanRead, 1);

  read->event_id = current_event (run);
  read->checking = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < run->checking->len; i++)
    g_ptr_array_add (read->checking, g_strdup (g_ptr_array_index (run->checking, i)));
  leap_store_call_async (run->self->store, plan_read_run, read,
                         (GDestroyNotify) _leap_reconciler_plan_read_free, NULL, NULL, callback,
                         run);
}

/* What the counters of one event should be, from the walk of Redis and
 * what the database had (read); fills run->plan and run->stale and
 * returns the plan as a string, or NULL when the database moved while it
 * was read. */
char *
_leap_reconciler_make_plan (Run      *run,
                            PlanRead *read)
{
  GHashTable *redis_tiers = run->counters;
  GHashTable *held = run->held;
  GHashTable *paid_after = read->paid;
  JsonArray *tiers = read->tiers;
  g_autoptr(GString) plan = g_string_new (NULL);

  if (tiers == NULL)
    return NULL;

  g_array_set_size (run->plan, 0);
  for (guint i = 0; i < json_array_get_length (tiers); i++)
    {
      JsonObject *row = json_array_get_object_element (tiers, i);
      gint64 tier_id = leap_json_get_int (row, "tier_id", 0);
      gint64 capacity = leap_json_get_int (row, "capacity", 0);
      gint64 db_sold = leap_json_get_int (row, "sold", 0);
      Counters *c = g_hash_table_lookup (redis_tiers, &tier_id);
      Counters none = { { FALSE } };
      gint64 *live_held = g_hash_table_lookup (held, &tier_id);
      gint64 *paid = g_hash_table_lookup (paid_after, &tier_id);
      TierFix fix = { tier_id };
      gboolean drift = FALSE;

      if (c == NULL)
        c = &none;
      if (db_sold > capacity)
        note_oversold (run, tier_id, capacity, db_sold, "database");
      else if (c->present[SOLD] && c->value[SOLD] > (c->present[CAP] ? c->value[CAP] : capacity))
        note_oversold (run, tier_id, c->present[CAP] ? c->value[CAP] : capacity, c->value[SOLD],
                       "redis");

      fix.before = *c;
      fix.after[CAP] = capacity;
      fix.after[SOLD] = MAX (db_sold - (paid ? *paid : 0), 0);
      if (run->walking)
        fix.after[HELD] = live_held ? *live_held : 0;
      else
        fix.after[HELD] = c->present[HELD] ? MAX (c->value[HELD], 0) : 0;
      fix.after[CHECKOUT] = c->present[CHECKOUT] ? MAX (c->value[CHECKOUT], 0) : 0;
      /* Never negative: an oversold tier stops selling. */
      fix.after[AVAIL] = MAX (capacity - fix.after[SOLD] - fix.after[HELD] - fix.after[CHECKOUT],
                              0);
      for (guint j = 0; j < N_COUNTERS; j++)
        if (!c->present[j] || c->value[j] != fix.after[j])
          drift = TRUE;
      if (!drift)
        continue;
      g_array_append_val (run->plan, fix);
      g_string_append_printf (plan, "%" G_GINT64_FORMAT, tier_id);
      for (guint j = 0; j < N_COUNTERS; j++)
        {
          if (c->present[j])
            g_string_append_printf (plan, " %" G_GINT64_FORMAT, c->value[j]);
          else
            g_string_append (plan, " -");
        }
      for (guint j = 0; j < N_COUNTERS; j++)
        g_string_append_printf (plan, " %" G_GINT64_FORMAT, fix.after[j]);
      g_string_append_c (plan, ';');
    }

  g_ptr_array_set_size (run->stale, 0);
  for (guint i = 0; i < run->found_stale->len; i++)
    {
      const char *id = g_ptr_array_index (run->found_stale, i);

      g_ptr_array_add (run->stale, g_strdup (id));
      g_string_append_printf (plan, " stale %s", id);
    }
  return g_string_free (g_steal_pointer (&plan), FALSE);
}

void
_leap_reconciler_log_fix (gint64         event_id,
                          const TierFix *fix)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint j = 0; j < N_COUNTERS; j++)
    {
      if (fix->before.present[j])
        g_string_append_printf (text, " %s %" G_GINT64_FORMAT, _leap_reconciler_counter_names[j],
                                fix->before.value[j]);
      else
        g_string_append_printf (text, " %s (missing)", _leap_reconciler_counter_names[j]);
      if (!fix->before.present[j] || fix->before.value[j] != fix->after[j])
        g_string_append_printf (text, " -> %" G_GINT64_FORMAT, fix->after[j]);
    }
  g_message ("Repaired the counters of event %" G_GINT64_FORMAT " tier %" G_GINT64_FORMAT ":%s",
             event_id, fix->tier_id, text->str);
}
