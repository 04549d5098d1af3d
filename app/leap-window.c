/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "leap-a11y.h"
#include "leap-application.h"
#include "leap-offline-cache.h"
#include "leap-cart-view.h"
#include "leap-check-in-view.h"
#include "leap-checkout.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-event-list.h"
#include "leap-event-page.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-orders-view.h"
#include "leap-payment-dialog.h"
#include "leap-shift-view.h"
#include "leap-sign-in-dialog.h"
#include "leap-ticket-printer.h"
#include "leap-tier-tile.h"
#include "leap-window.h"

/* The box office window: events on the left, the selected event's tiers in
 * the middle, the cart on the right, and a header that says in words
 * whether the server is reachable and how old the data is. All of its
 * actions are installed in class_init and enabled from update_actions(). */
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
  GSettings            *settings;
  GCancellable         *cancellable;
  guint                 tick_id;

  /* The sale's hold: the one the server gave (hold_id), or one asked for
   * (holding). hold_generation grows with every change of the cart, so
   * that an answer to an older request is recognised and given back. */
  char                 *hold_id;
  gint64                hold_expires;   /* real time, µs */
  guint                 hold_tick_id;
  guint                 rehold_id;
  guint                 hold_generation;
  gboolean              holding;
  char                 *hold_key;       /* Idempotency-Key of the last attempt */
  char                 *hold_key_body;  /* and what it asked for */

  /* The payment: under way (paying), asked for once the hold is there
   * (pay_after_hold: "cash" or "card"), the dialog while it is open, and
   * the last order settled here with the printer that printed it. */
  LeapCheckout         *checkout;
  gboolean              paying;
  char                 *pay_after_hold;
  LeapPaymentDialog    *payment_dialog; /* weak */
  JsonObject           *last_order;
  LeapTicketPrinter    *last_printer;
};

G_DEFINE_FINAL_TYPE (LeapWindow, leap_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_CACHE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A changed cart is held again once the cashier stops pressing + and −. */
#define REHOLD_DELAY_MS 600

static void release_hold (LeapWindow *self);
static void open_payment_dialog (LeapWindow *self,
                                 const char *method);

static void
update_status (LeapWindow *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 synced_at = leap_offline_cache_get_synced_at (self->cache);
  g_autofree char *age = synced_at > 0 ? leap_format_age (now - synced_at) : NULL;
  g_autofree char *text = NULL;
  const char *state;

  switch (leap_client_get_connection (self->client))
    {
    case LEAP_CONNECTION_ONLINE:
      state = "online";
      if (age != NULL && now - synced_at < 5)
        text = g_strdup (_("Online · synced just now"));
      else if (age != NULL)
        text = g_strdup_printf (_("Online · synced %s ago"), age);
      else
        text = g_strdup (_("Online · syncing…"));
      break;

    case LEAP_CONNECTION_OFFLINE:
      state = "offline";
      if (age != NULL)
        text = g_strdup_printf (_("Offline · data from %s ago"), age);
      else
        text = g_strdup (_("Offline · no data yet"));
      break;

    case LEAP_CONNECTION_UNKNOWN:
    default:
      state = "unknown";
      text = g_strdup (_("Connecting…"));
      break;
    }

  gtk_label_set_label (self->status_label, text);
  gtk_widget_set_tooltip_text (self->status_box, leap_client_get_base_url (self->client));
  for (guint i = 0; i < 3; i++)
    {
      static const char *states[] = { "online", "offline", "unknown" };
      if (g_str_equal (states[i], state))
        {
          gtk_widget_add_css_class (GTK_WIDGET (self->status_dot), states[i]);
          gtk_widget_add_css_class (self->status_box, states[i]);
        }
      else
        {
          gtk_widget_remove_css_class (GTK_WIDGET (self->status_dot), states[i]);
          gtk_widget_remove_css_class (self->status_box, states[i]);
        }
    }
}

/* Why a sale cannot go on now, or NULL when it can. */
static const char *
sale_blocked_reason (LeapWindow *self)
{
  LeapEvent *event = leap_event_page_get_event (self->event_page);

  if (leap_client_get_connection (self->client) == LEAP_CONNECTION_OFFLINE)
    return _("Offline: selling needs the server. Events and prices still show from the "
             "offline copy.");
  if (!leap_client_get_signed_in (self->client))
    return _("Sign in to sell tickets.");
  if (!leap_client_get_can_hold (self->client))
    return _("Selling is not available: this server cannot hold tickets.");
  if (event != NULL && !g_str_equal (leap_event_get_status (event), "on_sale"))
    return _("This event is not on sale.");
  if (leap_cart_view_get_n_tickets (self->cart_view) == 0)
    return _("Choose tickets with + to start a sale.");
  return NULL;
}

/* Why the cart cannot be paid now, or NULL when it can. Paying without a
 * hold holds the cart first. */
static const char *
pay_blocked_reason (LeapWindow *self)
{
  const char *reason = sale_blocked_reason (self);

  if (reason != NULL)
    return reason;
  if (self->paying)
    return _("Taking the payment…");
  if (self->holding)
    return _("Holding the tickets…");
  return NULL;
}

/* Cash is taken by box office staff only, not by a kiosk or a guest. */
static gboolean
may_take_cash (LeapWindow *self)
{
  const char *role = leap_client_get_role (self->client);

  return role == NULL || (!g_str_equal (role, "kiosk") && !g_str_equal (role, "guest"));
}

static void
update_actions (LeapWindow *self)
{
  gboolean signed_in = leap_client_get_signed_in (self->client);
  const char *hold_reason = sale_blocked_reason (self);
  const char *reason = pay_blocked_reason (self);
  g_autofree char *user = NULL;

  if (signed_in && leap_client_get_role (self->client) != NULL)
    user = g_strdup_printf ("%s (%s)", leap_client_get_username (self->client),
                            leap_client_get_role (self->client));
  else if (signed_in)
    user = g_strdup (leap_client_get_username (self->client));
  else
    user = g_strdup (_("Not signed in"));
  gtk_label_set_label (self->user_label, user);
  /* Signed out, the prominent button says what to do; the menu keeps
   * Sync, Shortcuts and Quit reachable. */
  gtk_widget_set_visible (self->sign_in_button, !signed_in);
  gtk_widget_set_visible (GTK_WIDGET (self->user_label), signed_in);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-in", !signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.hold",
                                 hold_reason == NULL && self->hold_id == NULL && !self->holding &&
                                 !self->paying);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.pay-cash",
                                 reason == NULL && may_take_cash (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.pay-card", reason == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-sale", !self->paying);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.print", TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->event_page), !self->paying);
  gtk_widget_set_sensitive (GTK_WIDGET (self->event_list), !self->paying);
  leap_cart_view_set_reason (self->cart_view, reason);
}

