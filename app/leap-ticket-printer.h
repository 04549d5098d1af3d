/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_TICKET_PRINTER (leap_ticket_printer_get_type ())

G_DECLARE_FINAL_TYPE (LeapTicketPrinter, leap_ticket_printer, LEAP, TICKET_PRINTER, GObject)

LeapTicketPrinter  *leap_ticket_printer_new          (JsonObject         *order);
LeapTicketPrinter  *leap_ticket_printer_new_report   (const char         *title,
                                                      const char * const *lines);
const char * const *leap_ticket_printer_get_codes    (LeapTicketPrinter  *self);
const char * const *leap_ticket_printer_get_labels   (LeapTicketPrinter  *self);
guint               leap_ticket_printer_get_n_pages  (LeapTicketPrinter  *self);
char               *leap_ticket_printer_dup_pdf_path (LeapTicketPrinter  *self);
void                leap_ticket_printer_render_page  (LeapTicketPrinter  *self,
                                                      cairo_t            *cr,
                                                      double              width,
                                                      double              height,
                                                      int                 page_nr);
void                leap_ticket_printer_print_async  (LeapTicketPrinter  *self,
                                                      GtkWindow          *parent,
                                                      gboolean            with_dialog,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
gboolean            leap_ticket_printer_print_finish (LeapTicketPrinter  *self,
                                                      GAsyncResult       *result,
                                                      GError            **error);

G_END_DECLS
