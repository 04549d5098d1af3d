/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "leap-a11y.h"
#include "leap-error.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-order-code.h"
#include "leap-kiosk-window-private.h"

/* The kiosk.* actions: choosing an event and tickets, paying by card and
 * what the customer sees afterwards, and leaving with the staff PIN. All
 * are installed in _leap_kiosk_window_class_actions_init(). */

/* A printer that never answers does not keep the kiosk from the next
 * customer for longer than this. */
#define PRINT_TIMEOUT_S  60
#define EXIT_ATTEMPTS    5
#define EXIT_LOCK_S      60
#define SHAKE_MS         500

/* Payment */

static gboolean
thanks_timeout_cb (gpointer user_data)
{
  LeapKioskWindow *self = user_data;

  self->thanks_id = 0;
  _leap_kiosk_window_reset (self);
  return G_SOURCE_REMOVE;
}

static void
start_thanks_timer (LeapKioskWindow *self)
{
  g_clear_handle_id (&self->thanks_id, g_source_remove);
  self->thanks_id = g_timeout_add_seconds (g_settings_get_uint (self->settings,
                                                                "kiosk-thank-you-seconds"),
                                           thanks_timeout_cb, self);
}

static void
print_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LeapKioskWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!leap_ticket_printer_print_finish (LEAP_TICKET_PRINTER (source), result, &error))
    {
      g_autofree char *hint = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("Kiosk: the tickets of %s were not printed: %s",
                 leap_json_get_string (self->last_order, "order_id", ""), error->message);
      hint = g_strdup_printf (_("Your tickets could not be printed. Please show order number %s "
                                "at the box office."),
                              leap_json_get_string (self->last_order, "order_id", ""));
      gtk_label_set_text (self->thanks_title, _("Thank you!"));
      gtk_label_set_text (self->thanks_hint, hint);
    }
  else
    {
      gtk_label_set_text (self->thanks_title, _("Thank you!"));
      g_autofree char *number = leap_order_code_for_people (self->last_order);
      g_autofree char *hint = g_strdup_printf (_("Please take your tickets from the printer. "
                                                 "Your order number is %s. Enjoy the show!"),
                                               number);

      gtk_label_set_text (self->thanks_hint, hint);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->thanks_icon), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->thanks_done), TRUE);
  start_thanks_timer (self);
}

static void
paid (LeapKioskWindow *self,
      JsonObject      *order)
{
  g_autoptr(LeapTicketPrinter) printer = leap_ticket_printer_new (order);

  /* The hold became the order: nothing to give back. */
  leap_sale_end (self->sale);
  _leap_kiosk_window_clear_cart (self);
  g_clear_pointer (&self->last_order, json_object_unref);
  self->last_order = json_object_ref (order);
  g_set_object (&self->last_printer, printer);

  gtk_label_set_text (self->thanks_title, _("Payment accepted"));
  gtk_label_set_text (self->thanks_hint, _("Your tickets are being printed…"));
  gtk_widget_set_visible (GTK_WIDGET (self->thanks_icon), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->thanks_done), FALSE);
  _leap_kiosk_window_show_page (self, "thanks");
  /* A printer that never answers does not keep the kiosk from the next
   * customer. */
  g_clear_handle_id (&self->thanks_id, g_source_remove);
  self->thanks_id = g_timeout_add_seconds (PRINT_TIMEOUT_S, thanks_timeout_cb, self);
  leap_ticket_printer_print_async (printer, GTK_WINDOW (self), FALSE, self->cancellable, print_cb,
                                   g_object_ref (self));
}

/* The hold is gone (declined, run out, no longer valid): hold the same
 * tickets again, as after a change of the cart. */
static void
hold_again (LeapKioskWindow *self)
{
  leap_sale_forget_hold (self->sale);
  _leap_kiosk_window_show_page (self, "tickets");
  _leap_kiosk_window_set_message (self, NULL);
  leap_sale_hold_later (self->sale);
  _leap_kiosk_window_update_tickets (self);
}

