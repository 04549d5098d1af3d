/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_STORE_SQLITE (leap_store_sqlite_get_type ())
G_DECLARE_FINAL_TYPE (LeapStoreSqlite, leap_store_sqlite, LEAP, STORE_SQLITE, LeapStore)

LeapStore *leap_store_sqlite_new (const char *path,
                                  GError    **error);

G_END_DECLS
