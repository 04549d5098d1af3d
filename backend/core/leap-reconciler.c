/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-reconciler"

#include "leap-reconciler-private.h"
#include "leap-error.h"
#include "leap-holds.h"
#include "leap-json.h"
#include "leap-keys.h"
#include "leap-reply.h"

#include <string.h>

/* A drift is repaired only when two reads settle_ms apart find the same
 * one: a checkout between its database commit and its confirm in Redis,
 * or a refund between its two writes, looks like drift for a moment and
 * must not be "repaired". A run gives up on an event (and says so in the
 * report) when its counters keep changing: the next run tries again. */
#define DEFAULT_SETTLE_MS 1000
#define MAX_ATTEMPTS      5
/* Walking every live hold blocks Redis for some microseconds a hold: a
 * timer run first reads the counters only ("quick"), and walks the holds of
 * an event only when those disagree, or on every FULL_EVERY-th run (a hold
 * record lost without its counters moving shows only in a walk). A run
 * asked for through the API always walks. */
#define FULL_EVERY        10
/* The most hold records (live holds and the holds of checkout messages)
 * one reconcile.lua call reads: about 12 ms of Redis, far below the
 * backends' PING deadline (2 s), however big the event. A walk of several
 * steps is discarded when the event's change counter moves meanwhile. */
#define WALK_STEP         1000

G_DEFINE_FINAL_TYPE (LeapReconciler, leap_reconciler, G_TYPE_OBJECT)

enum { WALK_STEP_SIGNAL, N_SIGNALS };

static guint signals[N_SIGNALS];

static void read_event (Run *run);
static void abort_run  (Run *run);

static void
clear_walk (Run *run)
{
  g_clear_pointer (&run->counters, g_hash_table_unref);
  g_clear_pointer (&run->held, g_hash_table_unref);
  g_clear_pointer (&run->found_stale, g_ptr_array_unref);
  g_clear_pointer (&run->checking, g_ptr_array_unref);
  g_clear_pointer (&run->version, g_free);
  g_clear_pointer (&run->holds_next, g_free);
  g_clear_pointer (&run->stream_next, g_free);
  g_clear_handle_id (&run->step_id, g_source_remove);
  run->steps = 0;
}

static void
run_free (Run *run)
{
  clear_walk (run);
  g_clear_handle_id (&run->settle_id, g_source_remove);
  g_clear_pointer (&run->tasks, g_ptr_array_unref);
  g_clear_pointer (&run->events, g_array_unref);
  g_clear_pointer (&run->previous, g_free);
  g_clear_pointer (&run->plan, g_array_unref);
  g_clear_pointer (&run->stale, g_ptr_array_unref);
  g_clear_pointer (&run->repairs, json_array_unref);
  g_clear_pointer (&run->deferred, json_array_unref);
  g_clear_pointer (&run->oversold, g_hash_table_unref);
  g_clear_object (&run->self);
  g_free (run);
}

static void
start_run (LeapReconciler *self,
           gboolean        full);

