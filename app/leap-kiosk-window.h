/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_KIOSK_WINDOW (leap_kiosk_window_get_type ())

G_DECLARE_FINAL_TYPE (LeapKioskWindow, leap_kiosk_window, LEAP, KIOSK_WINDOW, AdwApplicationWindow)

LeapKioskWindow   *leap_kiosk_window_new                   (GtkApplication   *application,
                                                            LeapClient       *client,
                                                            LeapOfflineCache *cache);
const char        *leap_kiosk_window_get_page_name         (LeapKioskWindow  *self);
const char        *leap_kiosk_window_get_hold_id           (LeapKioskWindow  *self);
gboolean           leap_kiosk_window_get_busy              (LeapKioskWindow  *self);
guint              leap_kiosk_window_get_n_tiers           (LeapKioskWindow  *self);
guint              leap_kiosk_window_get_n_tickets         (LeapKioskWindow  *self);
const char        *leap_kiosk_window_get_message           (LeapKioskWindow  *self);
const char        *leap_kiosk_window_get_thanks_hint       (LeapKioskWindow  *self);
JsonObject        *leap_kiosk_window_get_last_order        (LeapKioskWindow  *self);
LeapTicketPrinter *leap_kiosk_window_get_last_printer      (LeapKioskWindow  *self);
AdwMessageDialog  *leap_kiosk_window_get_still_there       (LeapKioskWindow  *self);
AdwMessageDialog  *leap_kiosk_window_get_exit_dialog       (LeapKioskWindow  *self);
void               leap_kiosk_window_set_exit_pin_text     (LeapKioskWindow  *self,
                                                            const char       *pin);
gboolean           leap_kiosk_window_get_left              (LeapKioskWindow  *self);
const char        *leap_kiosk_window_get_language          (LeapKioskWindow  *self);
guint              leap_kiosk_window_get_n_rebuilds        (LeapKioskWindow  *self);
gboolean           leap_kiosk_window_check_pin             (LeapKioskWindow  *self,
                                                            const char       *pin);
char              *leap_kiosk_hash_pin                     (const char       *pin);
gboolean           leap_kiosk_pin_matches                  (const char       *hash,
                                                            const char       *pin);

G_END_DECLS
