/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: the type, the connection, the statement cache, rows,
 * transactions and migrations; each aggregate is in a leap-store-pg-*.c
 * of its own. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
#include "leap-json.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATIONS_PATH "/io/github/leapboxoffice/store/pg"

/* pg_advisory_lock's key for migrations: "LEAPMIGR" as a bigint, so that
 * it meets no one else's lock in a shared database. */
#define MIGRATION_LOCK "5495651826304477522"

/* The type OIDs of pg_type.h (a server header) that rows read as numbers. */
#define BOOLOID    16
#define INT8OID    20
#define INT2OID    21
#define INT4OID    23
#define FLOAT4OID  700
#define FLOAT8OID  701
#define NUMERICOID 1700

G_DEFINE_FINAL_TYPE (LeapStorePg, leap_store_pg, LEAP_TYPE_STORE)

struct _LeapPgParams
{
  GPtrArray *values; /* char *, NULL for SQL NULL */
};

LeapPgParams *
_leap_pg_params_new (void)
{
  LeapPgParams *params = g_new0 (LeapPgParams, 1);

  params->values = g_ptr_array_new_with_free_func (g_free);
  return params;
}

void
_leap_pg_params_free (LeapPgParams *params)
{
  g_ptr_array_unref (params->values);
  g_free (params);
}

void
_leap_pg_params_text (LeapPgParams *params,
                      const char   *text)
{
  g_ptr_array_add (params->values, g_strdup (text));
}

void
_leap_pg_params_int (LeapPgParams *params,
                     gint64        value)
{
  g_ptr_array_add (params->values, g_strdup_printf ("%" G_GINT64_FORMAT, value));
}

void
_leap_pg_params_id (LeapPgParams *params,
                    gint64        id)
{
  if (id > 0)
    _leap_pg_params_int (params, id);
  else
    _leap_pg_params_text (params, NULL);
}

void
_leap_pg_array_int (GString *array,
                    gint64   value)
{
  g_string_append_printf (array, "%s%" G_GINT64_FORMAT, array->len > 1 ? "," : "", value);
}

void
_leap_pg_array_text (GString    *array,
                     const char *text)
{
  if (array->len > 1)
    g_string_append_c (array, ',');
  if (text == NULL)
    {
      g_string_append (array, "NULL");
      return;
    }
  g_string_append_c (array, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (array, '\\');
      g_string_append_c (array, *p);
    }
  g_string_append_c (array, '"');
}

void
_leap_pg_params_array (LeapPgParams *params,
                       GString      *array)
{
  g_string_append_c (array, '}');
  _leap_pg_params_text (params, array->str);
}

static gboolean
connection_lost (LeapStorePg *self)
{
  return PQstatus (self->conn) != CONNECTION_OK;
}

/* libpq's message on one line, for a log or a terminal. */
static char *
one_line (const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text, " \t\r\n", -1);
  g_autoptr(GString) line = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_string_append_printf (line, "%s%s", line->len > 0 ? " " : "", words[i]);
  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* Every session's settings, in the startup packet so that they hold after a
 * reset too: UTC, and a wait for another writer's lock as long as SQLite's
 * busy timeout, after which the call answers "busy" instead of holding a
 * connection of the pool (and its client) without end; and no notices
 * (CREATE TABLE IF NOT EXISTS of a table that is there) on stderr. */
#define OPTIONS "-c TimeZone=UTC -c lock_timeout=5000 -c client_min_messages=warning"

/* SQLSTATEs, or classes of them, first match wins; SQLite's messages
 * where the situation is the same. */