static void
finish_run (Run *run)
{
  LeapReconciler *self = run->self;
  g_autoptr(JsonObject) report = json_object_new ();
  g_autofree char *started = leap_time_format (run->started / G_USEC_PER_SEC);
  g_autofree char *finished = leap_time_format (g_get_real_time () / G_USEC_PER_SEC);
  g_autoptr(GList) oversold = g_hash_table_get_values (run->oversold);
  JsonArray *list = json_array_new ();

  for (GList *l = oversold; l != NULL; l = l->next)
    json_array_add_object_element (list, json_object_ref (l->data));
  json_object_set_int_member (report, "events_checked", run->events->len);
  json_object_set_string_member (report, "started_at", started);
  json_object_set_string_member (report, "finished_at", finished);
  json_object_set_array_member (report, "repairs", json_array_ref (run->repairs));
  json_object_set_array_member (report, "oversold", list);
  json_object_set_array_member (report, "deferred", json_array_ref (run->deferred));

  for (GList *l = oversold; l != NULL; l = l->next)
    {
      JsonObject *o = l->data;

      /* The alarm: selling more than there is must reach an operator. */
      g_warning ("OVERSOLD: event %" G_GINT64_FORMAT " tier %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
                 " sold of %" G_GINT64_FORMAT " (found in the %s)",
                 json_object_get_int_member (o, "event_id"),
                 json_object_get_int_member (o, "tier_id"), json_object_get_int_member (o, "sold"),
                 json_object_get_int_member (o, "capacity"),
                 json_object_get_string_member (o, "source"));
    }
  self->runs++;
  self->oversold = json_array_get_length (list);
  self->oversold_detected += json_array_get_length (list);
  g_clear_pointer (&self->last_report, json_object_unref);
  self->last_report = json_object_ref (report);
  if (json_array_get_length (run->repairs) > 0 || json_array_get_length (run->deferred) > 0)
    g_message ("Reconciled %u events: %u repairs, %u oversold tiers, %u deferred",
               run->events->len, json_array_get_length (run->repairs), json_array_get_length (list),
               json_array_get_length (run->deferred));

  for (guint i = 0; i < run->tasks->len; i++)
    g_task_return_pointer (g_ptr_array_index (run->tasks, i), json_object_ref (report),
                           (GDestroyNotify) json_object_unref);
  self->run = NULL;
  run_free (run);
  if (self->queued->len > 0)
    start_run (self, TRUE);
}

static void
next_event (Run *run)
{
  run->index++;
  run->attempt = 0;
  run->walking = run->full;
  g_clear_pointer (&run->previous, g_free);
  if (run->index >= run->events->len)
    finish_run (run);
  else
    read_event (run);
}

static void
defer_event (Run        *run,
             const char *reason)
{
  JsonObject *entry = json_object_new ();

  json_object_set_int_member (entry, "event_id", current_event (run));
  json_object_set_string_member (entry, "reason", reason);
  json_array_add_object_element (run->deferred, entry);
  g_message ("Reconciling event %" G_GINT64_FORMAT " deferred: %s", current_event (run), reason);
  next_event (run);
}

static gboolean
settled_cb (gpointer data)
{
  Run *run = data;

  run->settle_id = 0;
  read_event (run);
  return G_SOURCE_REMOVE;
}

/* Reads again after settle_ms, or gives up on this event for this run. */
static void
read_again (Run        *run,
            const char *reason)
{
  if (++run->attempt >= MAX_ATTEMPTS)
    {
      defer_event (run, reason);
      return;
    }
  run->settle_id = g_timeout_add (run->self->settle_ms, settled_cb, run);
}

/* FALSE when a reconcile.lua reply ends this event (an error: deferred) or
 * the run (the reconciler was disposed meanwhile). */
static gboolean
reply_arrived (Run          *run,
               const GError *error)
{
  if (run->self->store == NULL)
    {
      abort_run (run);
      return FALSE;
    }
  if (error != NULL)
    {
      defer_event (run, error->message);
      return FALSE;
    }
  return TRUE;
}

