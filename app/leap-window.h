/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_WINDOW (leap_window_get_type ())

G_DECLARE_FINAL_TYPE (LeapWindow, leap_window, LEAP, WINDOW, AdwApplicationWindow)

LeapWindow       *leap_window_new             (LeapApplication  *application,
                                               LeapClient       *client,
                                               LeapOfflineCache *cache);
LeapClient       *leap_window_get_client      (LeapWindow       *self);
LeapOfflineCache *leap_window_get_cache       (LeapWindow       *self);
LeapEventList    *leap_window_get_event_list  (LeapWindow       *self);
LeapEventPage    *leap_window_get_event_page  (LeapWindow       *self);
LeapCartView     *leap_window_get_cart_view   (LeapWindow       *self);
const char       *leap_window_get_status_text (LeapWindow       *self);
const char       *leap_window_get_hold_id     (LeapWindow       *self);
void              leap_window_add_toast       (LeapWindow       *self,
                                               const char       *message);
void              leap_window_show_sign_in    (LeapWindow       *self);
void              leap_window_print_order     (LeapWindow       *self,
                                               JsonObject       *order,
                                               gboolean          with_dialog);
JsonObject       *leap_window_get_last_order  (LeapWindow       *self);
LeapTicketPrinter *leap_window_get_last_printer (LeapWindow     *self);
LeapPaymentDialog *leap_window_get_payment_dialog (LeapWindow   *self);
gboolean          leap_window_get_paying      (LeapWindow       *self);
LeapOrdersView   *leap_window_get_orders_view (LeapWindow       *self);
LeapCheckInView  *leap_window_get_check_in_view (LeapWindow     *self);
LeapShiftView    *leap_window_get_shift_view  (LeapWindow       *self);

G_END_DECLS
