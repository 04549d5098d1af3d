/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: the type, the statement cache, rows, transactions and
 * migrations; each aggregate is in a leap-store-sqlite-*.c of its own. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"
#include "leap-error.h"
#include "leap-json.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATIONS_PATH "/io/github/leapboxoffice/store/sqlite"

G_DEFINE_FINAL_TYPE (LeapStoreSqlite, leap_store_sqlite, LEAP_TYPE_STORE)

/* SQLite's own text names tables, columns and constraints: it goes to the
 * log, and the error says in plain words what failed. */
gboolean
_leap_store_sqlite_set_error (LeapStoreSqlite *self,
                              int              rc,
                              GError         **error)
{
  int primary = rc & 0xff;

  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    {
      g_message ("SQLite error %d: %s", rc, sqlite3_errmsg (self->db));
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                           "The database is busy with another writer; try again in a moment");
    }
  else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                         "Database: it is still referenced by other records");
  else if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_CONFLICT, "Database: it already exists");
  else if (primary == SQLITE_CONSTRAINT)
    {
      g_message ("SQLite error %d: %s", rc, sqlite3_errmsg (self->db));
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                           "The database refused the change: it breaks one of its rules");
    }
  else
    {
      g_warning ("SQLite error %d: %s", rc, sqlite3_errmsg (self->db));
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "The database failed");
    }
  return FALSE;
}

/* Returns a prepared statement for a fixed SQL text, reset and ready to bind.
 * SQL is never built from client input: only from fixed text and the
 * catalogue's table of kinds. */
sqlite3_stmt *
_leap_store_sqlite_prepare (LeapStoreSqlite *self,
                            const char      *sql,
                            GError         **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  else
    {
      rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
      if (rc != SQLITE_OK)
        {
          _leap_store_sqlite_set_error (self, rc, error);
          return NULL;
        }
      g_hash_table_insert (self->statements, g_strdup (sql), stmt);
    }
  leap_store_count_query (LEAP_STORE (self));
  return stmt;
}

gboolean
_leap_store_sqlite_exec (LeapStoreSqlite *self,
                         const char      *sql,
                         GError         **error)
{
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return _leap_store_sqlite_set_error (self, rc, error);
  return TRUE;
}

gboolean
_leap_store_sqlite_begin (LeapStoreSqlite *self,
                          GError         **error)
{
  return _leap_store_sqlite_exec (self, "BEGIN IMMEDIATE", error);
}

gboolean
_leap_store_sqlite_commit (LeapStoreSqlite *self,
                           GError         **error)
{
  return _leap_store_sqlite_exec (self, "COMMIT", error);
}

/* Runs a statement that undoes work on a failure path. The caller reports
 * its own error, so this one goes to the log: a failed undo leaves the
 * connection inside a transaction, and the next BEGIN or COMMIT says so. */
void
_leap_store_sqlite_undo (LeapStoreSqlite *self,
                         const char      *sql)
{
  g_autoptr(GError) error = NULL;

  if (!_leap_store_sqlite_exec (self, sql, &error))
    g_warning ("Cannot undo with %s: %s", sql, error->message);
}

void
_leap_store_sqlite_rollback (LeapStoreSqlite *self)
{
  if (!sqlite3_get_autocommit (self->db))
    _leap_store_sqlite_undo (self, "ROLLBACK");
}

/* Runs @one on each element of @items in one transaction (one fsync for
 * all: what lets a worker keep up with a rush), each in a savepoint of its
 * own so that one that fails is undone alone and answered as
 * {"error": {"code", "message"}}. NULL if the transaction itself failed. */
