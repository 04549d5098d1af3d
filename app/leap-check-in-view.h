/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_CHECK_IN_VIEW (leap_check_in_view_get_type ())

G_DECLARE_FINAL_TYPE (LeapCheckInView, leap_check_in_view, LEAP, CHECK_IN_VIEW, GtkWidget)

void        leap_check_in_view_set_client       (LeapCheckInView *self,
                                                 LeapClient      *client);
void        leap_check_in_view_set_events       (LeapCheckInView *self,
                                                 GListModel      *events);
void        leap_check_in_view_set_event_id     (LeapCheckInView *self,
                                                 gint64           event_id);
gint64      leap_check_in_view_get_event_id     (LeapCheckInView *self);
const char *leap_check_in_view_get_event_title  (LeapCheckInView *self);
void        leap_check_in_view_check            (LeapCheckInView *self,
                                                 const char      *code);
const char *leap_check_in_view_get_state        (LeapCheckInView *self);
const char *leap_check_in_view_get_result_title (LeapCheckInView *self);
const char *leap_check_in_view_get_result_detail (LeapCheckInView *self);
gboolean    leap_check_in_view_focus_entry      (LeapCheckInView *self);

G_END_DECLS
