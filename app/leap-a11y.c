/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <adwaita.h>

#include "leap-a11y.h"

/* What GTK 4.8 and libadwaita 1.2 do not yet do for a screen reader or
 * for high contrast, done once for every window and dialog. */

/* GTK 4.8 names a button with a mnemonic twice over AT-SPI: its label
 * property, underline and all ("_Clear"), then the label it is labelled
 * by ("Clear"). Without the property the name is the label's text. Call
 * it on a window or dialog once its buttons have their labels. */
void
leap_a11y_name_mnemonic_buttons (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) && gtk_button_get_use_underline (GTK_BUTTON (child)) &&
          gtk_button_get_label (GTK_BUTTON (child)) != NULL)
        gtk_accessible_reset_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL);
      leap_a11y_name_mnemonic_buttons (child);
    }
}

static void
high_contrast_cb (AdwStyleManager *manager,
                  GParamSpec      *pspec,
                  GtkWidget       *window)
{
  if (adw_style_manager_get_high_contrast (manager))
    gtk_widget_add_css_class (window, "high-contrast");
  else
    gtk_widget_remove_css_class (window, "high-contrast");
}

/* GTK 4.8 has no prefers-contrast media query: the window carries the
 * class "high-contrast" while the system asks for it (libadwaita's
 * setting), so that style.css can make its own colours stronger. */
void
leap_a11y_follow_high_contrast (GtkWidget *window)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();

  g_signal_connect_object (manager, "notify::high-contrast", G_CALLBACK (high_contrast_cb), window,
                           0);
  high_contrast_cb (manager, NULL, window);
}

/* Shows the page @name of @stack. GTK 4.8 exports the pages that are not
 * shown over AT-SPI as well: hidden, a screen reader does not offer their
 * buttons. */
void
leap_a11y_show_stack_page (GtkStack   *stack,
                           const char *name)
{
  GtkWidget *shown;

  gtk_stack_set_visible_child_name (stack, name);
  shown = gtk_stack_get_child_by_name (stack, name);
  for (GtkWidget *page = gtk_widget_get_first_child (GTK_WIDGET (stack)); page != NULL;
       page = gtk_widget_get_next_sibling (page))
    gtk_accessible_update_state (GTK_ACCESSIBLE (page), GTK_ACCESSIBLE_STATE_HIDDEN, page != shown,
                                 -1);
}

/* libadwaita 1.2 names the show-password button of a password row only
 * with a tooltip, which GTK 4.8 exports as the description: the name a
 * screen reader announces is empty. Give such buttons their tooltip as
 * the name too. */
void
leap_a11y_name_icon_buttons (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *tooltip = gtk_widget_get_tooltip_text (child);

      if (GTK_IS_BUTTON (child) && gtk_button_get_label (GTK_BUTTON (child)) == NULL &&
          tooltip != NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        tooltip, -1);
      leap_a11y_name_icon_buttons (child);
    }
}
