/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-money.h"
#include "leap-error.h"

#include <string.h>

/* ISO 4217 currencies whose minor unit is not 1/100. */
static const struct { const char *code; guint exponent; } exponents[] = {
  { "BHD", 3 }, { "CLP", 0 }, { "ISK", 0 }, { "JPY", 0 }, { "JOD", 3 },
  { "KRW", 0 }, { "KWD", 3 }, { "OMR", 3 }, { "TND", 3 }, { "VND", 0 },
};

static const struct { const char *code; const char *symbol; } symbols[] = {
  { "EUR", "€" }, { "GBP", "£" }, { "USD", "$" }, { "JPY", "¥" }, { "CHF", "CHF " },
};

gboolean
leap_currency_is_valid (const char *code)
{
  if (code == NULL || strlen (code) != 3)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    if (!g_ascii_isupper (code[i]))
      return FALSE;
  return TRUE;
}

guint
leap_currency_exponent (const char *code)
{
  for (guint i = 0; code != NULL && i < G_N_ELEMENTS (exponents); i++)
    if (g_str_equal (exponents[i].code, code))
      return exponents[i].exponent;
  return 2;
}

LeapMoney
leap_money_init (gint64      amount,
                 const char *currency)
{
  LeapMoney m = { amount, "" };

  g_strlcpy (m.currency, currency ? currency : "", sizeof m.currency);
  return m;
}

gboolean
leap_money_add (LeapMoney       *sum,
                const LeapMoney *other,
                GError         **error)
{
  if (sum->currency[0] == '\0')
    memcpy (sum->currency, other->currency, sizeof sum->currency);
  else if (strcmp (sum->currency, other->currency) != 0)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_CURRENCY_MISMATCH,
                   "Cannot add %s to %s", other->currency, sum->currency);
      return FALSE;
    }
  if (__builtin_add_overflow (sum->amount, other->amount, &sum->amount))
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Amount too large");
      return FALSE;
    }
  return TRUE;
}

gboolean
leap_money_multiply (LeapMoney *money,
                     gint64     factor,
                     GError   **error)
{
  if (__builtin_mul_overflow (money->amount, factor, &money->amount))
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Amount too large");
      return FALSE;
    }
  return TRUE;
}

/* Formats for people, e.g. "€45.00" or "1,234 JPY"; never parsed back. */
char *
leap_money_format (const LeapMoney *money)
{
  guint exp = leap_currency_exponent (money->currency);
  guint64 abs_amount = money->amount < 0 ? -(guint64) money->amount : (guint64) money->amount;
  guint64 scale = 1;
  const char *symbol = NULL;
  g_autofree char *number = NULL;

  for (guint i = 0; i < exp; i++)
    scale *= 10;
  for (guint i = 0; i < G_N_ELEMENTS (symbols); i++)
    if (g_str_equal (symbols[i].code, money->currency))
      symbol = symbols[i].symbol;

  if (exp == 0)
    number = g_strdup_printf ("%" G_GUINT64_FORMAT, abs_amount);
  else
    number = g_strdup_printf ("%" G_GUINT64_FORMAT ".%0*" G_GUINT64_FORMAT,
                              abs_amount / scale, (int) exp, abs_amount % scale);

  if (symbol != NULL)
    return g_strdup_printf ("%s%s%s", money->amount < 0 ? "−" : "", symbol, number);
  return g_strdup_printf ("%s%s %s", money->amount < 0 ? "−" : "", number, money->currency);
}

/* Parses what a cashier types ("20", "20.5", "20,50") into minor units. */
gboolean
leap_money_parse (const char *text,
                  const char *currency,
                  LeapMoney  *out,
                  GError    **error)
{
  guint exp = leap_currency_exponent (currency);
  guint64 whole = 0, frac = 0;
  guint frac_digits = 0;
  const char *p = text;
  gboolean seen_sep = FALSE, seen_digit = FALSE;

  while (p != NULL && g_ascii_isspace (*p))
    p++;
  for (; p != NULL && *p != '\0' && !g_ascii_isspace (*p); p++)
    {
      if (g_ascii_isdigit (*p))
        {
          seen_digit = TRUE;
          if (!seen_sep)
            {
              if (whole > G_MAXINT64 / 100000)
                goto bad;
              whole = whole * 10 + (*p - '0');
            }
          else if (++frac_digits <= exp)
            frac = frac * 10 + (*p - '0');
          else
            goto bad;
        }
      else if ((*p == '.' || *p == ',') && !seen_sep && exp > 0)
        seen_sep = TRUE;
      else
        goto bad;
    }
  while (p != NULL && g_ascii_isspace (*p))
    p++;
  if (!seen_digit || (p != NULL && *p != '\0'))
    goto bad;
  for (; frac_digits < exp; frac_digits++)
    frac *= 10;
  {
    guint64 scale = 1;
    for (guint i = 0; i < exp; i++)
      scale *= 10;
    *out = leap_money_init ((gint64) (whole * scale + frac), currency);
  }
  return TRUE;

bad:
  g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "“%s” is not an amount of money",
               text ? text : "");
  return FALSE;
}
