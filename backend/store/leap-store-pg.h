/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_STORE_PG (leap_store_pg_get_type ())
G_DECLARE_FINAL_TYPE (LeapStorePg, leap_store_pg, LEAP, STORE_PG, LeapStore)

/* Connects with a libpq connection string or URI (postgresql://…,
 * postgres://…, or "host=/run/postgresql dbname=…") and migrates. */
LeapStore *leap_store_pg_new (const char *conninfo,
                              GError    **error);

G_END_DECLS