static const struct
{
  const char    *state;
  LeapErrorCode  code;
  const char    *message;
} states[] = {
  { "23505", LEAP_ERROR_CONFLICT, N_("Database: it already exists") },
  { "23503", LEAP_ERROR_CONFLICT, N_("Database: it is still referenced by other records") },
  { "23", LEAP_ERROR_CONFLICT, N_("The database refused the change: it breaks one of its rules") },
  /* A lock waited for longer than lock_timeout, a serialization failure, a
   * deadlock: another writer was in the way, as SQLite's busy. */
  { "55P03", LEAP_ERROR_UNAVAILABLE,
    N_("The database is busy with another writer; try again in a moment") },
  { "40001", LEAP_ERROR_UNAVAILABLE,
    N_("The database is busy with another writer; try again in a moment") },
  { "40P01", LEAP_ERROR_UNAVAILABLE,
    N_("The database is busy with another writer; try again in a moment") },
  /* A protocol violation (a statement given the wrong number of
   * parameters) is a bug of ours, not a connection failure. */
  { "08P01", LEAP_ERROR_INTERNAL, N_("The database failed") },
  { "08", LEAP_ERROR_UNAVAILABLE, N_("The database is unavailable") },
  { "57P", LEAP_ERROR_UNAVAILABLE, N_("The database is unavailable") },
  { "53", LEAP_ERROR_UNAVAILABLE, N_("The database is unavailable") },
};

static LeapErrorCode
code_for_state (const char  *state,
                const char **message)
{
  for (guint i = 0; state != NULL && i < G_N_ELEMENTS (states); i++)
    if (g_str_has_prefix (state, states[i].state))
      {
        *message = states[i].message;
        return states[i].code;
      }
  *message = N_("The database failed");
  return LEAP_ERROR_INTERNAL;
}

gboolean
_leap_store_pg_set_error (LeapStorePg    *self,
                          const PGresult *result,
                          GError        **error)
{
  const char *state = result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = result != NULL ? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY)
                                        : NULL;
  g_autofree char *said = one_line (primary != NULL ? primary : PQerrorMessage (self->conn));
  const char *message = NULL;
  LeapErrorCode code;

  /* libpq's own errors (a lost connection) have no SQLSTATE. */
  if (state == NULL && connection_lost (self))
    state = "08006";
  code = code_for_state (state, &message);
  if (code == LEAP_ERROR_INTERNAL)
    g_warning ("PostgreSQL error %s: %s", state != NULL ? state : "(none)", said);
  else
    g_debug ("PostgreSQL error %s: %s", state, said);
  g_set_error_literal (error, LEAP_ERROR, code, message);
  return FALSE;
}

/* A new connection: its prepared statements are gone. */
static void
reset (LeapStorePg *self)
{
  g_message ("Lost the connection to PostgreSQL: connecting again");
  g_hash_table_remove_all (self->statements);
  PQreset (self->conn);
}

