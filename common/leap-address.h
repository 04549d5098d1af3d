/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Addresses as operators write them, on the command line and in the
 * config file of the backend and the worker. */
gboolean leap_parse_host_port (const char  *text,
                               char       **host,
                               guint16     *port,
                               GError     **error);
gboolean leap_parse_redis_address (const char   *text,
                                   char        **host,
                                   guint16      *port,
                                   char       ***sentinels,
                                   char        **master,
                                   GError      **error);

G_END_DECLS