static void
state_changed_cb (LeapWindow *self)
{
  update_status (self);
  update_actions (self);
}

static gboolean
tick_cb (gpointer user_data)
{
  update_status (user_data);
  return G_SOURCE_CONTINUE;
}

static void
selected_event_cb (LeapWindow *self)
{
  LeapEvent *event = leap_event_list_get_selected_event (self->event_list);
  LeapEvent *shown = leap_event_page_get_event (self->event_page);

  /* The selection goes away when a search hides the event or a sync
   * changes it: keep the event and its cart on screen then. */
  if (event == NULL ||
      (shown != NULL && leap_event_get_id (shown) == leap_event_get_id (event)))
    return;

  /* A hold is for one event: a new event starts a new cart. */
  release_hold (self);
  leap_cart_view_set_hold_text (self->cart_view, NULL, FALSE);
  leap_cart_view_clear (self->cart_view);
  leap_event_page_set_event (self->event_page, event);
  update_actions (self);
}

/* Once the events are there, the next show is what a box office sells
 * most: open it, unless the cashier already chose one. */
static void
loaded_cb (LeapWindow *self)
{
  if (leap_offline_cache_get_loaded (self->cache) &&
      leap_event_page_get_event (self->event_page) == NULL)
    leap_event_list_select_next_show (self->event_list);
}

static void
event_activated_cb (LeapWindow *self)
{
  leap_event_page_focus_tiers (self->event_page);
}


/* Holds */

typedef struct
{
  LeapWindow *window;
  guint       generation;
} HoldRequest;

static void
hold_request_free (HoldRequest *request)
{
  g_object_unref (request->window);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HoldRequest, hold_request_free)

static void
set_tiles_held (LeapWindow *self,
                gboolean    held)
{
  guint n = leap_event_page_get_n_tiles (self->event_page);

  for (guint i = 0; i < n; i++)
    {
      LeapTierTile *tile = leap_event_page_get_tile (self->event_page, i);
      guint quantity = held ? leap_cart_view_get_quantity (self->cart_view,
                                                           leap_tier_tile_get_tier (tile)) : 0;

      leap_tier_tile_set_held (tile, quantity);
    }
}

static void
release_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A hold that ran out or went already is given back as well. */
  if (!leap_client_release_hold_finish (LEAP_CLIENT (source), result, &error))
    g_debug ("The hold was not released: %s", error->message);
}

/* Gives the current hold back (the server frees it when it runs out
 * anyway) and forgets any request under way. */
static void
release_hold (LeapWindow *self)
{
  self->hold_generation++;
  self->holding = FALSE;
  g_clear_pointer (&self->pay_after_hold, g_free);
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  g_clear_handle_id (&self->rehold_id, g_source_remove);
  if (self->hold_id != NULL)
    {
      /* No cancellable: the tickets go back even when the window closes. */
      leap_client_release_hold_async (self->client, self->hold_id, NULL, release_cb, NULL);
      g_clear_pointer (&self->hold_id, g_free);
    }
  set_tiles_held (self, FALSE);
}

static void
hold_expired (LeapWindow *self)
{
  /* Nothing left to pay for: the dialog goes with the hold. */
  if (self->payment_dialog != NULL)
    {
      LeapPaymentDialog *dialog = self->payment_dialog;

      g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->payment_dialog);
      self->payment_dialog = NULL;
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
  g_clear_pointer (&self->hold_id, g_free);
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  set_tiles_held (self, FALSE);
  leap_cart_view_set_hold_text (self->cart_view,
                                _("The hold ran out and the tickets went back on sale. "
                                  "Press Hold Tickets (Enter) to hold them again."), TRUE);
  leap_event_page_refresh (self->event_page);
  update_actions (self);
}