/* One try. *@executed tells whether the statement may have run. */
static PGresult *
run (LeapStorePg  *self,
     const char   *sql,
     LeapPgParams *params,
     gboolean     *executed,
     GError      **error)
{
  const char *name = g_hash_table_lookup (self->statements, sql);
  PGresult *result;
  ExecStatusType status;

  *executed = FALSE;
  if (name == NULL)
    {
      g_autofree char *new_name = g_strdup_printf ("s%u",
                                                   g_hash_table_size (self->statements) + 1);
      g_autoptr(PGresult) prepared = PQprepare (self->conn, new_name, sql, 0, NULL);

      if (PQresultStatus (prepared) != PGRES_COMMAND_OK)
        {
          _leap_store_pg_set_error (self, prepared, error);
          return NULL;
        }
      name = new_name;
      g_hash_table_insert (self->statements, g_strdup (sql), g_steal_pointer (&new_name));
    }
  *executed = TRUE;
  result = PQexecPrepared (self->conn, name, params != NULL ? (int) params->values->len : 0,
                           params != NULL ? (const char *const *) params->values->pdata : NULL,
                           NULL, NULL, 0);
  status = PQresultStatus (result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return result;
  _leap_store_pg_set_error (self, result, error);
  PQclear (result);
  return NULL;
}

/* Whether a statement that may have run can run again: only one that
 * changes nothing. A write is not repeated, as the first may have
 * committed before the connection broke. */
static gboolean
can_repeat (const char *sql)
{
  return g_str_has_prefix (sql, "SELECT ") || g_str_equal (sql, "BEGIN");
}

PGresult *
_leap_store_pg_query (LeapStorePg  *self,
                      const char   *sql,
                      LeapPgParams *params,
                      GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean executed = FALSE;
  PGresult *result = NULL;

  /* In a transaction, a new connection would go on outside it. */
  if (connection_lost (self) && self->depth == 0)
    reset (self);
  if (connection_lost (self))
    {
      _leap_store_pg_set_error (self, NULL, error);
      return NULL;
    }
  leap_store_count_query (LEAP_STORE (self));
  result = run (self, sql, params, &executed, &local_error);
  if (result == NULL && connection_lost (self) && self->depth == 0)
    {
      reset (self);
      if (!connection_lost (self) && (!executed || can_repeat (sql)))
        {
          g_clear_error (&local_error);
          result = run (self, sql, params, &executed, &local_error);
        }
    }
  if (result == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return result;
}

gboolean
_leap_store_pg_exec (LeapStorePg  *self,
                     const char   *sql,
                     LeapPgParams *params,
                     GError      **error)
{
  g_autoptr(PGresult) result = _leap_store_pg_query (self, sql, params, error);

  return result != NULL;
}

static gboolean
is_time_column (const char *name)
{
  return g_str_has_suffix (name, "_at") || g_str_equal (name, "valid_from") ||
         g_str_equal (name, "valid_until");
}

JsonObject *
_leap_store_pg_row (const PGresult *result,
                    int             row,
                    gboolean        raw_times)
{
  JsonObject *object = json_object_new ();
  int n = PQnfields (result);

  for (int i = 0; i < n; i++)
    {
      const char *name = PQfname (result, i);
      const char *value = PQgetvalue (result, row, i);
      Oid type = PQftype (result, i);
      gint64 number;
      char *end = NULL;

      if (PQgetisnull (result, row, i))
        {
          json_object_set_null_member (object, name);
          continue;
        }
      switch (type)
        {
        case INT8OID:
        case INT4OID:
        case INT2OID:
        case NUMERICOID:
          number = g_ascii_strtoll (value, &end, 10);
          /* sum () of bigints is numeric: whole, it reads as an integer. */
          if (*end != '\0')
            {
              json_object_set_double_member (object, name, g_ascii_strtod (value, NULL));
              break;
            }
          if (!raw_times && is_time_column (name))
            {
              g_autofree char *text = leap_time_format (number);
              json_object_set_string_member (object, name, text);
            }
          else
            json_object_set_int_member (object, name, number);
          break;
        case BOOLOID:
          /* As SQLite gives a comparison: 1 or 0. */
          json_object_set_int_member (object, name, g_str_equal (value, "t"));
          break;
        case FLOAT4OID:
        case FLOAT8OID:
          json_object_set_double_member (object, name, g_ascii_strtod (value, NULL));
          break;
        default:
          json_object_set_string_member (object, name, value);
          break;
        }
    }
  return object;
}

JsonArray *
_leap_store_pg_query_rows (LeapStorePg  *self,
                           const char   *sql,
                           LeapPgParams *params,
                           GError      **error)
{
  g_autoptr(PGresult) result = _leap_store_pg_query (self, sql, params, error);
  JsonArray *array;

  if (result == NULL)
    return NULL;
  array = json_array_new ();
  for (int i = 0; i < PQntuples (result); i++)
    json_array_add_object_element (array, _leap_store_pg_row (result, i, FALSE));
  return array;
}

JsonObject *
_leap_store_pg_query_one (LeapStorePg  *self,
                          const char   *sql,
                          LeapPgParams *params,
                          gboolean      raw_times,
                          const char   *what,
                          GError      **error)
{
  g_autoptr(PGresult) result = _leap_store_pg_query (self, sql, params, error);

  if (result == NULL)
    return NULL;
  if (PQntuples (result) == 0)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such %s", what);
      return NULL;
    }
  return _leap_store_pg_row (result, 0, raw_times);
}

gint64
_leap_store_pg_int (const PGresult *result,
                    int             row,
                    int             column)
{
  return g_ascii_strtoll (PQgetvalue (result, row, column), NULL, 10);
}

gint64
_leap_store_pg_changes (const PGresult *result)
{
  return g_ascii_strtoll (PQcmdTuples ((PGresult *) result), NULL, 10);
}

gboolean
_leap_store_pg_begin (LeapStorePg *self,
                      GError     **error)
{
  g_return_val_if_fail (self->depth == 0, FALSE);

  if (!_leap_store_pg_exec (self, "BEGIN", NULL, error))
    return FALSE;
  self->depth = 1;
  return TRUE;
}

/* The transaction is over whatever COMMIT answers: a failed one is rolled
 * back by the server. */
gboolean
_leap_store_pg_commit (LeapStorePg *self,
                       GError     **error)
{
  g_autoptr(PGresult) result = _leap_store_pg_query (self, "COMMIT", NULL, error);

  self->depth = 0;
  if (result == NULL)
    return FALSE;
  /* A transaction in which a statement failed answers COMMIT with
   * ROLLBACK: its caller went on past an error. */
  if (!g_str_equal (PQcmdStatus (result), "COMMIT"))
    {
      g_warning ("A failed transaction was committed: it was rolled back");
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INTERNAL,
                           "Database: the transaction was rolled back");
      return FALSE;
    }
  return TRUE;
}