static void
pay_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(LeapKioskWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = NULL;
  LeapPlaced placed = LEAP_PLACED_NO;
  const char *status;

  order = leap_sale_pay_finish (LEAP_SALE (source), result, &placed, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  status = order ? leap_json_get_string (order, "status", "") : "";

  if (order != NULL && g_str_equal (status, "paid"))
    {
      paid (self, order);
      return;
    }

  if (order != NULL && g_str_equal (status, "failed"))
    {
      /* Declined: the tickets went back; hold them again for another try. */
      hold_again (self);
      _leap_kiosk_window_set_message (self, _("The payment did not go through and nothing was "
                                              "charged. Please try again, or use another card."));
      return;
    }

  if (order == NULL && placed == LEAP_PLACED_NO)
    {
      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        {
          _leap_kiosk_window_show_page (self, "tickets");
          _leap_kiosk_window_set_message (self, _("Nothing was charged."));
          _leap_kiosk_window_update_tickets (self);
          _leap_kiosk_window_check_server (self);
          return;
        }
      /* The hold ran out or was no longer valid: hold again. */
      hold_again (self);
      _leap_kiosk_window_set_message (self, _("Nothing was charged. Please try again."));
      return;
    }

  /* Taken (or perhaps taken), but not settled, or for a person to look
   * at: never charge twice; the customer is sent to the staff with the
   * number. */
  {
    g_autofree char *order_id = order ? g_strdup (leap_json_get_string (order, "order_id", ""))
                                      : g_strconcat ("o-", leap_sale_get_hold_id (self->sale),
                                                     NULL);
    g_autofree char *hint = NULL;

    if (order == NULL && placed == LEAP_PLACED_MAYBE)
      hint = g_strdup_printf (_("We could not confirm whether your payment went through. Please "
                                "do not pay again: ask a member of staff, and show order number "
                                "%s."), order_id);
    else
      hint = g_strdup_printf (_("Your payment is being checked. Please show order number %s at "
                                "the box office."), order_id);
    /* Not a warning: the network can do this, and staff sort it out. */
    g_message ("Kiosk: order %s is not settled: %s", order_id,
               error ? error->message : status);
    leap_sale_end (self->sale);
    _leap_kiosk_window_clear_cart (self);
    gtk_label_set_text (self->thanks_title, _("Almost done"));
    gtk_label_set_text (self->thanks_hint, hint);
    gtk_widget_set_visible (GTK_WIDGET (self->thanks_icon), FALSE);
    gtk_widget_set_visible (GTK_WIDGET (self->thanks_done), TRUE);
    _leap_kiosk_window_show_page (self, "thanks");
    start_thanks_timer (self);
  }
}

/* Actions */

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (widget);

  if (!self->available)
    {
      _leap_kiosk_window_check_server (self);
      return;
    }
  _leap_kiosk_window_rebuild_events (self);
  _leap_kiosk_window_show_page (self, "events");
  _leap_kiosk_window_sync_events (self);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (widget);

  if (_leap_kiosk_window_on_page (self, "tickets"))
    {
      _leap_kiosk_window_clear_cart (self);
      _leap_kiosk_window_show_page (self, "events");
    }
  else
    _leap_kiosk_window_reset (self);
}

static void
choose_event_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  _leap_kiosk_window_choose_event (LEAP_KIOSK_WINDOW (widget), g_variant_get_int64 (parameter));
}

static void
add_ticket_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  _leap_kiosk_window_change_ticket (LEAP_KIOSK_WINDOW (widget),
                                    g_variant_get_uint32 (parameter), 1);
}

static void
remove_ticket_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  _leap_kiosk_window_change_ticket (LEAP_KIOSK_WINDOW (widget),
                                    g_variant_get_uint32 (parameter), -1);
}

static void
pay_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (widget);
  LeapMoney money;
  g_autofree char *amount = NULL;
  g_autofree char *total = NULL;

  if (leap_sale_get_hold_id (self->sale) == NULL || leap_sale_get_paying (self->sale) ||
      leap_sale_get_event (self->sale) == NULL)
    return;
  money = leap_sale_get_total (self->sale);
  amount = leap_format_money (&money);
  /* Translators: under "Follow the instructions on the card terminal" */
  total = g_strdup_printf (_("Amount: %s"), amount);
  gtk_label_set_text (self->paying_hint, total);
  _leap_kiosk_window_set_message (self, NULL);
  leap_sale_pay_async (self->sale, "card", 0, NULL, self->cancellable, pay_cb,
                       g_object_ref (self));
  _leap_kiosk_window_show_page (self, "paying");
}

