/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Measurements for bench/boxoffice.sh, off unless LEAP_TIMINGS=1: lines
 * "leap-boxoffice timing: WHAT …" on standard error, with the wall clock
 * in µs so that the script can measure from the moment it started us. */
gboolean leap_timings_enabled     (void);
void     leap_timings_mark        (const char  *what,
                                   const char  *format,
                                   ...) G_GNUC_PRINTF (2, 3);
/* Once the list is on screen: marks "events-listed" after the frame that
 * shows it and, with LEAP_BENCH_SCROLL=1, scrolls it to the end a page a
 * frame, marks the frame times ("scrolled") and quits. */
void     leap_timings_list_shown  (GtkListView *list_view,
                                   guint        n_items);

G_END_DECLS