JsonArray *
_leap_store_sqlite_batch (LeapStoreSqlite      *self,
                          JsonArray            *items,
                          LeapStoreSqliteOneFunc one,
                          GError              **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(JsonArray) results = json_array_new ();

  if (!_leap_store_sqlite_begin (self, error))
    return NULL;
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      g_autoptr(GError) local_error = NULL;
      JsonObject *result = NULL;

      if (_leap_store_sqlite_exec (self, "SAVEPOINT leap_one", &local_error))
        {
          result = one (self, json_array_get_object_element (items, i), now, &local_error);
          if (result != NULL && !_leap_store_sqlite_exec (self, "RELEASE leap_one", &local_error))
            g_clear_pointer (&result, json_object_unref);
          if (result == NULL)
            {
              _leap_store_sqlite_undo (self, "ROLLBACK TO leap_one");
              _leap_store_sqlite_undo (self, "RELEASE leap_one");
            }
        }
      if (result == NULL)
        result = leap_store_batch_failure (local_error);
      json_array_add_object_element (results, result);
    }
  if (!_leap_store_sqlite_commit (self, error))
    {
      _leap_store_sqlite_rollback (self);
      return NULL;
    }
  return g_steal_pointer (&results);
}

static gboolean
is_time_column (const char *name)
{
  return g_str_has_suffix (name, "_at") || g_str_equal (name, "valid_from") ||
         g_str_equal (name, "valid_until");
}

/* A row as a JsonObject; API times become ISO 8601 strings unless raw. */
JsonObject *
_leap_store_sqlite_row (sqlite3_stmt *stmt,
                        gboolean      raw_times)
{
  JsonObject *object = json_object_new ();
  int n = sqlite3_column_count (stmt);

  for (int i = 0; i < n; i++)
    {
      const char *name = sqlite3_column_name (stmt, i);

      switch (sqlite3_column_type (stmt, i))
        {
        case SQLITE_NULL:
          json_object_set_null_member (object, name);
          break;
        case SQLITE_INTEGER:
          if (!raw_times && is_time_column (name))
            {
              g_autofree char *text = leap_time_format (sqlite3_column_int64 (stmt, i));
              json_object_set_string_member (object, name, text);
            }
          else
            json_object_set_int_member (object, name, sqlite3_column_int64 (stmt, i));
          break;
        default:
          json_object_set_string_member (object, name,
                                         (const char *) sqlite3_column_text (stmt, i));
          break;
        }
    }
  return object;
}

JsonArray *
_leap_store_sqlite_collect_rows (LeapStoreSqlite *self,
                                 sqlite3_stmt    *stmt,
                                 GError         **error)
{
  g_autoptr(JsonArray) array = json_array_new ();
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    json_array_add_object_element (array, _leap_store_sqlite_row (stmt, FALSE));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _leap_store_sqlite_set_error (self, rc, error);
      return NULL;
    }
  return g_steal_pointer (&array);
}

JsonObject *
_leap_store_sqlite_collect_one (LeapStoreSqlite *self,
                                sqlite3_stmt    *stmt,
                                gboolean         raw_times,
                                const char      *what,
                                GError         **error)
{
  JsonObject *object = NULL;
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    object = _leap_store_sqlite_row (stmt, raw_times);
  else if (rc == SQLITE_DONE)
    g_set_error (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such %s", what);
  else
    _leap_store_sqlite_set_error (self, rc, error);
  sqlite3_reset (stmt);
  return object;
}

gboolean
_leap_store_sqlite_step_done (LeapStoreSqlite *self,
                              sqlite3_stmt    *stmt,
                              GError         **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return _leap_store_sqlite_set_error (self, rc, error);
  return TRUE;
}

void
_leap_store_sqlite_bind_text_or_null (sqlite3_stmt *stmt,
                                      int           i,
                                      const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, i);
  else
    sqlite3_bind_text (stmt, i, text, -1, SQLITE_TRANSIENT);
}

