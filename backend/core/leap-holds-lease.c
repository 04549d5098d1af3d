/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-holds"

/* The fence between selling through Redis and selling from the database
 * (see "When Redis is down" in docs/architecture.md). A backend sells
 * through Redis only while it holds a lease in the database, renewed every
 * second and stopped being used a second before it ends; the database
 * makes no hold while any backend's lease is live. So a backend cut off
 * from Redis, whatever else it still reaches, never sells from the
 * database what the others sell through Redis. */

#include "leap-holds-private.h"

#include <unistd.h>

/* Three ticks: a renewal may miss one and nothing stops. */
#define LEASE_MS (3 * EXPIRE_TICK_MS)
/* Selling stops this long before the lease ends by the database's clock:
 * what a hold sent at the last moment needs to reach Redis. */
#define LEASE_MARGIN_MS EXPIRE_TICK_MS

void
_leap_holds_lease_init (LeapHolds *self)
{
  self->lease_holder = g_strdup_printf ("%s:%d:%08x", g_get_host_name (), (int) getpid (),
                                        g_random_int ());
}

/* Renews the lease on store (a connection of the pool); FALSE if the
 * database did not take it (the lease then runs out, and this backend
 * stops selling through Redis). */
gboolean
_leap_holds_lease_renew_on (LeapStore  *store,
                            const char *holder,
                            GError    **error)
{
  return leap_store_lease_renew (store, holder, LEASE_MS, error);
}

/* The renewal that started at start (monotonic ms, taken before the
 * write) answered: error is NULL if the database took it. */
void
_leap_holds_lease_renewed (LeapHolds    *self,
                           gint64        start,
                           const GError *error)
{
  if (error == NULL)
    self->lease_until = start + LEASE_MS - LEASE_MARGIN_MS;
  else if (_leap_holds_lease_held (self))
    g_warning ("Cannot renew this backend's lease on selling through Redis: %s; "
               "holds stop within two seconds unless it is renewed", error->message);
}

/* The tick's renewal, off the main loop: a database that is slow to take
 * it stops nothing else. The same round trip asks whether another backend
 * sells from the database, so that this one takes its holds over. */
typedef struct
{
  char   *holder;
  gint64  start;      /* monotonic ms, taken before the write */
  guint   generation;
  gint64  outage_ms;  /* the database's open outage, 0 none */
} Renewal;

static void
renewal_free (Renewal *r)
{
  g_free (r->holder);
  g_free (r);
}

static gpointer
renew_run (LeapStore *store,
           gpointer   data,
           GError   **error)
{
  Renewal *r = data;

  if (!_leap_holds_lease_renew_on (store, r->holder, error))
    return NULL;
  r->outage_ms = leap_store_outage_since (store, NULL);
  return r;
}

static void
renewed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(LeapHolds) self = user_data;
  g_autoptr(GError) error = NULL;
  Renewal *r = leap_store_call_finish (LEAP_STORE (object), result, &error);

  self->renewing = FALSE;
  if (r == NULL)
    {
      _leap_holds_lease_renewed (self, 0, error);
      return;
    }
  /* Dropped, rebuilt or disposed meanwhile: this answer is not the lease's. */
  if (r->generation != self->generation)
    return;
  _leap_holds_lease_renewed (self, r->start, NULL);
  /* A backend that lost Redis while this one did not (or found out after
   * the rebuild) opened an outage: end it within a second and take over
   * the holds it made before this backend's lease was live. */
  if (self->ready && r->outage_ms != 0)
    {
      g_warning ("Another backend sells from the database while Redis answers here; "
                 "taking its holds over");
      _leap_holds_rebuild (self);
    }
}

void
_leap_holds_lease_renew_async (LeapHolds *self)
{
  Renewal *r;

  if (self->renewing)
    return;
  r = g_new0 (Renewal, 1);
  r->holder = g_strdup (self->lease_holder);
  r->start = g_get_monotonic_time () / 1000;
  r->generation = self->generation;
  self->renewing = TRUE;
  leap_store_call_async (self->store, renew_run, r, (GDestroyNotify) renewal_free, NULL, NULL,
                         renewed_cb, g_object_ref (self));
}

gboolean
_leap_holds_lease_held (LeapHolds *self)
{
  return g_get_monotonic_time () / 1000 < self->lease_until;
}

static gpointer
lease_drop_run (LeapStore *store,
                gpointer   data,
                GError   **error)
{
  return leap_store_lease_drop (store, data, error) ? data : NULL;
}

static void
lease_dropped_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (leap_store_call_finish (LEAP_STORE (object), result, &error) == NULL)
    g_warning ("Cannot give up this backend's lease on selling through Redis: %s; the "
               "database sells only once it has run out", error->message);
}

/* This backend no longer sells through Redis (it lost it, or it ends).
 * The database learns it in turn with the failover's other calls;
 * when the backend ends (!in_turn), before it goes. */
void
_leap_holds_lease_drop (LeapHolds *self,
                        gboolean   in_turn)
{
  g_autoptr(GError) error = NULL;

  self->lease_until = 0;
  if (in_turn)
    _leap_holds_failover_call (self, lease_drop_run, g_strdup (self->lease_holder), g_free, NULL,
                               lease_dropped_cb, NULL);
  else if (!leap_store_lease_drop (self->store, self->lease_holder, &error))
    g_warning ("Cannot give up this backend's lease on selling through Redis: %s; the "
               "database sells only once it has run out", error->message);
}
