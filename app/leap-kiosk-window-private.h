/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-kiosk-window.h"
#include "leap-offline-cache.h"
#include "leap-sale.h"
#include "leap-ticket-printer.h"

G_BEGIN_DECLS

/* The self-service kiosk: a full-screen window for customers, with no
 * staff functions. Start → events → tickets → card payment → printed
 * tickets → thank you → start. The tickets are held as soon as they are
 * picked; a customer who walks away is asked whether they are still
 * there, and then the kiosk starts over and gives the tickets back. When
 * the server does not answer, a calm page says so and the kiosk comes
 * back by itself. Leaving needs a staff PIN (Ctrl+Alt+Q, or a long press
 * on the top right corner). The cart, its hold and the payment are a
 * LeapSale; leap-kiosk-window.c shows the pages,
 * leap-kiosk-window-events.c the events' tiles, and
 * leap-kiosk-window-actions.c holds the kiosk.* actions: choosing,
 * paying and leaving. */
struct _LeapKioskWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  GtkStack            *stack;
  GtkButton           *start_button;
  GtkLabel            *start_title;
  GtkLabel            *start_hint;
  GtkButton           *events_back;
  GtkLabel            *events_title;
  GtkListBox          *events_box;
  GtkLabel            *events_empty;
  GtkButton           *tickets_back;
  GtkLabel            *tickets_title;
  GtkLabel            *tickets_when;
  GtkBox              *tiers_box;
  GtkLabel            *tickets_message;
  GtkLabel            *total_label;
  GtkButton           *pay_button;
  GtkSpinner          *paying_spinner;
  GtkLabel            *paying_title;
  GtkLabel            *paying_hint;
  GtkImage            *thanks_icon;
  GtkLabel            *thanks_title;
  GtkLabel            *thanks_hint;
  GtkButton           *thanks_done;
  GtkLabel            *unavailable_title;
  GtkLabel            *unavailable_hint;
  GtkWidget           *exit_corner;

  /* Owned */
  LeapClient          *client;
  LeapOfflineCache    *cache;
  LeapSale            *sale;
  GSettings           *settings;
  GCancellable        *cancellable;
  GtkFilterListModel  *events;
  GPtrArray           *tiers;        /* LeapTier, of the sale's event */
  GPtrArray           *count_labels; /* GtkLabel (borrowed from tiers_box) */
  GPtrArray           *minus_buttons;
  GPtrArray           *plus_buttons;
  char                *message;
  char                *language;
  char                *first_language;
  char                *first_language_env;
  JsonObject          *last_order;
  LeapTicketPrinter   *last_printer;
  guint                idle_tick_id;
  guint                countdown_id;
  guint                countdown_left;
  guint                thanks_id;
  guint                check_id;
  guint                shake_id;
  guint                retry_delay_s;
  guint                n_rebuilds;
  guint                exit_failures;
  gint64               exit_locked_until;
  gint64               last_input;
  gboolean             checking;
  gboolean             available;
  gboolean             left;

  /* Borrowed (weak pointers) */
  AdwMessageDialog    *still_there;
  AdwMessageDialog    *exit_dialog;
  GtkEditable         *exit_entry;
};

void     _leap_kiosk_window_class_actions_init (LeapKioskWindowClass *klass);
gboolean _leap_kiosk_window_on_page            (LeapKioskWindow      *self,
                                                const char           *name);
void     _leap_kiosk_window_show_page          (LeapKioskWindow      *self,
                                                const char           *name);
void     _leap_kiosk_window_set_message        (LeapKioskWindow      *self,
                                                const char           *message);
void     _leap_kiosk_window_update_tickets     (LeapKioskWindow      *self);
void     _leap_kiosk_window_choose_event       (LeapKioskWindow      *self,
                                                gint64                id);
void     _leap_kiosk_window_change_ticket      (LeapKioskWindow      *self,
                                                guint                 index,
                                                int                   delta);
void     _leap_kiosk_window_clear_cart         (LeapKioskWindow      *self);
void     _leap_kiosk_window_sync_events        (LeapKioskWindow      *self);
GtkWidget *_leap_kiosk_window_create_event_row (gpointer              item,
                                                gpointer              user_data);
void     _leap_kiosk_window_rebuild_events     (LeapKioskWindow      *self);
void     _leap_kiosk_window_close_still_there  (LeapKioskWindow      *self);
void     _leap_kiosk_window_watch_idle         (LeapKioskWindow      *self);
void     _leap_kiosk_window_check_server       (LeapKioskWindow      *self);
void     _leap_kiosk_window_reset              (LeapKioskWindow      *self);

G_END_DECLS