static void
applied_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
  Run *run = user_data;
  gint64 event_id = current_event (run);
  const char *status;

  if (!reply_arrived (run, error))
    return;
  status = leap_reply_status (reply);
  if (g_str_equal (status, "changed"))
    {
      /* A sale moved the counters since they were read: read them again. */
      g_clear_pointer (&run->previous, g_free);
      read_again (run, "the counters kept changing");
      return;
    }
  if (g_str_equal (status, "fenced"))
    {
      defer_event (run, "a backend that took the reconciler's lease since repaired it");
      return;
    }
  if (!g_str_equal (status, "ok"))
    {
      defer_event (run, "reconcile.lua refused the repair");
      return;
    }

  for (guint i = 0; i < run->plan->len; i++)
    {
      const TierFix *fix = &g_array_index (run->plan, TierFix, i);
      JsonObject *entry = json_object_new ();
      gboolean present[N_COUNTERS] = { TRUE, TRUE, TRUE, TRUE, TRUE };

      json_object_set_int_member (entry, "event_id", event_id);
      json_object_set_int_member (entry, "tier_id", fix->tier_id);
      json_object_set_object_member (
          entry, "before",
          _leap_reconciler_counters_object (fix->before.present, fix->before.value));
      json_object_set_object_member (entry, "after",
                                     _leap_reconciler_counters_object (present, fix->after));
      json_array_add_object_element (run->repairs, entry);
      _leap_reconciler_log_fix (event_id, fix);
      run->self->repairs++;
    }
  if (run->stale->len > 0)
    {
      JsonObject *entry = json_object_new ();
      JsonArray *ids = json_array_new ();

      for (guint i = 0; i < run->stale->len; i++)
        json_array_add_string_element (ids, g_ptr_array_index (run->stale, i));
      json_object_set_int_member (entry, "event_id", event_id);
      json_object_set_array_member (entry, "stale_holds", ids);
      json_array_add_object_element (run->repairs, entry);
      g_message ("Dropped %u holds of event %" G_GINT64_FORMAT
                 " from the expiry index: their records are gone",
                 run->stale->len, event_id);
      run->self->repairs++;
    }
  next_event (run);
}

static void
apply_plan (Run *run)
{
  gint64 event_id = current_event (run);
  g_autoptr(GPtrArray) argv = leap_keys_reconcile_script (event_id);
  guint nkeys = argv->len;

  if (run->self->redis == NULL)
    {
      abort_run (run);
      return;
    }
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, event_id));
  /* Under the lease, fenced: a run that outlived it repairs nothing. */
  if (run->token != 0)
    {
      g_ptr_array_add (argv, g_strdup ("apply-fenced"));
      g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, run->token));
    }
  else
    g_ptr_array_add (argv, g_strdup ("apply"));
  /* A walk of one step is one snapshot: the compare-and-set of the
   * counters is enough, and a sale on another tier does not stop it. */
  g_ptr_array_add (argv, g_strdup (run->steps > 1 ? run->version : ""));
  g_ptr_array_add (argv, g_strdup_printf ("%u", run->plan->len));
  for (guint i = 0; i < run->plan->len; i++)
    {
      const TierFix *fix = &g_array_index (run->plan, TierFix, i);

      g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, fix->tier_id));
      for (guint j = 0; j < N_COUNTERS; j++)
        g_ptr_array_add (argv, fix->before.present[j]
                                   ? g_strdup_printf ("%" G_GINT64_FORMAT, fix->before.value[j])
                                   : g_strdup (""));
      for (guint j = 0; j < N_COUNTERS; j++)
        g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, fix->after[j]));
    }
  for (guint i = 0; i < run->stale->len; i++)
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (run->stale, i)));
  leap_redis_eval_argv (run->self->redis, "reconcile", applied_cb, run, nkeys, argv->len,
                        (const char **) argv->pdata, NULL);
}

static void
planned_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) local_error = NULL;
  PlanRead *read = leap_store_call_finish (LEAP_STORE (object), result, &local_error);
  g_autofree char *plan = NULL;

  /* The reconciler was disposed meanwhile. */
  if (run->self->store == NULL)
    {
      abort_run (run);
      return;
    }
  if (read == NULL)
    {
      defer_event (run, local_error->message);
      return;
    }
  plan = _leap_reconciler_make_plan (run, read);
  if (plan == NULL)
    {
      /* An order was being committed while the database was read. */
      g_clear_pointer (&run->previous, g_free);
      read_again (run, "orders kept committing");
      return;
    }
  if (plan[0] == '\0')
    {
      next_event (run);
      return;
    }
  if (!run->walking)
    {
      /* The counters disagree: look at the holds themselves. */
      run->walking = TRUE;
      read_event (run);
      return;
    }
  if (run->previous != NULL && g_str_equal (run->previous, plan))
    {
      apply_plan (run);
      return;
    }
  g_free (run->previous);
  run->previous = g_steal_pointer (&plan);
  read_again (run, "the counters kept changing");
}

