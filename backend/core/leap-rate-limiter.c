/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-rate-limiter"

#include "leap-rate-limiter.h"
#include "leap-keys.h"
#include "leap-reply.h"

/* A fixed window per key: at most max_events in window_s seconds. The
 * counts are kept in Redis (lua/rate-limit.lua), so that every backend of
 * one Redis counts together and N backends allow what one allows. While
 * Redis cannot answer, each backend counts in its own process: the limit
 * then applies per backend, which still stops guessing at speed. */
struct _LeapRateLimiter
{
  GObject     parent_instance;

  /* Owned */
  LeapRedis  *redis;
  char       *name;
  GHashTable *windows; /* key → Window, counted here while Redis is out */

  guint       max_events;
  guint       window_s;
  guint       sweep_id;
  gboolean    local;   /* the last count was kept here */
  guint64     n_local; /* counts kept here */
};

typedef struct
{
  gint64 started; /* monotonic µs */
  guint  count;
} Window;

G_DEFINE_FINAL_TYPE (LeapRateLimiter, leap_rate_limiter, G_TYPE_OBJECT)

static const char *op_names[] = { "check", "take", "add", "reset" };

static Window *
current (LeapRateLimiter *self,
         const char      *key,
         gboolean         create)
{
  Window *w = g_hash_table_lookup (self->windows, key);
  gint64 now = g_get_monotonic_time ();

  if (w != NULL && now - w->started >= (gint64) self->window_s * G_USEC_PER_SEC)
    {
      w->started = now;
      w->count = 0;
    }
  if (w == NULL && create)
    {
      w = g_new0 (Window, 1);
      w->started = now;
      g_hash_table_insert (self->windows, g_strdup (key), w);
    }
  return w;
}

/* 0 if the key is under its limit here, else the seconds until it is. */
static guint
local_wait (LeapRateLimiter *self,
            const char      *key)
{
  Window *w = current (self, key, FALSE);
  gint64 left;

  if (w == NULL || w->count < self->max_events)
    return 0;
  left = (gint64) self->window_s * G_USEC_PER_SEC - (g_get_monotonic_time () - w->started);
  return MAX (1, (guint) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
}

typedef struct
{
  LeapRateLimitOp   op;
  GPtrArray        *limiters; /* LeapRateLimiter */
  char            **keys;
} Run;

static void
run_free (Run *run)
{
  g_ptr_array_unref (run->limiters);
  g_strfreev (run->keys);
  g_free (run);
}

/* The same as the script, in this process. */
static guint
run_locally (Run *run)
{
  if (run->op == LEAP_RATE_LIMIT_CHECK || run->op == LEAP_RATE_LIMIT_TAKE)
    for (guint i = 0; i < run->limiters->len; i++)
      {
        guint wait = local_wait (g_ptr_array_index (run->limiters, i), run->keys[i]);

        if (wait > 0)
          return wait;
      }
  if (run->op == LEAP_RATE_LIMIT_CHECK)
    return 0;
  for (guint i = 0; i < run->limiters->len; i++)
    {
      LeapRateLimiter *self = g_ptr_array_index (run->limiters, i);

      if (run->op == LEAP_RATE_LIMIT_RESET)
        g_hash_table_remove (self->windows, run->keys[i]);
      else
        current (self, run->keys[i], TRUE)->count++;
    }
  return 0;
}

static void
counted_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  gint64 wait_ms = 0;
  gboolean local = error != NULL || !leap_reply_get_int (reply, &wait_ms) || wait_ms < 0;

  for (guint i = 0; i < run->limiters->len; i++)
    {
      LeapRateLimiter *self = g_ptr_array_index (run->limiters, i);

      if (local && !self->local)
        g_message ("Rate limit %s is counted by this process alone until Redis answers: %s",
                   self->name, error != NULL ? error->message : "unexpected reply");
      else if (!local && self->local)
        g_message ("Rate limit %s is counted in Redis again", self->name);
      self->local = local;
      self->n_local += local ? 1 : 0;
    }
  if (local)
    g_task_return_int (task, run_locally (run));
  else
    g_task_return_int (task, (wait_ms + 999) / 1000);
}

