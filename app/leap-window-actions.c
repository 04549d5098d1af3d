/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "leap-client.h"
#include "leap-error.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-order-code.h"
#include "leap-window-private.h"

/* The win.* actions of the box office window: installed in
 * _leap_window_class_actions_init() and enabled from
 * _leap_window_actions_update() only. */

/* Why a sale cannot go on now, or NULL when it can. */
const char *
_leap_window_sale_blocked_reason (LeapWindow *self)
{
  /* The cart's event, which need not be the one shown. */
  LeapEvent *event = leap_sale_get_event (self->sale);

  if (leap_client_get_connection (self->client) == LEAP_CONNECTION_OFFLINE)
    return _("Offline: selling needs the server. Events and prices still show from the "
             "offline copy.");
  if (!leap_client_get_signed_in (self->client))
    return _("Sign in to sell tickets.");
  if (!leap_client_get_can_hold (self->client))
    return _("Selling is not available: this server cannot hold tickets.");
  if (event != NULL && !g_str_equal (leap_event_get_status (event), "on_sale"))
    return _("This event is not on sale.");
  if (leap_sale_get_n_tickets (self->sale) == 0)
    return _("Choose tickets with + to start a sale.");
  return NULL;
}

/* Why the cart cannot be paid now, or NULL when it can. Paying without a
 * hold holds the cart first. */
static const char *
pay_blocked_reason (LeapWindow *self)
{
  const char *reason = _leap_window_sale_blocked_reason (self);

  if (reason != NULL)
    return reason;
  if (leap_sale_get_paying (self->sale))
    return _("Taking the payment…");
  if (leap_sale_get_holding (self->sale))
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

/* The cart says which event its tickets are for, and whether that is not
 * the event on screen. */
static void
update_cart_event (LeapWindow *self)
{
  LeapEvent *event = leap_sale_get_event (self->sale);
  LeapEvent *shown = leap_event_page_get_event (self->event_page);

  if (event == NULL || leap_sale_get_n_tickets (self->sale) == 0)
    leap_cart_view_set_event (self->cart_view, NULL, FALSE);
  else
    leap_cart_view_set_event (self->cart_view, event,
                              shown != NULL && leap_event_get_id (shown) !=
                                               leap_event_get_id (event));
}

void
_leap_window_actions_update (LeapWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean signed_in = leap_client_get_signed_in (self->client);
  gboolean paying = leap_sale_get_paying (self->sale);
  const char *hold_reason = _leap_window_sale_blocked_reason (self);
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

  gtk_widget_action_set_enabled (widget, "win.sign-in", !signed_in);
  gtk_widget_action_set_enabled (widget, "win.sign-out", signed_in);
  gtk_widget_action_set_enabled (widget, "win.hold",
                                 hold_reason == NULL && !paying &&
                                 leap_sale_get_hold_id (self->sale) == NULL &&
                                 !leap_sale_get_holding (self->sale));
  gtk_widget_action_set_enabled (widget, "win.pay-cash", reason == NULL && may_take_cash (self));
  gtk_widget_action_set_enabled (widget, "win.pay-card", reason == NULL);
  gtk_widget_action_set_enabled (widget, "win.new-sale", !paying);
  gtk_widget_action_set_enabled (widget, "win.print", TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->event_page), !paying);
  gtk_widget_set_sensitive (GTK_WIDGET (self->event_list), !paying);
  leap_cart_view_set_reason (self->cart_view, reason);
  update_cart_event (self);
}

static void
hold_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);
  const char *reason = _leap_window_sale_blocked_reason (self);

  if (reason != NULL)
    {
      leap_window_add_toast (self, reason);
      return;
    }
  leap_cart_view_set_problem_text (self->cart_view, NULL);
  leap_sale_hold (self->sale, NULL);
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
  /* What is typed next replaces the last search, also when the search
   * had the focus already (grabbing it again selects nothing). */
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

static void
new_sale_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  LeapWindow *self = LEAP_WINDOW (widget);

  /* The new sale is for the event shown; the old one's hold goes back. */
  leap_sale_set_event (self->sale, leap_event_page_get_event (self->event_page));
  leap_event_page_clear_quantities (self->event_page);
  leap_cart_view_clear (self->cart_view);
  leap_cart_view_set_hold_text (self->cart_view, NULL, FALSE);
  _leap_window_actions_update (self);
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
  leap_sale_end (self->sale);
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
  leap_sale_forget_hold (self->sale);
  leap_sale_hold (self->sale, NULL);
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

