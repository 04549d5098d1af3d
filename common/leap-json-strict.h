/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean leap_json_strict_check (const char  *data,
                                 gsize        length,
                                 guint        max_depth,
                                 GError     **error);

G_END_DECLS
