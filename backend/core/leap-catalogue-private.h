/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-catalogue.h"
#include "leap-schema.h"

G_BEGIN_DECLS

/* What leap-catalogue.c (reads and writes), leap-catalogue-tiers.c (tiers
 * and their counters, removals) and leap-catalogue-demo.c (the demo
 * catalogue) share. */

struct _LeapCatalogue
{
  GObject    parent_instance;

  /* Owned */
  LeapStore *store;
  LeapCache *cache;
};

const LeapSchema *_leap_catalogue_schema_of   (LeapKind            kind);
void              _leap_catalogue_delete_async (LeapCatalogue      *self,
                                                LeapKind            kind,
                                                gint64              id,
                                                gint64              actor,
                                                GAsyncReadyCallback callback,
                                                gpointer            user_data);

G_END_DECLS