/* What the cart says once the order is paid; prints when asked to. */
static void
show_paid (LeapWindow *self,
           JsonObject *order)
{
  JsonObject *payment = json_object_has_member (order, "payment") &&
                        JSON_NODE_HOLDS_OBJECT (json_object_get_member (order, "payment"))
                        ? json_object_get_object_member (order, "payment") : NULL;
  guint n = json_object_has_member (order, "tickets") &&
            JSON_NODE_HOLDS_ARRAY (json_object_get_member (order, "tickets"))
            ? json_array_get_length (json_object_get_array_member (order, "tickets")) : 0;
  g_autofree char *order_id = leap_order_code_for_people (order);
  g_autofree char *message = NULL;
  g_autofree char *with_hint = NULL;

  if (payment != NULL && g_strcmp0 (leap_json_get_string (payment, "method", NULL), "cash") == 0)
    {
      LeapMoney change = leap_money_init (leap_json_get_int (payment, "change", 0),
                                          leap_json_get_string (order, "currency", "EUR"));
      g_autofree char *change_text = leap_format_money (&change);
      g_autofree char *first = g_strdup_printf (_("Give %s change."), change_text);

      message = g_strdup_printf (ngettext ("%s\nPaid in cash · %u ticket\nOrder %s",
                                           "%s\nPaid in cash · %u tickets\nOrder %s", n),
                                 first, n, order_id);
    }
  else
    message = g_strdup_printf (ngettext ("Paid by card · %u ticket\nOrder %s",
                                         "Paid by card · %u tickets\nOrder %s", n),
                               n, order_id);
  /* Translators: under the paid sale in the cart */
  with_hint = g_strdup_printf (_("%s\nCtrl+P prints the tickets again."), message);
  leap_cart_view_set_done_text (self->cart_view, with_hint);
  if (g_settings_get_boolean (self->settings, "print-after-sale") ||
      g_getenv ("LEAP_PRINT_TO_PDF") != NULL)
    leap_window_print_order (self, order, FALSE);
}

/* The payment did not happen: says why and what to do, and puts the hold
 * in the state that allows it. */
static char *
not_paid (LeapWindow *self,
          LeapPlaced  placed,
          GError     *error)
{
  if (placed != LEAP_PLACED_NO)
    {
      /* Taken by the server (or perhaps: it never answered), not settled
       * yet: never charge twice. */
      char *message = placed == LEAP_PLACED_YES
        ? g_strdup_printf (_("The server took the order but has not confirmed the payment "
                             "yet. It is kept on this device: find it in Orders (Alt+2) before "
                             "charging again. (%s)"), error->message)
        : g_strdup_printf (_("The server may have taken this order; it has not answered yet. "
                             "It is kept on this device: look it up in Orders (Alt+2) before "
                             "you charge again. (%s)"), error->message);

      end_sale (self);
      return message;
    }
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_EXPIRED))
    {
      leap_sale_forget_hold (self->sale);
      _leap_window_hold_expired (self);
      return g_strdup (_("The hold ran out before the payment, so nothing was charged and "
                         "the tickets went back on sale. Hold them again (Enter), then take "
                         "the payment."));
    }
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_CONFLICT))
    {
      hold_again (self);
      return g_strdup (_("The hold was no longer valid, so nothing was charged. The tickets "
                         "are being held again: take the payment once they are."));
    }
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
    {
      leap_sale_count_down (self->sale);
      return g_strdup (_("The server cannot be reached, so nothing was charged. Press Cash "
                         "(F9) or Card (F10) to try again."));
    }
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED))
    return g_strdup (_("The session has ended, so nothing was charged. Sign in again and "
                       "take the payment."));
  leap_sale_count_down (self->sale);
  return g_strdup_printf (_("The payment was not taken: %s"), error->message);
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
  g_autofree char *people = NULL;
  LeapPlaced placed = LEAP_PLACED_NO;
  const char *status;

  order = leap_sale_pay_finish (LEAP_SALE (source), result, &placed, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->client == NULL)
    return;

  if (order == NULL)
    {
      message = not_paid (self, placed, error);
      leap_cart_view_set_hold_text (self->cart_view, message, TRUE);
      add_problem_toast (self, message);
      _leap_window_actions_update (self);
      return;
    }

  status = leap_json_get_string (order, "status", "");
  people = leap_order_code_for_people (order);
  if (g_str_equal (status, "paid") || g_str_equal (status, "needs_review"))
    {
      end_sale (self);
      g_clear_pointer (&self->last_order, json_object_unref);
      self->last_order = json_object_ref (order);
      leap_orders_view_reload (self->orders_view);

      if (g_str_equal (status, "paid"))
        {
          show_paid (self, order);
          /* The cart says it; no toast to outlive the next sale. */
          _leap_window_actions_update (self);
          return;
        }
      message = g_strdup_printf (_("Order %s needs a manager: the payment went through but the "
                                   "tickets could not be confirmed. Do not charge again."),
                                 people);
      leap_cart_view_set_hold_text (self->cart_view, message, TRUE);
      add_problem_toast (self, message);
      _leap_window_actions_update (self);
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
      _leap_window_actions_update (self);
      return;
    }

  message = g_strdup_printf (_("Order %s is %s. Look at it in Orders (Alt+2)."), people, status);
  end_sale (self);
  leap_cart_view_set_hold_text (self->cart_view, message, TRUE);
  add_problem_toast (self, message);
  _leap_window_actions_update (self);
}

