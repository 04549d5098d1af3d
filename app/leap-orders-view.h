/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_ORDERS_VIEW (leap_orders_view_get_type ())

G_DECLARE_FINAL_TYPE (LeapOrdersView, leap_orders_view, LEAP, ORDERS_VIEW, GtkWidget)

void        leap_orders_view_set_backend      (LeapOrdersView   *self,
                                               LeapClient       *client,
                                               LeapOfflineCache *cache);
void        leap_orders_view_search           (LeapOrdersView   *self,
                                               const char       *text);
void        leap_orders_view_reload           (LeapOrdersView   *self);
GListModel *leap_orders_view_get_orders       (LeapOrdersView   *self);
JsonObject *leap_orders_view_get_selected     (LeapOrdersView   *self);
void        leap_orders_view_select           (LeapOrdersView   *self,
                                               guint             position);
void        leap_orders_view_refund_selected  (LeapOrdersView   *self);
void        leap_orders_view_void_selected    (LeapOrdersView   *self);
void        leap_orders_view_focus_search     (LeapOrdersView   *self);
gboolean    leap_orders_view_get_busy         (LeapOrdersView   *self);
const char *leap_orders_view_get_status_text  (LeapOrdersView   *self);
const char *leap_orders_view_get_title_text   (LeapOrdersView   *self);

G_END_DECLS
