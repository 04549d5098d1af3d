/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: mirrors leap-store-sqlite-outage.c. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
#include "leap-json.h"

void
_leap_store_pg_outage_class_init (LeapStoreClass *klass)
{
}