static gboolean
hold_tick_cb (gpointer user_data)
{
  LeapWindow *self = user_data;
  gint64 left = (self->hold_expires - g_get_real_time () + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  if (left <= 0)
    {
      self->hold_tick_id = 0;
      hold_expired (self);
      return G_SOURCE_REMOVE;
    }
  text = leap_format_hold_left (left);
  leap_cart_view_set_hold_text (self->cart_view, text, FALSE);
  return G_SOURCE_CONTINUE;
}

/* The tier a sold_out answer is about, by name: the server's message
 * names it by id ("Not enough tickets left in tier 2: 0 available"). */
static char *
sold_out_message (LeapWindow  *self,
                  const char  *server_message)
{
  GListModel *lines = leap_cart_view_get_lines (self->cart_view);
  const char *at = server_message ? strstr (server_message, "tier ") : NULL;
  gint64 tier_id = at ? g_ascii_strtoll (at + strlen ("tier "), NULL, 10) : 0;
  const char *colon = server_message ? strrchr (server_message, ':') : NULL;
  gint64 left = colon ? g_ascii_strtoll (colon + 1, NULL, 10) : -1;

  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr(LeapTier) tier = g_list_model_get_item (lines, i);

      if (leap_tier_get_id (tier) != tier_id)
        continue;
      if (left == 0)
        return g_strdup_printf (_("%s is sold out. Take it out of the cart, or choose another "
                                  "tier, and hold again."), leap_tier_get_name (tier));
      if (left > 0)
        return g_strdup_printf (ngettext ("Only %d ticket left in %s. Change the quantity and "
                                          "hold again.",
                                          "Only %d tickets left in %s. Change the quantity and "
                                          "hold again.", (gulong) left),
                                (int) left, leap_tier_get_name (tier));
      return g_strdup_printf (_("Not enough tickets left in %s. Change the quantity and hold "
                                "again."), leap_tier_get_name (tier));
    }
  return g_strdup (_("Not enough tickets left. Change the cart and hold again."));
}

static void
hold_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(HoldRequest) request = user_data;
  LeapWindow *self = request->window;
  g_autoptr(JsonObject) hold = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) expires = NULL;
  const char *expires_at;
  guint n = 0;

  hold = leap_client_create_hold_finish (LEAP_CLIENT (source), result, &error);

  /* The cart changed (or the window went) while the hold was asked for. */
  if (request->generation != self->hold_generation)
    {
      if (hold != NULL)
        leap_client_release_hold_async (LEAP_CLIENT (source),
                                        leap_json_get_string (hold, "hold_id", NULL), NULL,
                                        release_cb, NULL);
      return;
    }
  self->holding = FALSE;

  if (hold == NULL)
    {
      g_autofree char *message = NULL;

      g_clear_pointer (&self->pay_after_hold, g_free);

      /* Only a request that may not have arrived is retried with the same
       * key; any answer of the server ends this attempt. */
      if (!g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE) &&
          !g_error_matches (error, LEAP_ERROR, LEAP_ERROR_INTERNAL))
        {
          g_clear_pointer (&self->hold_key, g_free);
          g_clear_pointer (&self->hold_key_body, g_free);
        }

      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_SOLD_OUT))
        {
          message = sold_out_message (self, error->message);
          leap_event_page_refresh (self->event_page);
        }
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        message = g_strdup_printf (_("The tickets could not be held: the server cannot be "
                                     "reached. Press Hold Tickets to try again. (%s)"),
                                   error->message);
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED))
        message = g_strdup (_("The session has ended. Sign in again and hold the tickets."));
      else
        message = g_strdup_printf (_("The tickets could not be held: %s"), error->message);
      leap_cart_view_set_hold_text (self->cart_view, message, TRUE);
      leap_window_add_toast (self, message);
      update_actions (self);
      return;
    }

  g_clear_pointer (&self->hold_key, g_free);
  g_clear_pointer (&self->hold_key_body, g_free);
  self->hold_id = g_strdup (leap_json_get_string (hold, "hold_id", NULL));
  expires_at = leap_json_get_string (hold, "expires_at", NULL);
  expires = expires_at ? g_date_time_new_from_iso8601 (expires_at, NULL) : NULL;
  /* Count down on this computer's clock from what the server grants, so a
   * clock that is off does not cut the hold short or make it look longer. */
  if (expires != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      gint64 span = g_date_time_difference (expires, now);

      self->hold_expires = g_get_real_time () + CLAMP (span, 0, 24 * G_TIME_SPAN_HOUR);
    }
  else
    self->hold_expires = g_get_real_time () + 10 * G_TIME_SPAN_MINUTE;

  set_tiles_held (self, TRUE);
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  self->hold_tick_id = g_timeout_add (1000, hold_tick_cb, self);
  hold_tick_cb (self);

  n = leap_cart_view_get_n_tickets (self->cart_view);
  {
    g_autofree char *message = g_strdup_printf (ngettext ("%u ticket held", "%u tickets held", n), n);

    if (self->pay_after_hold == NULL)
      leap_window_add_toast (self, message);
  }
  update_actions (self);

  /* Pay was pressed before there was a hold: go on with it now. */
  if (self->pay_after_hold != NULL)
    {
      g_autofree char *method = g_steal_pointer (&self->pay_after_hold);

      open_payment_dialog (self, method);
    }
}

/* Asks the server to hold what the cart has. */
static void
start_hold (LeapWindow *self)
{
  LeapEvent *event = leap_event_page_get_event (self->event_page);
  GListModel *lines = leap_cart_view_get_lines (self->cart_view);
  g_autoptr(JsonArray) items = json_array_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;
  g_autofree char *json = NULL;
  HoldRequest *request;

  g_clear_handle_id (&self->rehold_id, g_source_remove);
  if (sale_blocked_reason (self) != NULL || event == NULL || self->hold_id != NULL)
    {
      update_actions (self);
      return;
    }

  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr(LeapTier) tier = g_list_model_get_item (lines, i);
      JsonObject *item = json_object_new ();

      json_object_set_int_member (item, "tier_id", leap_tier_get_id (tier));
      json_object_set_int_member (item, "quantity", leap_cart_view_get_quantity (self->cart_view, tier));
      json_array_add_object_element (items, item);
    }

  /* The same cart after a failure that may not have reached the server is
   * a retry: the same key, so it is never held twice. */
  node = json_node_init_array (json_node_alloc (), items);
  json = json_to_string (node, FALSE);
  body = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", leap_event_get_id (event), json);
  if (self->hold_key == NULL || g_strcmp0 (self->hold_key_body, body) != 0)
    {
      g_free (self->hold_key);
      self->hold_key = g_uuid_string_random ();
      g_free (self->hold_key_body);
      self->hold_key_body = g_steal_pointer (&body);
    }

  self->hold_generation++;
  self->holding = TRUE;
  request = g_new0 (HoldRequest, 1);
  request->window = g_object_ref (self);
  request->generation = self->hold_generation;
  leap_cart_view_set_hold_text (self->cart_view, _("Holding the tickets…"), FALSE);
  leap_client_create_hold_async (self->client, leap_event_get_id (event), items, self->hold_key,
                                 NULL, hold_cb, request);
  update_actions (self);
}