/* The walk is complete: what should the counters be? The database is read
 * in the store's pool. */
static void
plan_event (Run *run)
{
  _leap_reconciler_read_database_async (run, planned_cb);
}

static gboolean
is_step_reply (const redisReply *reply)
{
  for (guint i = 0; i < 4; i++)
    if (!leap_reply_is_array (leap_reply_element (reply, i), 0))
      return FALSE;
  for (guint i = 4; i < 7; i++)
    if (leap_reply_element_string (reply, i) == NULL)
      return FALSE;
  return TRUE;
}

/* Adds what one step found to the walk so far. */
static void
add_step (Run              *run,
          const redisReply *reply)
{
  const redisReply *live = leap_reply_element (reply, 1);
  const redisReply *stale = leap_reply_element (reply, 2);
  const redisReply *checking = leap_reply_element (reply, 3);

  for (gsize i = 0; i < leap_reply_n_elements (live); i++)
    {
      const redisReply *pair = leap_reply_element (live, i);
      gint64 tier, count, *sum;

      if (!leap_reply_get_int (leap_reply_element (pair, 0), &tier) ||
          !leap_reply_get_int (leap_reply_element (pair, 1), &count))
        continue;
      sum = g_hash_table_lookup (run->held, &tier);
      if (sum == NULL)
        {
          sum = g_new0 (gint64, 1);
          g_hash_table_insert (run->held, g_memdup2 (&tier, sizeof tier), sum);
        }
      *sum += count;
    }
  for (gsize i = 0; i < leap_reply_n_elements (stale); i++)
    {
      const char *id = leap_reply_element_string (stale, i);

      if (id != NULL)
        g_ptr_array_add (run->found_stale, g_strdup (id));
    }
  for (gsize i = 0; i < leap_reply_n_elements (checking); i++)
    {
      const redisReply *e = leap_reply_element (checking, i);
      const char *order_id = leap_reply_element_string (e, 0);
      const char *items = leap_reply_element_string (e, 1);

      if (order_id == NULL || items == NULL)
        continue;
      g_ptr_array_add (run->checking, g_strdup (order_id));
      g_ptr_array_add (run->checking, g_strdup (items));
    }
  g_free (run->holds_next);
  run->holds_next = g_strdup (leap_reply_element_string (reply, 5));
  g_free (run->stream_next);
  run->stream_next = g_strdup (leap_reply_element_string (reply, 6));
  run->steps++;
}

static void step_cb (LeapRedis        *redis,
                     const redisReply *reply,
                     const GError     *error,
                     gpointer          user_data);

/* The next step goes from the main loop, not from the reply of the last:
 * other work (and "walk-step" handlers) runs in between. */
static gboolean
next_step_cb (gpointer data)
{
  Run *run = data;
  gint64 event_id = current_event (run);
  g_autoptr(GPtrArray) argv = leap_keys_reconcile_script (event_id);
  guint nkeys = argv->len;

  run->step_id = 0;
  g_signal_emit (run->self, signals[WALK_STEP_SIGNAL], 0, event_id, run->steps);
  if (run->self->redis == NULL)
    {
      abort_run (run);
      return G_SOURCE_REMOVE;
    }
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, event_id));
  g_ptr_array_add (argv, g_strdup ("walk"));
  g_ptr_array_add (argv, g_strdup (run->version));
  g_ptr_array_add (argv, g_strdup (run->holds_next));
  g_ptr_array_add (argv, g_strdup (run->stream_next));
  g_ptr_array_add (argv, g_strdup_printf ("%u", WALK_STEP));
  leap_redis_eval_argv (run->self->redis, "reconcile", step_cb, run, nkeys, argv->len,
                        (const char **) argv->pdata, NULL);
  return G_SOURCE_REMOVE;
}

static void
walk_on (Run *run)
{
  if (run->holds_next[0] != '\0' || run->stream_next[0] != '\0')
    run->step_id = g_idle_add (next_step_cb, run);
  else
    plan_event (run);
}

