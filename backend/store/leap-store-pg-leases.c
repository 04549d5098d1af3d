/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: the leases of the backends that sell through Redis, the
 * fence that keeps the database from selling at the same time (see "When
 * Redis is down" in docs/architecture.md); mirrors
 * leap-store-sqlite-leases.c. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"

/* The database's clock, in milliseconds: backends on several machines
 * share the server's, whatever their own say. */
#define DB_NOW_MS "(extract (epoch FROM clock_timestamp ()) * 1000)::bigint"

static gboolean
leap_store_pg_lease_renew (LeapStore   *store,
                           const char  *holder,
                           gint64       ttl_ms,
                           GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, holder);
  _leap_pg_params_int (params, ttl_ms);
  return _leap_store_pg_exec (LEAP_STORE_PG (store),
                              "INSERT INTO redis_leases (holder, expires_ms) "
                              "VALUES ($1, " DB_NOW_MS " + $2::bigint) ON CONFLICT (holder) "
                              "DO UPDATE SET expires_ms = excluded.expires_ms", params, error);
}

static gboolean
leap_store_pg_lease_drop (LeapStore   *store,
                          const char  *holder,
                          GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, holder);
  /* Those of backends long gone go too. */
  return _leap_store_pg_exec (LEAP_STORE_PG (store),
                              "DELETE FROM redis_leases WHERE holder = $1 "
                              "OR expires_ms < " DB_NOW_MS " - 3600 * 1000", params, error);
}

/* Within a hold's transaction: 1 if some backend may still sell through
 * Redis, 0 if none, -1 with @error set. Unlike SQLite's, PostgreSQL's
 * writers do not take turns: the share lock makes a renewal wait for the
 * holds that found no lease to commit, and the check wait for a renewal
 * under way, so no hold is written after a lease it did not see. */
int
_leap_store_pg_lease_live_in (LeapStorePg  *self,
                              GError      **error)
{
  g_autoptr(PGresult) result = NULL;

  if (!_leap_store_pg_exec (self, "LOCK TABLE redis_leases IN SHARE MODE", NULL, error))
    return -1;
  result = _leap_store_pg_query (self, "SELECT 1 FROM redis_leases "
                                       "WHERE expires_ms > " DB_NOW_MS " LIMIT 1", NULL, error);
  if (result == NULL)
    return -1;
  return PQntuples (result) > 0 ? 1 : 0;
}

void
_leap_store_pg_leases_class_init (LeapStoreClass *klass)
{
  klass->lease_renew = leap_store_pg_lease_renew;
  klass->lease_drop = leap_store_pg_lease_drop;
}
