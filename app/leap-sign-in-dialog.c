/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-a11y.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-sign-in-dialog.h"

/* Asks for server, user name and password and signs the client in. It
 * reports success with ::signed-in and closes; failures stay in the dialog
 * in words a cashier understands, so they can correct and try again. */
struct _LeapSignInDialog
{
  AdwWindow parent_instance;

  /* Template widgets */
  AdwEntryRow  *server_row;
  AdwEntryRow  *user_row;
  AdwEntryRow  *password_row;
  GtkLabel     *error_label;
  GtkButton    *sign_in_button;
  GtkStack     *button_stack;

  /* Owned */
  LeapClient   *client;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (LeapSignInDialog, leap_sign_in_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

enum {
  SIGNED_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
set_busy (LeapSignInDialog *self,
          gboolean          busy)
{
  gtk_stack_set_visible_child_name (self->button_stack, busy ? "spinner" : "label");
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), !busy);
  /* Read-only, not insensitive: the field that has the focus (Enter in
   * the password) keeps it. An insensitive text field loses the focus
   * without being told, and GTK warns ("did not receive a focus-out
   * event"). */
  gtk_editable_set_editable (GTK_EDITABLE (self->server_row), !busy);
  gtk_editable_set_editable (GTK_EDITABLE (self->user_row), !busy);
  gtk_editable_set_editable (GTK_EDITABLE (self->password_row), !busy);
}

static void
show_error (LeapSignInDialog *self,
            const char       *message)
{
  gtk_label_set_label (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
}

static void
sign_in_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(LeapSignInDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (leap_client_sign_in_finish (LEAP_CLIENT (source), result, &error))
    {
      g_signal_emit (self, signals[SIGNED_IN], 0);
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED))
    message = g_strdup (_("The user name or the password is wrong."));
  else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
    message = g_strdup_printf (_("The server cannot be reached. Check its address and the "
                                 "network. (%s)"), error->message);
  else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_RATE_LIMITED))
    message = g_strdup (_("Too many attempts. Wait a minute, then try again."));
  else
    message = g_strdup (error->message);
  show_error (self, message);
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
sign_in_clicked_cb (LeapSignInDialog *self)
{
  const char *server = gtk_editable_get_text (GTK_EDITABLE (self->server_row));
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->user_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (user[0] == '\0')
    {
      show_error (self, _("Enter your user name."));
      gtk_widget_grab_focus (GTK_WIDGET (self->user_row));
      return;
    }
  if (password[0] == '\0')
    {
      show_error (self, _("Enter your password."));
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  set_busy (self, TRUE);
  leap_client_set_base_url (self->client, server);
  leap_client_sign_in_async (self->client, user, password, self->cancellable, sign_in_cb,
                             g_object_ref (self));
}

static void
entry_activated_cb (LeapSignInDialog *self,
                    AdwEntryRow      *row)
{
  if (row == self->server_row)
    gtk_widget_grab_focus (GTK_WIDGET (self->user_row));
  else if (row == self->user_row)
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
  else
    sign_in_clicked_cb (self);
}

static void
leap_sign_in_dialog_dispose (GObject *object)
{
  LeapSignInDialog *self = (LeapSignInDialog *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_SIGN_IN_DIALOG);

  G_OBJECT_CLASS (leap_sign_in_dialog_parent_class)->dispose (object);
}

static void
leap_sign_in_dialog_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  LeapSignInDialog *self = LEAP_SIGN_IN_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_sign_in_dialog_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  LeapSignInDialog *self = LEAP_SIGN_IN_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_sign_in_dialog_class_init (LeapSignInDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leap_sign_in_dialog_dispose;
  object_class->get_property = leap_sign_in_dialog_get_property;
  object_class->set_property = leap_sign_in_dialog_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LEAP_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNED_IN] = g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-sign-in-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapSignInDialog, server_row);
  gtk_widget_class_bind_template_child (widget_class, LeapSignInDialog, user_row);
  gtk_widget_class_bind_template_child (widget_class, LeapSignInDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, LeapSignInDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, LeapSignInDialog, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, LeapSignInDialog, button_stack);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
leap_sign_in_dialog_init (LeapSignInDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  leap_a11y_name_icon_buttons (GTK_WIDGET (self->password_row));
  leap_a11y_name_mnemonic_buttons (GTK_WIDGET (self));
}

LeapSignInDialog *
leap_sign_in_dialog_new (GtkWindow  *parent,
                         LeapClient *client,
                         const char *username)
{
  LeapSignInDialog *self;

  g_return_val_if_fail (LEAP_IS_CLIENT (client), NULL);

  self = g_object_new (LEAP_TYPE_SIGN_IN_DIALOG,
                       "transient-for", parent,
                       "client", client,
                       NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), leap_client_get_base_url (client));
  gtk_editable_set_text (GTK_EDITABLE (self->user_row), username ? username : "");
  gtk_widget_grab_focus (
      GTK_WIDGET (username && username[0] ? self->password_row : self->user_row));
  return self;
}
