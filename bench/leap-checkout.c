/* SPDX-License-Identifier: GPL-3.0-or-later */
/* leap-checkout: the checkout benchmark's client.
 *
 *   leap-checkout live HOST PORT TOKEN EVENT TIER N CONNECTIONS REDIS_HOST REDIS_PORT
 *     holds N single tickets, then places an order with the simulated card
 *     for each while workers run, and times every order from the POST to
 *     the worker's result on leap:order:ID.
 *   leap-checkout place HOST PORT TOKEN EVENT TIER N CONNECTIONS
 *     the same without waiting for results: fills the stream for a
 *     worker started afterwards.
 *   leap-checkout bare REDIS_HOST REDIS_PORT N
 *     a bare stream consumer for comparison: XADD N messages, then
 *     XREADGROUP + XACK them with no work in between. */
#include "leap-load.h"

#include <glib.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  const char *host, *port, *token;
  long        event, tier, n;
  char      **hold_ids;
  char      **order_ids;
  double     *placed_at;
  long        failed_requests;
  LeapSeries  latency;

  /* Results from the subscriber thread */
  GMutex      lock;
  GCond       cond;
  GHashTable *paid_at;     /* order id → double* */
  long        paid, declined;
  double      last_result;
} Bench;

/* The string value of "NAME":"…" in a JSON text, or NULL. */
static char *
json_string (const char *json,
             size_t      len,
             const char *name)
{
  g_autofree char *text = g_strndup (json, len);
  g_autofree char *needle = g_strdup_printf ("\"%s\":\"", name);
  const char *start = strstr (text, needle), *end;

  if (start == NULL)
    return NULL;
  start += strlen (needle);
  end = strchr (start, '"');
  return end ? g_strndup (start, end - start) : NULL;
}

static size_t
post (Bench      *b,
      const char *path,
      const char *body,
      char       *buf,
      size_t      size)
{
  int n = snprintf (buf, size,
                    "POST %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\n"
                    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                    path, b->host, b->port, b->token, strlen (body), body);

  return n > 0 && (size_t) n < size ? (size_t) n : 0;
}

static size_t
next_hold (void *data, long index, char *buf, size_t size)
{
  Bench *b = data;
  char body[256];

  if (index >= b->n)
    return 0;
  snprintf (body, sizeof body, "{\"event_id\":%ld,\"items\":[{\"tier_id\":%ld,\"quantity\":1}]}",
            b->event, b->tier);
  return post (b, "/api/v1/holds", body, buf, size);
}

static void
hold_done (void *data, long index, int status, const char *body, size_t len, double latency)
{
  Bench *b = data;

  if (status == 201)
    b->hold_ids[index] = json_string (body, len, "hold_id");
  else
    b->failed_requests++;
}

static size_t
next_order (void *data, long index, char *buf, size_t size)
{
  Bench *b = data;
  char body[512];

  while (index < b->n && b->hold_ids[index] == NULL)
    index++;    /* cannot happen when every hold succeeded */
  if (index >= b->n)
    return 0;
  snprintf (body, sizeof body,
            "{\"hold_id\":\"%s\",\"payment\":{\"method\":\"card\"},\"customer\":{\"name\":\"Bench "
            "%ld\"}}",
            b->hold_ids[index], index);
  b->placed_at[index] = leap_now_s ();
  return post (b, "/api/v1/orders", body, buf, size);
}

static void
order_done (void *data, long index, int status, const char *body, size_t len, double latency)
{
  Bench *b = data;

  if (status == 202)
    b->order_ids[index] = json_string (body, len, "order_id");
  else
    b->failed_requests++;
}

static redisContext *
redis_connect (const char *host,
               const char *port)
{
  redisContext *c = redisConnect (host, atoi (port));

  if (c == NULL || c->err)
    {
      fprintf (stderr, "Redis %s:%s: %s\n", host, port, c ? c->errstr : "no memory");
      exit (1);
    }
  return c;
}

typedef struct
{
  Bench        *bench;
  redisContext *redis;
} Subscriber;

static gpointer
subscribe_thread (gpointer data)
{
  Subscriber *s = data;
  Bench *b = s->bench;
  redisReply *reply;

  while (redisGetReply (s->redis, (void **) &reply) == REDIS_OK)
    {
      double now = leap_now_s ();

      if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 4 &&
          strcmp (reply->element[0]->str, "pmessage") == 0)
        {
          g_autofree char *order = json_string (reply->element[3]->str, reply->element[3]->len,
                                                "order_id");
          g_autofree char *status = json_string (reply->element[3]->str, reply->element[3]->len,
                                                 "status");
          double *at = g_new (double, 1);

          *at = now;
          g_mutex_lock (&b->lock);
          if (order != NULL && !g_hash_table_contains (b->paid_at, order))
            {
              g_hash_table_insert (b->paid_at, g_steal_pointer (&order), at);
              if (g_strcmp0 (status, "paid") == 0)
                b->paid++;
              else
                b->declined++;
              b->last_result = now;
              g_cond_signal (&b->cond);
            }
          else
            g_free (at);
          g_mutex_unlock (&b->lock);
        }
      freeReplyObject (reply);
    }
  return NULL;
}

