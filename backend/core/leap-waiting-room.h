/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "leap-catalogue.h"
#include "leap-lease.h"
#include "leap-redis.h"
#include "leap-sessions.h"

G_BEGIN_DECLS

typedef struct
{
  guint rate;        /* guests let in per event per second */
  guint window_s;    /* the room is active this long from on_sale_at */
  guint timeout_s;   /* a guest not seen for this long loses its place */
  guint token_ttl_s; /* an admission lasts this long */
} LeapWaitingRoomConfig;

#define LEAP_TYPE_WAITING_ROOM (leap_waiting_room_get_type ())
G_DECLARE_FINAL_TYPE (LeapWaitingRoom, leap_waiting_room, LEAP, WAITING_ROOM, GObject)

LeapWaitingRoom *leap_waiting_room_new         (LeapRedis                   *redis,
                                                LeapCatalogue               *catalogue,
                                                LeapSessions                *sessions,
                                                LeapLease                   *lease,
                                                const LeapWaitingRoomConfig *config);
void             leap_waiting_room_place_async  (LeapWaitingRoom            *self,
                                                 const LeapSession          *session,
                                                 gint64                      event_id,
                                                 gboolean                    join,
                                                 GAsyncReadyCallback         callback,
                                                 gpointer                    user_data);
JsonObject      *leap_waiting_room_place_finish (LeapWaitingRoom            *self,
                                                 GAsyncResult               *result,
                                                 GError                    **error);
void             leap_waiting_room_check_async  (LeapWaitingRoom            *self,
                                                 const LeapSession          *session,
                                                 gint64                      event_id,
                                                 const char                 *token,
                                                 GAsyncReadyCallback         callback,
                                                 gpointer                    user_data);
gboolean         leap_waiting_room_check_finish (LeapWaitingRoom            *self,
                                                 GAsyncResult               *result,
                                                 GError                    **error);

G_END_DECLS