static void
done_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  _leap_kiosk_window_reset (LEAP_KIOSK_WINDOW (widget));
}

/* Leaving */

/* A PIN is kept as an Argon2id hash (libsodium's crypto_pwhash_str, with
 * its salt and costs), never the PIN itself; NULL if it cannot be made. */
char *
leap_kiosk_hash_pin (const char *pin)
{
  char hash[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (pin != NULL, NULL);

  if (sodium_init () < 0 ||
      crypto_pwhash_str (hash, pin, strlen (pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return NULL;
  return g_strdup (hash);
}

/* Slow on purpose (tens of milliseconds), against guessing. */
gboolean
leap_kiosk_pin_matches (const char *hash,
                        const char *pin)
{
  if (hash == NULL || pin == NULL || *pin == '\0' || sodium_init () < 0 ||
      !g_str_has_prefix (hash, "$argon2id$"))
    return FALSE;
  return crypto_pwhash_str_verify (hash, pin, strlen (pin)) == 0;
}

/* Checks the PIN against the setting; says why not when it does not
 * match. Argon2id at its interactive cost takes some tens of
 * milliseconds: once, when staff leave the kiosk. */
gboolean
leap_kiosk_window_check_pin (LeapKioskWindow *self,
                             const char      *pin)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), FALSE);

  if (g_get_monotonic_time () < self->exit_locked_until)
    {
      _leap_kiosk_window_set_message (self, _("Too many wrong PINs: try again in a minute."));
      return FALSE;
    }
  hash = g_settings_get_string (self->settings, "kiosk-pin-hash");
  if (*hash == '\0')
    {
      _leap_kiosk_window_set_message (self,
                                      _("Leaving the kiosk needs a staff PIN, and none is set."));
      return FALSE;
    }
  if (!leap_kiosk_pin_matches (hash, pin))
    {
      if (++self->exit_failures >= EXIT_ATTEMPTS)
        {
          self->exit_failures = 0;
          self->exit_locked_until = g_get_monotonic_time () + EXIT_LOCK_S * G_USEC_PER_SEC;
        }
      _leap_kiosk_window_set_message (self, _("Wrong PIN."));
      return FALSE;
    }
  self->exit_failures = 0;
  return TRUE;
}

/* Lets go of the PIN dialog, which is on its way out. */
static void
forget_exit_dialog (LeapKioskWindow *self)
{
  g_clear_handle_id (&self->shake_id, g_source_remove);
  if (self->exit_dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->exit_dialog), (gpointer *) &self->exit_dialog);
  self->exit_dialog = NULL;
  if (self->exit_entry != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->exit_entry), (gpointer *) &self->exit_entry);
  self->exit_entry = NULL;
}

static gboolean
shaken_cb (gpointer user_data)
{
  LeapKioskWindow *self = user_data;

  self->shake_id = 0;
  if (self->exit_entry != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self->exit_entry), "shake");
  return G_SOURCE_REMOVE;
}

/* A wrong PIN: the dialog stays, says so, and its field shakes and
 * clears for the next try. */
