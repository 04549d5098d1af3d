/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-handlers.h"

static void
order_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = leap_orders_object_finish (LEAP_ORDERS (object), result, &error);
  gboolean placed = g_str_equal (soup_server_message_get_method (req->msg), "POST");

  if (order == NULL)
    {
      leap_request_reply_error (req, error);
      return;
    }
  if (placed)
    {
      g_autofree char *location = g_strconcat ("/api/v1/orders/",
                                               json_object_get_string_member (order, "order_id"),
                                               NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Location",
                                    location);
    }
  leap_request_reply_object (req, placed ? SOUP_STATUS_ACCEPTED : SOUP_STATUS_OK, order);
}

/* POST /api/v1/orders {"hold_id", "payment": {"method", "tendered"}, "customer": {"name", "email"}}
 */
void
leap_handle_order_create (LeapRequest *req)
{
  g_autoptr(JsonObject) body = leap_request_body_or_reply (req);

  if (body != NULL)
    leap_orders_place_async (req->ctx->orders, req->session, body, order_cb,
                             leap_request_ref (req));
}

/* GET /api/v1/orders/{id} */
void
leap_handle_order_get (LeapRequest *req)
{
  leap_orders_get_async (req->ctx->orders, req->session, req->params[0], order_cb,
                         leap_request_ref (req));
}

static void
refunded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = leap_refunds_refund_finish (LEAP_REFUNDS (object), result, &error);

  if (order == NULL)
    leap_request_reply_error (req, error);
  else
    leap_request_reply_object (req, SOUP_STATUS_OK, order);
}

static const char * const approvers[] = { "admin", "manager", NULL };

typedef struct
{
  LeapRequest *req;
  JsonObject  *body;
} Approval;

static void
approval_free (Approval *approval)
{
  leap_request_unref (approval->req);
  json_object_unref (approval->body);
  g_free (approval);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Approval, approval_free)

static void
approved_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Approval) approval = user_data;
  LeapRequest *req = approval->req;
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapSession) manager = NULL;
  guint retry_after = 0;

  manager = leap_sessions_approve_finish (LEAP_SESSIONS (object), result, &retry_after, &error);
  if (manager == NULL)
    {
      leap_request_reply_sign_in_error (req, error, retry_after);
      return;
    }
  if (!leap_session_has_role (manager, approvers))
    {
      leap_request_reply_new_error (req, LEAP_ERROR_FORBIDDEN,
                                    "Only a manager or an admin can approve a refund");
      return;
    }
  /* The refund is the approving manager's. */
  leap_refunds_refund_async (req->ctx->refunds, manager, req->params[0], approval->body,
                             refunded_cb, leap_request_ref (req));
}

/* POST /api/v1/orders/{id}/refund {"lines": [{"tier_id", "quantity"}], "reason",
 * "include_checked_in", "approval": {"username", "password"}}, every member optional;
 * no body at all refunds the whole order. A cashier's refund needs "approval", a
 * manager's name and password. */
void
leap_handle_order_refund (LeapRequest *req)
{
  g_autoptr(JsonObject) body = NULL;
  Approval *approval;

  if (soup_server_message_get_request_body (req->msg)->length > 0 &&
      (body = leap_request_body_or_reply (req)) == NULL)
    return;
  if (body != NULL && json_object_has_member (body, "approval"))
    {
      approval = g_new0 (Approval, 1);
      approval->req = leap_request_ref (req);
      approval->body = json_object_ref (body);
      if (!leap_request_approval_or_reply (req, body, approved_cb, approval))
        approval_free (approval);
      return;
    }
  if (!leap_session_has_role (req->session, approvers))
    {
      leap_request_reply_new_error (req, LEAP_ERROR_FORBIDDEN,
                                    "A cashier's refund needs a manager's approval "
                                    "(\"approval\": {\"username\", \"password\"})");
      return;
    }
  leap_refunds_refund_async (req->ctx->refunds, req->session, req->params[0], body, refunded_cb,
                             leap_request_ref (req));
}