static gboolean
rehold_cb (gpointer user_data)
{
  LeapWindow *self = user_data;

  self->rehold_id = 0;
  if (leap_cart_view_get_n_tickets (self->cart_view) > 0)
    start_hold (self);
  return G_SOURCE_REMOVE;
}

/* The cart changed: the hold no longer matches it. Give it back and,
 * when there was one, hold the new cart once the cashier pauses. */
static void
cart_changed (LeapWindow *self)
{
  gboolean had_hold = self->hold_id != NULL || self->holding || self->rehold_id != 0;

  release_hold (self);
  leap_cart_view_set_hold_text (self->cart_view, NULL, FALSE);
  if (had_hold && leap_cart_view_get_n_tickets (self->cart_view) > 0)
    {
      leap_cart_view_set_hold_text (self->cart_view, _("Holding the changed cart…"), FALSE);
      self->rehold_id = g_timeout_add (REHOLD_DELAY_MS, rehold_cb, self);
    }
}

static void
hold_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);
  const char *reason = sale_blocked_reason (self);

  if (reason != NULL)
    {
      leap_window_add_toast (self, reason);
      return;
    }
  start_hold (self);
}

static void
quantity_changed_cb (LeapWindow *self,
                     LeapTier   *tier,
                     guint       quantity)
{
  if (leap_cart_view_get_quantity (self->cart_view, tier) == quantity)
    return;
  leap_cart_view_set_quantity (self->cart_view, tier, quantity);
  cart_changed (self);
  update_actions (self);
}

static void
search_changed_cb (LeapWindow *self)
{
  leap_event_list_set_search_text (self->event_list,
                                   gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
search_activate_cb (LeapWindow *self)
{
  if (leap_event_list_select_first (self->event_list))
    leap_event_list_focus_list (self->event_list);
}

static void
search_stop_cb (LeapWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LeapWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!leap_offline_cache_sync_finish (LEAP_OFFLINE_CACHE (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
        return;
      leap_window_add_toast (self, error->message);
      return;
    }
  leap_window_add_toast (self, _("Events are up to date"));
}

static void
sync_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);

  leap_offline_cache_sync_async (self->cache, self->client, self->cancellable, sync_cb,
                         g_object_ref (self));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);

  /* In Orders, Ctrl+F finds orders; anywhere else, events. */
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "orders") == 0)
    {
      leap_orders_view_focus_search (self->orders_view);
      return;
    }
  adw_view_stack_set_visible_child_name (self->view_stack, "sell");
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
new_sale_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);

  release_hold (self);
  leap_event_page_clear_quantities (self->event_page);
  leap_cart_view_clear (self->cart_view);
  leap_cart_view_set_hold_text (self->cart_view, NULL, FALSE);
  update_actions (self);
  search_action (widget, NULL, NULL);
}

/* Payment */

static void
print_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LeapWindow) self = user_data;
  LeapTicketPrinter *printer = LEAP_TICKET_PRINTER (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf = NULL;

  if (!leap_ticket_printer_print_finish (printer, result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("The tickets were not printed (%s). Press Ctrl+P to choose a "
                                   "printer or save them as PDF."), error->message);
      leap_window_add_toast (self, message);
      return;
    }
  pdf = leap_ticket_printer_dup_pdf_path (printer);
  if (pdf != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Tickets saved to %s"), pdf);

      leap_window_add_toast (self, message);
    }
}

/* Prints @order's tickets and receipt; with @with_dialog the cashier
 * chooses the printer (or a PDF file). */
void
leap_window_print_order (LeapWindow *self,
                         JsonObject *order,
                         gboolean    with_dialog)
{
  g_autoptr(LeapTicketPrinter) printer = NULL;

  g_return_if_fail (LEAP_IS_WINDOW (self));
  g_return_if_fail (order != NULL);

  printer = leap_ticket_printer_new (order);
  g_set_object (&self->last_printer, printer);
  leap_ticket_printer_print_async (printer, GTK_WINDOW (self), with_dialog, NULL, print_cb,
                                   g_object_ref (self));
}

/* The sale is over (paid, or in a manager's hands): its hold became the
 * order, so it is not given back; the cart starts again. */
static void
end_sale (LeapWindow *self)
{
  self->hold_generation++;
  g_clear_pointer (&self->hold_id, g_free);
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  g_clear_handle_id (&self->rehold_id, g_source_remove);
  set_tiles_held (self, FALSE);
  leap_event_page_clear_quantities (self->event_page);
  leap_cart_view_clear (self->cart_view);
  leap_event_page_refresh (self->event_page);
}

/* The hold is gone on the server (a declined card gives the tickets
 * back): hold the same cart again so the cashier can take another way of
 * paying at once. */
static void
hold_again (LeapWindow *self)
{
  self->hold_generation++;
  g_clear_pointer (&self->hold_id, g_free);
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  set_tiles_held (self, FALSE);
  start_hold (self);
}

static void
restart_hold_tick (LeapWindow *self)
{
  if (self->hold_id == NULL)
    return;
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  self->hold_tick_id = g_timeout_add (1000, hold_tick_cb, self);
  hold_tick_cb (self);
}

