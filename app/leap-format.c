/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-format.h"

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
        *day = g_date_time_format (start, "%a %-d %b");
      else
        *day = g_date_time_format (start, "%-d %b %Y");
      g_strstrip (*day);
    }
  return g_date_time_format (start, "%H:%M");
}

/* "Saturday 5 December 2026, 19:30–22:00 · Grand Theatre" */
char *
leap_format_event_when (LeapEvent *event)
{
  g_autoptr(GDateTime) start = leap_event_dup_local_start (event);
  g_autofree char *date = g_date_time_format (start, "%A %-d %B %Y, %H:%M");
  g_autofree char *end = NULL;
  GString *text = g_string_new (NULL);

  g_string_append (text, date);
  if (leap_event_get_ends_at (event) > leap_event_get_starts_at (event))
    {
      g_autoptr(GDateTime) end_utc = g_date_time_new_from_unix_utc (leap_event_get_ends_at (event));
      g_autoptr(GDateTime) end_local =
        g_date_time_to_timezone (end_utc, g_date_time_get_timezone (start));

      end = g_date_time_format (end_local, "%H:%M");
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
