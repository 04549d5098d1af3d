/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-a11y.h"
#include "leap-application.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-format.h"
#include "leap-sign-in-dialog.h"
#include "leap-tier-tile.h"
#include "leap-window-private.h"

/* The struct and the layout are described in leap-window-private.h. Here:
 * the header's status, the choice of event, what the cart says about the
 * sale's hold, and the window itself; the actions are in
 * leap-window-actions.c. */

G_DEFINE_FINAL_TYPE (LeapWindow, leap_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_CACHE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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

static void
state_changed_cb (LeapWindow *self)
{
  update_status (self);
  _leap_window_actions_update (self);
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

  /* The cart is never dropped by looking at another event: it stays with
   * its event (and its hold) until the cashier says otherwise. An empty
   * cart becomes the new event's. */
  if (leap_sale_get_n_tickets (self->sale) == 0 && !leap_sale_get_paying (self->sale))
    {
      leap_sale_set_event (self->sale, event);
      leap_cart_view_set_hold_text (self->cart_view, NULL, FALSE);
    }
  leap_event_page_set_event (self->event_page, event);
  _leap_window_actions_update (self);
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

/* The sale's hold, as the cart and the tiles show it */

static void
hold_id_changed_cb (LeapWindow *self)
{
  gboolean held = leap_sale_get_hold_id (self->sale) != NULL;
  guint n = leap_event_page_get_n_tiles (self->event_page);

  for (guint i = 0; i < n; i++)
    {
      LeapTierTile *tile = leap_event_page_get_tile (self->event_page, i);
      guint quantity = held ? leap_sale_get_quantity (self->sale,
                                                      leap_tier_tile_get_tier (tile)) : 0;

      leap_tier_tile_set_held (tile, quantity);
    }
  _leap_window_actions_update (self);
}

static void
holding_changed_cb (LeapWindow *self)
{
  if (leap_sale_get_holding (self->sale))
    leap_cart_view_set_hold_text (self->cart_view, _("Holding the tickets…"), FALSE);
  _leap_window_actions_update (self);
}

static void
seconds_left_cb (LeapWindow *self)
{
  g_autofree char *text = leap_format_hold_left (leap_sale_get_seconds_left (self->sale));

  leap_cart_view_set_hold_text (self->cart_view, text, FALSE);
}

/* The hold ran out (or the server says so when paying). */
void
_leap_window_hold_expired (LeapWindow *self)
{
  /* Nothing left to pay for: the dialog goes with the hold. */
  if (self->payment_dialog != NULL)
    {
      LeapPaymentDialog *dialog = self->payment_dialog;

      g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->payment_dialog);
      self->payment_dialog = NULL;
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
  leap_cart_view_set_hold_text (self->cart_view,
                                _("The hold ran out and the tickets went back on sale. "
                                  "Press Hold Tickets (Enter) to hold them again."), TRUE);
  leap_event_page_refresh (self->event_page);
  _leap_window_actions_update (self);
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
hold_failed_cb (LeapWindow *self,
                GError     *error)
{
  g_autofree char *message = NULL;

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
  _leap_window_actions_update (self);
}

static void
held_cb (LeapWindow *self,
         const char *pay_method)
{
  guint n = leap_sale_get_n_tickets (self->sale);
  g_autofree char *message = NULL;

  /* Pay was pressed before there was a hold: go on with it now. */
  if (pay_method != NULL)
    {
      _leap_window_open_payment_dialog (self, pay_method);
      return;
    }
  message = g_strdup_printf (ngettext ("%u ticket held", "%u tickets held", n), n);
  leap_window_add_toast (self, message);
}

static gboolean
may_hold_cb (LeapWindow *self)
{
  return _leap_window_sale_blocked_reason (self) == NULL;
}

static void
set_quantity (LeapWindow *self,
              LeapTier   *tier,
              guint       quantity)
{
  leap_cart_view_set_quantity (self->cart_view, tier, quantity);
  /* The hold no longer matches the cart: the sale gives it back and, when
   * there was one, holds the new cart once the cashier pauses. */
  leap_sale_set_quantity (self->sale, tier, quantity);
  leap_cart_view_set_hold_text (self->cart_view,
                                leap_sale_get_hold_pending (self->sale)
                                ? _("Holding the changed cart…") : NULL, FALSE);
  leap_cart_view_set_problem_text (self->cart_view, NULL);
  _leap_window_actions_update (self);
}

static void
new_sale_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      LeapWindow       *self)
{
  LeapTier *tier = g_object_get_data (G_OBJECT (dialog), "leap-tier");
  LeapEvent *shown = leap_event_page_get_event (self->event_page);
  LeapTierTile *tile = leap_event_page_find_tile (self->event_page, tier);

  /* The page went on to another event meanwhile: nothing to add. */
  if (tile == NULL || shown == NULL)
    return;
  if (!g_str_equal (response, "new"))
    {
      leap_tier_tile_set_quantity (tile, 0);
      return;
    }
  leap_sale_set_event (self->sale, shown);
  leap_cart_view_clear (self->cart_view);
  set_quantity (self, tier, leap_tier_tile_get_quantity (tile));
}

/* Tickets of another event while the cart has some: one sale is for one
 * event, so the cashier says whether the cart is given up. */
static void
ask_new_sale (LeapWindow *self,
              LeapTier   *tier)
{
  LeapEvent *current = leap_sale_get_event (self->sale);
  LeapEvent *shown = leap_event_page_get_event (self->event_page);
  guint n = leap_sale_get_n_tickets (self->sale);
  g_autofree char *when = leap_format_event_when (current);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Start a New Sale?"), NULL));
  adw_message_dialog_format_body (dialog,
                                  ngettext ("The cart has %u ticket for %s (%s). A sale is for "
                                            "one event: keep that sale, or give its tickets "
                                            "back and start a new sale for %s.",
                                            "The cart has %u tickets for %s (%s). A sale is for "
                                            "one event: keep that sale, or give its tickets "
                                            "back and start a new sale for %s.", n),
                                  n, leap_event_get_name (current), when,
                                  leap_event_get_name (shown));
  adw_message_dialog_add_responses (dialog,
                                    "keep", _("_Keep the Current Sale"),
                                    "new", _("_Release and Start a New Sale"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "new", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "keep");
  adw_message_dialog_set_close_response (dialog, "keep");
  g_object_set_data_full (G_OBJECT (dialog), "leap-tier", g_object_ref (tier), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (new_sale_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
quantity_changed_cb (LeapWindow *self,
                     LeapTier   *tier,
                     guint       quantity)
{
  LeapEvent *shown = leap_event_page_get_event (self->event_page);
  LeapEvent *current = leap_sale_get_event (self->sale);

  if (leap_cart_view_get_quantity (self->cart_view, tier) == quantity || shown == NULL)
    return;
  if (current == NULL || leap_event_get_id (current) != leap_event_get_id (shown))
    {
      if (leap_sale_get_n_tickets (self->sale) > 0)
        {
          ask_new_sale (self, tier);
          return;
        }
      leap_sale_set_event (self->sale, shown);
    }
  set_quantity (self, tier, quantity);
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

/* Down from the search goes to the events, not to the date filter. */
static gboolean
search_key_cb (LeapWindow      *self,
               guint            keyval,
               guint            keycode,
               GdkModifierType  state)
{
  if ((keyval != GDK_KEY_Down && keyval != GDK_KEY_KP_Down) ||
      (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)))
    return FALSE;
  search_activate_cb (self);
  return TRUE;
}

/* Enter and Ctrl+Enter hold the cart wherever the focus is among the
 * tiers: a + that kept the focus, or the flow box, would take Enter for
 * itself and sell one more. */
static gboolean
sell_key_cb (LeapWindow      *self,
             guint            keyval,
             guint            keycode,
             GdkModifierType  state)
{
  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return FALSE;
  if (state & (GDK_ALT_MASK | GDK_SHIFT_MASK))
    return FALSE;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.hold", NULL);
  return TRUE;
}

static void
search_stop_cb (LeapWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
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

static gboolean
leap_window_close_request (GtkWindow *window)
{
  LeapWindow *self = LEAP_WINDOW (window);
  int width, height;

  if (_leap_window_ask_before_close (self))
    return TRUE;
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

  /* First: the widgets below may report a choice of event at once. */
  self->sale = leap_sale_new (self->client, self->cache);
  g_signal_connect_object (self->sale, "notify::hold-pending",
                           G_CALLBACK (_leap_window_actions_update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "notify::paying", G_CALLBACK (_leap_window_actions_update),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "notify::hold-id", G_CALLBACK (hold_id_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "notify::holding", G_CALLBACK (holding_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "notify::seconds-left", G_CALLBACK (seconds_left_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "may-hold", G_CALLBACK (may_hold_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "held", G_CALLBACK (held_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "hold-failed", G_CALLBACK (hold_failed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "hold-expired", G_CALLBACK (_leap_window_hold_expired),
                           self, G_CONNECT_SWAPPED);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_settings_bind (self->settings, "date-filter", self->event_list, "date-filter",
                   G_SETTINGS_BIND_DEFAULT);

  leap_event_list_set_model (self->event_list, leap_offline_cache_get_events (self->cache));
  leap_event_page_set_cache (self->event_page, self->cache);
  leap_event_page_set_sale (self->event_page, self->sale);
  leap_event_page_set_client (self->event_page, self->client);
  leap_orders_view_set_backend (self->orders_view, self->client, self->cache);
  leap_check_in_view_set_client (self->check_in_view, self->client);
  leap_check_in_view_set_events (self->check_in_view, leap_offline_cache_get_events (self->cache));
  leap_shift_view_set_cache (self->shift_view, self->cache);
  leap_shift_view_set_client (self->shift_view, self->client);

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
  if (self->sale != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sale, self);
      leap_sale_release_hold (self->sale);
      g_clear_object (&self->sale);
    }
  if (self->payment_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->payment_dialog));
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_WINDOW);
  g_clear_object (&self->last_printer);
  g_clear_pointer (&self->last_order, json_object_unref);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (leap_window_parent_class)->dispose (object);
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

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/leapboxoffice/BoxOffice/"
                                                             "ui/leap-window.ui");
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

  _leap_window_class_actions_init (klass);
}

static void
add_key_controller (LeapWindow *self,
                    GtkWidget  *widget,
                    GCallback   callback)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", callback, self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (widget, keys);
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
  add_key_controller (self, GTK_WIDGET (self->search_entry), G_CALLBACK (search_key_cb));
  add_key_controller (self, GTK_WIDGET (self->event_page), G_CALLBACK (sell_key_cb));
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
  return leap_sale_get_hold_id (self->sale);
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
  return leap_sale_get_paying (self->sale);
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
