/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef gboolean (*LeapTestCondition) (gpointer user_data);

JsonObject *leap_test_demo_page      (void);
gint64      leap_test_today_at       (int                hour,
                                      int                minute,
                                      int                days_from_today);
char       *leap_test_make_tmpdir    (void);
void        leap_test_rm_rf          (const char        *path);
guint16     leap_test_free_port      (void);
gboolean    leap_test_wait_for       (LeapTestCondition  condition,
                                      gpointer           user_data,
                                      guint              timeout_ms);
gboolean    leap_test_wait_flag      (gboolean          *flag,
                                      guint              timeout_ms);

G_END_DECLS

#include <libsoup/soup.h>

G_BEGIN_DECLS

SoupServer *leap_test_server_new    (char              **base_url);
void        leap_test_reply_json    (SoupServerMessage  *msg,
                                     guint               status,
                                     const char         *json);

G_END_DECLS
