/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_SHIFT_VIEW (leap_shift_view_get_type ())

G_DECLARE_FINAL_TYPE (LeapShiftView, leap_shift_view, LEAP, SHIFT_VIEW, GtkWidget)

void     leap_shift_view_set_client         (LeapShiftView    *self,
                                             LeapClient       *client);
void     leap_shift_view_set_cache          (LeapShiftView    *self,
                                             LeapOfflineCache *cache);
void     leap_shift_view_reload             (LeapShiftView    *self);
gboolean leap_shift_view_get_loaded         (LeapShiftView    *self);
gint64   leap_shift_view_get_cash_sales     (LeapShiftView    *self);
gint64   leap_shift_view_get_card_sales     (LeapShiftView    *self);
guint    leap_shift_view_get_open_orders    (LeapShiftView    *self);
gint64   leap_shift_view_get_expected_cash  (LeapShiftView    *self);
void     leap_shift_view_set_counted_text   (LeapShiftView    *self,
                                             const char       *text);
void     leap_shift_view_set_float_text     (LeapShiftView    *self,
                                             const char       *text);
const char *leap_shift_view_get_difference_text (LeapShiftView *self);
const char *leap_shift_view_get_float_money (LeapShiftView *self);
GStrv    leap_shift_view_dup_report         (LeapShiftView    *self);
void     leap_shift_view_print              (LeapShiftView    *self);

G_END_DECLS
