/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-handlers.h"
#include "leap-json.h"

static void
hold_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) hold = leap_holds_object_finish (LEAP_HOLDS (object), result, &error);
  guint status = g_str_equal (soup_server_message_get_method (req->msg), "POST")
                     ? SOUP_STATUS_CREATED
                     : SOUP_STATUS_OK;

  if (hold == NULL)
    {
      leap_request_reply_error (req, error);
      return;
    }
  if (status == SOUP_STATUS_CREATED)
    {
      g_autofree char *location = g_strconcat ("/api/v1/holds/",
                                               json_object_get_string_member (hold, "hold_id"),
                                               NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Location",
                                    location);
    }
  leap_request_reply_object (req, status, hold);
}

static void
admitted_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;

  if (!leap_waiting_room_check_finish (LEAP_WAITING_ROOM (object), result, &error))
    {
      leap_request_reply_error (req, error);
      return;
    }
  body = leap_request_body_or_reply (req);
  if (body != NULL)
    leap_holds_create_async (req->ctx->holds, req->session, leap_request_get_client (req), body,
                             hold_cb, leap_request_ref (req));
}

static void
hold_create_allowed (LeapRequest *req)
{
  g_autoptr(JsonObject) body = leap_request_body_or_reply (req);
  const char *token;

  if (body == NULL)
    return;
  /* The header, or the body's field for clients that cannot set one. */
  token = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                        "Admission-Token");
  if (token == NULL)
    token = leap_json_get_string (body, "admission_token", NULL);
  leap_waiting_room_check_async (req->ctx->waiting_room, req->session,
                                 leap_json_get_int (body, "event_id", 0), token, admitted_cb,
                                 leap_request_ref (req));
}

/* POST /api/v1/holds {"event_id", "items": [{"tier_id", "quantity"}]} */
void
leap_handle_hold_create (LeapRequest *req)
{
  LeapRateLimiter *limiters[] = { req->ctx->guest_holds, req->ctx->guest_holds_by_address };
  const char *keys[] = { req->session->token_hash, leap_request_get_client (req) };

  /* Guests are the public, and bots drain a sale through them. */
  if (g_str_equal (req->session->role, "guest"))
    leap_request_limit (req, G_N_ELEMENTS (limiters), limiters, keys, hold_create_allowed);
  else
    hold_create_allowed (req);
}

void
leap_handle_hold_get (LeapRequest *req)
{
  leap_holds_get_async (req->ctx->holds, req->session, req->params[0], hold_cb,
                        leap_request_ref (req));
}

static void
released_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;

  if (!leap_holds_release_finish (LEAP_HOLDS (object), result, &error))
    leap_request_reply_error (req, error);
  else
    leap_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
}

void
leap_handle_hold_delete (LeapRequest *req)
{
  leap_holds_release_async (req->ctx->holds, req->session, req->params[0], released_cb,
                            leap_request_ref (req));
}
