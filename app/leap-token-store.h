/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean  leap_token_store_is_available  (void);
void      leap_token_store_lookup_async  (const char           *server,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
char     *leap_token_store_lookup_finish (GAsyncResult         *result,
                                          GError              **error);
void      leap_token_store_save_async    (const char           *server,
                                          const char           *username,
                                          const char           *token,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean  leap_token_store_save_finish   (GAsyncResult         *result,
                                          GError              **error);
void      leap_token_store_clear_async   (const char           *server,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
gboolean  leap_token_store_clear_finish  (GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
