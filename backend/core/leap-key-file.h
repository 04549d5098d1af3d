/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *leap_default_database_url       (void);
char     *leap_key_file_path_for_database (const char *database_url,
                                           const char *suffix);
gboolean  leap_key_file_load              (const char *path,
                                           const char *what,
                                           guint8     *key,
                                           gsize       length,
                                           GError    **error);

G_END_DECLS
