/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Money is an amount in the currency's minor units (cents) with an ISO 4217
 * code. It is never a floating-point number. */
typedef struct
{
  gint64 amount;
  char   currency[4];
} LeapMoney;

gboolean  leap_currency_is_valid      (const char      *code);
guint     leap_currency_exponent      (const char      *code);
LeapMoney leap_money_init             (gint64           amount,
                                       const char      *currency);
gboolean  leap_money_add              (LeapMoney       *sum,
                                       const LeapMoney *other,
                                       GError         **error);
gboolean  leap_money_multiply         (LeapMoney       *money,
                                       gint64           factor,
                                       GError         **error);
char     *leap_money_format           (const LeapMoney *money);
gboolean  leap_money_parse            (const char      *text,
                                       const char      *currency,
                                       LeapMoney       *out,
                                       GError         **error);

G_END_DECLS
