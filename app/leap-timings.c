/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include "leap-timings.h"

#include <stdio.h>
#include <stdlib.h>

gboolean
leap_timings_enabled (void)
{
  static int enabled = -1;

  if (enabled < 0)
    enabled = g_strcmp0 (g_getenv ("LEAP_TIMINGS"), "1") == 0;
  return enabled;
}

void
leap_timings_mark (const char *what,
                   const char *format,
                   ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (!leap_timings_enabled ())
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "leap-boxoffice timing: %s at %" G_GINT64_FORMAT " %s\n", what,
           g_get_real_time (), text);
}

typedef struct
{
  GArray *frames;  /* gint64 frame times, µs */
  guint   n_items;
} Scroll;

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
scroll_report (Scroll *s)
{
  g_autoptr(GArray) intervals = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n;

  for (guint i = 1; i < s->frames->len; i++)
    {
      gint64 d = g_array_index (s->frames, gint64, i) - g_array_index (s->frames, gint64, i - 1);
      g_array_append_val (intervals, d);
    }
  g_array_sort (intervals, compare_gint64);
  n = intervals->len;
  if (n == 0)
    return;
  leap_timings_mark ("scrolled",
                     "%u rows in %u frames; frame interval p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     s->n_items, s->frames->len, g_array_index (intervals, gint64, n / 2) / 1000.0,
                     g_array_index (intervals, gint64, (n - 1) * 99 / 100) / 1000.0,
                     g_array_index (intervals, gint64, n - 1) / 1000.0);
}

static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  Scroll *s = user_data;
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (widget));
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  double value = gtk_adjustment_get_value (adj);
  double end = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  g_array_append_val (s->frames, now);
  if (value >= end)
    {
      scroll_report (s);
      g_application_quit (g_application_get_default ());
      return G_SOURCE_REMOVE;
    }
  gtk_adjustment_set_value (adj, MIN (value + gtk_adjustment_get_page_size (adj), end));
  return G_SOURCE_CONTINUE;
}

static void
scroll_free (gpointer data)
{
  Scroll *s = data;

  g_array_unref (s->frames);
  g_free (s);
}

static gboolean
shown_tick_cb (GtkWidget     *widget,
               GdkFrameClock *clock,
               gpointer       user_data)
{
  guint n_items = GPOINTER_TO_UINT (user_data);

  leap_timings_mark ("events-listed", "%u events on screen", n_items);
  if (g_strcmp0 (g_getenv ("LEAP_BENCH_SCROLL"), "1") == 0)
    {
      Scroll *s = g_new0 (Scroll, 1);

      s->frames = g_array_new (FALSE, FALSE, sizeof (gint64));
      s->n_items = n_items;
      gtk_widget_add_tick_callback (widget, scroll_tick_cb, s, scroll_free);
    }
  return G_SOURCE_REMOVE;
}

void
leap_timings_list_shown (GtkListView *list_view,
                         guint        n_items)
{
  static gboolean done;

  if (done || !leap_timings_enabled () || n_items == 0)
    return;
  done = TRUE;
  gtk_widget_add_tick_callback (GTK_WIDGET (list_view), shown_tick_cb, GUINT_TO_POINTER (n_items),
                                NULL);
}
