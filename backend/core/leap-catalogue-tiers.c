/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapCatalogue: tiers, whose writes change Redis's counters too, and the
 * removal of tiers and events. */
#define G_LOG_DOMAIN "leap-catalogue"

#include "leap-catalogue-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* Tiers: the database and Redis's counters together */

typedef struct
{
  LeapHolds  *holds;
  LeapKind    kind;
  gint64      id;
  gint64      event_id;
  gint64      actor;
  JsonObject *patch;    /* an update: the change asked for */
  JsonObject *tier;     /* a create: the answer */
  JsonArray  *rows;     /* inventory rows before the write: tier_id, capacity… */
  guint       closed;   /* a removal: rows whose sale Redis has stopped */
  JsonObject *still;    /* a refused removal: {held, checking_out, sold} */
  gboolean    removal;
} TierWrite;

static void
tier_write_free (TierWrite *w)
{
  g_clear_object (&w->holds);
  g_clear_pointer (&w->patch, json_object_unref);
  g_clear_pointer (&w->tier, json_object_unref);
  g_clear_pointer (&w->rows, json_array_unref);
  g_clear_pointer (&w->still, json_object_unref);
  g_free (w);
}

static GTask *
tier_task_new (LeapCatalogue      *self,
               LeapHolds          *holds,
               LeapKind            kind,
               gint64              id,
               gint64              actor,
               gpointer            source_tag,
               GAsyncReadyCallback callback,
               gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  TierWrite *w = g_new0 (TierWrite, 1);

  g_task_set_source_tag (task, source_tag);
  w->holds = g_object_ref (holds);
  w->kind = kind;
  w->id = id;
  w->actor = actor;
  g_task_set_task_data (task, w, (GDestroyNotify) tier_write_free);
  return task;
}

/* What Redis counts of the tiers of an event, or of one tier of it. */
static JsonArray *
inventory_rows (LeapStore *store,
                gint64     event_id,
                gint64     tier_id,
                GError   **error)
{
  g_autoptr(JsonArray) rows = leap_store_list_inventory (store, event_id, error);
  JsonArray *wanted;

  if (rows == NULL || tier_id == 0)
    return g_steal_pointer (&rows);
  wanted = json_array_new ();
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (json_object_get_int_member (json_array_get_object_element (rows, i), "tier_id") ==
        tier_id)
      json_array_add_element (wanted, json_array_dup_element (rows, i));
  return wanted;
}

/* What a write of a tier, or the removal of a tier or an event, reads
 * first: the event (unless known), the inventory rows and, for a removal,
 * what the database still counts. In a thread of the store's pool, which
 * has the TierWrite to itself until the task's callback runs. */
static gpointer
look_run (LeapStore *store,
          gpointer   data,
          GError   **error)
{
  TierWrite *w = data;

  if (w->event_id == 0)
    {
      g_autoptr(JsonObject) object = leap_store_get (store, w->kind, w->id, error);

      if (object == NULL)
        return NULL;
      w->event_id = w->kind == LEAP_KIND_TIER ? json_object_get_int_member (object, "event_id")
                                              : w->id;
    }
  w->rows = inventory_rows (store, w->event_id, w->kind == LEAP_KIND_TIER ? w->id : 0, error);
  if (w->rows == NULL)
    return NULL;
  if (w->removal && (w->still = leap_store_count_committed (store, w->kind, w->id, error)) == NULL)
    return NULL;
  return w;
}

static void
look_async (GTask              *task,
            GAsyncReadyCallback callback)
{
  LeapCatalogue *self = g_task_get_source_object (task);

  leap_store_call_async (self->store, look_run, g_task_get_task_data (task), NULL, NULL, NULL,
                         callback, task);
}

/* The task, or NULL when the look failed and the task has been answered. */
static GTask *
look_finish (GObject      *object,
             GAsyncResult *result,
             GTask        *task)
{
  g_autoptr(GError) error = NULL;

  if (leap_store_call_finish (LEAP_STORE (object), result, &error) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return NULL;
    }
  return task;
}

/* Puts a tier's counters back as the database has them, after a write that
 * did not go through; if Redis does not take even that, the reconciler
 * meets the difference. */
static void
counters_restored_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!leap_holds_set_tier_finish (LEAP_HOLDS (object), result, &error))
    g_warning ("Tier %" G_GINT64_FORMAT ": its counters in Redis could not be put back: %s",
               GPOINTER_TO_SIZE (user_data), error->message);
}