static void
step_cb (LeapRedis        *redis,
         const redisReply *reply,
         const GError     *error,
         gpointer          user_data)
{
  Run *run = user_data;

  if (!reply_arrived (run, error))
    return;
  if (g_str_equal (leap_reply_status (reply), "changed"))
    {
      /* A script wrote to the event between two steps: they no longer
       * describe one moment (a release and a reserve of the same size
       * would leave the counters alike and the walk wrong). */
      g_clear_pointer (&run->previous, g_free);
      read_again (run, "the holds kept changing");
      return;
    }
  if (!is_step_reply (reply))
    {
      defer_event (run, "unexpected reply from reconcile.lua");
      return;
    }
  add_step (run, reply);
  walk_on (run);
}

static void
read_cb (LeapRedis        *redis,
         const redisReply *reply,
         const GError     *error,
         gpointer          user_data)
{
  Run *run = user_data;
  const redisReply *rows;

  if (!reply_arrived (run, error))
    return;
  if (!is_step_reply (reply))
    {
      defer_event (run, "unexpected reply from reconcile.lua");
      return;
    }
  rows = leap_reply_element (reply, 0);
  for (gsize i = 0; i < leap_reply_n_elements (rows); i++)
    {
      const redisReply *row = leap_reply_element (rows, i);
      Counters *c;
      gint64 tier;

      if (!leap_reply_is_array (row, 1 + N_COUNTERS) ||
          !leap_reply_get_int (leap_reply_element (row, 0), &tier))
        continue;
      c = g_new0 (Counters, 1);
      for (guint j = 0; j < N_COUNTERS; j++)
        c->present[j] = leap_reply_get_int (leap_reply_element (row, 1 + j), &c->value[j]);
      g_hash_table_replace (run->counters, g_memdup2 (&tier, sizeof tier), c);
    }
  run->version = g_strdup (leap_reply_element_string (reply, 4));
  add_step (run, reply);
  walk_on (run);
}

/* The reconciler was disposed while a run waited for Redis or a timer. */
static void
abort_run (Run *run)
{
  for (guint i = 0; i < run->tasks->len; i++)
    g_task_return_new_error (g_ptr_array_index (run->tasks, i), LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                             "The service is shutting down");
  run->self->run = NULL;
  run_free (run);
}

static void
read_event (Run *run)
{
  g_autoptr(GPtrArray) argv = leap_keys_reconcile_script (current_event (run));
  guint nkeys = argv->len;

  if (run->self->redis == NULL)
    {
      abort_run (run);
      return;
    }
  clear_walk (run);
  run->counters = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  run->held = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  run->found_stale = g_ptr_array_new_with_free_func (g_free);
  run->checking = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, current_event (run)));
  g_ptr_array_add (argv, g_strdup ("read"));
  g_ptr_array_add (argv, g_strdup (run->walking ? "full" : "quick"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", WALK_STEP));
  leap_redis_eval_argv (run->self->redis, "reconcile", read_cb, run, nkeys, argv->len,
                        (const char **) argv->pdata, NULL);
}

/* In a thread of the store's pool. */
static gpointer
list_inventory_run (LeapStore *store,
                    gpointer   data,
                    GError   **error)
{
  return leap_store_list_inventory (store, 0, error);
}

static void
events_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) tiers = leap_store_call_finish (LEAP_STORE (object), result, &error);
  g_autoptr(GHashTable) seen = NULL;

  if (run->self->store == NULL)
    {
      abort_run (run);
      return;
    }
  if (tiers == NULL)
    {
      LeapReconciler *self = run->self;

      for (guint i = 0; i < run->tasks->len; i++)
        g_task_return_error (g_ptr_array_index (run->tasks, i), g_error_copy (error));
      self->run = NULL;
      run_free (run);
      if (self->queued->len > 0)
        start_run (self, TRUE);
      return;
    }
  seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < json_array_get_length (tiers); i++)
    {
      gint64 event_id = leap_json_get_int (json_array_get_object_element (tiers, i), "event_id", 0);

      if (!g_hash_table_contains (seen, &event_id))
        {
          g_hash_table_add (seen, g_memdup2 (&event_id, sizeof event_id));
          g_array_append_val (run->events, event_id);
        }
    }
  if (run->events->len == 0)
    finish_run (run);
  else
    read_event (run);
}

