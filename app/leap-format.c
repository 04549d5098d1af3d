/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-format.h"

#include <string.h>

/* A show that starts from this hour (at its venue) is "tonight". */
#define TONIGHT_FROM_HOUR 17

/* The names in dates come from the translations, not from LC_TIME, so a
 * German window never shows "Saturday" because LC_TIME is C.UTF-8. */
static const char *const weekdays[] = {
  NC_("weekday", "Monday"), NC_("weekday", "Tuesday"), NC_("weekday", "Wednesday"),
  NC_("weekday", "Thursday"), NC_("weekday", "Friday"), NC_("weekday", "Saturday"),
  NC_("weekday", "Sunday"),
};
static const char *const weekdays_abbr[] = {
  NC_("weekday abbreviation", "Mon"), NC_("weekday abbreviation", "Tue"),
  NC_("weekday abbreviation", "Wed"), NC_("weekday abbreviation", "Thu"),
  NC_("weekday abbreviation", "Fri"), NC_("weekday abbreviation", "Sat"),
  NC_("weekday abbreviation", "Sun"),
};
static const char *const months[] = {
  NC_("month", "January"), NC_("month", "February"), NC_("month", "March"),
  NC_("month", "April"), NC_("month", "May"), NC_("month", "June"), NC_("month", "July"),
  NC_("month", "August"), NC_("month", "September"), NC_("month", "October"),
  NC_("month", "November"), NC_("month", "December"),
};
static const char *const months_abbr[] = {
  NC_("month abbreviation", "Jan"), NC_("month abbreviation", "Feb"),
  NC_("month abbreviation", "Mar"), NC_("month abbreviation", "Apr"),
  NC_("month abbreviation", "May"), NC_("month abbreviation", "Jun"),
  NC_("month abbreviation", "Jul"), NC_("month abbreviation", "Aug"),
  NC_("month abbreviation", "Sep"), NC_("month abbreviation", "Oct"),
  NC_("month abbreviation", "Nov"), NC_("month abbreviation", "Dec"),
};

/* Like g_date_time_format(), but %a, %A, %b and %B are the translated
 * names. @format is itself translated by the caller, so that each
 * language orders the parts its own way ("Sa., 5. Dezember"). */
char *
leap_format_date_time (GDateTime  *date_time,
                       const char *format)
{
  GString *expanded = g_string_new (NULL);
  int weekday = g_date_time_get_day_of_week (date_time) - 1;
  int month = g_date_time_get_month (date_time) - 1;
  char *text;

  for (const char *p = format; *p != '\0'; p++)
    {
      const char *name = NULL;
      const char *context = NULL;

      if (p[0] != '%' || p[1] == '\0')
        {
          g_string_append_c (expanded, *p);
          continue;
        }
      switch (p[1])
        {
        case 'A': context = "weekday"; name = weekdays[weekday]; break;
        case 'a': context = "weekday abbreviation"; name = weekdays_abbr[weekday]; break;
        case 'B': context = "month"; name = months[month]; break;
        case 'b': context = "month abbreviation"; name = months_abbr[month]; break;
        default: break;
        }
      if (name == NULL)
        {
          /* Any other conversion is g_date_time_format()'s, %% included. */
          g_string_append_len (expanded, p, 2);
          p++;
          continue;
        }
      /* The default domain (ours, as for C_()), not GETTEXT_PACKAGE by
       * name: GLib decides once per process whether a named domain is
       * translated at all, and a kiosk that started in English then
       * kept "Monday" in a German date after its customer chose German. */
      for (const char *c = g_dpgettext2 (NULL, context, name); *c != '\0'; c++)
        {
          if (*c == '%')
            g_string_append_c (expanded, '%');
          g_string_append_c (expanded, *c);
        }
      p++;
    }
  text = g_date_time_format (date_time, expanded->str);
  g_string_free (expanded, TRUE);
  return text != NULL ? text : g_strdup ("");
}

/* An amount as the language of the window writes it: "€45.00" in
 * English, "45,00 €" in German and French. The symbol's place and the
 * decimal separator are the translators' choice. */
char *
leap_format_money (const LeapMoney *money)
{
  guint exp = leap_currency_exponent (money->currency);
  guint64 abs_amount = money->amount < 0 ? -(guint64) money->amount : (guint64) money->amount;
  guint64 scale = 1;
  const char *symbol = NULL;
  const char *sign = money->amount < 0 ? "−" : "";
  g_autofree char *number = NULL;
  g_autofree char *code = NULL;

  for (guint i = 0; i < exp; i++)
    scale *= 10;
  if (g_strcmp0 (money->currency, "EUR") == 0)
    symbol = "€";
  else if (g_strcmp0 (money->currency, "GBP") == 0)
    symbol = "£";
  else if (g_strcmp0 (money->currency, "USD") == 0)
    symbol = "$";
  else if (g_strcmp0 (money->currency, "JPY") == 0)
    symbol = "¥";

  if (exp == 0)
    number = g_strdup_printf ("%" G_GUINT64_FORMAT, abs_amount);
  else
    /* Translators: the decimal separator in amounts of money, "." or ",". */
    number = g_strdup_printf ("%" G_GUINT64_FORMAT "%s%0*" G_GUINT64_FORMAT, abs_amount / scale,
                              C_("decimal separator", "."), (int) exp, abs_amount % scale);

  if (symbol != NULL)
    /* Translators: an amount of money; %1$s is the currency symbol (€),
     * %2$s the number (45.00), %3$s the minus sign or nothing. German
     * and French write "%3$s%2$s %1$s" with a no-break space. */
    return g_strdup_printf (C_("money", "%3$s%1$s%2$s"), symbol, number, sign);
  code = g_strdup (money->currency);
  /* Translators: an amount in a currency without a symbol; %1$s is the
   * ISO code (CHF), %2$s the number, %3$s the minus sign or nothing. */
  return g_strdup_printf (C_("money with code", "%3$s%2$s %1$s"), code, number, sign);
}

