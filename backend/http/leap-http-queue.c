/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-http-context.h"
#include "leap-handlers.h"

static void
placed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) place =
    leap_waiting_room_place_finish (LEAP_WAITING_ROOM (object), result, &error);

  if (place == NULL)
    leap_request_reply_error (req, error);
  else
    leap_request_reply_object (req, SOUP_STATUS_OK, place);
}

static void
place (LeapRequest *req,
       gboolean     join)
{
  gint64 id;

  if (leap_request_id_or_reply (req, 0, &id))
    leap_waiting_room_place_async (req->ctx->waiting_room, req->session, id, join, placed_cb,
                                   leap_request_ref (req));
}

/* POST /api/v1/events/{id}/queue: takes a place in the event's line (the
 * one the session has, if any). */
void
leap_handle_queue_join (LeapRequest *req)
{
  place (req, TRUE);
}

/* GET /api/v1/events/{id}/queue: the session's place, or its admission. */
void
leap_handle_queue_get (LeapRequest *req)
{
  place (req, FALSE);
}
