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

static JsonObject *
row_copy (JsonObject *row)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  json_object_iter_init (&iter, row);
  while (json_object_iter_next (&iter, &member, &node))
    json_object_set_member (copy, member, json_node_copy (node));
  return copy;
}

/* What Redis counts of the tiers of an event, or of one tier of it. */
static JsonArray *
inventory_rows (LeapCatalogue *self,
                gint64         event_id,
                gint64         tier_id,
                GError       **error)
{
  g_autoptr(JsonArray) rows = leap_store_list_inventory (self->store, event_id, error);
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

void
leap_catalogue_create_tier_async (LeapCatalogue      *self,
                                  LeapHolds          *holds,
                                  gint64              event_id,
                                  JsonObject         *fields,
                                  gint64              actor,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr(GTask) task = tier_task_new (self, holds, LEAP_KIND_TIER, 0, actor,
                                         leap_catalogue_create_tier_async, callback, user_data);
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  w->tier = leap_catalogue_create (self, LEAP_KIND_TIER, event_id, fields, actor, &error);
  if (w->tier == NULL ||
      (w->rows = inventory_rows (self, event_id, json_object_get_int_member (w->tier, "id"),
                                 &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (json_array_get_length (w->rows) == 0)
    {
      g_task_return_pointer (task, json_object_ref (w->tier), (GDestroyNotify) json_object_unref);
      return;
    }
  leap_holds_set_tier_async (holds, json_array_get_object_element (w->rows, 0), tier_created_cb,
                             g_steal_pointer (&task));
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
  JsonObject *updated;

  /* Redis first: what it refuses never reaches the database. */
  if (!leap_holds_set_tier_finish (LEAP_HOLDS (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  updated = leap_catalogue_update (self, LEAP_KIND_TIER, w->id, w->patch, w->actor, &error);
  if (updated == NULL)
    {
      restore_counters (w, 1);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, updated, (GDestroyNotify) json_object_unref);
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
  g_autoptr(JsonObject) tier = NULL;
  g_autoptr(JsonObject) wanted = NULL;
  g_autoptr(GError) error = NULL;
  const char *counted[] = { "capacity", "max_per_order" };
  gboolean counts = FALSE;

  w->patch = json_object_ref (patch);
  for (guint i = 0; i < G_N_ELEMENTS (counted); i++)
    counts |= json_object_has_member (patch, counted[i]);
  if (!counts)
    {
      JsonObject *updated = leap_catalogue_update (self, LEAP_KIND_TIER, tier_id, patch, actor,
                                                   &error);
      if (updated == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, updated, (GDestroyNotify) json_object_unref);
      return;
    }
  if (!leap_json_check (patch, _leap_catalogue_schema_of (LEAP_KIND_TIER), TRUE, &error) ||
      (tier = leap_store_get (self->store, LEAP_KIND_TIER, tier_id, &error)) == NULL ||
      (w->rows = inventory_rows (self, json_object_get_int_member (tier, "event_id"), tier_id,
                                 &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_assert (json_array_get_length (w->rows) == 1);
  wanted = row_copy (json_array_get_object_element (w->rows, 0));
  for (guint i = 0; i < G_N_ELEMENTS (counted); i++)
    if (json_object_has_member (patch, counted[i]))
      json_object_set_int_member (wanted, counted[i],
                                  json_object_get_int_member (patch, counted[i]));
  leap_holds_set_tier_async (holds, wanted, tier_counted_cb, g_steal_pointer (&task));
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
remove_now (GTask *task)
{
  LeapCatalogue *self = g_task_get_source_object (task);
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!leap_catalogue_remove (self, w->kind, w->id, w->actor, &error))
    {
      restore_counters (w, w->closed);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
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
      g_object_unref (task);
      return;
    }
  closed = row_copy (json_array_get_object_element (w->rows, w->closed));
  json_object_set_int_member (closed, "capacity", 0);
  leap_holds_set_tier_async (w->holds, closed, closed_cb, task);
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
  g_autoptr(GTask) task = tier_task_new (self, holds, kind, id, actor,
                                         leap_catalogue_remove_async, callback, user_data);
  TierWrite *w = g_task_get_task_data (task);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;

  if (kind != LEAP_KIND_TIER && kind != LEAP_KIND_EVENT)
    {
      remove_now (task);
      return;
    }
  if ((object = leap_store_get (self->store, kind, id, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  w->event_id = kind == LEAP_KIND_TIER ? json_object_get_int_member (object, "event_id") : id;
  if ((w->rows = inventory_rows (self, w->event_id, kind == LEAP_KIND_TIER ? id : 0,
                                 &error)) == NULL ||
      (w->still = leap_store_count_committed (self->store, kind, id, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (anything_committed (w->still))
    return_still_there (task);
  else if (json_array_get_length (w->rows) == 0)
    remove_now (task);
  else if (!leap_holds_is_ready (holds))
    /* Redis's holds are nowhere else: without it nothing proves the tiers
     * free, so nothing is deleted rather than a guess. */
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                             "Redis is unavailable, so whether tickets of this %s are held "
                             "cannot be told; nothing was deleted",
                             leap_kind_to_string (kind));
  else
    close_next (g_steal_pointer (&task));
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
