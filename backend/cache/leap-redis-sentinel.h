/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LEAP_TYPE_REDIS_SENTINEL (leap_redis_sentinel_get_type ())
G_DECLARE_FINAL_TYPE (LeapRedisSentinel, leap_redis_sentinel, LEAP, REDIS_SENTINEL, GObject)

/* Finds a Redis primary through its Sentinels (hiredis 0.14 has no
 * Sentinel client). Emits "switch-master" (host, port) when a Sentinel
 * announces that the primary moved. */
LeapRedisSentinel *leap_redis_sentinel_new         (const char * const  *addresses,
                                                    const char          *master);
const char        *leap_redis_sentinel_get_master  (LeapRedisSentinel   *self);
void               leap_redis_sentinel_ask_async   (LeapRedisSentinel   *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean           leap_redis_sentinel_ask_finish  (LeapRedisSentinel   *self,
                                                    GAsyncResult        *result,
                                                    char               **host,
                                                    guint16             *port,
                                                    GError             **error);

G_END_DECLS
