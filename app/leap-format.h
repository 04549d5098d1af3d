/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "leap-event.h"
#include "leap-money.h"

G_BEGIN_DECLS

char       *leap_format_age          (gint64      seconds);
char       *leap_format_countdown    (gint64      seconds);
char       *leap_format_hold_left    (gint64      seconds);
char       *leap_format_event_time   (LeapEvent  *event,
                                      GDateTime  *now,
                                      char      **day);
char       *leap_format_event_when   (LeapEvent  *event);
const char *leap_format_relative_day (LeapEvent  *event);
const char *leap_format_show_day     (LeapEvent  *event,
                                      GDateTime  *now);
char       *leap_format_money        (const LeapMoney *money);
char       *leap_format_date_time    (GDateTime  *date_time,
                                      const char *format);

G_END_DECLS
