/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-redis.h"

G_BEGIN_DECLS

#define LEAP_TYPE_CACHE (leap_cache_get_type ())
G_DECLARE_FINAL_TYPE (LeapCache, leap_cache, LEAP, CACHE, GObject)

/* Loads a value from the system of record on a cache miss, without
 * blocking the main loop, and calls done with it (or with an error) on the
 * main loop, once. */
typedef void (*LeapCacheLoadDone) (GBytes       *value,
                                   const GError *error,
                                   gpointer      done_data);
typedef void (*LeapCacheLoader)   (gpointer           user_data,
                                   LeapCacheLoadDone  done,
                                   gpointer           done_data);

typedef struct
{
  guint64 hits;         /* answered from Redis */
  guint64 near_hits;    /* answered from this process's near cache */
  guint64 misses;       /* not in Redis: loaded from the database */
  guint64 fallbacks;    /* Redis unreachable: loaded from the database */
  guint64 loads;        /* database loads, after coalescing */
  guint64 coalesced;    /* requests that waited for another's load */
  guint64 invalidations;
} LeapCacheStats;

LeapCache   *leap_cache_new             (LeapRedis           *redis,
                                         LeapRedis           *subscriber,
                                         guint                near_ttl_ms);
void         leap_cache_get_async       (LeapCache           *self,
                                         const char          *key,
                                         const char          *index_key,
                                         guint                ttl_min_s,
                                         guint                ttl_max_s,
                                         LeapCacheLoader      loader,
                                         gpointer             loader_data,
                                         GDestroyNotify       loader_data_free,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
GBytes      *leap_cache_peek            (LeapCache           *self,
                                         const char          *key);
GBytes      *leap_cache_get_finish      (LeapCache           *self,
                                         GAsyncResult        *result,
                                         GError             **error);
void         leap_cache_invalidate      (LeapCache           *self,
                                         const char * const  *keys,
                                         const char          *index_key);
void         leap_cache_get_stats       (LeapCache           *self,
                                         LeapCacheStats      *stats);

G_END_DECLS
