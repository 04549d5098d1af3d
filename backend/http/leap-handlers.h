/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-request.h"

G_BEGIN_DECLS

/* Operations: leap-http-ops.c */
void leap_handle_healthz        (LeapRequest *req);
void leap_handle_readyz         (LeapRequest *req);
void leap_handle_metrics        (LeapRequest *req);

/* Sessions: leap-http-sessions.c */
void leap_handle_session_create (LeapRequest *req);
void leap_handle_session_get    (LeapRequest *req);
void leap_handle_session_delete (LeapRequest *req);
void leap_request_reply_sign_in_error (LeapRequest        *req,
                                       GError             *error,
                                       guint               retry_after);
gboolean leap_request_approval_or_reply (LeapRequest        *req,
                                         JsonObject         *body,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);

/* Catalogue: leap-http-catalogue.c */
void leap_handle_venue_list     (LeapRequest *req);
void leap_handle_venue_get      (LeapRequest *req);
void leap_handle_venue_create   (LeapRequest *req);
void leap_handle_venue_update   (LeapRequest *req);
void leap_handle_venue_delete   (LeapRequest *req);
void leap_handle_event_list     (LeapRequest *req);
void leap_handle_event_get      (LeapRequest *req);
void leap_handle_event_create   (LeapRequest *req);
void leap_handle_event_update   (LeapRequest *req);
void leap_handle_event_delete   (LeapRequest *req);
void leap_handle_availability   (LeapRequest *req);
void leap_handle_tier_create    (LeapRequest *req);
void leap_handle_tier_update    (LeapRequest *req);
void leap_handle_tier_delete    (LeapRequest *req);
void leap_handle_offer_create   (LeapRequest *req);
void leap_handle_offer_update   (LeapRequest *req);
void leap_handle_offer_delete   (LeapRequest *req);
void leap_handle_sync           (LeapRequest *req);

/* Holds: leap-http-holds.c */
void leap_handle_hold_create    (LeapRequest *req);
void leap_handle_queue_join     (LeapRequest *req);
void leap_handle_queue_get      (LeapRequest *req);
void leap_handle_hold_get       (LeapRequest *req);
void leap_handle_hold_delete    (LeapRequest *req);

/* Orders: leap-http-orders.c */
void leap_handle_order_create   (LeapRequest *req);
void leap_handle_order_get      (LeapRequest *req);
void leap_handle_order_refund   (LeapRequest *req);

/* Administration: leap-http-admin.c */
void leap_handle_dead_letter_list        (LeapRequest *req);
void leap_handle_dead_letter_replay      (LeapRequest *req);
void leap_handle_dead_letter_replay_body (LeapRequest *req);

/* Reconciliation: leap-http-reconcile.c */
void leap_handle_reconcile_run (LeapRequest *req);
void leap_handle_reconcile_get (LeapRequest *req);

/* Tickets: leap-http-tickets.c */
void leap_handle_ticket_public_key (LeapRequest *req);
void leap_handle_checkin_create    (LeapRequest *req);
void leap_handle_order_tickets_pdf (LeapRequest *req);

/* The files of --web-root at /shop/ (leap-http-static.c). */
gboolean leap_http_static_handles (LeapHttpContext *ctx,
                                   const char      *path);
void leap_handle_static (LeapRequest *req);

G_END_DECLS
