/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leap-event.h"
#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_EVENT_ROW (leap_event_row_get_type ())

G_DECLARE_FINAL_TYPE (LeapEventRow, leap_event_row, LEAP, EVENT_ROW, GtkWidget)

GtkWidget *leap_event_row_new       (void);
LeapEvent *leap_event_row_get_event (LeapEventRow *self);
void       leap_event_row_set_event (LeapEventRow *self,
                                     LeapEvent    *event);

G_END_DECLS
