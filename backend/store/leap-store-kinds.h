/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-store.h"
#include "leap-schema.h"

G_BEGIN_DECLS

/* The catalogue as both stores keep it: one table per kind with the fields
 * of its schema. The only source, besides fixed text, of the SQL the
 * stores build: never client input. */
typedef struct
{
  const char       *table;
  const char       *columns;    /* what a read returns, in API order */
  const LeapSchema *schema;
  gboolean          has_event;  /* belongs to an event (event_id column) */
} LeapStoreKind;

extern const LeapStoreKind _leap_store_kinds[LEAP_N_KINDS];

/* Reads one object inside the caller's transaction. */
typedef JsonObject *(*LeapStoreGetFunc) (LeapStore  *store,
                                         LeapKind    kind,
                                         gint64      id,
                                         GError    **error);

gboolean  _leap_store_check_references (LeapStore        *store,
                                        LeapStoreGetFunc  get,
                                        LeapKind          kind,
                                        gint64            event_id,
                                        JsonObject       *merged,
                                        GError          **error);
char     *_leap_store_like_pattern     (const char       *q);

G_END_DECLS