/* One line of the audit log; user_id 0 for the system, details may be NULL. */
gboolean
_leap_store_sqlite_audit (LeapStoreSqlite *self,
                          gint64           now,
                          gint64           user_id,
                          const char      *action,
                          const char      *object_kind,
                          const char      *object_id,
                          const char      *details,
                          GError         **error)
{
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "INSERT INTO audit_log (at, user_id, action, "
                                                   "object_kind, object_id, details) "
                                                   "VALUES (?, ?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  if (user_id > 0)
    sqlite3_bind_int64 (stmt, 2, user_id);
  sqlite3_bind_text (stmt, 3, action, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, object_kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, object_id, -1, SQLITE_TRANSIENT);
  _leap_store_sqlite_bind_text_or_null (stmt, 6, details);
  return _leap_store_sqlite_step_done (self, stmt, error);
}

static gboolean
leap_store_sqlite_ping (LeapStore *store,
                        GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT count(*) FROM schema_migrations", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    return _leap_store_sqlite_set_error (self, rc, error);
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char **) a, *(char **) b);
}

static gboolean
migration_applied (LeapStoreSqlite *self,
                   gint64           version,
                   gboolean        *applied,
                   GError         **error)
{
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT count(*) FROM schema_migrations "
                                                   "WHERE version = ?", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, version);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *applied = sqlite3_column_int64 (stmt, 0) > 0;
  else
    _leap_store_sqlite_set_error (self, rc, error);
  sqlite3_reset (stmt);
  /* A database that cannot say is not taken as migrated: the backend stops. */
  return rc == SQLITE_ROW;
}

/* Applies each numbered migration that this database has not seen yet, in
 * order, each in its own transaction. */
static gboolean
migrate (LeapStoreSqlite *self,
         GError         **error)
{
  g_auto(GStrv) names = NULL;
  gint64 current = 0;
  sqlite3_stmt *stmt;
  char *errmsg = NULL;

  if (sqlite3_exec (self->db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                              "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                    NULL, NULL, NULL) != SQLITE_OK)
    return _leap_store_sqlite_set_error (self, sqlite3_errcode (self->db), error);

  stmt = _leap_store_sqlite_prepare (self, "SELECT coalesce (max (version), 0) "
                                           "FROM schema_migrations", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    current = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  names = g_resources_enumerate_children (MIGRATIONS_PATH, 0, error);
  if (names == NULL)
    return FALSE;
  qsort (names, g_strv_length (names), sizeof (char *), compare_names);

  for (guint i = 0; names[i] != NULL; i++)
    {
      gint64 version = g_ascii_strtoll (names[i], NULL, 10);
      g_autofree char *path = g_build_path ("/", MIGRATIONS_PATH, names[i], NULL);
      g_autoptr(GBytes) sql = NULL;
      g_autofree char *text = NULL;

      /* Each version on its own, not only those above the highest
       * applied: a migration numbered below one that was written first
       * (two branches, merged) is still applied. */
      gboolean applied = FALSE;

      if (version <= current && !migration_applied (self, version, &applied, error))
        return FALSE;
      if (applied)
        continue;
      sql = g_resources_lookup_data (path, 0, error);
      if (sql == NULL)
        return FALSE;
      text = g_strndup (g_bytes_get_data (sql, NULL), g_bytes_get_size (sql));

      if (!_leap_store_sqlite_begin (self, error))
        return FALSE;
      if (sqlite3_exec (self->db, text, NULL, NULL, &errmsg) != SQLITE_OK)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "Migration %s failed: %s",
                       names[i], errmsg);
          sqlite3_free (errmsg);
          _leap_store_sqlite_rollback (self);
          return FALSE;
        }
      stmt = _leap_store_sqlite_prepare (self, "INSERT INTO schema_migrations (version, "
                                               "applied_at) VALUES (?, ?)", error);
      if (stmt == NULL)
        {
          _leap_store_sqlite_rollback (self);
          return FALSE;
        }
      sqlite3_bind_int64 (stmt, 1, version);
      sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
      if (!_leap_store_sqlite_step_done (self, stmt, error) ||
          !_leap_store_sqlite_commit (self, error))
        {
          _leap_store_sqlite_rollback (self);
          return FALSE;
        }
      g_info ("Applied database migration %s", names[i]);
    }
  return TRUE;
}

/* The backup API copies a few pages at a time and lets writers in between,
 * so a backup of a busy database slows the sale down, never stops it; a
 * write between two steps starts the copy over, so it ends when a quiet
 * moment is long enough. */
#define BACKUP_PAGES_PER_STEP 256

static gboolean
copy_error (sqlite3    *copy,
            const char *path,
            GError    **error)
{
  g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Cannot write the backup %s: %s", path,
               sqlite3_errmsg (copy));
  return FALSE;
}

