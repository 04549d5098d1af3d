/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  leap_password_init         (void);
char     *leap_password_hash         (const char *password,
                                      GError    **error);
gboolean  leap_password_verify       (const char *hash,
                                      const char *password);
gboolean  leap_password_needs_rehash (const char *hash);
char     *leap_token_new             (void);
char     *leap_token_hash            (const char *token);

G_END_DECLS
