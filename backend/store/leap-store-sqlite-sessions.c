/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: users and their sessions. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"
#include "leap-error.h"
#include "leap-json.h"

gint64
_leap_store_sqlite_create_user (LeapStore  *store,
                                const char *username,
                                const char *role,
                                const char *password_hash,
                                GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_stmt *stmt;
  gint64 id;

  if (!_leap_store_sqlite_begin (self, error))
    return 0;
  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO users (username, role, password_hash, "
                                           "created_at, updated_at) VALUES (?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, username, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, role, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, password_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, now);
  sqlite3_bind_int64 (stmt, 5, now);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    goto fail;
  id = sqlite3_last_insert_rowid (self->db);

  if (!_leap_store_sqlite_audit (self, now, 0, "create", "user", username, role, error) ||
      !_leap_store_sqlite_commit (self, error))
    goto fail;
  return id;

fail:
  _leap_store_sqlite_rollback (self);
  return 0;
}

JsonObject *
_leap_store_sqlite_get_user (LeapStore  *store,
                             const char *username,
                             GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT id, username, role, password_hash, "
                                                   "disabled FROM users WHERE username = ?", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, username, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_collect_one (self, stmt, TRUE, "user", error);
}

gboolean
_leap_store_sqlite_set_password_hash (LeapStore  *store,
                                      gint64      user_id,
                                      const char *password_hash,
                                      GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "UPDATE users SET password_hash = ?, updated_at "
                                                   "= ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, password_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, 3, user_id);
  return _leap_store_sqlite_step_done (self, stmt, error);
}

gboolean
_leap_store_sqlite_put_session (LeapStore  *store,
                                JsonObject *session,
                                GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "INSERT INTO sessions (token_hash, user_id, "
                                                   "role, created_at, expires_at) "
                                                   "VALUES (?, ?, ?, ?, ?)", error);
  gint64 user_id = leap_json_get_int (session, "user_id", 0);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, leap_json_get_string (session, "token_hash", ""), -1,
                     SQLITE_TRANSIENT);
  if (user_id > 0)
    sqlite3_bind_int64 (stmt, 2, user_id);
  sqlite3_bind_text (stmt, 3, leap_json_get_string (session, "role", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, leap_json_get_int (session, "created_at", 0));
  sqlite3_bind_int64 (stmt, 5, leap_json_get_int (session, "expires_at", 0));
  return _leap_store_sqlite_step_done (self, stmt, error);
}

JsonObject *
_leap_store_sqlite_get_session (LeapStore  *store,
                                const char *token_hash,
                                GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT s.token_hash, s.user_id, u.username, "
                                                   "s.role, s.created_at, s.expires_at, "
                                                   "s.revoked_at, coalesce (u.disabled, 0) AS "
                                                   "disabled FROM sessions s LEFT JOIN users u "
                                                   "ON u.id = s.user_id WHERE s.token_hash = ?",
                                                   error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, token_hash, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_collect_one (self, stmt, TRUE, "session", error);
}

gboolean
_leap_store_sqlite_revoke_session (LeapStore  *store,
                                   const char *token_hash,
                                   gint64      now,
                                   GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "UPDATE sessions SET revoked_at = ? "
                                                   "WHERE token_hash = ? AND revoked_at IS NULL",
                                                   error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  sqlite3_bind_text (stmt, 2, token_hash, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_step_done (self, stmt, error);
}
