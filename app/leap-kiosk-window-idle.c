/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-a11y.h"
#include "leap-kiosk-window-private.h"

/* The customer who walks away: any input restarts the idle time; once it
 * is over, the kiosk asks whether they are still there and, without an
 * answer, starts over (which gives the tickets back). Staff who opened
 * the PIN dialog and walked away are treated alike. */

void
_leap_kiosk_window_close_still_there (LeapKioskWindow *self)
{
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (self->still_there != NULL)
    gtk_window_destroy (GTK_WINDOW (self->still_there));
}

static void
update_countdown (LeapKioskWindow *self)
{
  g_autofree char *body = NULL;

  if (self->still_there == NULL)
    return;
  body = g_strdup_printf (ngettext ("Starting over in %u second.",
                                    "Starting over in %u seconds.", self->countdown_left),
                          self->countdown_left);
  adw_message_dialog_set_body (self->still_there, body);
}

static gboolean
countdown_cb (gpointer user_data)
{
  LeapKioskWindow *self = user_data;

  if (self->countdown_left > 1)
    {
      self->countdown_left--;
      update_countdown (self);
      return G_SOURCE_CONTINUE;
    }
  self->countdown_id = 0;
  _leap_kiosk_window_reset (self);
  return G_SOURCE_REMOVE;
}

static void
still_there_response_cb (LeapKioskWindow *self,
                         const char      *response)
{
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (self->still_there != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->still_there), (gpointer *) &self->still_there);
      self->still_there = NULL;
    }
  self->last_input = g_get_monotonic_time ();
  if (g_strcmp0 (response, "restart") == 0)
    _leap_kiosk_window_reset (self);
}

static void
ask_still_there (LeapKioskWindow *self)
{
  guint idle = g_settings_get_uint (self->settings, "kiosk-idle-timeout");
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                        _("Are you still there?"), NULL));
  adw_message_dialog_add_responses (dialog,
                                    "restart", _("Start Over"),
                                    "continue", _("I’m Still Here"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "continue", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "continue");
  adw_message_dialog_set_close_response (dialog, "continue");
  gtk_widget_add_css_class (GTK_WIDGET (dialog), "kiosk-dialog");
  leap_a11y_name_mnemonic_buttons (GTK_WIDGET (dialog));
  self->still_there = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->still_there);
  g_signal_connect_object (dialog, "response", G_CALLBACK (still_there_response_cb), self,
                           G_CONNECT_SWAPPED);
  /* A quarter of the idle time, between 1 and 15 seconds. */
  self->countdown_left = CLAMP (idle / 4, 1, 15);
  update_countdown (self);
  self->countdown_id = g_timeout_add_seconds (1, countdown_cb, self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
idle_tick_cb (gpointer user_data)
{
  LeapKioskWindow *self = user_data;
  gint64 idle_us = (gint64) g_settings_get_uint (self->settings, "kiosk-idle-timeout") *
                   G_USEC_PER_SEC;

  /* Staff who opened the PIN dialog and walked away. */
  if (self->exit_dialog != NULL)
    {
      if (g_get_monotonic_time () - self->last_input >= idle_us)
        {
          AdwMessageDialog *dialog = self->exit_dialog;

          g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->exit_dialog);
          self->exit_dialog = NULL;
          gtk_window_destroy (GTK_WINDOW (dialog));
          _leap_kiosk_window_reset (self);
        }
      return G_SOURCE_CONTINUE;
    }
  if (self->still_there != NULL || leap_sale_get_paying (self->sale) ||
      !(_leap_kiosk_window_on_page (self, "events") ||
        _leap_kiosk_window_on_page (self, "tickets")))
    return G_SOURCE_CONTINUE;
  if (g_get_monotonic_time () - self->last_input >= idle_us)
    ask_still_there (self);
  return G_SOURCE_CONTINUE;
}

static void
input_cb (LeapKioskWindow *self)
{
  self->last_input = g_get_monotonic_time ();
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                LeapKioskWindow       *self)
{
  input_cb (self);
  return GDK_EVENT_PROPAGATE;
}

/* Watches the input and the idle time; from leap_kiosk_window_init(). */
void
_leap_kiosk_window_watch_idle (LeapKioskWindow *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;

  /* Any input restarts the idle time, before the widgets see it. */
  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
  controller = gtk_event_controller_motion_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "motion", G_CALLBACK (input_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
  gesture = gtk_gesture_click_new ();
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (gesture), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (gesture, "pressed", G_CALLBACK (input_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "scroll-begin", G_CALLBACK (input_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
  self->idle_tick_id = g_timeout_add (250, idle_tick_cb, self);
}
