/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: the leases of the backends that sell through Redis, the
 * fence that keeps the database from selling at the same time (see "When
 * Redis is down" in docs/architecture.md). */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"

/* The database's clock: SQLite is one machine's file, so every backend on
 * it reads the same clock. */
static gint64
db_now_ms (void)
{
  return g_get_real_time () / 1000;
}

gboolean
_leap_store_sqlite_lease_renew (LeapStore   *store,
                                const char  *holder,
                                gint64       ttl_ms,
                                GError     **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt;

  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO redis_leases (holder, expires_ms) "
                                           "VALUES (?, ?) ON CONFLICT (holder) "
                                           "DO UPDATE SET expires_ms = excluded.expires_ms",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, holder, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, db_now_ms () + ttl_ms);
  return _leap_store_sqlite_step_done (self, stmt, error);
}

gboolean
_leap_store_sqlite_lease_drop (LeapStore   *store,
                               const char  *holder,
                               GError     **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt;

  stmt = _leap_store_sqlite_prepare (self, "DELETE FROM redis_leases WHERE holder = ? "
                                           "OR expires_ms < ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, holder, -1, SQLITE_TRANSIENT);
  /* Those of backends long gone go too. */
  sqlite3_bind_int64 (stmt, 2, db_now_ms () - 3600 * 1000);
  return _leap_store_sqlite_step_done (self, stmt, error);
}

/* Within a hold's transaction: 1 if some backend may still sell through
 * Redis, 0 if none, -1 with @error set. */
int
_leap_store_sqlite_lease_live_in (LeapStoreSqlite  *self,
                                  GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = _leap_store_sqlite_prepare (self, "SELECT 1 FROM redis_leases WHERE expires_ms > ? "
                                           "LIMIT 1", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, db_now_ms ());
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc == SQLITE_ROW)
    return 1;
  if (rc == SQLITE_DONE)
    return 0;
  _leap_store_sqlite_set_error (self, rc, error);
  return -1;
}
