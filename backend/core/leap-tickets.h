/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-sessions.h"
#include "leap-store.h"
#include "leap-ticket-signer.h"

G_BEGIN_DECLS

#define LEAP_TYPE_TICKETS (leap_tickets_get_type ())
G_DECLARE_FINAL_TYPE (LeapTickets, leap_tickets, LEAP, TICKETS, GObject)

/* Tickets after the sale: the public key scanners verify codes with,
 * admission at the door, and printable tickets. */
LeapTickets *leap_tickets_new           (LeapStore          *store,
                                         LeapTicketSigner   *signer);
JsonObject  *leap_tickets_public_key    (LeapTickets        *self);
void         leap_tickets_check_in_async  (LeapTickets        *self,
                                           const LeapSession  *session,
                                           JsonObject         *request,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
JsonObject  *leap_tickets_check_in_finish (LeapTickets        *self,
                                           GAsyncResult       *result,
                                           JsonObject        **details,
                                           GError            **error);
void         leap_tickets_pdf_async     (LeapTickets        *self,
                                         JsonObject         *order,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
GBytes      *leap_tickets_pdf_finish    (LeapTickets        *self,
                                         GAsyncResult       *result,
                                         GError            **error);

G_END_DECLS