static void
start_run (LeapReconciler *self,
           gboolean        full)
{
  g_autoptr(GError) error = NULL;
  Run *run;

  g_assert (self->run == NULL);
  if (!leap_redis_is_connected (self->redis))
    {
      g_set_error_literal (&error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                           "Redis is unreachable: there are no counters to reconcile");
    }
  else if (self->holds != NULL && !leap_holds_is_ready (self->holds))
    {
      /* Holds made by the database while Redis was down are being handed
       * over: the counters are not Redis's alone yet. */
      g_set_error_literal (&error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                           "The Redis counters are being rebuilt; try again in a moment");
    }
  if (error != NULL)
    {
      g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->queued);

      self->queued = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < tasks->len; i++)
        g_task_return_error (g_ptr_array_index (tasks, i), g_error_copy (error));
      return;
    }

  run = g_new0 (Run, 1);
  run->self = g_object_ref (self);
  run->tasks = g_steal_pointer (&self->queued);
  self->queued = g_ptr_array_new_with_free_func (g_object_unref);
  run->events = g_array_new (FALSE, FALSE, sizeof (gint64));
  run->plan = g_array_new (FALSE, FALSE, sizeof (TierFix));
  run->stale = g_ptr_array_new_with_free_func (g_free);
  run->repairs = json_array_new ();
  run->deferred = json_array_new ();
  run->oversold = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)json_object_unref);
  run->started = g_get_real_time ();
  run->token = self->lease != NULL ? leap_lease_get_token (self->lease) : 0;
  run->full = full;
  run->walking = full;
  /* The run is in progress from now on: callers meanwhile wait for the
   * next one. */
  self->run = run;
  leap_store_call_async (self->store, list_inventory_run, NULL, NULL,
                         (GDestroyNotify) json_array_unref, NULL, events_listed_cb, run);
}

static void
run_async (LeapReconciler     *self,
           gboolean            full,
           GAsyncReadyCallback callback,
           gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, leap_reconciler_run_async);
  /* A run in progress may have passed the event that a caller just
   * changed: later callers wait for the next run. */
  g_ptr_array_add (self->queued, task);
  if (self->run == NULL)
    start_run (self, full);
}

/* Walks the holds of every event (see FULL_EVERY). */
void
leap_reconciler_run_async (LeapReconciler     *self,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (LEAP_IS_RECONCILER (self));

  run_async (self, TRUE, callback, user_data);
}

JsonObject *
leap_reconciler_run_finish (LeapReconciler *self,
                            GAsyncResult   *result,
                            GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

JsonObject *
leap_reconciler_dup_last_report (LeapReconciler *self)
{
  return self->last_report ? json_object_ref (self->last_report) : NULL;
}

guint64
leap_reconciler_get_runs (LeapReconciler *self)
{
  return self->runs;
}

guint64
leap_reconciler_get_repairs (LeapReconciler *self)
{
  return self->repairs;
}

guint
leap_reconciler_get_oversold (LeapReconciler *self)
{
  return self->oversold;
}

void
leap_reconciler_render_metrics (LeapReconciler *self,
                                GString        *out)
{
  g_string_append_printf (
      out,
      "# HELP leap_reconcile_runs_total Reconciliation runs finished.\n"
      "# TYPE leap_reconcile_runs_total counter\n"
      "leap_reconcile_runs_total %" G_GUINT64_FORMAT "\n"
      "# HELP leap_reconcile_repairs_total Redis counters repaired from the database and the "
      "holds.\n"
      "# TYPE leap_reconcile_repairs_total counter\n"
      "leap_reconcile_repairs_total %" G_GUINT64_FORMAT "\n"
      "# HELP leap_oversold_alarm Tiers whose sold count exceeded capacity at the last "
      "reconciliation.\n"
      "# TYPE leap_oversold_alarm gauge\n"
      "leap_oversold_alarm %u\n"
      "# HELP leap_oversold_detected_total Times a reconciliation found a tier oversold.\n"
      "# TYPE leap_oversold_detected_total counter\n"
      "leap_oversold_detected_total %" G_GUINT64_FORMAT "\n",
      self->runs, self->repairs, self->oversold, self->oversold_detected);
}

static void
report_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  LeapReconciler *self = LEAP_RECONCILER (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) report = leap_reconciler_run_finish (self, result, &error);

  if (report == NULL)
    g_debug ("Reconciliation skipped: %s", error->message);
}

