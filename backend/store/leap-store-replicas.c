/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Read replicas: which streaming replica of a PostgreSQL store may answer
 * the reads that may be a moment old (see leap-store.c for which). */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-replicas.h"
#include "leap-store-pg.h"
#include "leap-error.h"

/* A fit replica is looked at again after this long; a failed one after
 * RETRY_MIN, doubling up to RETRY_MAX, so that a dead host (up to its
 * connect_timeout a try) costs little. */
#define CHECK_INTERVAL_US G_USEC_PER_SEC
#define RETRY_MIN_US      G_USEC_PER_SEC
#define RETRY_MAX_US      (30 * G_USEC_PER_SEC)

/* What every store opened again from one store shares: atomics. */
typedef struct
{
  guint64 replica_reads;
  guint64 primary_reads;
  guint   writes;
} Shared;

typedef struct
{
  char      *url;
  /* Owned: NULL until connected, and once it failed */
  LeapStore *store;
  gint64     next_check;   /* monotonic µs */
  gint64     retry_us;     /* 0 while it answers */
  gboolean   schema_ok;
  gboolean   fit;
  char      *said;         /* why it was last skipped, as logged; NULL while fit */
} Replica;

struct _LeapStoreReplicas
{
  /* Borrowed: owns this */
  LeapStore *primary;
  /* Owned */
  GPtrArray *replicas;     /* Replica */
  Shared    *shared;       /* g_atomic_rc_box */

  guint      next;         /* where the next pick starts: round robin */
  guint      writes_seen;
  gboolean   write_unseen; /* written since the primary's position was last read */
  gint64     write_position;
};

static void
replica_free (gpointer data)
{
  Replica *replica = data;

  g_clear_object (&replica->store);
  g_free (replica->url);
  g_free (replica->said);
  g_free (replica);
}

static LeapStoreReplicas *
replicas_new (LeapStore          *primary,
              const char * const *urls,
              Shared             *shared)
{
  LeapStoreReplicas *self = g_new0 (LeapStoreReplicas, 1);

  self->primary = primary;
  self->replicas = g_ptr_array_new_with_free_func (replica_free);
  self->shared = shared;
  self->writes_seen = g_atomic_int_get (&shared->writes);
  for (guint i = 0; urls[i] != NULL; i++)
    {
      Replica *replica = g_new0 (Replica, 1);

      replica->url = g_strdup (urls[i]);
      g_ptr_array_add (self->replicas, replica);
    }
  return self;
}

LeapStoreReplicas *
_leap_store_replicas_new (LeapStore          *primary,
                          const char * const *urls)
{
  return replicas_new (primary, urls, g_atomic_rc_box_new0 (Shared));
}

/* The same replicas for another thread's store: connections of its own. */
LeapStoreReplicas *
_leap_store_replicas_open_again (LeapStoreReplicas *self,
                                 LeapStore         *primary)
{
  g_autoptr(GPtrArray) urls = g_ptr_array_new ();

  for (guint i = 0; i < self->replicas->len; i++)
    g_ptr_array_add (urls, ((Replica *) g_ptr_array_index (self->replicas, i))->url);
  g_ptr_array_add (urls, NULL);
  return replicas_new (primary, (const char * const *) urls->pdata,
                       g_atomic_rc_box_acquire (self->shared));
}

void
_leap_store_replicas_free (LeapStoreReplicas *self)
{
  g_ptr_array_unref (self->replicas);
  g_atomic_rc_box_release (self->shared);
  g_free (self);
}

/* Skips @replica until @retry_us have passed (0: the next check), saying
 * why once. */
static void
skip (Replica    *replica,
      const char *why,
      gint64      retry_us)
{
  if (why != NULL && g_strcmp0 (replica->said, why) != 0)
    {
      g_message ("Read replica %s skipped, the primary serves its reads: %s", replica->url, why);
      g_free (replica->said);
      replica->said = g_strdup (why);
    }
  replica->fit = FALSE;
  replica->next_check = g_get_monotonic_time () + retry_us;
}

/* A replica that failed is connected again, after a while. */
static void
fail (Replica    *replica,
      const char *why)
{
  g_clear_object (&replica->store);
  replica->schema_ok = FALSE;
  replica->retry_us = CLAMP (replica->retry_us * 2, RETRY_MIN_US, RETRY_MAX_US);
  skip (replica, why, replica->retry_us);
}

/* Connects if need be, then checks that @replica has the primary's
 * migrations and is close enough behind it, and has replayed this
 * store's last catalogue write. */