/* How long ago, in words a cashier reads at a glance: "12 s", "5 min". */
char *
leap_format_age (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;
  if (seconds < 60)
    return g_strdup_printf (_("%d s"), (int) seconds);
  if (seconds < 3600)
    return g_strdup_printf (_("%d min"), (int) (seconds / 60));
  if (seconds < 2 * 86400)
    return g_strdup_printf (_("%d h"), (int) (seconds / 3600));
  return g_strdup_printf (_("%d days"), (int) (seconds / 86400));
}

/* A countdown as a clock reads it: "9:41", "0:05", "1:02:00". */
char *
leap_format_countdown (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;
  if (seconds >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", (int) (seconds / 3600), (int) (seconds / 60 % 60),
                            (int) (seconds % 60));
  return g_strdup_printf ("%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
}

/* What the cart says of a live hold: "Held · 9:41 left". */
char *
leap_format_hold_left (gint64 seconds)
{
  g_autofree char *clock = leap_format_countdown (seconds);

  /* Translators: %s is the time left as minutes:seconds, e.g. 9:41. */
  return g_strdup_printf (_("Held · %s left"), clock);
}

/* The start time of @event in its venue's time zone ("19:30") and, in
 * @day, which day relative to @now ("Today", "Tomorrow", "Sat 5 Dec"). */
char *
leap_format_event_time (LeapEvent  *event,
                        GDateTime  *now,
                        char      **day)
{
  g_autoptr(GDateTime) start = leap_event_dup_local_start (event);
  g_autoptr(GDateTime) here_now = g_date_time_to_timezone (now, g_date_time_get_timezone (start));
  g_autoptr(GDateTime) tomorrow = g_date_time_add_days (here_now, 1);

  if (day != NULL)
    {
      int y, m, d, ny, nm, nd, ty, tm, td;

      g_date_time_get_ymd (start, &y, &m, &d);
      g_date_time_get_ymd (here_now, &ny, &nm, &nd);
      g_date_time_get_ymd (tomorrow, &ty, &tm, &td);
      if (y == ny && m == nm && d == nd)
        *day = g_strdup (_("Today"));
      else if (y == ty && m == tm && d == td)
        *day = g_strdup (_("Tomorrow"));
      else if (y == ny)
        /* Translators: a day this year, "Sat 5 Dec"; strftime() codes.
         * xgettext:no-c-format */
        *day = leap_format_date_time (start, C_("date this year", "%a %-d %b"));
      else
        /* Translators: a day of another year, "5 Dec 2027".
         * xgettext:no-c-format */
        *day = leap_format_date_time (start, C_("date", "%-d %b %Y"));
      g_strstrip (*day);
    }
  /* Translators: the time of day, "19:30"; strftime() codes.
   * xgettext:no-c-format */
  return leap_format_date_time (start, C_("time", "%H:%M"));
}

/* "Saturday 5 December 2026, 19:30–22:00 · Grand Theatre" */
char *
leap_format_event_when (LeapEvent *event)
{
  g_autoptr(GDateTime) start = leap_event_dup_local_start (event);
  /* Translators: "Saturday 5 December 2026, 19:30"; strftime() codes.
   * xgettext:no-c-format */
  g_autofree char *date = leap_format_date_time (start, C_("event date", "%A %-d %B %Y, %H:%M"));
  g_autofree char *end = NULL;
  GString *text = g_string_new (NULL);

  g_string_append (text, date);
  if (leap_event_get_ends_at (event) > leap_event_get_starts_at (event))
    {
      g_autoptr(GDateTime) end_utc = g_date_time_new_from_unix_utc (leap_event_get_ends_at (event));
      g_autoptr(GDateTime) end_local =
        g_date_time_to_timezone (end_utc, g_date_time_get_timezone (start));

      end = leap_format_date_time (end_local, C_("time", "%H:%M"));
      g_string_append_printf (text, "–%s", end);
    }
  if (leap_event_get_venue_name (event) != NULL)
    g_string_append_printf (text, " · %s", leap_event_get_venue_name (event));
  return g_string_free (text, FALSE);
}

/* "Today" or "Tomorrow" in the venue's time zone, otherwise "". */
const char *
leap_format_relative_day (LeapEvent *event)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *day = NULL;
  g_autofree char *time = leap_format_event_time (event, now, &day);

  (void) time; /* only the day is wanted here */
  if (g_strcmp0 (day, _("Today")) == 0)
    return _("Today");
  if (g_strcmp0 (day, _("Tomorrow")) == 0)
    return _("Tomorrow");
  return "";
}

/* When a show is, in a word on its tile: "Tonight" for a show that
 * starts today from 17:00 at its venue (@now is the time now), "Today",
 * "Tomorrow", otherwise NULL. */
const char *
leap_format_show_day (LeapEvent *event,
                      GDateTime *now)
{
  g_autoptr(GDateTime) start = leap_event_dup_local_start (event);
  g_autofree char *day = NULL;
  g_autofree char *time = leap_format_event_time (event, now, &day);

  (void) time; /* only the day is wanted here */
  if (g_strcmp0 (day, _("Today")) == 0)
    return g_date_time_get_hour (start) >= TONIGHT_FROM_HOUR ? _("Tonight") : _("Today");
  if (g_strcmp0 (day, _("Tomorrow")) == 0)
    return _("Tomorrow");
  return NULL;
}
