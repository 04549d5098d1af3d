/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: users and their sessions; mirrors
 * leap-store-sqlite-sessions.c. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
#include "leap-json.h"

static gint64
leap_store_pg_create_user (LeapStore  *store,
                           const char *username,
                           const char *role,
                           const char *password_hash,
                           GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;
  gint64 id;

  _leap_pg_params_text (params, username);
  _leap_pg_params_text (params, role);
  _leap_pg_params_text (params, password_hash);
  _leap_pg_params_int (params, now);
  if (!_leap_store_pg_begin (self, error))
    return 0;
  result = _leap_store_pg_query (self, "INSERT INTO users (username, role, password_hash, "
                                       "created_at, updated_at) VALUES ($1, $2, $3, $4, $4) "
                                       "RETURNING id", params, error);
  if (result == NULL)
    goto fail;
  id = _leap_store_pg_int (result, 0, 0);
  if (!_leap_store_pg_audit (self, now, 0, "create", "user", username, role, error) ||
      !_leap_store_pg_commit (self, error))
    goto fail;
  return id;

fail:
  _leap_store_pg_rollback (self);
  return 0;
}

static JsonObject *
leap_store_pg_get_user (LeapStore  *store,
                        const char *username,
                        GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, username);
  return _leap_store_pg_query_one (LEAP_STORE_PG (store),
                                   "SELECT id, username, role, password_hash, disabled "
                                   "FROM users WHERE username = $1", params, TRUE, "user", error);
}

static gboolean
leap_store_pg_set_password_hash (LeapStore  *store,
                                 gint64      user_id,
                                 const char *password_hash,
                                 GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, password_hash);
  _leap_pg_params_int (params, g_get_real_time () / G_USEC_PER_SEC);
  _leap_pg_params_int (params, user_id);
  return _leap_store_pg_exec (LEAP_STORE_PG (store), "UPDATE users SET password_hash = $1, "
                                                     "updated_at = $2 WHERE id = $3",
                              params, error);
}

static gboolean
leap_store_pg_put_session (LeapStore  *store,
                           JsonObject *session,
                           GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, leap_json_get_string (session, "token_hash", ""));
  _leap_pg_params_id (params, leap_json_get_int (session, "user_id", 0));
  _leap_pg_params_text (params, leap_json_get_string (session, "role", ""));
  _leap_pg_params_int (params, leap_json_get_int (session, "created_at", 0));
  _leap_pg_params_int (params, leap_json_get_int (session, "expires_at", 0));
  return _leap_store_pg_exec (LEAP_STORE_PG (store), "INSERT INTO sessions (token_hash, "
                                                     "user_id, role, created_at, expires_at) "
                                                     "VALUES ($1, $2, $3, $4, $5)",
                              params, error);
}

static JsonObject *
leap_store_pg_get_session (LeapStore  *store,
                           const char *token_hash,
                           GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, token_hash);
  return _leap_store_pg_query_one (LEAP_STORE_PG (store),
                                   "SELECT s.token_hash, s.user_id, u.username, s.role, "
                                   "s.created_at, s.expires_at, s.revoked_at, "
                                   "coalesce (u.disabled, 0) AS disabled FROM sessions s "
                                   "LEFT JOIN users u ON u.id = s.user_id "
                                   "WHERE s.token_hash = $1", params, TRUE, "session", error);
}

static gboolean
leap_store_pg_revoke_session (LeapStore  *store,
                              const char *token_hash,
                              gint64      now,
                              GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_int (params, now);
  _leap_pg_params_text (params, token_hash);
  return _leap_store_pg_exec (LEAP_STORE_PG (store), "UPDATE sessions SET revoked_at = $1 "
                                                     "WHERE token_hash = $2 AND revoked_at IS "
                                                     "NULL", params, error);
}

void
_leap_store_pg_sessions_class_init (LeapStoreClass *klass)
{
  klass->create_user = leap_store_pg_create_user;
  klass->get_user = leap_store_pg_get_user;
  klass->set_password_hash = leap_store_pg_set_password_hash;
  klass->put_session = leap_store_pg_put_session;
  klass->get_session = leap_store_pg_get_session;
  klass->revoke_session = leap_store_pg_revoke_session;
}
