/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: the type, the connection, the statement cache, rows,
 * transactions and migrations; each aggregate is in a leap-store-pg-*.c
 * of its own. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
#include "leap-json.h"

G_DEFINE_FINAL_TYPE (LeapStorePg, leap_store_pg, LEAP_TYPE_STORE)

static void
leap_store_pg_class_init (LeapStorePgClass *klass)
{
  LeapStoreClass *store_class = LEAP_STORE_CLASS (klass);

  _leap_store_pg_catalogue_class_init (store_class);
  _leap_store_pg_sessions_class_init (store_class);
  _leap_store_pg_orders_class_init (store_class);
  _leap_store_pg_terminal_class_init (store_class);
  _leap_store_pg_leases_class_init (store_class);
  _leap_store_pg_checkins_class_init (store_class);
  _leap_store_pg_refunds_class_init (store_class);
  _leap_store_pg_outage_class_init (store_class);
}

static void
leap_store_pg_init (LeapStorePg *self)
{
}
