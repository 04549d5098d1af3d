/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-cart-view.h"
#include "leap-check-in-view.h"
#include "leap-event-list.h"
#include "leap-event-page.h"
#include "leap-offline-cache.h"
#include "leap-orders-view.h"
#include "leap-payment-dialog.h"
#include "leap-sale.h"
#include "leap-shift-view.h"
#include "leap-ticket-printer.h"
#include "leap-window.h"

G_BEGIN_DECLS

/* The box office window: events on the left, the selected event's tiers in
 * the middle, the cart on the right, and a header that says in words
 * whether the server is reachable and how old the data is. The sale (the
 * cart, its hold and its payment) is a LeapSale; leap-window.c shows it,
 * leap-window-actions.c holds the win.* actions. */
struct _LeapWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwViewStack         *view_stack;
  GtkSearchEntry       *search_entry;
  GtkWidget            *status_box;
  GtkLabel             *status_dot;
  GtkLabel             *status_label;
  GtkLabel             *user_label;
  GtkWidget            *sign_in_button;
  LeapEventList        *event_list;
  LeapEventPage        *event_page;
  LeapCartView         *cart_view;
  LeapOrdersView       *orders_view;
  LeapCheckInView      *check_in_view;
  LeapShiftView        *shift_view;

  /* Owned */
  LeapClient           *client;
  LeapOfflineCache     *cache;
  LeapSale             *sale;
  GSettings            *settings;
  GCancellable         *cancellable;
  guint                 tick_id;
  /* The last order settled here, with the printer that printed it. */
  JsonObject           *last_order;
  LeapTicketPrinter    *last_printer;

  /* Borrowed (weak pointer): the payment dialog while it is open */
  LeapPaymentDialog    *payment_dialog;

  /* The cashier said what becomes of a held cart when the window closes. */
  gboolean              may_close;
};

void        _leap_window_class_actions_init     (LeapWindowClass *klass);
void        _leap_window_actions_update         (LeapWindow      *self);
const char *_leap_window_sale_blocked_reason    (LeapWindow      *self);
void        _leap_window_open_payment_dialog    (LeapWindow      *self,
                                                 const char      *method);
void        _leap_window_hold_expired           (LeapWindow      *self);
gboolean    _leap_window_ask_before_close       (LeapWindow      *self);

G_END_DECLS