static void
restore_counters (TierWrite *w,
                  guint      n_rows)
{
  for (guint i = 0; i < n_rows; i++)
    {
      JsonObject *row = json_array_get_object_element (w->rows, i);

      leap_holds_set_tier_async (w->holds, row, counters_restored_cb,
                                 GSIZE_TO_POINTER (json_object_get_int_member (row, "tier_id")));
    }
}

static void
tier_created_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* A new tier sells nothing yet: counters Redis missed are set when it
   * is back (leap_holds_repair ()), so the tier stands. */
  if (!leap_holds_set_tier_finish (LEAP_HOLDS (object), result, &error))
    g_debug ("Tier %" G_GINT64_FORMAT " is counted when Redis is back: %s",
             json_object_get_int_member (w->tier, "id"), error->message);
  g_task_return_pointer (task, json_object_ref (w->tier), (GDestroyNotify) json_object_unref);
}

static void
tier_rows_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = look_finish (object, result, user_data);
  TierWrite *w;

  if (task == NULL)
    return;
  w = g_task_get_task_data (task);
  if (json_array_get_length (w->rows) == 0)
    {
      g_task_return_pointer (task, json_object_ref (w->tier), (GDestroyNotify) json_object_unref);
      return;
    }
  leap_holds_set_tier_async (w->holds, json_array_get_object_element (w->rows, 0), tier_created_cb,
                             g_steal_pointer (&task));
}

static void
tier_written_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  w->tier = leap_catalogue_write_finish (LEAP_CATALOGUE (object), result, &error);
  if (w->tier == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  w->id = json_object_get_int_member (w->tier, "id");
  look_async (g_steal_pointer (&task), tier_rows_cb);
}

void
leap_catalogue_create_tier_async (LeapCatalogue      *self,
                                  LeapHolds          *holds,
                                  gint64              event_id,
                                  JsonObject         *fields,
                                  gint64              actor,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  GTask *task = tier_task_new (self, holds, LEAP_KIND_TIER, 0, actor,
                               leap_catalogue_create_tier_async, callback, user_data);
  TierWrite *w = g_task_get_task_data (task);

  w->event_id = event_id;
  leap_catalogue_create_async (self, LEAP_KIND_TIER, event_id, fields, actor, tier_written_cb,
                               task);
}

static void
tier_updated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  JsonObject *updated = leap_catalogue_write_finish (LEAP_CATALOGUE (object), result, &error);

  if (updated == NULL)
    {
      /* Counters changed first are put back; a plain update has none. */
      if (w->rows != NULL)
        restore_counters (w, 1);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, updated, (GDestroyNotify) json_object_unref);
}