/* A problem with a payment stays on screen longer than other news. */
static void
add_problem_toast (LeapWindow *self,
                   const char *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 12);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
pay_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(LeapWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_autofree char *message = NULL;
  gboolean placed = FALSE;
  const char *status;

  order = leap_checkout_pay_finish (LEAP_CHECKOUT (source), result, &placed, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->client == NULL)
    return;
  self->paying = FALSE;

  if (order == NULL)
    {
      if (placed)
        {
          /* Taken by the server, not settled yet: never charge twice. */
          message = g_strdup_printf (_("The server took the order but has not confirmed the payment "
                                       "yet. It is kept on this device: find it in Orders (Alt+2) "
                                       "before charging again. (%s)"), error->message);
          end_sale (self);
        }
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_EXPIRED))
        {
          hold_expired (self);
          message = g_strdup (_("The hold ran out before the payment, so nothing was charged and "
                                "the tickets went back on sale. Hold them again (Enter), then take "
                                "the payment."));
        }
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_CONFLICT))
        {
          message = g_strdup (_("The hold was no longer valid, so nothing was charged. The tickets "
                                "are being held again: take the payment once they are."));
          hold_again (self);
        }
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        {
          message = g_strdup (_("The server cannot be reached, so nothing was charged. Press Cash "
                                "(F9) or Card (F10) to try again."));
          restart_hold_tick (self);
        }
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED))
        message = g_strdup (_("The session has ended, so nothing was charged. Sign in again and "
                              "take the payment."));
      else
        {
          message = g_strdup_printf (_("The payment was not taken: %s"), error->message);
          restart_hold_tick (self);
        }
      leap_cart_view_set_hold_text (self->cart_view, message, TRUE);
      add_problem_toast (self, message);
      update_actions (self);
      return;
    }

  status = leap_json_get_string (order, "status", "");
  if (g_str_equal (status, "paid") || g_str_equal (status, "needs_review"))
    {
      JsonObject *payment = json_object_has_member (order, "payment") &&
                            JSON_NODE_HOLDS_OBJECT (json_object_get_member (order, "payment"))
                            ? json_object_get_object_member (order, "payment") : NULL;
      guint n = json_object_has_member (order, "tickets") &&
                JSON_NODE_HOLDS_ARRAY (json_object_get_member (order, "tickets"))
                ? json_array_get_length (json_object_get_array_member (order, "tickets")) : 0;

      end_sale (self);
      g_clear_pointer (&self->last_order, json_object_unref);
      self->last_order = json_object_ref (order);
      leap_orders_view_reload (self->orders_view);

      if (g_str_equal (status, "needs_review"))
        {
          message = g_strdup_printf (_("Order %s needs a manager: the payment went through but the "
                                       "tickets could not be confirmed. Do not charge again."),
                                     leap_json_get_string (order, "order_id", ""));
          leap_cart_view_set_hold_text (self->cart_view, message, TRUE);
        }
      else
        {
          g_autofree char *first = NULL;

          if (payment != NULL && g_strcmp0 (leap_json_get_string (payment, "method", NULL), "cash") == 0)
            {
              LeapMoney change = leap_money_init (leap_json_get_int (payment, "change", 0),
                                                  leap_json_get_string (order, "currency", "EUR"));
              g_autofree char *change_text = leap_format_money (&change);

              first = g_strdup_printf (_("Give %s change."), change_text);
              message = g_strdup_printf (ngettext ("%s\nPaid in cash · %u ticket\nOrder %s",
                                                   "%s\nPaid in cash · %u tickets\nOrder %s", n),
                                         first, n, leap_json_get_string (order, "order_id", ""));
            }
          else
            message = g_strdup_printf (ngettext ("Paid by card · %u ticket\nOrder %s",
                                                 "Paid by card · %u tickets\nOrder %s", n),
                                       n, leap_json_get_string (order, "order_id", ""));
          {
            /* Translators: under the paid sale in the cart */
            g_autofree char *with_hint = g_strdup_printf (_("%s\nCtrl+P prints the tickets again."),
                                                          message);

            leap_cart_view_set_done_text (self->cart_view, with_hint);
          }
          if (g_settings_get_boolean (self->settings, "print-after-sale") ||
              g_getenv ("LEAP_PRINT_TO_PDF") != NULL)
            leap_window_print_order (self, order, FALSE);
          /* The cart says it; no toast to outlive the next sale. */
          update_actions (self);
          return;
        }
      add_problem_toast (self, message);
      update_actions (self);
      return;
    }

  if (g_str_equal (status, "failed"))
    {
      const char *reason = leap_json_get_string (order, "reason", NULL);

      if (reason != NULL && strstr (reason, "declined") == NULL)
        message = g_strdup_printf (_("The card payment did not go through (%s). Nothing was "
                                     "charged; the tickets are held again: try the card again "
                                     "(F10) or take cash (F9)."), reason);
      else
        message = g_strdup (_("The card was declined. Nothing was charged; the tickets are held "
                              "again: try the card again (F10) or take cash (F9)."));
      hold_again (self);
      /* After hold_again: it would replace the text with "Holding…". */
      add_problem_toast (self, message);
      leap_cart_view_set_hold_text (self->cart_view, message, TRUE);
      update_actions (self);
      return;
    }

  message = g_strdup_printf (_("Order %s is %s. Look at it in Orders (Alt+2)."),
                             leap_json_get_string (order, "order_id", ""), status);
  end_sale (self);
  leap_cart_view_set_hold_text (self->cart_view, message, TRUE);
  add_problem_toast (self, message);
  update_actions (self);
}