static void
refuse_pin (LeapKioskWindow  *self,
            AdwMessageDialog *dialog)
{
  GtkWidget *entry = GTK_WIDGET (self->exit_entry);

  adw_message_dialog_set_body (dialog, self->message);
  gtk_widget_add_css_class (GTK_WIDGET (dialog), "kiosk-refused");
  gtk_editable_set_text (self->exit_entry, "");
  /* The class comes off when the shake is over, so the next one shakes. */
  g_clear_handle_id (&self->shake_id, g_source_remove);
  gtk_widget_remove_css_class (entry, "shake");
  gtk_widget_add_css_class (entry, "shake");
  self->shake_id = g_timeout_add (SHAKE_MS, shaken_cb, self);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
exit_response_cb (LeapKioskWindow  *self,
                  const char       *response,
                  AdwMessageDialog *dialog)
{
  g_autofree char *pin = NULL;

  self->last_input = g_get_monotonic_time ();
  if (g_strcmp0 (response, "leave") == 0 && self->exit_entry != NULL)
    pin = g_strdup (gtk_editable_get_text (self->exit_entry));
  if (pin != NULL && !leap_kiosk_window_check_pin (self, pin))
    {
      g_message ("Kiosk: leaving refused: %s", self->message);
      refuse_pin (self, dialog);
      return;
    }
  forget_exit_dialog (self);
  if (pin == NULL)
    {
      gtk_window_destroy (GTK_WINDOW (dialog));
      return;
    }
  g_message ("Kiosk: left with the staff PIN");
  self->left = TRUE;
  leap_sale_release_hold (self->sale);
  /* The dialog is still being answered and goes after this window; it
   * would then let go of its parent (a freed window) on its way out.
   * It lets go now, while the window is there. */
  gtk_window_set_transient_for (GTK_WINDOW (dialog), NULL);
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_close (GTK_WINDOW (self));
}

static void
pin_activated_cb (GtkEntry         *entry,
                  AdwMessageDialog *dialog)
{
  adw_message_dialog_response (dialog, "leave");
}

static void
exit_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (widget);
  g_autofree char *hash = g_settings_get_string (self->settings, "kiosk-pin-hash");
  AdwMessageDialog *dialog;

  if (self->exit_dialog != NULL || leap_sale_get_paying (self->sale))
    return;
  _leap_kiosk_window_close_still_there (self);
  if (*hash == '\0')
    {
      _leap_kiosk_window_set_message (self,
                                      _("Leaving the kiosk needs a staff PIN, and none is set."));
      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Staff Only"),
                                                            _("Leaving the kiosk needs a staff "
                                                              "PIN, and none is set. An "
                                                              "administrator sets one in the "
                                                              "kiosk-pin-hash setting.")));
      adw_message_dialog_add_response (dialog, "close", _("Close"));
    }
  else
    {
      GtkWidget *entry = gtk_entry_new ();

      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Staff Only"),
                                                            _("Enter the staff PIN to leave the "
                                                              "kiosk.")));
      gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
      gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PIN);
      gtk_widget_add_css_class (entry, "kiosk-pin");
      /* A field with no label of its own: named for a screen reader. */
      gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Kiosk staff PIN"), -1);
      adw_message_dialog_set_extra_child (dialog, entry);
      /* Answered with a wrong PIN, it hides (AdwMessageDialog closes on
       * any response) and comes back saying so. */
      gtk_window_set_hide_on_close (GTK_WINDOW (dialog), TRUE);
      adw_message_dialog_add_responses (dialog, "cancel", _("Cancel"), "leave", _("Leave"), NULL);
      adw_message_dialog_set_response_appearance (dialog, "leave", ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (dialog, "leave");
      adw_message_dialog_set_close_response (dialog, "cancel");
      /* Enter answers "leave" itself: after a wrong PIN the dialog was
       * hidden and shown again, and no longer has its default button. */
      g_signal_connect_object (entry, "activate", G_CALLBACK (pin_activated_cb), dialog, 0);
      self->exit_entry = GTK_EDITABLE (entry);
      g_object_add_weak_pointer (G_OBJECT (entry), (gpointer *) &self->exit_entry);
    }
  g_signal_connect_object (dialog, "response", G_CALLBACK (exit_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_css_class (GTK_WIDGET (dialog), "kiosk-dialog");
  leap_a11y_name_mnemonic_buttons (GTK_WIDGET (dialog));
  self->exit_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->exit_dialog);
  self->last_input = g_get_monotonic_time ();
  gtk_window_present (GTK_WINDOW (dialog));
  if (self->exit_entry != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->exit_entry));
}

void
_leap_kiosk_window_class_actions_init (LeapKioskWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "kiosk.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "kiosk.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "kiosk.choose-event", "x", choose_event_action);
  gtk_widget_class_install_action (widget_class, "kiosk.add-ticket", "u", add_ticket_action);
  gtk_widget_class_install_action (widget_class, "kiosk.remove-ticket", "u", remove_ticket_action);
  gtk_widget_class_install_action (widget_class, "kiosk.pay", NULL, pay_action);
  gtk_widget_class_install_action (widget_class, "kiosk.done", NULL, done_action);
  gtk_widget_class_install_action (widget_class, "kiosk.exit", NULL, exit_action);
  gtk_widget_class_install_property_action (widget_class, "kiosk.language", "language");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_q, GDK_CONTROL_MASK | GDK_ALT_MASK,
                                       "kiosk.exit", NULL);
}
