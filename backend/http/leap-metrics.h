/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LEAP_TYPE_METRICS (leap_metrics_get_type ())
G_DECLARE_FINAL_TYPE (LeapMetrics, leap_metrics, LEAP, METRICS, GObject)

LeapMetrics *leap_metrics_new            (void);
void         leap_metrics_observe        (LeapMetrics *self,
                                          const char  *route,
                                          const char  *method,
                                          guint        status,
                                          gint64       duration_us);
void         leap_metrics_render         (LeapMetrics *self,
                                          GString     *out);

G_END_DECLS
