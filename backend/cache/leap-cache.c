/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-cache"

#include "leap-cache.h"
#include "leap-error.h"
#include "leap-keys.h"
#include "leap-reply.h"

#include <string.h>

/* Cache-aside over Redis (the seed design's pattern) with two additions:
 * - one database load per key while a miss is being filled (single flight),
 *   however many requests miss at once;
 * - an optional near cache in this process that keeps a value for a short
 *   time (default 1 s). Writes delete the Redis key and publish the key on
 *   the invalidate channel, and every backend drops its near copy on that
 *   message, so a hot key costs one Redis round trip per second, not one per
 *   request. */
struct _LeapCache
{
  GObject     parent_instance;

  /* Owned */
  LeapRedis  *redis;
  LeapRedis  *subscriber;
  GHashTable *flights; /* key → Flight */
  GHashTable *near;    /* key → NearEntry */
  GHashTable *unsent;  /* invalidations that Redis missed: key → is-index */

  guint       near_ttl_ms;
  guint64     origin;  /* tells our own invalidations from others' */
  LeapCacheStats stats;
};

G_DEFINE_FINAL_TYPE (LeapCache, leap_cache, G_TYPE_OBJECT)

typedef struct
{
  GBytes *value;
  gint64  expires; /* monotonic µs */
} NearEntry;

typedef struct
{
  LeapCache      *self;
  char           *key;
  char           *index_key;
  GPtrArray      *waiters;    /* GTask */
  GBytes         *value;      /* set once loaded, until the SET is acknowledged */
  LeapCacheLoader loader;
  gpointer        loader_data;
  GDestroyNotify  loader_data_free;
  guint           ttl_min_s;
  guint           ttl_max_s;
  gboolean        stale;      /* invalidated while in flight: do not store */
  gboolean        store;      /* what is loaded goes to Redis (it answered the GET) */
} Flight;

static void
near_entry_free (NearEntry *entry)
{
  g_bytes_unref (entry->value);
  g_free (entry);
}

static void
flight_free (Flight *flight)
{
  g_assert (flight->waiters->len == 0);
  g_ptr_array_unref (flight->waiters);
  g_clear_pointer (&flight->value, g_bytes_unref);
  if (flight->loader_data_free != NULL)
    flight->loader_data_free (flight->loader_data);
  g_free (flight->key);
  g_free (flight->index_key);
  g_free (flight);
}

static void
near_put (LeapCache  *self,
          const char *key,
          GBytes     *value)
{
  NearEntry *entry;

  if (self->near_ttl_ms == 0)
    return;
  entry = g_new0 (NearEntry, 1);
  entry->value = g_bytes_ref (value);
  entry->expires = g_get_monotonic_time () + self->near_ttl_ms * G_TIME_SPAN_MILLISECOND;
  g_hash_table_replace (self->near, g_strdup (key), entry);
}

