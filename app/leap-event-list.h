/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leap-event.h"
#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_EVENT_LIST (leap_event_list_get_type ())

G_DECLARE_FINAL_TYPE (LeapEventList, leap_event_list, LEAP, EVENT_LIST, GtkWidget)

GListModel *leap_event_list_get_model          (LeapEventList *self);
void        leap_event_list_set_model          (LeapEventList *self,
                                                GListModel    *model);
GListModel *leap_event_list_get_shown          (LeapEventList *self);
const char *leap_event_list_get_search_text    (LeapEventList *self);
void        leap_event_list_set_search_text    (LeapEventList *self,
                                                const char    *search_text);
const char *leap_event_list_get_date_filter    (LeapEventList *self);
void        leap_event_list_set_date_filter    (LeapEventList *self,
                                                const char    *date_filter);
LeapEvent  *leap_event_list_get_selected_event (LeapEventList *self);
gboolean    leap_event_list_select_first       (LeapEventList *self);
gboolean    leap_event_list_select_next_show   (LeapEventList *self);
void        leap_event_list_select_position    (LeapEventList *self,
                                                guint          position);
void        leap_event_list_focus_list         (LeapEventList *self);

G_END_DECLS
