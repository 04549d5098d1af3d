/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Printable tickets: one A6 page per ticket with the event, venue, date,
 * tier, price, order and the code as text and as a QR code. The document
 * is described by a JsonObject of ready-to-print text:
 *
 *   {"event": "…", "venue": "…", "when": "…", "order_id": "…",
 *    "customer": "…" or absent,
 *    "tickets": [{"code": "…", "tier": "…", "price": "…"}]}
 *
 * Rendering takes milliseconds per page: the _async form runs it in a
 * worker thread, off the main loop. */
GBytes *leap_ticket_pdf_render        (JsonObject          *document,
                                       GError             **error);
void    leap_ticket_pdf_render_async  (JsonObject          *document,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
GBytes *leap_ticket_pdf_render_finish (GAsyncResult        *result,
                                       GError             **error);

G_END_DECLS