static void
finish_waiters (Flight       *flight,
                GBytes       *value,
                const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&flight->waiters);

  flight->waiters = g_ptr_array_new ();
  for (guint i = 0; i < waiters->len; i++)
    {
      g_autoptr(GTask) task = g_ptr_array_index (waiters, i);

      if (value != NULL)
        g_task_return_pointer (task, g_bytes_ref (value), (GDestroyNotify) g_bytes_unref);
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

static void
set_cb (LeapRedis        *redis,
        const redisReply *reply,
        const GError     *error,
        gpointer          user_data)
{
  Flight *flight = user_data;

  if (error != NULL)
    g_debug ("Could not fill cache key %s: %s", flight->key, error->message);
  if (g_hash_table_lookup (flight->self->flights, flight->key) == flight)
    g_hash_table_remove (flight->self->flights, flight->key);
  else
    flight_free (flight);
}

/* The flight stays in the table while it loads: the waiters keep the
 * cache alive, and nothing else removes it. */
static void
loaded_cb (GBytes       *value,
           const GError *error,
           gpointer      user_data)
{
  Flight *flight = user_data;
  LeapCache *self = flight->self;

  if (value == NULL)
    {
      finish_waiters (flight, NULL, error);
      g_hash_table_remove (self->flights, flight->key);
      return;
    }

  /* A write while the database was read may have come after the read. */
  if (!flight->stale)
    near_put (self, flight->key, value);
  finish_waiters (flight, value, NULL);

  if (!flight->store || flight->stale)
    {
      g_hash_table_remove (self->flights, flight->key);
      return;
    }

  /* The flight stays until Redis has the value, so requests that missed in
   * the meantime take this value instead of loading it again. */
  flight->value = g_bytes_ref (value);
  {
    g_autofree char *ttl = g_strdup_printf ("%u", g_random_int_range (flight->ttl_min_s,
                                                                       flight->ttl_max_s + 1));
    gboolean indexed = flight->index_key != NULL;
    const char      *argv[] = { flight->key,
                           indexed ? flight->index_key : g_bytes_get_data (value, NULL),
                                g_bytes_get_data (value, NULL), ttl };
    size_t lens[] = { strlen (flight->key), 0, g_bytes_get_size (value), strlen (ttl) };

    lens[1] = indexed ? strlen (flight->index_key) : g_bytes_get_size (value);
    /* KEYS: the key and, for listings, the index set; ARGV: value, TTL. */
    if (indexed)
      leap_redis_eval_argv (self->redis, "cache-set", set_cb, flight, 2, 4, argv, lens);
    else
      {
        argv[1] = argv[2];
        lens[1] = lens[2];
        argv[2] = argv[3];
        lens[2] = lens[3];
        leap_redis_eval_argv (self->redis, "cache-set", set_cb, flight, 1, 3, argv, lens);
      }
  }
}

static void
load_and_fill (Flight  *flight,
               gboolean store)
{
  flight->self->stats.loads++;
  flight->store = store;
  flight->loader (flight->loader_data, loaded_cb, flight);
}

static void
get_cb (LeapRedis        *redis,
        const redisReply *reply,
        const GError     *error,
        gpointer          user_data)
{
  Flight *flight = user_data;
  LeapCache *self = flight->self;
  const char *text;
  gsize length;

  if (error != NULL)
    {
      /* Redis is down or failing: the database answers, nothing is stored. */
      self->stats.fallbacks += flight->waiters->len;
      load_and_fill (flight, FALSE);
      return;
    }
  if ((text = leap_reply_string (reply, &length)) != NULL)
    {
      g_autoptr(GBytes) value = g_bytes_new (text, length);

      self->stats.hits += flight->waiters->len;
      near_put (self, flight->key, value);
      finish_waiters (flight, value, NULL);
      g_hash_table_remove (self->flights, flight->key);
      return;
    }
  self->stats.misses += flight->waiters->len;
  load_and_fill (flight, TRUE);
}

void
leap_cache_get_async (LeapCache          *self,
                      const char         *key,
                      const char         *index_key,
                      guint               ttl_min_s,
                      guint               ttl_max_s,
                      LeapCacheLoader     loader,
                      gpointer            loader_data,
                      GDestroyNotify      loader_data_free,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  NearEntry *entry;
  Flight *flight;

  g_task_set_source_tag (task, leap_cache_get_async);

  entry = g_hash_table_lookup (self->near, key);
  if (entry != NULL && entry->expires > g_get_monotonic_time ())
    {
      self->stats.near_hits++;
      if (loader_data_free != NULL)
        loader_data_free (loader_data);
      g_task_return_pointer (task, g_bytes_ref (entry->value), (GDestroyNotify) g_bytes_unref);
      return;
    }

  flight = g_hash_table_lookup (self->flights, key);
  if (flight != NULL)
    {
      if (loader_data_free != NULL)
        loader_data_free (loader_data);
      self->stats.coalesced++;
      if (flight->value != NULL)
        {
          self->stats.hits++;
          g_task_return_pointer (task, g_bytes_ref (flight->value), (GDestroyNotify) g_bytes_unref);
        }
      else
        g_ptr_array_add (flight->waiters, g_steal_pointer (&task));
      return;
    }

  flight = g_new0 (Flight, 1);
  flight->self = self;
  flight->key = g_strdup (key);
  flight->index_key = g_strdup (index_key);
  flight->waiters = g_ptr_array_new ();
  flight->loader = loader;
  flight->loader_data = loader_data;
  flight->loader_data_free = loader_data_free;
  flight->ttl_min_s = ttl_min_s;
  flight->ttl_max_s = MAX (ttl_min_s, ttl_max_s);
  g_ptr_array_add (flight->waiters, g_steal_pointer (&task));
  g_hash_table_insert (self->flights, flight->key, flight);

  leap_redis_command (self->redis, get_cb, flight, "GET", key, NULL);
}

/* The value if this process holds a fresh copy, without a round trip: lets
 * a handler answer the hottest reads at once, without pausing. */
GBytes *
leap_cache_peek (LeapCache  *self,
                 const char *key)
{
  NearEntry *entry = g_hash_table_lookup (self->near, key);

  if (entry == NULL || entry->expires <= g_get_monotonic_time ())
    return NULL;
  self->stats.near_hits++;
  return g_bytes_ref (entry->value);
}

GBytes *
leap_cache_get_finish (LeapCache    *self,
                       GAsyncResult *result,
                       GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
forget_local (LeapCache  *self,
              const char *key)
{
  Flight *flight = g_hash_table_lookup (self->flights, key);

  g_hash_table_remove (self->near, key);
  if (flight != NULL)
    {
      flight->stale = TRUE;
      g_clear_pointer (&flight->value, g_bytes_unref);
    }
}

/* Listings are keyed by prefix (the index key): drop every near copy. */
static void
forget_prefix (LeapCache  *self,
               const char *prefix)
{
  GHashTableIter iter;
  const char *key;

  g_hash_table_iter_init (&iter, self->near);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (g_str_has_prefix (key, prefix))
      g_hash_table_iter_remove (&iter);
}

typedef struct
{
  LeapCache *self;
  char      *key;
  gboolean   is_index;
} Unsent;

static void
unsent_free (Unsent *unsent)
{
  g_free (unsent->key);
  g_free (unsent);
}

/* A delete that did not reach Redis would leave a stale value there once it
 * is back: remember it and send it again on reconnect. */
static void
invalidate_cb (LeapRedis        *redis,
               const redisReply *reply,
               const GError     *error,
               gpointer          user_data)
{
  Unsent *unsent = user_data;

  if (error != NULL)
    {
      if (g_hash_table_size (unsent->self->unsent) == 0)
        g_warning ("Could not invalidate cached keys (%s); will retry when Redis is back",
                   error->message);
      g_hash_table_replace (unsent->self->unsent, g_steal_pointer (&unsent->key),
                            GINT_TO_POINTER (unsent->is_index));
    }
  unsent_free (unsent);
}

static void
send_delete (LeapCache  *self,
             const char *key,
             gboolean    is_index)
{
  Unsent *unsent = g_new0 (Unsent, 1);

  unsent->self = self;
  unsent->key = g_strdup (key);
  unsent->is_index = is_index;
  if (is_index)
    {
      const char *argv[] = { key };
      leap_redis_eval_argv_full (self->redis, "cache-drop-index", invalidate_cb, unsent,
                                 (GDestroyNotify) unsent_free, 1, 1, argv, NULL);
    }
  else
    leap_redis_command_full (self->redis, invalidate_cb, unsent, (GDestroyNotify)unsent_free, "DEL",
                             key, NULL);
}

static void
publish_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
}

static void
redis_connected_cb (LeapCache *self)
{
  g_autoptr(GHashTable) unsent = NULL;
  GHashTableIter iter;
  const char *key;
  gpointer is_index;

  if (!leap_redis_is_connected (self->redis) || g_hash_table_size (self->unsent) == 0)
    return;
  unsent = g_steal_pointer (&self->unsent);
  self->unsent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_message ("Sending %u cache invalidations that Redis missed", g_hash_table_size (unsent));
  g_hash_table_iter_init (&iter, unsent);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, &is_index))
    send_delete (self, key, GPOINTER_TO_INT (is_index));
}