/* What the order is about, kept with it for the receipt and searches. */
static JsonObject *
describe_sale (LeapWindow *self)
{
  LeapEvent *event = leap_event_page_get_event (self->event_page);
  GListModel *lines = leap_cart_view_get_lines (self->cart_view);
  LeapMoney total = leap_cart_view_get_total (self->cart_view);
  JsonObject *sale = json_object_new ();
  JsonObject *about = json_object_new ();
  JsonObject *names = json_object_new ();
  JsonArray *items = json_array_new ();

  json_object_set_int_member (about, "id", leap_event_get_id (event));
  json_object_set_string_member (about, "name", leap_event_get_name (event));
  json_object_set_int_member (about, "starts_at", leap_event_get_starts_at (event));
  if (leap_event_get_venue_name (event) != NULL)
    json_object_set_string_member (about, "venue", leap_event_get_venue_name (event));
  if (leap_event_get_venue_timezone (event) != NULL)
    json_object_set_string_member (about, "timezone", leap_event_get_venue_timezone (event));

  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr(LeapTier) tier = g_list_model_get_item (lines, i);
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT, leap_tier_get_id (tier));
      JsonObject *item = json_object_new ();
      LeapMoney price = leap_tier_get_price (tier);

      json_object_set_string_member (names, key, leap_tier_get_name (tier));
      json_object_set_int_member (item, "tier_id", leap_tier_get_id (tier));
      json_object_set_int_member (item, "quantity", leap_cart_view_get_quantity (self->cart_view, tier));
      json_object_set_int_member (item, "unit_price", price.amount);
      json_object_set_string_member (item, "currency", price.currency);
      json_array_add_object_element (items, item);
    }
  json_object_set_string_member (sale, "hold_id", self->hold_id);
  json_object_set_object_member (sale, "event", about);
  json_object_set_object_member (sale, "tier_names", names);
  json_object_set_array_member (sale, "lines", items);
  json_object_set_int_member (sale, "total", total.amount);
  json_object_set_string_member (sale, "currency", total.currency);
  return sale;
}

static void
start_payment (LeapWindow *self,
               const char *method,
               gint64      tendered,
               const char *customer_name)
{
  g_autoptr(JsonObject) sale = NULL;
  JsonObject *payment;

  if (pay_blocked_reason (self) != NULL || self->hold_id == NULL)
    {
      leap_window_add_toast (self, pay_blocked_reason (self) ? pay_blocked_reason (self)
                                                             : _("The tickets are not held any more: "
                                                                 "hold them again (Enter)."));
      return;
    }

  sale = describe_sale (self);
  payment = json_object_new ();
  json_object_set_string_member (payment, "method", method);
  if (g_str_equal (method, "cash"))
    json_object_set_int_member (payment, "tendered", tendered);
  json_object_set_object_member (sale, "payment", payment);
  if (customer_name != NULL)
    {
      JsonObject *customer = json_object_new ();

      json_object_set_string_member (customer, "name", customer_name);
      json_object_set_object_member (sale, "customer", customer);
    }

  /* Once placed, the hold does not run out: no countdown meanwhile. */
  self->paying = TRUE;
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  leap_cart_view_set_hold_text (self->cart_view,
                                g_str_equal (method, "card")
                                ? _("Waiting for the card terminal…")
                                : _("Taking the payment…"), FALSE);
  update_actions (self);
  leap_checkout_pay_async (self->checkout, sale, self->cancellable, pay_cb, g_object_ref (self));
}

/* Closes the dialog unless its button did already (then it is not
 * realized any more and this does nothing). */
static gboolean
close_dialog_cb (gpointer user_data)
{
  gtk_window_close (GTK_WINDOW (user_data));
  return G_SOURCE_REMOVE;
}

static void
payment_response_cb (LeapPaymentDialog *dialog,
                     const char        *response,
                     LeapWindow        *self)
{
  /* Answered: the dialog goes, also when the answer did not come from one
   * of its buttons (which close it themselves). */
  if (self->payment_dialog == dialog)
    {
      g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->payment_dialog);
      self->payment_dialog = NULL;
    }
  if (g_object_get_data (G_OBJECT (dialog), "leap-closing") == NULL)
    {
      g_object_set_data (G_OBJECT (dialog), "leap-closing", GINT_TO_POINTER (TRUE));
      g_idle_add_full (G_PRIORITY_DEFAULT, close_dialog_cb, g_object_ref (dialog), g_object_unref);
    }
  if (!g_str_equal (response, "pay"))
    return;
  start_payment (self, leap_payment_dialog_get_method (dialog),
                 leap_payment_dialog_get_tendered (dialog),
                 leap_payment_dialog_get_customer_name (dialog));
}

static void
open_payment_dialog (LeapWindow *self,
                     const char *method)
{
  LeapPaymentDialog *dialog;

  if (self->payment_dialog != NULL || self->hold_id == NULL || pay_blocked_reason (self) != NULL)
    return;
  dialog = leap_payment_dialog_new (GTK_WINDOW (self), method,
                                    leap_cart_view_get_total (self->cart_view));
  self->payment_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->payment_dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (payment_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
pay_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);
  const char *method = g_str_equal (action_name, "win.pay-cash") ? "cash" : "card";
  const char *reason = pay_blocked_reason (self);

  if (reason != NULL)
    {
      leap_window_add_toast (self, reason);
      return;
    }
  if (self->hold_id == NULL)
    {
      /* Hold first; the dialog opens once the tickets are held. */
      g_free (self->pay_after_hold);
      self->pay_after_hold = g_strdup (method);
      start_hold (self);
      return;
    }
  open_payment_dialog (self, method);
}

