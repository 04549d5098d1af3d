/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "leap-client.h"

G_BEGIN_DECLS

#define LEAP_TYPE_REFUND_DIALOG (leap_refund_dialog_get_type ())

G_DECLARE_FINAL_TYPE (LeapRefundDialog, leap_refund_dialog, LEAP, REFUND_DIALOG,
                      AdwMessageDialog)

LeapRefundDialog *leap_refund_dialog_new              (GtkWindow        *parent,
                                                       LeapClient       *client,
                                                       JsonObject       *order);
guint             leap_refund_dialog_get_n_offered    (LeapRefundDialog *self);
gint64            leap_refund_dialog_get_amount       (LeapRefundDialog *self);
gboolean          leap_refund_dialog_get_loaded       (LeapRefundDialog *self);
gboolean          leap_refund_dialog_get_asks_approval (LeapRefundDialog *self);
void              leap_refund_dialog_set_quantity     (LeapRefundDialog *self,
                                                       gint64            tier_id,
                                                       guint             quantity);
void              leap_refund_dialog_set_approval     (LeapRefundDialog *self,
                                                       const char       *username,
                                                       const char       *password);
const char       *leap_refund_dialog_get_error        (LeapRefundDialog *self);

G_END_DECLS