/* Deletes keys (and, with index_key, every key listed in that set) from
 * Redis and from the near cache of every backend. The commands go down one
 * connection in order, so the PUBLISH reaches others after the deletes. */
void
leap_cache_invalidate (LeapCache          *self,
                       const char * const *keys,
                       const char         *index_key)
{
  g_autoptr(GString) message = g_string_new (NULL);

  self->stats.invalidations++;
  g_string_append_printf (message, "%" G_GUINT64_FORMAT, self->origin);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      forget_local (self, keys[i]);
      g_string_append_printf (message, "\n%s", keys[i]);
      send_delete (self, keys[i], FALSE);
    }
  if (index_key != NULL)
    {
      forget_prefix (self, index_key);
      g_string_append_printf (message, "\n*%s", index_key);
      send_delete (self, index_key, TRUE);
    }
  leap_redis_command (self->redis, publish_cb, NULL, "PUBLISH", leap_keys_invalidate_channel (),
                      message->str, NULL);
}

static void
message_cb (LeapRedis  *redis,
            const char *channel,
            const char *message,
            gsize       length,
            gpointer    user_data)
{
  LeapCache *self = user_data;
  g_auto(GStrv) lines = g_strsplit (message, "\n", -1);

  if (lines[0] == NULL || g_ascii_strtoull (lines[0], NULL, 10) == self->origin)
    return;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '*')
        forget_prefix (self, lines[i] + 1);
      else
        forget_local (self, lines[i]);
    }
}

