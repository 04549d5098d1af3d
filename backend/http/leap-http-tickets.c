/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-http"

#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-handlers.h"

/* GET /api/v1/tickets/public-key: public, for scanners checking codes
 * offline. */
void
leap_handle_ticket_public_key (LeapRequest *req)
{
  g_autoptr(JsonObject) answer = leap_tickets_public_key (req->ctx->tickets);

  leap_request_reply_object (req, SOUP_STATUS_OK, answer);
}

static void
checked_in_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(JsonObject) details = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = leap_tickets_check_in_finish (LEAP_TICKETS (object), result,
                                                               &details, &error);

  if (answer == NULL)
    leap_request_reply_error_with (req, error, details);
  else
    leap_request_reply_object (req, SOUP_STATUS_OK, answer);
}

/* POST /api/v1/checkins {"code", "event_id"?} */
void
leap_handle_checkin_create (LeapRequest *req)
{
  g_autoptr(JsonObject) body = leap_request_body_or_reply (req);

  if (body != NULL)
    leap_tickets_check_in_async (req->ctx->tickets, req->session, body, checked_in_cb,
                                 leap_request_ref (req));
}

/* GET /api/v1/orders/{id}/tickets.pdf */

static void
pdf_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pdf = leap_tickets_pdf_finish (LEAP_TICKETS (object), result, &error);
  g_autofree char *disposition = NULL;

  if (pdf == NULL)
    {
      leap_request_reply_error (req, error);
      return;
    }
  disposition = g_strdup_printf ("inline; filename=\"tickets-%s.pdf\"", req->params[0]);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Content-Disposition", disposition);
  leap_request_reply_data (req, SOUP_STATUS_OK, "application/pdf", pdf);
}

static void
order_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = leap_orders_object_finish (LEAP_ORDERS (object), result, &error);
  LeapTickets *tickets = req->ctx->tickets;

  if (order == NULL)
    {
      leap_request_reply_error (req, error);
      return;
    }
  leap_tickets_pdf_async (tickets, order, NULL, pdf_cb, g_steal_pointer (&req));
}

/* The same reading rules as GET /api/v1/orders/{id}: the owner or staff. */
void
leap_handle_order_tickets_pdf (LeapRequest *req)
{
  leap_orders_get_async (req->ctx->orders, req->session, req->params[0], order_cb,
                         leap_request_ref (req));
}