static void
tier_counted_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapCatalogue *self = g_task_get_source_object (task);
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* Redis first: what it refuses never reaches the database. */
  if (!leap_holds_set_tier_finish (LEAP_HOLDS (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  leap_catalogue_update_async (self, LEAP_KIND_TIER, w->id, w->patch, w->actor, tier_updated_cb,
                               g_steal_pointer (&task));
}

static void
tier_looked_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = look_finish (object, result, user_data);
  const char *counted[] = { "capacity", "max_per_order" };
  g_autoptr(JsonObject) wanted = NULL;
  TierWrite *w;

  if (task == NULL)
    return;
  w = g_task_get_task_data (task);
  g_assert (json_array_get_length (w->rows) == 1);
  wanted = leap_json_object_copy (json_array_get_object_element (w->rows, 0));
  for (guint i = 0; i < G_N_ELEMENTS (counted); i++)
    if (json_object_has_member (w->patch, counted[i]))
      json_object_set_int_member (wanted, counted[i],
                                  json_object_get_int_member (w->patch, counted[i]));
  leap_holds_set_tier_async (w->holds, wanted, tier_counted_cb, g_steal_pointer (&task));
}

void
leap_catalogue_update_tier_async (LeapCatalogue      *self,
                                  LeapHolds          *holds,
                                  gint64              tier_id,
                                  JsonObject         *patch,
                                  gint64              actor,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr(GTask) task = tier_task_new (self, holds, LEAP_KIND_TIER, tier_id, actor,
                                         leap_catalogue_update_tier_async, callback, user_data);
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  const char *counted[] = { "capacity", "max_per_order" };
  gboolean counts = FALSE;

  w->patch = leap_json_object_copy (patch);
  for (guint i = 0; i < G_N_ELEMENTS (counted); i++)
    counts |= json_object_has_member (patch, counted[i]);
  if (!counts)
    {
      leap_catalogue_update_async (self, LEAP_KIND_TIER, tier_id, patch, actor, tier_updated_cb,
                                   g_steal_pointer (&task));
      return;
    }
  if (!leap_json_check (patch, _leap_catalogue_schema_of (LEAP_KIND_TIER), TRUE, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  look_async (g_steal_pointer (&task), tier_looked_cb);
}

JsonObject *
leap_catalogue_tier_finish (LeapCatalogue *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Removal of a tier or an event: the database tells what it knows (sold,
 * the holds it made while Redis was down); then Redis stops each tier's
 * sale (tier-set to capacity 0, which it refuses while anything is held,
 * checked out or sold), and only then does the database delete. */

static gboolean
anything_committed (JsonObject *counts)
{
  return json_object_get_int_member (counts, "held") > 0 ||
         json_object_get_int_member (counts, "checking_out") > 0 ||
         json_object_get_int_member (counts, "sold") > 0;
}

static void
return_still_there (GTask *task)
{
  TierWrite *w = g_task_get_task_data (task);

  g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                           "This %s cannot be deleted: tickets of it are still held, being "
                           "checked out or sold",
                           leap_kind_to_string (w->kind));
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) removed = leap_catalogue_write_finish (LEAP_CATALOGUE (object), result,
                                                               &error);

  if (removed == NULL)
    {
      restore_counters (w, w->closed);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* Takes the task. */
static void
remove_now (GTask *task)
{
  TierWrite *w = g_task_get_task_data (task);

  _leap_catalogue_delete_async (g_task_get_source_object (task), w->kind, w->id, w->actor,
                                removed_cb, task);
}

static void
committed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(JsonObject) counts = leap_holds_object_finish (LEAP_HOLDS (object), result, NULL);
  const char *names[] = { "held", "checking_out", "sold" };

  /* The database's figures are a floor: Redis's are the live ones. */
  for (guint i = 0; counts != NULL && i < G_N_ELEMENTS (names); i++)
    json_object_set_int_member (w->still, names[i],
                                MAX (json_object_get_int_member (w->still, names[i]),
                                     json_object_get_int_member (counts, names[i])));
  return_still_there (task);
}

static void close_next (GTask *task);

static void
closed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (leap_holds_set_tier_finish (LEAP_HOLDS (object), result, &error))
    {
      w->closed++;
      close_next (g_steal_pointer (&task));
      return;
    }
  restore_counters (w, w->closed);
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_CONFLICT))
    leap_holds_committed_async (w->holds, w->event_id, w->kind == LEAP_KIND_TIER ? w->id : 0,
                                committed_cb, g_steal_pointer (&task));
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
close_next (GTask *task)
{
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(JsonObject) closed = NULL;

  if (w->closed == json_array_get_length (w->rows))
    {
      remove_now (task);
      return;
    }
  closed = leap_json_object_copy (json_array_get_object_element (w->rows, w->closed));
  json_object_set_int_member (closed, "capacity", 0);
  leap_holds_set_tier_async (w->holds, closed, closed_cb, task);
}

static void
removal_looked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = look_finish (object, result, user_data);
  TierWrite *w;

  if (task == NULL)
    return;
  w = g_task_get_task_data (task);
  if (anything_committed (w->still))
    return_still_there (task);
  else if (json_array_get_length (w->rows) == 0)
    remove_now (g_steal_pointer (&task));
  else if (!leap_holds_is_ready (w->holds))
    /* Redis's holds are nowhere else: without it nothing proves the tiers
     * free, so nothing is deleted rather than a guess. */
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                             "Redis is unavailable, so whether tickets of this %s are held "
                             "cannot be told; nothing was deleted",
                             leap_kind_to_string (w->kind));
  else
    close_next (g_steal_pointer (&task));
}

void
leap_catalogue_remove_async (LeapCatalogue      *self,
                             LeapHolds          *holds,
                             LeapKind            kind,
                             gint64              id,
                             gint64              actor,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  GTask *task = tier_task_new (self, holds, kind, id, actor, leap_catalogue_remove_async,
                               callback, user_data);
  TierWrite *w = g_task_get_task_data (task);

  if (kind != LEAP_KIND_TIER && kind != LEAP_KIND_EVENT)
    {
      remove_now (task);
      return;
    }
  w->removal = TRUE;
  look_async (task, removal_looked_cb);
}

gboolean
leap_catalogue_remove_finish (LeapCatalogue *self,
                              GAsyncResult  *result,
                              JsonObject   **still,
                              GError       **error)
{
  TierWrite *w = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) local_error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &local_error))
    return TRUE;
  if (still != NULL && g_error_matches (local_error, LEAP_ERROR, LEAP_ERROR_CONFLICT) &&
      w->still != NULL && anything_committed (w->still))
    *still = json_object_ref (w->still);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}