/* Runs a statement that undoes work on a failure path. The caller reports
 * its own error, so this one goes to the log. With the connection gone,
 * so is the work to undo. */
void
_leap_store_pg_undo (LeapStorePg *self,
                     const char  *sql)
{
  g_autoptr(GError) error = NULL;

  if (connection_lost (self))
    return;
  if (!_leap_store_pg_exec (self, sql, NULL, &error))
    g_warning ("Cannot undo with %s: %s", sql, error->message);
}

void
_leap_store_pg_rollback (LeapStorePg *self)
{
  if (self->depth == 0)
    return;
  self->depth = 0;
  _leap_store_pg_undo (self, "ROLLBACK");
}

/* Runs @one on each element of @items in one transaction, each in a
 * savepoint of its own so that one that fails is undone alone and
 * answered as {"error": {"code", "message"}}. NULL if the transaction
 * itself failed. */
JsonArray *
_leap_store_pg_batch (LeapStorePg        *self,
                      JsonArray          *items,
                      LeapStorePgOneFunc  one,
                      GError            **error)
{
  return _leap_store_pg_batch_after (self, NULL, NULL, items, one, error);
}

/* The same, with @first (and its @params) run first in the transaction:
 * to take the locks the items would take one by one, all at once and in
 * one order, so that two batches cannot deadlock on them. */
JsonArray *
_leap_store_pg_batch_after (LeapStorePg        *self,
                            const char         *first,
                            LeapPgParams       *params,
                            JsonArray          *items,
                            LeapStorePgOneFunc  one,
                            GError            **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(JsonArray) results = json_array_new ();

  if (!_leap_store_pg_begin (self, error))
    return NULL;
  if (first != NULL && !_leap_store_pg_exec (self, first, params, error))
    {
      _leap_store_pg_rollback (self);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      g_autoptr(GError) local_error = NULL;
      JsonObject *result = NULL;

      if (_leap_store_pg_exec (self, "SAVEPOINT leap_one", NULL, &local_error))
        {
          result = one (self, json_array_get_object_element (items, i), now, &local_error);
          if (result != NULL && !_leap_store_pg_exec (self, "RELEASE leap_one", NULL,
                                                      &local_error))
            g_clear_pointer (&result, json_object_unref);
          if (result == NULL)
            {
              _leap_store_pg_undo (self, "ROLLBACK TO leap_one");
              _leap_store_pg_undo (self, "RELEASE leap_one");
            }
        }
      if (result == NULL)
        result = leap_store_batch_failure (local_error);
      json_array_add_object_element (results, result);
    }
  if (!_leap_store_pg_commit (self, error))
    return NULL;
  return g_steal_pointer (&results);
}

