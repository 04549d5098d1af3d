/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-test-db.h"
#include "leap-test-util.h"

#include <libpq-fe.h>
#include <sqlite3.h>

struct _LeapTestDb
{
  sqlite3 *sqlite;
  PGconn  *pg;
};

LeapTestDb *
leap_test_db_open (const char *url)
{
  LeapTestDb *db = g_new0 (LeapTestDb, 1);

  if (g_str_has_prefix (url, "sqlite:"))
    {
      if (sqlite3_open (url + strlen ("sqlite:"), &db->sqlite) != SQLITE_OK)
        g_error ("Cannot open %s: %s", url, sqlite3_errmsg (db->sqlite));
      /* The backend holds the write lock for a few milliseconds at a time. */
      sqlite3_busy_timeout (db->sqlite, 5000);
    }
  else
    {
      db->pg = PQconnectdb (url);
      if (PQstatus (db->pg) != CONNECTION_OK)
        g_error ("Cannot connect to %s: %s", url, PQerrorMessage (db->pg));
    }
  return db;
}

void
leap_test_db_close (LeapTestDb *db)
{
  if (db == NULL)
    return;
  if (db->sqlite != NULL)
    sqlite3_close (db->sqlite);
  if (db->pg != NULL)
    PQfinish (db->pg);
  g_free (db);
}

gboolean
leap_test_db_is_pg (LeapTestDb *db)
{
  return db->pg != NULL;
}

/* Runs @sql; the first column of the first row, or NULL for none. */
static char *
first_value (LeapTestDb *db,
             const char *sql)
{
  char *value = NULL;

  if (db->sqlite != NULL)
    {
      sqlite3_stmt *stmt = NULL;
      int rc;

      if (sqlite3_prepare_v2 (db->sqlite, sql, -1, &stmt, NULL) != SQLITE_OK)
        g_error ("%s: %s", sql, sqlite3_errmsg (db->sqlite));
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
        value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        g_error ("%s: %s", sql, sqlite3_errmsg (db->sqlite));
      sqlite3_finalize (stmt);
    }
  else
    {
      PGresult *result = PQexec (db->pg, sql);

      if (PQresultStatus (result) != PGRES_COMMAND_OK &&
          PQresultStatus (result) != PGRES_TUPLES_OK)
        g_error ("%s: %s", sql, PQresultErrorMessage (result));
      if (PQntuples (result) > 0 && PQnfields (result) > 0 && !PQgetisnull (result, 0, 0))
        value = g_strdup (PQgetvalue (result, 0, 0));
      PQclear (result);
    }
  return value;
}

static gint64
int_value (LeapTestDb *db,
           const char *sql)
{
  g_autofree char *value = first_value (db, sql);

  return value != NULL ? g_ascii_strtoll (value, NULL, 10) : -1;
}

gint64
leap_test_db_int (LeapTestDb *db,
                  const char *format,
                  ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return int_value (db, sql);
}

char *
leap_test_db_text (LeapTestDb *db,
                   const char *format,
                   ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return first_value (db, sql);
}

GPtrArray *
leap_test_db_column (LeapTestDb *db,
                     const char *sql)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);

  if (db->sqlite != NULL)
    {
      sqlite3_stmt *stmt = NULL;

      if (sqlite3_prepare_v2 (db->sqlite, sql, -1, &stmt, NULL) != SQLITE_OK)
        g_error ("%s: %s", sql, sqlite3_errmsg (db->sqlite));
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_ptr_array_add (values, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      sqlite3_finalize (stmt);
    }
  else
    {
      PGresult *result = PQexec (db->pg, sql);

      if (PQresultStatus (result) != PGRES_TUPLES_OK)
        g_error ("%s: %s", sql, PQresultErrorMessage (result));
      for (int i = 0; i < PQntuples (result); i++)
        g_ptr_array_add (values, g_strdup (PQgetvalue (result, i, 0)));
      PQclear (result);
    }
  return values;
}

void
leap_test_db_exec (LeapTestDb *db,
                   const char *format,
                   ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  if (db->sqlite != NULL)
    {
      char *errmsg = NULL;

      if (sqlite3_exec (db->sqlite, sql, NULL, NULL, &errmsg) != SQLITE_OK)
        g_error ("SQL failed: %s: %s", sql, errmsg);
    }
  else
    g_free (first_value (db, sql));
}

void
leap_test_db_lock (LeapTestDb *db,
                   const char *table)
{
  if (db->sqlite != NULL)
    leap_test_db_exec (db, "BEGIN IMMEDIATE");
  else
    leap_test_db_exec (db, "BEGIN; LOCK TABLE %s IN EXCLUSIVE MODE", table);
}

void
leap_test_db_unlock (LeapTestDb *db)
{
  leap_test_db_exec (db, "COMMIT");
}

typedef struct
{
  LeapTestDb *db;
  const char *sql;
  gint64      want;
} DbWait;

static gboolean
db_reaches (gpointer data)
{
  DbWait *w = data;

  return int_value (w->db, w->sql) == w->want;
}

void
leap_test_wait_db (LeapTestDb *db,
                   gint64      want,
                   guint       timeout_ms,
                   const char *format,
                   ...)
{
  g_autofree char *sql = NULL;
  DbWait w = { db, NULL, want };
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  w.sql = sql;
  if (!leap_test_wait_until (db_reaches, &w, timeout_ms))
    g_error ("Waited %u ms for %s = %" G_GINT64_FORMAT ", have %" G_GINT64_FORMAT, timeout_ms, sql,
             want, int_value (db, sql));
}
