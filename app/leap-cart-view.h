/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leap-event.h"
#include "leap-money.h"
#include "leap-tier.h"
#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_CART_VIEW (leap_cart_view_get_type ())

G_DECLARE_FINAL_TYPE (LeapCartView, leap_cart_view, LEAP, CART_VIEW, GtkWidget)

void        leap_cart_view_set_quantity  (LeapCartView *self,
                                          LeapTier     *tier,
                                          guint         quantity);
void        leap_cart_view_clear         (LeapCartView *self);
guint       leap_cart_view_get_n_tickets (LeapCartView *self);
GListModel *leap_cart_view_get_lines     (LeapCartView *self);
guint       leap_cart_view_get_quantity  (LeapCartView *self,
                                          LeapTier     *tier);
const char *leap_cart_view_get_hold_text (LeapCartView *self);
void        leap_cart_view_set_hold_text (LeapCartView *self,
                                          const char   *text,
                                          gboolean      problem);
void        leap_cart_view_set_done_text (LeapCartView *self,
                                          const char   *text);
const char *leap_cart_view_get_problem_text (LeapCartView *self);
void        leap_cart_view_set_problem_text (LeapCartView *self,
                                             const char   *text);
void        leap_cart_view_set_event     (LeapCartView *self,
                                          LeapEvent    *event,
                                          gboolean      elsewhere);
const char *leap_cart_view_get_event_text (LeapCartView *self);
LeapMoney   leap_cart_view_get_total     (LeapCartView *self);
const char *leap_cart_view_get_reason    (LeapCartView *self);
void        leap_cart_view_set_reason    (LeapCartView *self,
                                          const char   *reason);

G_END_DECLS