/* The same, but with @set on all of @items at once first (one
 * transaction, a fixed number of statements; @set takes the locks @first
 * would): with many items, far fewer round trips than a savepoint and
 * statements for each. @set fails whole when one item cannot be stored;
 * then, unless the database is unavailable, the items go one by one as
 * above, where the one that cannot be stored fails alone. */
JsonArray *
_leap_store_pg_batch_set (LeapStorePg        *self,
                          const char         *first,
                          LeapPgParams       *params,
                          JsonArray          *items,
                          LeapStorePgSetFunc  set,
                          LeapStorePgOneFunc  one,
                          GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonArray *results = NULL;

  if (!_leap_store_pg_begin (self, error))
    return NULL;
  results = set (self, items, g_get_real_time () / G_USEC_PER_SEC, &local_error);
  if (results == NULL)
    _leap_store_pg_rollback (self);
  else if (_leap_store_pg_commit (self, &local_error))
    return results;
  else
    g_clear_pointer (&results, json_array_unref);
  if (local_error->code == LEAP_ERROR_UNAVAILABLE)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_debug ("A batch of %u goes one by one: %s", json_array_get_length (items),
           local_error->message);
  return _leap_store_pg_batch_after (self, first, params, items, one, error);
}

/* One line of the audit log; user_id 0 for the system, details may be NULL. */
gboolean
_leap_store_pg_audit (LeapStorePg *self,
                      gint64       now,
                      gint64       user_id,
                      const char  *action,
                      const char  *object_kind,
                      const char  *object_id,
                      const char  *details,
                      GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_int (params, now);
  _leap_pg_params_id (params, user_id);
  _leap_pg_params_text (params, action);
  _leap_pg_params_text (params, object_kind);
  _leap_pg_params_text (params, object_id);
  _leap_pg_params_text (params, details);
  return _leap_store_pg_exec (self, "INSERT INTO audit_log (at, user_id, action, object_kind, "
                                    "object_id, details) VALUES ($1, $2, $3, $4, $5, $6)",
                              params, error);
}

static gboolean
leap_store_pg_ping (LeapStore *store,
                    GError   **error)
{
  return _leap_store_pg_exec (LEAP_STORE_PG (store), "SELECT count(*) FROM schema_migrations",
                              NULL, error);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char **) a, *(char **) b);
}

static gboolean
apply_migration (LeapStorePg *self,
                 const char  *name,
                 GError     **error)
{
  gint64 version = g_ascii_strtoll (name, NULL, 10);
  g_autofree char *path = g_build_path ("/", MIGRATIONS_PATH, name, NULL);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(GBytes) sql = NULL;
  g_autofree char *text = NULL;
  g_autoptr(PGresult) applied = NULL;
  g_autoptr(PGresult) result = NULL;

  _leap_pg_params_int (params, version);
  applied = _leap_store_pg_query (self, "SELECT 1 FROM schema_migrations WHERE version = $1",
                                  params, error);
  if (applied == NULL)
    return FALSE;
  /* Each version on its own, not only those above the highest applied:
   * one numbered below one written first (two branches) is still applied. */
  if (PQntuples (applied) > 0)
    return TRUE;

  sql = g_resources_lookup_data (path, 0, error);
  if (sql == NULL)
    return FALSE;
  text = g_strndup (g_bytes_get_data (sql, NULL), g_bytes_get_size (sql));
  if (!_leap_store_pg_begin (self, error))
    return FALSE;
  /* Fixed text of our own, several statements: the simple protocol. */
  result = PQexec (self->conn, text);
  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    {
      g_autoptr(GError) local_error = NULL;

      _leap_store_pg_set_error (self, result, &local_error);
      g_set_error (error, LEAP_ERROR, local_error->code, "Migration %s failed: %s", name,
                   local_error->message);
      _leap_store_pg_rollback (self);
      return FALSE;
    }
  g_ptr_array_set_size (params->values, 0);
  _leap_pg_params_int (params, version);
  _leap_pg_params_int (params, g_get_real_time () / G_USEC_PER_SEC);
  if (!_leap_store_pg_exec (self, "INSERT INTO schema_migrations (version, applied_at) "
                                  "VALUES ($1, $2)", params, error) ||
      !_leap_store_pg_commit (self, error))
    {
      _leap_store_pg_rollback (self);
      return FALSE;
    }
  g_info ("Applied database migration %s", name);
  return TRUE;
}

