/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-handlers.h"
#include "leap-json.h"
#include "leap-schema.h"

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  guint retry_after = 0;

  answer = leap_sessions_login_finish (LEAP_SESSIONS (object), result, &retry_after, &error);
  if (answer == NULL)
    {
      leap_request_reply_sign_in_error (req, error, retry_after);
      return;
    }
  leap_request_reply_object (req, SOUP_STATUS_CREATED, answer);
}

/* A refused sign-in or approval: 401, or 429 with Retry-After. */
void
leap_request_reply_sign_in_error (LeapRequest *req,
                                  GError      *error,
                                  guint        retry_after)
{
  if (retry_after > 0)
    {
      g_autofree char *value = g_strdup_printf ("%u", retry_after);
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Retry-After", value);
    }
  leap_request_reply_error (req, error);
}

/* Starts checking @body's "approval": {"username", "password"} (a
 * manager approving on someone else's screen) as a sign-in is checked,
 * and takes the member out of @body; @callback finishes with
 * leap_sessions_approve_finish(). FALSE when it replied (the member is
 * not two strings). */
gboolean
leap_request_approval_or_reply (LeapRequest        *req,
                                JsonObject         *body,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  JsonNode *node = json_object_get_member (body, "approval");
  JsonObject *approval = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *username = approval ? leap_json_get_string (approval, "username", NULL) : NULL;
  const char *password = approval ? leap_json_get_string (approval, "password", NULL) : NULL;

  if (username == NULL || password == NULL || json_object_get_size (approval) != 2)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_INVALID,
                                    "approval must be {\"username\", \"password\"} of a manager");
      return FALSE;
    }
  leap_sessions_approve_async (req->ctx->sessions, username, password,
                               leap_request_get_client (req), callback, user_data);
  json_object_remove_member (body, "approval");
  return TRUE;
}

static void
guest_allowed (LeapRequest *req)
{
  leap_sessions_guest_async (req->ctx->sessions, login_cb, leap_request_ref (req));
}

/* POST /api/v1/sessions {"username", "password"} or {"guest": true} */
void
leap_handle_session_create (LeapRequest *req)
{
  g_autoptr(JsonObject) body = leap_request_body_or_reply (req);
  g_autoptr(GError) error = NULL;
  const char *username, *password;

  if (body == NULL)
    return;
  if (!leap_json_check (body, &leap_schema_login, TRUE, &error))
    {
      leap_request_reply_error (req, error);
      return;
    }
  if (json_object_has_member (body, "guest"))
    {
      if (!json_object_get_boolean_member (body, "guest") || json_object_get_size (body) != 1)
        {
          leap_request_reply_new_error (req, LEAP_ERROR_INVALID,
                                        "Send either {\"guest\": true} or a username and password");
          return;
        }
      {
        const char *client = leap_request_get_client (req);

        leap_request_limit (req, 1, &req->ctx->guest_sessions, &client, guest_allowed);
      }
      return;
    }

  username = leap_json_get_string (body, "username", NULL);
  password = leap_json_get_string (body, "password", NULL);
  if (username == NULL || password == NULL)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_INVALID, "session.%s is required",
                                    username == NULL ? "username" : "password");
      return;
    }
  leap_sessions_login_async (req->ctx->sessions, username, password,
                             leap_request_get_client (req), login_cb, leap_request_ref (req));
}

void
leap_handle_session_get (LeapRequest *req)
{
  g_autoptr(JsonObject) answer = leap_session_to_json (req->session);

  leap_request_reply_object (req, SOUP_STATUS_OK, answer);
}

static void
logout_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;

  if (!leap_sessions_logout_finish (LEAP_SESSIONS (object), result, &error))
    leap_request_reply_error (req, error);
  else
    leap_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
}

void
leap_handle_session_delete (LeapRequest *req)
{
  leap_sessions_logout_async (req->ctx->sessions, req->session, logout_cb, leap_request_ref (req));
}