static void
print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);

  const char *view = adw_view_stack_get_visible_child_name (self->view_stack);

  if (g_strcmp0 (view, "shift") == 0)
    {
      leap_shift_view_print (self->shift_view);
      return;
    }
  if (g_strcmp0 (view, "orders") == 0)
    {
      JsonObject *order = leap_orders_view_get_selected (self->orders_view);

      if (order == NULL || g_strcmp0 (leap_json_get_string (order, "status", NULL), "paid") != 0)
        leap_window_add_toast (self, _("Choose a paid order to print."));
      else
        leap_window_print_order (self, order, TRUE);
      return;
    }
  if (self->last_order == NULL)
    {
      leap_window_add_toast (self, _("No sale to print yet."));
      return;
    }
  leap_window_print_order (self, self->last_order, TRUE);
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->view_stack, g_variant_get_string (parameter, NULL));
}

/* Each view puts the focus where its work starts. */
static void
visible_view_cb (LeapWindow *self)
{
  const char *view = adw_view_stack_get_visible_child_name (self->view_stack);

  if (g_strcmp0 (view, "check-in") == 0)
    leap_check_in_view_focus_entry (self->check_in_view);
  else if (g_strcmp0 (view, "orders") == 0)
    {
      leap_orders_view_reload (self->orders_view);
      leap_orders_view_focus_search (self->orders_view);
    }
}

static void
print_order_cb (LeapWindow *self,
                JsonObject *order)
{
  leap_window_print_order (self, order, TRUE);
}

static void
report_printed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LeapWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf = NULL;

  if (!leap_ticket_printer_print_finish (LEAP_TICKET_PRINTER (source), result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("The report was not printed: %s"), error->message);
      leap_window_add_toast (self, message);
      return;
    }
  pdf = leap_ticket_printer_dup_pdf_path (LEAP_TICKET_PRINTER (source));
  if (pdf != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Report saved to %s"), pdf);

      leap_window_add_toast (self, message);
    }
}

static void
print_report_cb (LeapWindow         *self,
                 const char * const *lines)
{
  g_autoptr(LeapTicketPrinter) printer = leap_ticket_printer_new_report (_("End of Shift"), lines);

  g_set_object (&self->last_printer, printer);
  leap_ticket_printer_print_async (printer, GTK_WINDOW (self), TRUE, NULL, report_printed_cb,
                                   g_object_ref (self));
}

static void
signed_in_cb (LeapWindow *self)
{
  g_autofree char *message = g_strdup_printf (_("Signed in as %s"),
                                              leap_client_get_username (self->client));

  leap_window_add_toast (self, message);
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  leap_window_show_sign_in (LEAP_WINDOW (widget));
}

static void
sign_out_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The session is forgotten here whatever the server says; a server out
   * of reach lets the session expire on its own. */
  if (!leap_client_sign_out_finish (LEAP_CLIENT (source), result, &error))
    g_debug ("The server was not told of the sign-out: %s", error->message);
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);

  /* The hold belongs to the session: give it back while it still works. */
  release_hold (self);
  leap_cart_view_set_hold_text (self->cart_view, NULL, FALSE);
  leap_client_sign_out_async (self->client, NULL, sign_out_cb, NULL);
  leap_window_add_toast (self, _("Signed out"));
}

static gboolean
leap_window_close_request (GtkWindow *window)
{
  LeapWindow *self = LEAP_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (leap_window_parent_class)->close_request (window);
}