/* Applies each numbered migration this database has not seen yet, in
 * order, each in its own transaction. Backends that start at once take
 * turns on an advisory lock, so each migration is applied once. */
static gboolean
migrate (LeapStorePg *self,
         GError     **error)
{
  g_auto(GStrv) names = NULL;
  gboolean ok = TRUE;

  names = g_resources_enumerate_children (MIGRATIONS_PATH, 0, error);
  if (names == NULL)
    return FALSE;
  qsort (names, g_strv_length (names), sizeof (char *), compare_names);

  if (!_leap_store_pg_exec (self, "SELECT pg_advisory_lock (" MIGRATION_LOCK ")", NULL, error))
    return FALSE;
  ok = _leap_store_pg_exec (self, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                  "version bigint PRIMARY KEY, applied_at bigint NOT NULL)",
                            NULL, error);
  for (guint i = 0; ok && names[i] != NULL; i++)
    ok = apply_migration (self, names[i], error);
  _leap_store_pg_undo (self, "SELECT pg_advisory_unlock (" MIGRATION_LOCK ")");
  return ok;
}

static void
leap_store_pg_finalize (GObject *object)
{
  LeapStorePg *self = LEAP_STORE_PG (object);

  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->conn, PQfinish);
  g_free (self->conninfo);

  G_OBJECT_CLASS (leap_store_pg_parent_class)->finalize (object);
}

static void
leap_store_pg_class_init (LeapStorePgClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  LeapStoreClass *store_class = LEAP_STORE_CLASS (klass);

  object_class->finalize = leap_store_pg_finalize;

  store_class->ping = leap_store_pg_ping;

  _leap_store_pg_catalogue_class_init (store_class);
  _leap_store_pg_sessions_class_init (store_class);
  _leap_store_pg_orders_class_init (store_class);
  _leap_store_pg_terminal_class_init (store_class);
  _leap_store_pg_leases_class_init (store_class);
  _leap_store_pg_checkins_class_init (store_class);
  _leap_store_pg_refunds_class_init (store_class);
  _leap_store_pg_outage_class_init (store_class);
  _leap_store_pg_copy_class_init (store_class);
}

static void
leap_store_pg_init (LeapStorePg *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* Checks @conninfo without connecting; its "options" with ours added in
 * @options. The password comes from PGPASSFILE or ~/.pgpass, never from
 * @conninfo, which is shown in logs and process lists. */
static gboolean
parse_conninfo (const char *conninfo,
                char      **options,
                GError    **error)
{
  PQconninfoOption *parsed;
  g_autofree char *message = NULL;
  char *errmsg = NULL;
  gboolean has_password = FALSE;

  parsed = PQconninfoParse (conninfo, &errmsg);
  if (parsed == NULL)
    {
      message = one_line (errmsg != NULL ? errmsg : "out of memory");
      PQfreemem (errmsg);
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Invalid PostgreSQL database: %s",
                   message);
      return FALSE;
    }
  for (PQconninfoOption *option = parsed; option->keyword != NULL; option++)
    {
      if (g_str_equal (option->keyword, "password"))
        has_password = option->val != NULL && option->val[0] != '\0';
      else if (g_str_equal (option->keyword, "options"))
        *options = g_strjoin (" ", option->val != NULL ? option->val : "", OPTIONS, NULL);
    }
  PQconninfoFree (parsed);
  if (has_password)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           "The PostgreSQL database names a password: put it in ~/.pgpass "
                           "(or the file PGPASSFILE names) instead");
      return FALSE;
    }
  return TRUE;
}