static int
run_checkout (int argc, char *argv[], gboolean live)
{
  Bench b = { 0 };
  Subscriber sub = { &b, NULL };
  int connections;
  double t0, t1, t2;
  long placed = 0;

  b.host = argv[2];
  b.port = argv[3];
  b.token = argv[4];
  b.event = atol (argv[5]);
  b.tier = atol (argv[6]);
  b.n = atol (argv[7]);
  connections = atoi (argv[8]);
  b.hold_ids = g_new0 (char *, b.n);
  b.order_ids = g_new0 (char *, b.n);
  b.placed_at = g_new0 (double, b.n);
  b.paid_at = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);

  t0 = leap_now_s ();
  if (leap_load_run (b.host, atoi (b.port), connections, next_hold, hold_done, &b) < 0)
    return 1;
  t1 = leap_now_s ();
  printf ("holds         %ld in %.2f s (%.0f/s), %ld refused\n", b.n - b.failed_requests, t1 - t0,
          (b.n - b.failed_requests) / (t1 - t0), b.failed_requests);
  if (b.failed_requests > 0)
    return 1;

  if (live)
    {
      redisReply *reply;

      sub.redis = redis_connect (argv[9], argv[10]);
      reply = redisCommand (sub.redis, "PSUBSCRIBE leap:order:*");
      freeReplyObject (reply);
      g_thread_unref (g_thread_new ("subscriber", subscribe_thread, &sub));
    }

  t1 = leap_now_s ();
  if (leap_load_run (b.host, atoi (b.port), connections, next_order, order_done, &b) < 0)
    return 1;
  t2 = leap_now_s ();
  for (long i = 0; i < b.n; i++)
    placed += b.order_ids[i] != NULL;
  printf ("orders placed %ld in %.2f s (%.0f/s), %ld refused\n", placed, t2 - t1,
          placed / (t2 - t1), b.failed_requests);
  if (!live)
    return placed == b.n ? 0 : 1;

  {
    gint64 deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
    gboolean complete;

    g_mutex_lock (&b.lock);
    while (b.paid + b.declined < placed && g_cond_wait_until (&b.cond, &b.lock, deadline))
      ;
    complete = b.paid + b.declined >= placed;
    for (long i = 0; i < b.n; i++)
      {
        double *at = b.order_ids[i] ? g_hash_table_lookup (b.paid_at, b.order_ids[i]) : NULL;

        if (at != NULL)
          leap_series_add (&b.latency, *at - b.placed_at[i]);
      }
    g_mutex_unlock (&b.lock);

    leap_series_sort (&b.latency);
    printf (
        "results       %ld paid, %ld not paid%s; %.0f paid orders/s from the first order placed "
        "to the last paid\n",
        b.paid, b.declined, complete ? "" : " (TIMED OUT)", b.paid / (b.last_result - t1));
    printf ("placed→paid   p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
            leap_series_pct (&b.latency, 0.5), leap_series_pct (&b.latency, 0.99),
            leap_series_pct (&b.latency, 1.0));
    return complete && b.paid == placed ? 0 : 1;
  }
}

static int
run_bare (int argc, char *argv[])
{
  redisContext *c = redis_connect (argv[2], argv[3]);
  long n = atol (argv[4]), acked = 0;
  const char   *payload =
      "{\"hold_id\":\"1-AAAAAAAAAAAAAAAAAAAAAA\",\"payment\":{\"method\":\"card\"},"
      "\"customer\":{\"name\":\"Bench\"},\"owner\":\"0123456789abcdef0123456789abcdef\"}";
  redisReply *reply;
  double t0, t1;

  freeReplyObject (redisCommand (c, "DEL leap:bench:bare"));
  for (long i = 0; i < n; i++)
    redisAppendCommand (c, "XADD leap:bench:bare * order o-%ld message %s", i, payload);
  for (long i = 0; i < n; i++)
    {
      if (redisGetReply (c, (void **) &reply) != REDIS_OK)
        return 1;
      freeReplyObject (reply);
    }
  freeReplyObject (redisCommand (c, "XGROUP CREATE leap:bench:bare bare 0"));

  t0 = leap_now_s ();
  while (acked < n)
    {
      redisReply *entries;

      reply = redisCommand (c, "XREADGROUP GROUP bare c1 COUNT 100 STREAMS leap:bench:bare >");
      if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
        return 1;
      entries = reply->element[0]->element[1];
      for (size_t i = 0; i < entries->elements; i++)
        redisAppendCommand (c, "XACK leap:bench:bare bare %s",
                            entries->element[i]->element[0]->str);
      for (size_t i = 0; i < entries->elements; i++)
        {
          redisReply *ack;

          if (redisGetReply (c, (void **) &ack) != REDIS_OK)
            return 1;
          freeReplyObject (ack);
        }
      acked += entries->elements;
      freeReplyObject (reply);
    }
  t1 = leap_now_s ();
  printf ("bare consumer %ld messages read and acknowledged in %.2f s (%.0f/s; XREADGROUP COUNT "
          "100 + XACK each)\n",
          acked, t1 - t0, acked / (t1 - t0));
  freeReplyObject (redisCommand (c, "DEL leap:bench:bare"));
  redisFree (c);
  return 0;
}

int
main (int argc, char *argv[])
{
  if (argc == 11 && strcmp (argv[1], "live") == 0)
    return run_checkout (argc, argv, TRUE);
  if (argc == 9 && strcmp (argv[1], "place") == 0)
    return run_checkout (argc, argv, FALSE);
  if (argc == 5 && strcmp (argv[1], "bare") == 0)
    return run_bare (argc, argv);
  fprintf (stderr, "usage: %s live HOST PORT TOKEN EVENT TIER N CONNECTIONS REDIS_HOST REDIS_PORT\n"
                   "       %s place HOST PORT TOKEN EVENT TIER N CONNECTIONS\n"
                   "       %s bare REDIS_HOST REDIS_PORT N\n", argv[0], argv[0], argv[0]);
  return 2;
}