/* While the subscription is down, invalidations may be missed: keep nothing. */
static void
subscriber_notify_cb (LeapCache *self)
{
  if (!leap_redis_is_connected (self->subscriber))
    g_hash_table_remove_all (self->near);
}

void
leap_cache_get_stats (LeapCache      *self,
                      LeapCacheStats *stats)
{
  *stats = self->stats;
}

static void
leap_cache_dispose (GObject *object)
{
  LeapCache *self = LEAP_CACHE (object);

  if (self->subscriber != NULL)
    {
      leap_redis_unsubscribe_all (self->subscriber, self);
      g_signal_handlers_disconnect_by_data (self->subscriber, self);
    }
  g_clear_object (&self->subscriber);
  if (self->redis != NULL)
    g_signal_handlers_disconnect_by_data (self->redis, self);
  g_clear_object (&self->redis);

  G_OBJECT_CLASS (leap_cache_parent_class)->dispose (object);
}

static void
leap_cache_finalize (GObject *object)
{
  LeapCache *self = LEAP_CACHE (object);

  g_hash_table_unref (self->flights);
  g_hash_table_unref (self->near);
  g_hash_table_unref (self->unsent);

  G_OBJECT_CLASS (leap_cache_parent_class)->finalize (object);
}

static void
leap_cache_class_init (LeapCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_cache_dispose;
  object_class->finalize = leap_cache_finalize;
}

static void
leap_cache_init (LeapCache *self)
{
  self->flights = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify)flight_free);
  self->near = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)near_entry_free);
  self->unsent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->origin = ((guint64) g_random_int () << 32) | g_random_int ();
}

LeapCache *
leap_cache_new (LeapRedis *redis,
                LeapRedis *subscriber,
                guint      near_ttl_ms)
{
  LeapCache *self = g_object_new (LEAP_TYPE_CACHE, NULL);

  self->redis = g_object_ref (redis);
  g_signal_connect_swapped (redis, "notify::connected", G_CALLBACK (redis_connected_cb), self);
  self->near_ttl_ms = subscriber != NULL ? near_ttl_ms : 0;
  if (subscriber != NULL)
    {
      self->subscriber = g_object_ref (subscriber);
      leap_redis_subscribe (subscriber, leap_keys_invalidate_channel (), message_cb, self);
      g_signal_connect_swapped (subscriber, "notify::connected", G_CALLBACK (subscriber_notify_cb),
                                self);
    }
  return self;
}
