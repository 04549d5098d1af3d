/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_SIGN_IN_DIALOG (leap_sign_in_dialog_get_type ())

G_DECLARE_FINAL_TYPE (LeapSignInDialog, leap_sign_in_dialog, LEAP, SIGN_IN_DIALOG, AdwWindow)

LeapSignInDialog *leap_sign_in_dialog_new (GtkWindow  *parent,
                                           LeapClient *client,
                                           const char *username);

G_END_DECLS