static gboolean
tick_cb (gpointer data)
{
  LeapReconciler *self = data;

  if (self->run == NULL && self->queued->len == 0 && leap_redis_is_connected (self->redis) &&
      (self->holds == NULL || leap_holds_is_ready (self->holds)) &&
      (self->lease == NULL || leap_lease_is_held (self->lease)))
    run_async (self, self->ticks++ % FULL_EVERY == 0, report_done_cb, NULL);
  return G_SOURCE_CONTINUE;
}

void
leap_reconciler_set_interval (LeapReconciler *self,
                              guint           interval_s)
{
  g_return_if_fail (LEAP_IS_RECONCILER (self));

  self->interval_s = interval_s;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (interval_s > 0)
    self->timer_id = g_timeout_add_seconds (interval_s, tick_cb, self);
}

/* The timer's runs (not those asked for) then run only while this
 * backend holds lease, and their repairs are fenced with its token. */
void
leap_reconciler_set_lease (LeapReconciler *self,
                           LeapLease      *lease)
{
  g_return_if_fail (LEAP_IS_RECONCILER (self));

  g_set_object (&self->lease, lease);
}

void
leap_reconciler_set_settle_ms (LeapReconciler *self,
                               guint           settle_ms)
{
  g_return_if_fail (LEAP_IS_RECONCILER (self));
  self->settle_ms = settle_ms;
}

static void
leap_reconciler_dispose (GObject *object)
{
  LeapReconciler *self = LEAP_RECONCILER (object);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  /* A run waiting for its settle timer ends now; one waiting for a Redis
   * reply ends when the reply comes (or never, with a disposed Redis). */
  if (self->run != NULL && (self->run->settle_id != 0 || self->run->step_id != 0))
    {
      g_object_ref (self);
      abort_run (self->run);
      g_object_unref (self);
    }
  g_clear_object (&self->redis);
  g_clear_object (&self->holds);
  g_clear_object (&self->lease);
  g_clear_object (&self->store);
  g_clear_pointer (&self->last_report, json_object_unref);
  G_OBJECT_CLASS (leap_reconciler_parent_class)->dispose (object);
}

static void
leap_reconciler_finalize (GObject *object)
{
  LeapReconciler *self = LEAP_RECONCILER (object);

  g_ptr_array_unref (self->queued);
  G_OBJECT_CLASS (leap_reconciler_parent_class)->finalize (object);
}

static void
leap_reconciler_class_init (LeapReconcilerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_reconciler_dispose;
  object_class->finalize = leap_reconciler_finalize;

  /* Before each step of a walk but the first: (event id, steps done). */
  signals[WALK_STEP_SIGNAL] =
    g_signal_new ("walk-step", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_UINT);
}

static void
leap_reconciler_init (LeapReconciler *self)
{
  self->queued = g_ptr_array_new_with_free_func (g_object_unref);
  self->settle_ms = DEFAULT_SETTLE_MS;
}

LeapReconciler *
leap_reconciler_new (LeapStore *store,
                     LeapRedis *redis,
                     LeapHolds *holds,
                     guint      interval_s)
{
  LeapReconciler *self = g_object_new (LEAP_TYPE_RECONCILER, NULL);

  self->store = g_object_ref (store);
  self->redis = g_object_ref (redis);
  self->holds = holds ? g_object_ref (holds) : NULL;
  leap_reconciler_set_interval (self, interval_s);
  return self;
}
