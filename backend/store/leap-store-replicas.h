/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-store.h"

G_BEGIN_DECLS

/* How far (bytes of write-ahead log) a replica may be behind the primary
 * and still answer reads. */
#define LEAP_STORE_REPLICA_MAX_LAG (1024 * 1024)

/* The read replicas of one store (leap_store_set_replicas ()): which of
 * them may answer a read now. Its connections are the store's, used by one
 * thread at a time as the store is; the counts and the news of a write are
 * shared with every store opened again from it. */
typedef struct _LeapStoreReplicas LeapStoreReplicas;

LeapStoreReplicas *_leap_store_replicas_new          (LeapStore          *primary,
                                                      const char * const *urls);
LeapStoreReplicas *_leap_store_replicas_open_again   (LeapStoreReplicas  *self,
                                                      LeapStore          *primary);
void               _leap_store_replicas_free         (LeapStoreReplicas  *self);
/* A replica fit to answer a read now, or NULL: the primary answers. */
LeapStore         *_leap_store_replicas_pick         (LeapStoreReplicas  *self);
/* What @replica answered a read: FALSE if it failed (@error), for the
 * primary to answer instead. */
gboolean           _leap_store_replicas_answered     (LeapStoreReplicas  *self,
                                                      LeapStore          *replica,
                                                      const GError       *error);
void               _leap_store_replicas_primary_read (LeapStoreReplicas  *self);
/* The catalogue was written: reads go to the primary until a replica has
 * replayed the write. */
void               _leap_store_replicas_wrote        (LeapStoreReplicas  *self);
void               _leap_store_replicas_get_stats    (LeapStoreReplicas  *self,
                                                      LeapStoreReadStats *stats);

G_END_DECLS