static gboolean
backup_into (LeapStoreSqlite *self,
             sqlite3         *copy,
             const char      *path,
             GError         **error)
{
  sqlite3_backup *backup = sqlite3_backup_init (copy, "main", self->db, "main");
  int rc;

  if (backup == NULL)
    return copy_error (copy, path, error);
  do
    {
      rc = sqlite3_backup_step (backup, BACKUP_PAGES_PER_STEP);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        g_usleep (5000);
    }
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  rc = sqlite3_backup_finish (backup);
  if (rc != SQLITE_OK)
    return copy_error (copy, path, error);
  return TRUE;
}

static gboolean
leap_store_sqlite_backup (LeapStore  *store,
                          const char *path,
                          GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  g_autofree char *partial = g_strconcat (path, ".partial", NULL);
  sqlite3 *copy = NULL;
  gboolean ok;

  g_unlink (partial);
  if (sqlite3_open_v2 (partial, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK)
    {
      copy_error (copy, partial, error);
      sqlite3_close (copy);
      return FALSE;
    }
  /* The copy is one file that a restore opens as it is: no WAL beside it,
   * and on the disk before it takes the backup's name. */
  if (sqlite3_exec (copy, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL", NULL, NULL,
                    NULL) != SQLITE_OK)
    ok = copy_error (copy, partial, error);
  else
    ok = backup_into (self, copy, partial, error);
  if (ok && sqlite3_exec (copy, "PRAGMA quick_check", NULL, NULL, NULL) != SQLITE_OK)
    ok = copy_error (copy, partial, error);
  sqlite3_close (copy);
  if (ok && g_rename (partial, path) != 0)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Cannot name the backup %s: %s", path,
                   g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (partial);
  return ok;
}

static void
leap_store_sqlite_finalize (GObject *object)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (object);

  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (leap_store_sqlite_parent_class)->finalize (object);
}