gboolean
leap_store_pg_check_conninfo (const char *conninfo,
                              GError    **error)
{
  g_autofree char *options = NULL;

  return parse_conninfo (conninfo, &options, error);
}

/* Connects, waiting at most @timeout seconds, and with @user_timeout
 * (ms, "" for the system's) for what it sends to be acknowledged, unless
 * @conninfo says otherwise. Every session is in UTF-8 and UTC, also after
 * a reset: both go in the startup packet. */
static PGconn *
connect_to (const char *conninfo,
            const char *timeout,
            const char *user_timeout,
            GError    **error)
{
  g_autofree char *message = NULL;
  g_autofree char *options = NULL;
  PGconn *conn;

  if (!parse_conninfo (conninfo, &options, error))
    return NULL;

  {
    /* Earlier keywords are defaults the expanded dbname may override;
     * later ones are ours whatever it says. */
    const char *const keywords[] = { "connect_timeout", "tcp_user_timeout",
                                     "fallback_application_name", "dbname", "client_encoding",
                                     "options", NULL };
    const char *const values[] = { timeout, user_timeout, "leap", conninfo, "UTF8", options,
                                   NULL };

    conn = PQconnectdbParams (keywords, values, 1);
  }
  if (PQstatus (conn) != CONNECTION_OK)
    {
      message = one_line (PQerrorMessage (conn));
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                   "Cannot connect to the PostgreSQL database %s: %s",
                   PQdb (conn) != NULL ? PQdb (conn) : "", message);
      PQfinish (conn);
      return NULL;
    }
  return conn;
}

static LeapStore *
store_new (const char *conninfo,
           const char *timeout,
           const char *user_timeout,
           gboolean    migrated,
           GError    **error)
{
  g_autoptr(LeapStorePg) self = g_object_new (LEAP_TYPE_STORE_PG, NULL);

  self->conninfo = g_strdup (conninfo);
  self->conn = connect_to (conninfo, timeout, user_timeout, error);
  if (self->conn == NULL || (migrated && !migrate (self, error)))
    return NULL;
  return LEAP_STORE (g_steal_pointer (&self));
}

LeapStore *
leap_store_pg_new (const char *conninfo,
                   GError    **error)
{
  return store_new (conninfo, "10", "", TRUE, error);
}

/* A read replica is never migrated (it is read-only), and a dead one must
 * not hold a read up for long: 2 s to connect (libpq's least), and 5 s for
 * a query sent to a host that went away to fail (rather than TCP's
 * retransmissions, minutes), unless @conninfo names a connect_timeout or
 * tcp_user_timeout of its own. */
LeapStore *
leap_store_pg_new_replica (const char *conninfo,
                           GError    **error)
{
  return store_new (conninfo, "2", "5000", FALSE, error);
}

gboolean
leap_store_pg_wal_position (LeapStore *store,
                            gboolean   replayed,
                            gint64    *position,
                            GError   **error)
{
  g_autoptr(PGresult) result = NULL;

  g_return_val_if_fail (LEAP_IS_STORE_PG (store), FALSE);

  result = _leap_store_pg_query (LEAP_STORE_PG (store),
                                 replayed ? "SELECT pg_last_wal_replay_lsn () - '0/0'::pg_lsn"
                                          : "SELECT pg_current_wal_lsn () - '0/0'::pg_lsn",
                                 NULL, error);
  if (result == NULL)
    return FALSE;
  *position = PQgetisnull (result, 0, 0) ? -1 : _leap_store_pg_int (result, 0, 0);
  return TRUE;
}

char *
leap_store_pg_dup_migrations (LeapStore *store,
                              GError   **error)
{
  g_autoptr(PGresult) result = NULL;

  g_return_val_if_fail (LEAP_IS_STORE_PG (store), NULL);

  result = _leap_store_pg_query (LEAP_STORE_PG (store),
                                 "SELECT coalesce (string_agg (version::text, ',' "
                                 "ORDER BY version), '') FROM schema_migrations",
                                 NULL, error);
  if (result == NULL)
    return NULL;
  return g_strdup (PQgetvalue (result, 0, 0));
}
