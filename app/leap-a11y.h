/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void leap_a11y_name_mnemonic_buttons (GtkWidget  *root);
void leap_a11y_name_icon_buttons     (GtkWidget  *widget);
void leap_a11y_follow_high_contrast  (GtkWidget  *window);
void leap_a11y_show_stack_page       (GtkStack   *stack,
                                      const char *name);

G_END_DECLS