static void
check (LeapStoreReplicas *self,
       Replica           *replica)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  gint64 written = 0;
  gint64 replayed = 0;

  if (replica->store == NULL &&
      (replica->store = leap_store_pg_new_replica (replica->url, &error)) == NULL)
    {
      fail (replica, error->message);
      return;
    }
  /* The replica first: the primary's position is then at least as far. */
  if (!leap_store_pg_wal_position (replica->store, TRUE, &replayed, &error))
    {
      fail (replica, error->message);
      return;
    }
  if (!leap_store_pg_wal_position (self->primary, FALSE, &written, &error))
    {
      skip (replica, error->message, CHECK_INTERVAL_US);
      return;
    }
  if (self->write_unseen)
    {
      self->write_position = written;
      self->write_unseen = FALSE;
    }
  if (!replica->schema_ok)
    {
      g_autofree char *ours = leap_store_pg_dup_migrations (self->primary, &error);
      g_autofree char *theirs = ours != NULL ? leap_store_pg_dup_migrations (replica->store,
                                                                             &error)
                                             : NULL;

      if (theirs == NULL)
        {
          fail (replica, error->message);
          return;
        }
      replica->schema_ok = g_str_equal (ours, theirs);
      if (!replica->schema_ok)
        why = g_strdup_printf ("its migrations (%s) are not the primary's (%s)", theirs, ours);
    }
  if (why == NULL && replayed < 0)
    why = g_strdup ("it is not a standby (pg_last_wal_replay_lsn () is NULL)");
  else if (why == NULL && written - replayed > LEAP_STORE_REPLICA_MAX_LAG)
    why = g_strdup_printf ("it is more than %d bytes behind", LEAP_STORE_REPLICA_MAX_LAG);
  replica->retry_us = 0;
  if (why != NULL)
    {
      skip (replica, why, CHECK_INTERVAL_US);
      return;
    }
  /* Not yet caught up with a write of ours: normal, and soon over. */
  replica->fit = replayed >= self->write_position;
  replica->next_check = g_get_monotonic_time () + CHECK_INTERVAL_US;
  if (replica->fit && replica->said != NULL)
    {
      g_message ("Read replica %s answers reads again", replica->url);
      g_clear_pointer (&replica->said, g_free);
    }
}

LeapStore *
_leap_store_replicas_pick (LeapStoreReplicas *self)
{
  guint writes = g_atomic_int_get (&self->shared->writes);
  guint n = self->replicas->len;

  /* A write, here or in another thread's store: none may answer until a
   * check after it. */
  if (writes != self->writes_seen)
    {
      self->writes_seen = writes;
      self->write_unseen = TRUE;
      for (guint i = 0; i < n; i++)
        ((Replica *) g_ptr_array_index (self->replicas, i))->fit = FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      Replica *replica = g_ptr_array_index (self->replicas, (self->next + i) % n);

      if (g_get_monotonic_time () >= replica->next_check)
        check (self, replica);
      if (replica->fit)
        {
          self->next = (self->next + i + 1) % n;
          return replica->store;
        }
    }
  return NULL;
}

gboolean
_leap_store_replicas_answered (LeapStoreReplicas *self,
                               LeapStore         *store,
                               const GError      *error)
{
  Replica *replica = NULL;

  if (error == NULL)
    {
      __atomic_add_fetch (&self->shared->replica_reads, 1, __ATOMIC_RELAXED);
      return TRUE;
    }
  /* A row not there yet (a moment behind) is the primary's to tell. */
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
    return FALSE;
  for (guint i = 0; i < self->replicas->len && replica == NULL; i++)
    if (((Replica *) g_ptr_array_index (self->replicas, i))->store == store)
      replica = g_ptr_array_index (self->replicas, i);
  g_assert (replica != NULL);
  fail (replica, error->message);
  return FALSE;
}

void
_leap_store_replicas_primary_read (LeapStoreReplicas *self)
{
  __atomic_add_fetch (&self->shared->primary_reads, 1, __ATOMIC_RELAXED);
}

void
_leap_store_replicas_wrote (LeapStoreReplicas *self)
{
  g_atomic_int_inc (&self->shared->writes);
}

void
_leap_store_replicas_get_stats (LeapStoreReplicas  *self,
                                LeapStoreReadStats *stats)
{
  stats->replica_reads = __atomic_load_n (&self->shared->replica_reads, __ATOMIC_RELAXED);
  stats->primary_reads = __atomic_load_n (&self->shared->primary_reads, __ATOMIC_RELAXED);
}
