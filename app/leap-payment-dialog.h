/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "leap-money.h"
#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_PAYMENT_DIALOG (leap_payment_dialog_get_type ())

G_DECLARE_FINAL_TYPE (
    LeapPaymentDialog, leap_payment_dialog, LEAP, PAYMENT_DIALOG, AdwMessageDialog)

LeapPaymentDialog *leap_payment_dialog_new               (GtkWindow         *parent,
                                                          const char        *method,
                                                          LeapMoney          total);
const char        *leap_payment_dialog_get_method        (LeapPaymentDialog *self);
gint64             leap_payment_dialog_get_tendered      (LeapPaymentDialog *self);
gint64             leap_payment_dialog_get_change        (LeapPaymentDialog *self);
const char        *leap_payment_dialog_get_customer_name (LeapPaymentDialog *self);
void               leap_payment_dialog_set_tendered_text (LeapPaymentDialog *self,
                                                          const char        *text);

void               leap_payment_dialog_set_customer_name (LeapPaymentDialog *self,
                                                          const char        *name);

G_END_DECLS
