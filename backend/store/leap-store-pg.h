/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_STORE_PG (leap_store_pg_get_type ())
G_DECLARE_FINAL_TYPE (LeapStorePg, leap_store_pg, LEAP, STORE_PG, LeapStore)

/* Connects with a libpq connection string or URI (postgresql://…,
 * postgres://…, or "host=/run/postgresql dbname=…") and migrates. */
LeapStore *leap_store_pg_new            (const char *conninfo,
                                         GError    **error);
/* Whether @conninfo is a connection string or URI this store takes,
 * without connecting. */
gboolean   leap_store_pg_check_conninfo (const char *conninfo,
                                         GError    **error);

/* Read replicas (leap-store-replicas.c) */

/* Connects to a streaming replica of the database, read-only: nothing is
 * migrated. */
LeapStore *leap_store_pg_new_replica    (const char *conninfo,
                                         GError    **error);
/* Where the server's write-ahead log is, in bytes: written so far
 * (pg_current_wal_lsn (), on the primary) or replayed (a standby's
 * pg_last_wal_replay_lsn (); -1 from a server that is not a standby). */
gboolean   leap_store_pg_wal_position   (LeapStore  *store,
                                         gboolean    replayed,
                                         gint64     *position,
                                         GError    **error);
/* The versions in schema_migrations, in order, joined by commas. */
char      *leap_store_pg_dup_migrations (LeapStore  *store,
                                         GError    **error);

G_END_DECLS