/* Runs @op on the @n pairs of @limiters and @keys together, in Redis when
 * it answers: on all of them or, if one is over its limit, on none. The
 * limiters share one LeapRedis. */
void
leap_rate_limiter_run_async (LeapRateLimitOp     op,
                             guint               n,
                             LeapRateLimiter   **limiters,
                             const char        **keys,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  Run *run;

  g_return_if_fail (n > 0 && op <= LEAP_RATE_LIMIT_RESET);

  task = g_task_new (limiters[0], NULL, callback, user_data);
  g_task_set_source_tag (task, leap_rate_limiter_run_async);
  run = g_new0 (Run, 1);
  run->op = op;
  run->limiters = g_ptr_array_new_with_free_func (g_object_unref);
  run->keys = g_new0 (char *, n + 1);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  for (guint i = 0; i < n; i++)
    {
      g_return_if_fail (LEAP_IS_RATE_LIMITER (limiters[i]) && keys[i] != NULL);
      g_ptr_array_add (run->limiters, g_object_ref (limiters[i]));
      run->keys[i] = g_strdup (keys[i]);
      g_ptr_array_add (argv, leap_keys_rate_limit (limiters[i]->name, keys[i]));
    }
  g_ptr_array_add (argv, g_strdup (op_names[op]));
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (argv, g_strdup_printf ("%u", limiters[i]->max_events));
      g_ptr_array_add (argv, g_strdup_printf ("%u", limiters[i]->window_s * 1000));
    }
  leap_redis_eval_argv_full (limiters[0]->redis, "rate-limit", counted_cb, g_steal_pointer (&task),
                             g_object_unref, n, argv->len, (const char **) argv->pdata, NULL);
}

/* TRUE if every key was under its limit; else FALSE and the seconds until
 * the first that was not starts a new window (at least 1). */
gboolean
leap_rate_limiter_run_finish (GAsyncResult *result,
                              guint        *retry_after_s)
{
  guint wait;

  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  wait = g_task_propagate_int (G_TASK (result), NULL);
  if (retry_after_s != NULL)
    *retry_after_s = wait;
  return wait == 0;
}

/* Counts kept in this process because Redis did not answer. */
guint64
leap_rate_limiter_get_local (LeapRateLimiter *self)
{
  g_return_val_if_fail (LEAP_IS_RATE_LIMITER (self), 0);

  return self->n_local;
}

/* Forget windows that ended, so that many addresses do not grow the table. */
static gboolean
sweep_cb (gpointer data)
{
  LeapRateLimiter *self = data;
  GHashTableIter iter;
  Window *w;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->windows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &w))
    if (now - w->started >= (gint64) self->window_s * G_USEC_PER_SEC)
      g_hash_table_iter_remove (&iter);
  return G_SOURCE_CONTINUE;
}

static void
leap_rate_limiter_dispose (GObject *object)
{
  LeapRateLimiter *self = LEAP_RATE_LIMITER (object);

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_object (&self->redis);
  G_OBJECT_CLASS (leap_rate_limiter_parent_class)->dispose (object);
}

static void
leap_rate_limiter_finalize (GObject *object)
{
  LeapRateLimiter *self = LEAP_RATE_LIMITER (object);

  g_hash_table_unref (self->windows);
  g_free (self->name);
  G_OBJECT_CLASS (leap_rate_limiter_parent_class)->finalize (object);
}

static void
leap_rate_limiter_class_init (LeapRateLimiterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_rate_limiter_dispose;
  object_class->finalize = leap_rate_limiter_finalize;
}

static void
leap_rate_limiter_init (LeapRateLimiter *self)
{
  self->windows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* @name names the limit's keys in Redis (leap_keys_rate_limit ()). */
LeapRateLimiter *
leap_rate_limiter_new (LeapRedis  *redis,
                       const char *name,
                       guint       max_events,
                       guint       window_s)
{
  LeapRateLimiter *self;

  g_return_val_if_fail (LEAP_IS_REDIS (redis), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (LEAP_TYPE_RATE_LIMITER, NULL);
  self->redis = g_object_ref (redis);
  self->name = g_strdup (name);
  self->max_events = max_events;
  self->window_s = MAX (window_s, 1);
  self->sweep_id = g_timeout_add_seconds (self->window_s, sweep_cb, self);
  return self;
}
