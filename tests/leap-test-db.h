/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The test's own connection to the database a backend writes, SQLite or
 * PostgreSQL (the URL says which), to read what was written and to change
 * it behind the backend's back. SQL that both read the same way (plain
 * SELECT, UPDATE, INSERT with literals) runs on either. */
typedef struct _LeapTestDb LeapTestDb;

LeapTestDb *leap_test_db_open   (const char *url);
void        leap_test_db_close  (LeapTestDb *db);
gboolean    leap_test_db_is_pg  (LeapTestDb *db);
/* The first column of the first row as an integer (-1 for no row); text
 * (NULL for no row). The test fails on an error. */
gint64      leap_test_db_int    (LeapTestDb *db,
                                 const char *format,
                                 ...) G_GNUC_PRINTF (2, 3);
char       *leap_test_db_text   (LeapTestDb *db,
                                 const char *format,
                                 ...) G_GNUC_PRINTF (2, 3);
/* The first column of every row, as text. */
GPtrArray  *leap_test_db_column (LeapTestDb *db,
                                 const char *sql);
void        leap_test_db_exec   (LeapTestDb *db,
                                 const char *format,
                                 ...) G_GNUC_PRINTF (2, 3);
/* Takes the database's write lock as another writer would, until
 * leap_test_db_unlock () commits: SQLite's one lock for every table
 * (BEGIN IMMEDIATE); on PostgreSQL, whose writers do not take turns, the
 * lock of @table (EXCLUSIVE: reads go on, writes to it wait). */
void        leap_test_db_lock   (LeapTestDb *db,
                                 const char *table);
void        leap_test_db_unlock (LeapTestDb *db);
void        leap_test_wait_db   (LeapTestDb *db,
                                 gint64      want,
                                 guint       timeout_ms,
                                 const char *format,
                                 ...) G_GNUC_PRINTF (4, 5);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LeapTestDb, leap_test_db_close)

G_END_DECLS
