/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_OFFLINE_CACHE (leap_offline_cache_get_type ())

G_DECLARE_FINAL_TYPE (LeapOfflineCache, leap_offline_cache, LEAP, OFFLINE_CACHE, GObject)

char             *leap_offline_cache_dup_default_path   (void);
LeapOfflineCache *leap_offline_cache_new                (const char           *path,
                                                         GError              **error);
const char       *leap_offline_cache_get_path           (LeapOfflineCache     *self);
GListModel       *leap_offline_cache_get_events         (LeapOfflineCache     *self);
gint64            leap_offline_cache_get_synced_at      (LeapOfflineCache     *self);
gint64            leap_offline_cache_get_cursor         (LeapOfflineCache     *self);
gboolean          leap_offline_cache_get_syncing        (LeapOfflineCache     *self);
gboolean          leap_offline_cache_get_loaded         (LeapOfflineCache     *self);

gboolean          leap_offline_cache_apply_sync         (LeapOfflineCache     *self,
                                                         const char           *server,
                                                         JsonObject           *page,
                                                         GError              **error);

void              leap_offline_cache_reload_async       (LeapOfflineCache     *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean          leap_offline_cache_reload_finish      (LeapOfflineCache     *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void              leap_offline_cache_sync_async         (LeapOfflineCache     *self,
                                                         LeapClient           *client,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean          leap_offline_cache_sync_finish        (LeapOfflineCache     *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void              leap_offline_cache_list_tiers_async   (LeapOfflineCache     *self,
                                                         gint64                event_id,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
GPtrArray        *leap_offline_cache_list_tiers_finish  (LeapOfflineCache     *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void              leap_offline_cache_store_availability (LeapOfflineCache     *self,
                                                         JsonObject           *availability);

void              leap_offline_cache_save_order_async   (LeapOfflineCache     *self,
                                                         JsonObject           *order,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
JsonObject       *leap_offline_cache_save_order_finish  (LeapOfflineCache     *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void              leap_offline_cache_find_orders_async  (LeapOfflineCache     *self,
                                                         const char           *text,
                                                         gint64                since,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
GPtrArray        *leap_offline_cache_find_orders_finish (LeapOfflineCache     *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

G_END_DECLS
