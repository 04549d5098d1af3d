/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg as the target of leap_store_copy (): an empty database
 * takes every row in one transaction, then its sequences go past the ids
 * it took. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* A name from the catalogue or from the source database, quoted as an
 * identifier: never client input, and quoted all the same. */
static char *
quoted (LeapStorePg *self,
        const char  *name)
{
  char *escaped = PQescapeIdentifier (self->conn, name, strlen (name));
  char *copy = g_strdup (escaped);

  PQfreemem (escaped);
  return copy;
}

static gboolean
copy_in_begin (LeapStore *store,
               GError   **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(PGresult) tables = _leap_store_pg_query (
      self, "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema () AND table_type = 'BASE TABLE' AND table_name <> "
            "'schema_migrations'", NULL, error);

  if (tables == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (tables); i++)
    {
      const char *table = PQgetvalue (tables, i, 0);
      g_autofree char *name = quoted (self, table);
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) t",
                                              name);
      g_autoptr(PGresult) rows = _leap_store_pg_query (self, sql, NULL, error);

      if (rows == NULL)
        return FALSE;
      if (_leap_store_pg_int (rows, 0, 0) > 0)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                       "The PostgreSQL database is not empty (%s has rows): a copy goes into a "
                       "new database only", table);
          return FALSE;
        }
    }
  return _leap_store_pg_begin (self, error);
}

/* The rows as one JSON parameter, each column taken by its name: a column
 * the source has and the target does not is left out, one the target has
 * and the source does not takes its default. */
static gboolean
copy_in (LeapStore  *store,
         const char *table,
         JsonArray  *rows,
         GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) known = NULL;
  g_autofree char *name = quoted (self, table);
  g_autofree char *sql = g_strdup_printf ("INSERT INTO %s SELECT * FROM json_populate_recordset "
                                          "(NULL::%s, $1::json)", name, name);
  g_autofree char *json = NULL;

  _leap_pg_params_text (params, table);
  known = _leap_store_pg_query (self, "SELECT count(*) FROM information_schema.tables "
                                      "WHERE table_schema = current_schema () "
                                      "AND table_name = $1", params, error);
  if (known == NULL)
    return FALSE;
  if (_leap_store_pg_int (known, 0, 0) == 0)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                   "The SQLite database has a table %s that PostgreSQL's has not: is it from a "
                   "newer Leap?", table);
      return FALSE;
    }
  g_clear_pointer (&params, _leap_pg_params_free);
  params = _leap_pg_params_new ();
  {
    g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), rows);

    json = leap_json_to_string (node);
  }
  _leap_pg_params_text (params, json);
  return _leap_store_pg_exec (self, sql, params, error);
}

static gboolean
copy_in_end (LeapStore *store,
             gboolean   commit,
             GError   **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);

  if (!commit)
    {
      _leap_store_pg_rollback (self);
      return TRUE;
    }
  /* Each identity column's next value goes past the largest id copied. */
  if (!_leap_store_pg_exec (
          self,
          "DO $$ DECLARE c record; BEGIN "
          "FOR c IN SELECT table_name, column_name FROM information_schema.columns "
          "WHERE table_schema = current_schema () AND is_identity = 'YES' LOOP "
          "EXECUTE format ('SELECT setval (pg_get_serial_sequence (%L, %L), "
          "coalesce (max (%I), 0) + 1, false) FROM %I', c.table_name, c.column_name, "
          "c.column_name, c.table_name); "
          "END LOOP; END $$",
          NULL, error))
    {
      _leap_store_pg_rollback (self);
      return FALSE;
    }
  return _leap_store_pg_commit (self, error);
}

void
_leap_store_pg_copy_class_init (LeapStoreClass *klass)
{
  klass->copy_in_begin = copy_in_begin;
  klass->copy_in = copy_in;
  klass->copy_in_end = copy_in_end;
}
