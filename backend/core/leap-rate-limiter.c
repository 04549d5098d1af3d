/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-rate-limiter.h"

/* A fixed window per key: at most max_events in window_s seconds. It is kept
 * in this process, so with several backends each counts on its own; the
 * limit then applies per backend, which still stops guessing at speed. */
struct _LeapRateLimiter
{
  GObject     parent_instance;

  GHashTable *windows; /* key → Window */
  guint       max_events;
  guint       window_s;
  guint       sweep_id;
};

typedef struct
{
  gint64 started; /* monotonic µs */
  guint  count;
} Window;

G_DEFINE_FINAL_TYPE (LeapRateLimiter, leap_rate_limiter, G_TYPE_OBJECT)

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

gboolean
leap_rate_limiter_check (LeapRateLimiter *self,
                         const char      *key,
                         guint           *retry_after_s)
{
  Window *w = current (self, key, FALSE);
  gint64 left;

  if (w == NULL || w->count < self->max_events)
    return TRUE;
  left = (gint64) self->window_s * G_USEC_PER_SEC - (g_get_monotonic_time () - w->started);
  if (retry_after_s != NULL)
    *retry_after_s = MAX (1, (guint) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
  return FALSE;
}

void
leap_rate_limiter_record (LeapRateLimiter *self,
                          const char      *key)
{
  current (self, key, TRUE)->count++;
}

void
leap_rate_limiter_reset (LeapRateLimiter *self,
                         const char      *key)
{
  g_hash_table_remove (self->windows, key);
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
leap_rate_limiter_finalize (GObject *object)
{
  LeapRateLimiter *self = LEAP_RATE_LIMITER (object);

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_hash_table_unref (self->windows);
  G_OBJECT_CLASS (leap_rate_limiter_parent_class)->finalize (object);
}

static void
leap_rate_limiter_class_init (LeapRateLimiterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = leap_rate_limiter_finalize;
}

static void
leap_rate_limiter_init (LeapRateLimiter *self)
{
  self->windows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

LeapRateLimiter *
leap_rate_limiter_new (guint max_events,
                       guint window_s)
{
  LeapRateLimiter *self = g_object_new (LEAP_TYPE_RATE_LIMITER, NULL);

  self->max_events = max_events;
  self->window_s = MAX (window_s, 1);
  self->sweep_id = g_timeout_add_seconds (self->window_s, sweep_cb, self);
  return self;
}
