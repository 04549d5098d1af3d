/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-cache.h"
#include "leap-holds.h"
#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_CATALOGUE (leap_catalogue_get_type ())
G_DECLARE_FINAL_TYPE (LeapCatalogue, leap_catalogue, LEAP, CATALOGUE, GObject)

/* Venues, events, tiers and offers: reads through the cache (cache-aside,
 * with the seed design's TTLs), writes to the database and then invalidate.
 * Reads complete with the JSON text of the answer, ready to send. */
LeapCatalogue *leap_catalogue_new               (LeapStore             *store,
                                                 LeapCache             *cache);
void           leap_catalogue_list_venues_async (LeapCatalogue         *self,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
void           leap_catalogue_get_venue_async   (LeapCatalogue         *self,
                                                 gint64                 venue_id,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
void           leap_catalogue_list_events_async (LeapCatalogue         *self,
                                                 const LeapEventFilter *filter,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
void           leap_catalogue_get_event_async   (LeapCatalogue         *self,
                                                 gint64                 event_id,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
GBytes        *leap_catalogue_peek_venues       (LeapCatalogue         *self);
GBytes        *leap_catalogue_peek_venue        (LeapCatalogue         *self,
                                                 gint64                 venue_id);
GBytes        *leap_catalogue_peek_events       (LeapCatalogue         *self,
                                                 const LeapEventFilter *filter);
GBytes        *leap_catalogue_peek_event        (LeapCatalogue         *self,
                                                 gint64                 event_id);
GBytes        *leap_catalogue_read_finish       (LeapCatalogue         *self,
                                                 GAsyncResult          *result,
                                                 GError               **error);

void           leap_catalogue_sync_async        (LeapCatalogue         *self,
                                                 gint64                 since,
                                                 guint                  limit,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
JsonObject    *leap_catalogue_sync_finish       (LeapCatalogue         *self,
                                                 GAsyncResult          *result,
                                                 GError               **error);
/* Writes go to the database off the main loop; then the cache forgets
 * what they changed. _create () is for the demo catalogue, made before the
 * backend serves. */
void           leap_catalogue_create_async      (LeapCatalogue         *self,
                                                 LeapKind               kind,
                                                 gint64                 event_id,
                                                 JsonObject            *fields,
                                                 gint64                 actor,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
void           leap_catalogue_update_async      (LeapCatalogue         *self,
                                                 LeapKind               kind,
                                                 gint64                 id,
                                                 JsonObject            *patch,
                                                 gint64                 actor,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
JsonObject    *leap_catalogue_write_finish      (LeapCatalogue         *self,
                                                 GAsyncResult          *result,
                                                 GError               **error);
JsonObject    *leap_catalogue_create            (LeapCatalogue         *self,
                                                 LeapKind               kind,
                                                 gint64                 event_id,
                                                 JsonObject            *fields,
                                                 gint64                 actor,
                                                 GError               **error);
/* Tiers have counters in Redis too (see leap-holds.h): these write the
 * database and Redis together. A capacity or max_per_order change that
 * Redis does not take leaves the database as it was and fails: CONFLICT
 * below what is held and sold, UNAVAILABLE when Redis cannot be asked. */
void           leap_catalogue_create_tier_async (LeapCatalogue         *self,
                                                 LeapHolds             *holds,
                                                 gint64                 event_id,
                                                 JsonObject            *fields,
                                                 gint64                 actor,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
void           leap_catalogue_update_tier_async (LeapCatalogue         *self,
                                                 LeapHolds             *holds,
                                                 gint64                 tier_id,
                                                 JsonObject            *patch,
                                                 gint64                 actor,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
JsonObject    *leap_catalogue_tier_finish       (LeapCatalogue         *self,
                                                 GAsyncResult          *result,
                                                 GError               **error);
/* Deletes any kind; a tier or event only when nothing of it is held,
 * being checked out or sold (CONFLICT, with *still set to {held,
 * checking_out, sold}), and only when Redis can tell (UNAVAILABLE). */
void           leap_catalogue_remove_async      (LeapCatalogue         *self,
                                                 LeapHolds             *holds,
                                                 LeapKind               kind,
                                                 gint64                 id,
                                                 gint64                 actor,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
gboolean       leap_catalogue_remove_finish     (LeapCatalogue         *self,
                                                 GAsyncResult          *result,
                                                 JsonObject           **still,
                                                 GError               **error);
gboolean       leap_catalogue_seed_demo         (LeapCatalogue         *self,
                                                 GError               **error);

char          *leap_event_cursor_encode         (gint64                 starts_at,
                                                 gint64                 id);
gboolean       leap_event_cursor_decode         (const char            *cursor,
                                                 gint64                *starts_at,
                                                 gint64                *id);

G_END_DECLS