static void
leap_store_sqlite_class_init (LeapStoreSqliteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  LeapStoreClass *store_class = LEAP_STORE_CLASS (klass);

  object_class->finalize = leap_store_sqlite_finalize;

  store_class->ping = leap_store_sqlite_ping;
  store_class->backup = leap_store_sqlite_backup;
  store_class->copy_out = _leap_store_sqlite_copy_out;

  /* leap-store-sqlite-catalogue.c */
  store_class->get = _leap_store_sqlite_get;
  store_class->list_venues = _leap_store_sqlite_list_venues;
  store_class->list_events = _leap_store_sqlite_list_events;
  store_class->list_children = _leap_store_sqlite_list_children;
  store_class->list_availability = _leap_store_sqlite_list_availability;
  store_class->list_changes = _leap_store_sqlite_list_changes;
  store_class->list_inventory = _leap_store_sqlite_list_inventory;
  store_class->create = _leap_store_sqlite_create;
  store_class->update = _leap_store_sqlite_update;
  store_class->remove = _leap_store_sqlite_remove;
  store_class->count_committed = _leap_store_sqlite_count_committed;

  /* leap-store-sqlite-sessions.c */
  store_class->create_user = _leap_store_sqlite_create_user;
  store_class->get_user = _leap_store_sqlite_get_user;
  store_class->set_password_hash = _leap_store_sqlite_set_password_hash;
  store_class->put_session = _leap_store_sqlite_put_session;
  store_class->get_session = _leap_store_sqlite_get_session;
  store_class->revoke_session = _leap_store_sqlite_revoke_session;

  /* leap-store-sqlite-orders.c */
  store_class->get_order = _leap_store_sqlite_get_order;
  store_class->write_orders = _leap_store_sqlite_write_orders;
  store_class->set_order_status = _leap_store_sqlite_set_order_status;
  store_class->accept_orders = _leap_store_sqlite_accept_orders;
  store_class->get_accepted_order = _leap_store_sqlite_get_accepted_order;
  store_class->find_order_code = _leap_store_sqlite_find_order_code;
  store_class->begin_orders = _leap_store_sqlite_begin_orders;
  store_class->lease_renew = _leap_store_sqlite_lease_renew;
  store_class->lease_drop = _leap_store_sqlite_lease_drop;
  store_class->void_order = _leap_store_sqlite_void_order;
  store_class->card_ledger_record = _leap_store_sqlite_card_ledger_record;

  /* leap-store-sqlite-checkins.c */
  store_class->check_in_ticket = _leap_store_sqlite_check_in_ticket;

  /* leap-store-sqlite-refunds.c */
  store_class->begin_refund = _leap_store_sqlite_begin_refund;
  store_class->complete_refund = _leap_store_sqlite_complete_refund;
  store_class->list_unfinished_refunds = _leap_store_sqlite_list_unfinished_refunds;
  store_class->list_pending_returns = _leap_store_sqlite_list_pending_returns;
  store_class->mark_returned = _leap_store_sqlite_mark_returned;

  /* leap-store-sqlite-outage.c: holds without Redis */
  store_class->outage_open = _leap_store_sqlite_outage_open;
  store_class->outage_close = _leap_store_sqlite_outage_close;
  store_class->outage_lower = _leap_store_sqlite_outage_lower;
  store_class->db_hold_create = _leap_store_sqlite_db_hold_create;
  store_class->db_hold_get = _leap_store_sqlite_db_hold_get;
  store_class->db_hold_end = _leap_store_sqlite_db_hold_end;
  store_class->db_hold_checkout = _leap_store_sqlite_db_hold_checkout;
  store_class->db_holds_expire = _leap_store_sqlite_db_holds_expire;
  store_class->outbox_mark_sent = _leap_store_sqlite_outbox_mark_sent;
  store_class->outage_since = _leap_store_sqlite_outage_since;
}

/* Another connection writes (a worker, the backend's writer of accepted
 * orders): wait for it, up to BUSY_TIMEOUT_MS. SQLite's own busy timeout
 * sleeps up to 100 ms a try, far longer than the few milliseconds a
 * writer here holds the lock; a short poll lets two writers take turns. */
#define BUSY_TIMEOUT_MS 5000
#define BUSY_POLL_US    250

static int
busy_cb (void *data,
         int   count)
{
  if ((gint64) count * BUSY_POLL_US >= BUSY_TIMEOUT_MS * 1000)
    return 0;
  g_usleep (BUSY_POLL_US);
  return 1;
}

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
leap_store_sqlite_init (LeapStoreSqlite *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_statement);
}

LeapStore *
leap_store_sqlite_new (const char *path,
                       GError    **error)
{
  g_autoptr(LeapStoreSqlite) self = g_object_new (LEAP_TYPE_STORE_SQLITE, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  char *errmsg = NULL;
  int rc;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "Cannot create %s: %s", dir,
                   g_strerror (errno));
      return NULL;
    }
  self->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "Cannot open database %s: %s",
                   path, self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_handler (self->db, busy_cb, NULL);
  /* Orders and payments are written here: FULL keeps a committed sale on
   * disk through a power cut, not only through a crash. */
  if (sqlite3_exec (self->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                              "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
                    NULL, NULL, &errmsg) != SQLITE_OK)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "Cannot configure database: %s", errmsg);
      sqlite3_free (errmsg);
      return NULL;
    }
  if (!migrate (self, error))
    return NULL;
  return LEAP_STORE (g_steal_pointer (&self));
}
