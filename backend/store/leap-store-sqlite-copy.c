/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: every row of every table, parents first, from one
 * snapshot, for leap_store_copy (). */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"
#include "leap-error.h"

/* Rows a page: big enough to make few statements on the other side, small
 * enough to keep a page of a big table in memory. */
#define PAGE_ROWS 500

static GPtrArray *
column_of (LeapStoreSqlite *self,
           const char      *sql,
           const char      *table,
           GError         **error)
{
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self, sql, error);
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  if (table != NULL)
    sqlite3_bind_text (stmt, 1, table, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (values, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _leap_store_sqlite_set_error (self, rc, error);
      return NULL;
    }
  return g_steal_pointer (&values);
}

static gboolean
contains (GPtrArray  *names,
          const char *name)
{
  return g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL);
}

/* The tables (not SQLite's own, not the migrations'), each after those
 * its foreign keys name. */
static GPtrArray *
tables_in_order (LeapStoreSqlite *self,
                 GError         **error)
{
  g_autoptr(GPtrArray) left = column_of (self, "SELECT name FROM sqlite_master "
                                               "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                               "AND name <> 'schema_migrations' ORDER BY rowid",
                                         NULL, error);
  g_autoptr(GPtrArray) ordered = g_ptr_array_new_with_free_func (g_free);

  if (left == NULL)
    return NULL;
  while (left->len > 0)
    {
      guint before = left->len;

      for (guint i = 0; i < left->len;)
        {
          const char *table = g_ptr_array_index (left, i);
          g_autoptr(GPtrArray) parents =
            column_of (self, "SELECT \"table\" FROM pragma_foreign_key_list (?)", table, error);
          gboolean ready = TRUE;

          if (parents == NULL)
            return NULL;
          for (guint j = 0; j < parents->len && ready; j++)
            {
              const char *parent = g_ptr_array_index (parents, j);

              ready = g_str_equal (parent, table) || contains (ordered, parent);
            }
          if (ready)
            g_ptr_array_add (ordered, g_ptr_array_steal_index (left, i));
          else
            i++;
        }
      if (left->len == before)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL,
                       "The foreign keys of table %s go round in a circle",
                       (const char *) g_ptr_array_index (left, 0));
          return NULL;
        }
    }
  return g_steal_pointer (&ordered);
}

/* One table, a page at a time in rowid order; each row carries its rowid
 * as leap_rowid, which the target ignores. */
static gboolean
copy_table (LeapStoreSqlite  *self,
            const char       *table,
            LeapStoreCopyFunc sink,
            gpointer          data,
            GError          **error)
{
  /* The name is the database's own, quoted as an identifier. */
  char *quoted = sqlite3_mprintf ("SELECT rowid AS leap_rowid, * FROM \"%w\" "
                                  "WHERE rowid > ? ORDER BY rowid LIMIT %d",
                                  table, PAGE_ROWS);
  g_autofree char *sql = g_strdup (quoted);
  gint64 after = G_MININT64;

  sqlite3_free (quoted);
  for (;;)
    {
      sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self, sql, error);
      g_autoptr(JsonArray) rows = json_array_new ();
      int rc;

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, after);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          after = sqlite3_column_int64 (stmt, 0);
          json_array_add_object_element (rows, _leap_store_sqlite_row (stmt, TRUE));
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return _leap_store_sqlite_set_error (self, rc, error);
      if (json_array_get_length (rows) == 0)
        return TRUE;
      if (!sink (table, rows, data, error))
        return FALSE;
    }
}

gboolean
_leap_store_sqlite_copy_out (LeapStore        *store,
                             LeapStoreCopyFunc sink,
                             gpointer          data,
                             GError          **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  g_autoptr(GPtrArray) tables = NULL;
  gboolean ok = TRUE;

  /* One read transaction: the copy is one moment of the database, also
   * if a backend writes meanwhile. */
  if (!_leap_store_sqlite_exec (self, "BEGIN", error))
    return FALSE;
  tables = tables_in_order (self, error);
  if (tables == NULL)
    ok = FALSE;
  for (guint i = 0; ok && i < tables->len; i++)
    ok = copy_table (self, g_ptr_array_index (tables, i), sink, data, error);
  _leap_store_sqlite_rollback (self);
  return ok;
}
