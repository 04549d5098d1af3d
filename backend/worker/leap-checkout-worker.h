/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char   *redis_host;
  guint16 redis_port;
  char  **redis_sentinels;   /* "HOST:PORT" each, or NULL: Redis at redis_host */
  char   *redis_master;      /* the primary's name at the Sentinels */
  char   *database_url;      /* sqlite:PATH or PostgreSQL's */
  char   *consumer;          /* this worker's name in the consumer group */
  guint   concurrency;       /* messages in work at once */
  guint   card_latency_ms;   /* the simulated card terminal */
  double  card_decline_rate;
  guint   claim_idle_ms;     /* a message pending this long is taken over */
  guint   max_deliveries;    /* then it goes to the dead-letter stream */
  guint   block_ms;          /* how long one XREADGROUP waits */
  char   *ticket_key;        /* the ticket signing key file; NULL: next to the database */
} LeapCheckoutWorkerConfig;

void leap_checkout_worker_config_init  (LeapCheckoutWorkerConfig *config);
void leap_checkout_worker_config_clear (LeapCheckoutWorkerConfig *config);

#define LEAP_TYPE_CHECKOUT_WORKER (leap_checkout_worker_get_type ())
G_DECLARE_FINAL_TYPE (LeapCheckoutWorker, leap_checkout_worker, LEAP, CHECKOUT_WORKER, GObject)

/* The checkout consumer: reads the checkout streams in a consumer group,
 * takes each payment, writes the order in one transaction, confirms or
 * releases the hold, acknowledges, publishes the result. It runs on the
 * thread-default main context, so tests run it next to a backend. */
LeapCheckoutWorker *leap_checkout_worker_new           (const LeapCheckoutWorkerConfig *config,
                                                        GError                        **error);
void                leap_checkout_worker_start         (LeapCheckoutWorker             *self);
void                leap_checkout_worker_stop          (LeapCheckoutWorker             *self);
gboolean            leap_checkout_worker_is_idle       (LeapCheckoutWorker             *self);
gboolean            leap_checkout_worker_is_connected  (LeapCheckoutWorker             *self);
guint64             leap_checkout_worker_get_processed (LeapCheckoutWorker             *self);
guint64             leap_checkout_worker_get_dead      (LeapCheckoutWorker             *self);
guint               leap_checkout_worker_get_in_flight (LeapCheckoutWorker             *self);

G_END_DECLS