static void
start_payment (LeapWindow *self,
               const char *method,
               gint64      tendered,
               const char *customer_name)
{
  const char *reason = pay_blocked_reason (self);

  if (reason != NULL || leap_sale_get_hold_id (self->sale) == NULL)
    {
      leap_window_add_toast (self, reason ? reason : _("The tickets are not held any more: "
                                                       "hold them again (Enter)."));
      return;
    }

  leap_cart_view_set_hold_text (self->cart_view,
                                g_str_equal (method, "card")
                                ? _("Waiting for the card terminal…")
                                : _("Taking the payment…"), FALSE);
  leap_sale_pay_async (self->sale, method, tendered, customer_name, self->cancellable, pay_cb,
                       g_object_ref (self));
}

/* Closes the window (a dialog, or the box office) from the main loop,
 * unless it was closed already (then it is not realized any more and
 * this does nothing). */
static gboolean
close_window_cb (gpointer user_data)
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
      g_idle_add_full (G_PRIORITY_DEFAULT, close_window_cb, g_object_ref (dialog), g_object_unref);
    }
  if (!g_str_equal (response, "pay"))
    return;
  start_payment (self, leap_payment_dialog_get_method (dialog),
                 leap_payment_dialog_get_tendered (dialog),
                 leap_payment_dialog_get_customer_name (dialog));
}

void
_leap_window_open_payment_dialog (LeapWindow *self,
                                  const char *method)
{
  LeapPaymentDialog *dialog;

  if (self->payment_dialog != NULL || leap_sale_get_hold_id (self->sale) == NULL ||
      pay_blocked_reason (self) != NULL)
    return;
  dialog = leap_payment_dialog_new (GTK_WINDOW (self), method,
                                    leap_sale_get_total (self->sale));
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
  leap_cart_view_set_problem_text (self->cart_view, NULL);
  if (leap_sale_get_hold_id (self->sale) == NULL)
    {
      /* Hold first; the dialog opens once the tickets are held. */
      leap_sale_hold (self->sale, method);
      return;
    }
  _leap_window_open_payment_dialog (self, method);
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
  leap_sale_release_hold (self->sale);
  leap_cart_view_set_hold_text (self->cart_view, NULL, FALSE);
  leap_client_sign_out_async (self->client, NULL, sign_out_cb, NULL);
  leap_window_add_toast (self, _("Signed out"));
}

/* Closing (and Ctrl+Q) */

static void
released_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LeapWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Closing anyway: the server gives the tickets back when the hold runs
   * out. */
  if (!leap_client_release_hold_finish (LEAP_CLIENT (source), result, &error))
    g_message ("The held tickets were not given back: %s", error->message);
  gtk_window_close (GTK_WINDOW (self));
}

static void
close_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   LeapWindow       *self)
{
  g_autofree char *hold_id = g_strdup (leap_sale_get_hold_id (self->sale));

  if (g_str_equal (response, "cancel"))
    return;
  self->may_close = TRUE;
  /* Either way the window does not give the hold back when it goes. */
  leap_sale_forget_hold (self->sale);
  if (g_str_equal (response, "release") && hold_id != NULL)
    {
      /* The window stays until the server has the tickets back: quitting
       * first would drop the request. */
      leap_client_release_hold_async (self->client, hold_id, NULL, released_cb,
                                      g_object_ref (self));
      return;
    }
  /* Not from within the dialog's response: closing the window destroys
   * the dialog, which goes on after its handlers. */
  g_idle_add_full (G_PRIORITY_DEFAULT, close_window_cb, g_object_ref (self), g_object_unref);
}

/* With tickets held, closing the window (or quitting) first asks whether
 * they go back or stay held until the hold runs out. Returns whether it
 * asked, and the window stays open. */
gboolean
_leap_window_ask_before_close (LeapWindow *self)
{
  guint n = leap_sale_get_n_tickets (self->sale);
  AdwMessageDialog *dialog;

  if (self->may_close || leap_sale_get_hold_id (self->sale) == NULL)
    return FALSE;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Give Back the Held Tickets?"), NULL));
  adw_message_dialog_format_body (dialog,
                                  ngettext ("%u ticket is held for this cart. Release it so it "
                                            "can be sold again, or keep it held until the hold "
                                            "runs out.",
                                            "%u tickets are held for this cart. Release them so "
                                            "they can be sold again, or keep them held until the "
                                            "hold runs out.", n), n);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "keep", _("_Keep Held and Quit"),
                                    "release", _("_Release and Quit"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "release", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "release");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (close_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

void
_leap_window_class_actions_init (LeapWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

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
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "win.hold", NULL);
  gtk_widget_class_install_action (widget_class, "win.pay-cash", NULL, pay_action);
  gtk_widget_class_install_action (widget_class, "win.pay-card", NULL, pay_action);
  gtk_widget_class_install_action (widget_class, "win.print", NULL, print_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
}