static void
leap_window_constructed (GObject *object)
{
  LeapWindow *self = (LeapWindow *) object;

  G_OBJECT_CLASS (leap_window_parent_class)->constructed (object);

  g_return_if_fail (self->client != NULL);
  g_return_if_fail (self->cache != NULL);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_settings_bind (self->settings, "date-filter", self->event_list, "date-filter",
                   G_SETTINGS_BIND_DEFAULT);

  leap_event_list_set_model (self->event_list, leap_offline_cache_get_events (self->cache));
  leap_event_page_set_cache (self->event_page, self->cache);
  leap_event_page_set_client (self->event_page, self->client);
  self->checkout = leap_checkout_new (self->client, self->cache);
  leap_orders_view_set_backend (self->orders_view, self->client, self->cache);
  leap_check_in_view_set_client (self->check_in_view, self->client);
  leap_shift_view_set_cache (self->shift_view, self->cache);

  g_signal_connect_object (self->client, "notify::connection", G_CALLBACK (state_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::signed-in", G_CALLBACK (state_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::role", G_CALLBACK (state_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::can-hold", G_CALLBACK (state_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::base-url", G_CALLBACK (state_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->cache, "notify::synced-at", G_CALLBACK (state_changed_cb), self,
                           G_CONNECT_SWAPPED);

  g_signal_connect_object (self->cache, "notify::loaded", G_CALLBACK (loaded_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (leap_offline_cache_get_events (self->cache), "items-changed",
                           G_CALLBACK (loaded_cb), self, G_CONNECT_SWAPPED);

  self->tick_id = g_timeout_add_seconds (5, tick_cb, self);
  state_changed_cb (self);
  loaded_cb (self);
}

static void
leap_window_dispose (GObject *object)
{
  LeapWindow *self = (LeapWindow *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  /* Tickets held for a sale that will not happen go back now, not when
   * the hold runs out. */
  if (self->client != NULL)
    {
      self->hold_generation++;
      g_clear_handle_id (&self->hold_tick_id, g_source_remove);
      g_clear_handle_id (&self->rehold_id, g_source_remove);
      if (self->hold_id != NULL)
        leap_client_release_hold_async (self->client, self->hold_id, NULL, release_cb, NULL);
      g_clear_pointer (&self->hold_id, g_free);
    }
  if (self->payment_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->payment_dialog));
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_WINDOW);
  g_clear_object (&self->checkout);
  g_clear_object (&self->last_printer);
  g_clear_pointer (&self->last_order, json_object_unref);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (leap_window_parent_class)->dispose (object);
}

static void
leap_window_finalize (GObject *object)
{
  LeapWindow *self = (LeapWindow *) object;

  g_clear_pointer (&self->hold_key, g_free);
  g_clear_pointer (&self->hold_key_body, g_free);
  g_clear_pointer (&self->pay_after_hold, g_free);

  G_OBJECT_CLASS (leap_window_parent_class)->finalize (object);
}

static void
leap_window_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  LeapWindow *self = LEAP_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_CACHE: g_value_set_object (value, self->cache); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_window_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  LeapWindow *self = LEAP_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    case PROP_CACHE: self->cache = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_window_class_init (LeapWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = leap_window_constructed;
  object_class->dispose = leap_window_dispose;
  object_class->finalize = leap_window_finalize;
  object_class->get_property = leap_window_get_property;
  object_class->set_property = leap_window_set_property;
  window_class->close_request = leap_window_close_request;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LEAP_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, NULL, LEAP_TYPE_OFFLINE_CACHE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (LEAP_TYPE_CART_VIEW);
  g_type_ensure (LEAP_TYPE_EVENT_LIST);
  g_type_ensure (LEAP_TYPE_EVENT_PAGE);
  g_type_ensure (LEAP_TYPE_ORDERS_VIEW);
  g_type_ensure (LEAP_TYPE_CHECK_IN_VIEW);
  g_type_ensure (LEAP_TYPE_SHIFT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/leapboxoffice/BoxOffice/ui/leap-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, status_box);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, status_dot);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, user_label);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, event_list);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, event_page);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, cart_view);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, orders_view);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, check_in_view);
  gtk_widget_class_bind_template_child (widget_class, LeapWindow, shift_view);

  gtk_widget_class_install_action (widget_class, "win.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.sync", NULL, sync_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.new-sale", NULL, new_sale_action);
  gtk_widget_class_install_action (widget_class, "win.hold", NULL, hold_action);
  /* Enter holds when nothing with the focus takes it (a button, the
   * search field, the list); Ctrl+Enter holds from anywhere. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, 0, "win.hold", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, 0, "win.hold", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.hold", NULL);
  gtk_widget_class_install_action (widget_class, "win.pay-cash", NULL, pay_action);
  gtk_widget_class_install_action (widget_class, "win.pay-card", NULL, pay_action);
  gtk_widget_class_install_action (widget_class, "win.print", NULL, print_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
}

static void
leap_window_init (LeapWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  leap_a11y_name_mnemonic_buttons (GTK_WIDGET (self));
  leap_a11y_follow_high_contrast (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);

  g_signal_connect_object (self->event_list, "notify::selected-event",
                           G_CALLBACK (selected_event_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->event_list, "event-activated", G_CALLBACK (event_activated_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->event_page, "quantity-changed", G_CALLBACK (quantity_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "activate", G_CALLBACK (search_activate_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "stop-search", G_CALLBACK (search_stop_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self->event_list));
  g_signal_connect_object (self->view_stack, "notify::visible-child-name",
                           G_CALLBACK (visible_view_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->orders_view, "print-order", G_CALLBACK (print_order_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->orders_view, "add-toast", G_CALLBACK (leap_window_add_toast),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->shift_view, "print-report", G_CALLBACK (print_report_cb), self,
                           G_CONNECT_SWAPPED);
}

LeapWindow *
leap_window_new (LeapApplication  *application,
                 LeapClient       *client,
                 LeapOfflineCache *cache)
{
  return g_object_new (LEAP_TYPE_WINDOW,
                       "application", application,
                       "client", client,
                       "cache", cache,
                       NULL);
}

LeapClient *
leap_window_get_client (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->client;
}

LeapOfflineCache *
leap_window_get_cache (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->cache;
}

LeapEventList *
leap_window_get_event_list (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->event_list;
}

LeapEventPage *
leap_window_get_event_page (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->event_page;
}

LeapCartView *
leap_window_get_cart_view (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->cart_view;
}

/* The id of the sale's hold while the server keeps it, else NULL. */
const char *
leap_window_get_hold_id (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->hold_id;
}

const char *
leap_window_get_status_text (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return gtk_label_get_label (self->status_label);
}

void
leap_window_add_toast (LeapWindow *self,
                       const char *message)
{
  AdwToast *toast;

  g_return_if_fail (LEAP_IS_WINDOW (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
leap_window_show_sign_in (LeapWindow *self)
{
  LeapSignInDialog *dialog;
  g_autofree char *username = NULL;

  g_return_if_fail (LEAP_IS_WINDOW (self));

  username = g_settings_get_string (self->settings, "last-username");
  dialog = leap_sign_in_dialog_new (GTK_WINDOW (self), self->client, username);
  g_signal_connect_object (dialog, "signed-in", G_CALLBACK (signed_in_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The last order settled in this window (paid or for a manager), or NULL. */
JsonObject *
leap_window_get_last_order (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->last_order;
}

/* The printer of the last print started here, or NULL: what it was
 * handed is what went to paper (or PDF). */
LeapTicketPrinter *
leap_window_get_last_printer (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->last_printer;
}

/* The payment dialog while it is open, or NULL. */
LeapPaymentDialog *
leap_window_get_payment_dialog (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->payment_dialog;
}

gboolean
leap_window_get_paying (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), FALSE);
  return self->paying;
}

LeapOrdersView *
leap_window_get_orders_view (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->orders_view;
}

LeapCheckInView *
leap_window_get_check_in_view (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->check_in_view;
}

LeapShiftView *
leap_window_get_shift_view (LeapWindow *self)
{
  g_return_val_if_fail (LEAP_IS_WINDOW (self), NULL);
  return self->shift_view;
}
