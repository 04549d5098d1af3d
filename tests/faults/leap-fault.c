/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-fault.h"
#include "leap-keys.h"
#include "leap-orders.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#define ORDER_SHARE  0.85 /* of holds; the rest are left to expire */
#define ORDER_TRIES  5

struct _LeapFaultLoad
{
  LeapFault     *f;
  SoupSession   *session;
  GRand         *rand;
  GHashTable    *accepted;   /* order id → order id (set) */
  LeapFaultPhase phase;
  LeapFaultStats stats[LEAP_FAULT_N_PHASES];
  guint          in_flight;  /* clients running */
  guint          holds_made;
  guint          order_retries;
  gboolean       stopping;
};

typedef struct
{
  LeapFaultLoad *load;
  char          *hold_id;
  guint          tries;
} Client;

static LeapTestRedis *global_redis;

/* Database and Redis helpers */

gint64
leap_fault_redis_hget (LeapFault  *f,
                       const char *name,
                       gint64      tier)
{
  g_autofree char *key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:%s", f->event, name);
  g_autofree char *field = g_strdup_printf ("%" G_GINT64_FORMAT, tier);
  g_autofree char *value = leap_test_redis_cli (f->tb.redis, "HGET", key, field, NULL);

  return g_ascii_strtoll (value, NULL, 10);
}

/* Setup */

void
leap_fault_global_init (LeapTestRedis *redis)
{
  global_redis = redis;
  /* The backend in this process writes to Redis sockets that a fault
   * closes: EPIPE, not death. */
  signal (SIGPIPE, SIG_IGN);
  leap_test_redis_start (redis);
  leap_test_backend_set_hold_ttl (LEAP_FAULT_HOLD_TTL_S);
  leap_test_backend_global_init (redis);
}

void
leap_fault_global_fini (LeapTestRedis *redis)
{
  leap_test_backend_global_fini ();
  leap_test_redis_clear (redis);
}

static gint64
add_tier (LeapFault  *f,
          const char *name,
          guint       capacity)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  g_autofree char *body =
      g_strdup_printf ("{\"name\": \"%s\", \"price\": 1000, \"currency\": \"EUR\", "
                       "\"capacity\": %u, \"max_per_order\": 10}",
                       name, capacity);
  return leap_test_backend_create (&f->tb, f->admin, path, body);
}

void
leap_fault_setup (LeapFault *f,
                  guint      capacity_a,
                  guint      capacity_b)
{
  g_autofree char *body = NULL;
  gint64 venue;

  /* Every fault makes the backend complain, on purpose. */
  leap_test_allow_warnings ();
  leap_test_backend_setup (&f->tb, 0);
  leap_reconciler_set_interval (leap_backend_get_reconciler (f->tb.backend), 0);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Arena\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Flash sale\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  f->capacity[0] = capacity_a;
  f->capacity[1] = capacity_b;
  f->tiers[0] = add_tier (f, "Floor", capacity_a);
  f->tiers[1] = add_tier (f, "Balcony", capacity_b);
  f->spare = add_tier (f, "Spare", 1000);
  f->workers = g_ptr_array_new ();
  f->db = leap_test_db_open (f->tb.db_url);
}

void
leap_fault_kill (GSubprocess *process)
{
  if (process == NULL)
    return;
  g_object_set_data (G_OBJECT (process), "killed", GINT_TO_POINTER (TRUE));
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
}

static void load_free (LeapFaultLoad *load);

void
leap_fault_teardown (LeapFault *f)
{
  if (f->load != NULL)
    {
      leap_fault_load_stop (f);
      g_clear_pointer (&f->load, load_free);
    }
  for (guint i = 0; i < f->workers->len; i++)
    {
      GSubprocess *p = g_ptr_array_index (f->workers, i);

      if (g_subprocess_get_identifier (p) != NULL)
        leap_fault_kill (p);
      g_object_unref (p);
    }
  g_ptr_array_unref (f->workers);
  leap_fault_kill_backend_process (f);
  leap_test_db_close (f->db);
  g_clear_pointer (&f->accepted, g_hash_table_unref);
  g_free (f->admin);
  g_free (f->cashier);
  /* LEAP_FAULT_LOGS=DIR keeps the processes' logs of each test. */
  if (g_getenv ("LEAP_FAULT_LOGS") != NULL)
    {
      g_autofree char *name = g_strdelimit (g_strdup (g_test_get_path ()), "/", '-');
      g_autofree char *to = g_build_filename (g_getenv ("LEAP_FAULT_LOGS"), name, NULL);
      g_autoptr(GDir) dir = g_dir_open (f->tb.dir, 0, NULL);
      const char *file;

      g_mkdir_with_parents (to, 0700);
      while (dir != NULL && (file = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (file, ".log"))
          {
            g_autofree char *from = g_build_filename (f->tb.dir, file, NULL);
            g_autofree char *dest = g_build_filename (to, file, NULL);
            g_autofree char *contents = NULL;
            gsize len;

            if (g_file_get_contents (from, &contents, &len, NULL))
              g_file_set_contents (dest, contents, len, NULL);
          }
    }
  /* A test that restarted Redis: the next one finds it running. */
  if (f->tb.redis->process == NULL)
    leap_test_redis_start (f->tb.redis);
  leap_test_backend_teardown (&f->tb);
}

/* Processes */

GSubprocess *
leap_fault_start_worker (LeapFault  *f,
                         const char *consumer,
                         guint       claim_idle_ms,
                         guint       card_latency_ms)
{
  g_autofree char *path = g_build_filename (g_getenv ("LEAP_BUILD_ROOT"), "backend", "leap-worker",
                                            NULL);
  g_autofree char *redis_arg = g_strdup_printf ("127.0.0.1:%u", f->tb.redis->port);
  g_autofree char *claim = g_strdup_printf ("%u", claim_idle_ms);
  g_autofree char *latency = g_strdup_printf ("%u", card_latency_ms);
  char decline[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *log = g_strdup_printf ("%s/worker-%s.log", f->tb.dir, consumer);
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  GSubprocess *p;

  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  /* Warnings are what a fault makes; the tests' fatal-warnings is for
   * this process only. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  p = g_subprocess_launcher_spawn (launcher, &error, path, "--redis", redis_arg, "--database",
                                   f->tb.db_url, "--ticket-key", f->tb.ticket_key, "--consumer",
                                   consumer, "--concurrency", "64", "--claim-idle-ms", claim,
                                   "--card-latency-ms", latency, "--card-decline-rate",
                                   g_ascii_dtostr (decline, sizeof decline, f->card_decline_rate),
                                   NULL);
  g_assert_no_error (error);
  g_ptr_array_add (f->workers, p);
  return p;
}

static gboolean
backend_serving (gpointer data)
{
  guint16 port = GPOINTER_TO_UINT (data);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return conn != NULL;
}

GSubprocess *
leap_fault_spawn_backend (LeapFault  *f,
                          guint16     port,
                          const char *name)
{
  g_autofree char *redis_arg = g_strdup_printf ("127.0.0.1:%u", f->tb.redis->port);
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *ttl = g_strdup_printf ("%u", LEAP_FAULT_HOLD_TTL_S);
  g_autofree char *log = g_strdup_printf ("%s/%s.log", f->tb.dir, name);
  g_autofree char *reconcile = g_strdup_printf ("%u", f->reconcile_interval_s);
  g_autoptr(GSubprocessLauncher) launcher =
    leap_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  GSubprocess *p;

  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("LEAP_BACKEND"), "--listen", listen,
                                   "--redis", redis_arg, "--database", f->tb.db_url, "--ticket-key",
                                   f->tb.ticket_key, "--session-key", f->tb.session_key,
                                   "--hold-ttl", ttl, "--reconcile-interval", reconcile,
                                   f->backend_config ? "--config" : NULL, f->backend_config, NULL);
  g_assert_no_error (error);
  if (!leap_test_wait_until (backend_serving, GUINT_TO_POINTER (port), 20000))
    g_error ("leap-backend %s did not serve on port %u within 20 s", name, port);
  return p;
}

void
leap_fault_start_backend_process (LeapFault *f)
{
  if (f->tb.backend != NULL)
    {
      g_clear_object (&f->tb.backend);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  if (f->backend_port == 0)
    f->backend_port = leap_test_free_port ();
  f->backend = leap_fault_spawn_backend (f, f->backend_port, "backend");
  g_free (f->tb.base);
  f->tb.base = g_strdup_printf ("http://127.0.0.1:%u", f->backend_port);
}

void
leap_fault_kill_backend_process (LeapFault *f)
{
  if (f->backend == NULL)
    return;
  leap_fault_kill (f->backend);
  g_clear_object (&f->backend);
}

/* The flash-sale client: each of in_flight clients holds one or two seats
 * of a random tier, and places an order for most of its holds (cash, paid
 * at once by the worker), then starts again. */

static void client_hold (Client *c);

static void
client_free (Client *c)
{
  g_free (c->hold_id);
  g_free (c);
}

static void
count (LeapFaultLoad *load,
       guint          status)
{
  LeapFaultStats *s = &load->stats[load->phase];

  s->requests++;
  if (status == 0)
    s->transport++;
  else if (status >= 200 && status < 300)
    s->ok++;
  else if (status == 409)
    s->sold_out++;
  else if (status == 503)
    s->unavailable++;
  else if (status >= 500)
    s->server++;
  else
    s->client++;
}

static void
client_next (Client *c)
{
  LeapFaultLoad *load = c->load;

  if (load->stopping)
    {
      load->in_flight--;
      client_free (c);
      return;
    }
  client_hold (c);
}

static gboolean
client_retry_cb (gpointer data)
{
  client_next (data);
  return G_SOURCE_REMOVE;
}

/* A pause after a refusal, so that a dead backend is not hammered. */
static void
client_later (Client *c,
              guint   ms)
{
  g_timeout_add (ms, client_retry_cb, c);
}

static SoupMessage *
new_message (LeapFaultLoad *load,
             const char    *path,
             const char    *body)
{
  g_autofree char *url = leap_test_backend_url (&load->f->tb, path);
  g_autofree char *auth = g_strconcat ("Bearer ", load->f->cashier, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  SoupMessage *msg = soup_message_new ("POST", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  return msg;
}

static guint
finish (SoupSession  *session,
        GAsyncResult *result,
        JsonObject  **object)
{
  SoupMessage *msg = soup_session_get_async_result_message (session, result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (session, result, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status = error != NULL ? 0 : soup_message_get_status (msg);

  *object = NULL;
  leap_test_record (msg, bytes);
  if (bytes != NULL && g_bytes_get_size (bytes) > 0 &&
      json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    *object = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  return status;
}

static void client_order (Client *c);

static gboolean
order_retry_cb (gpointer data)
{
  Client *c = data;

  if (c->load->stopping)
    client_next (c);
  else
    client_order (c);
  return G_SOURCE_REMOVE;
}

static void
order_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Client *c = user_data;
  LeapFaultLoad *load = c->load;
  g_autoptr(JsonObject) answer = NULL;
  guint status = finish (SOUP_SESSION (object), result, &answer);

  g_object_unref (soup_session_get_async_result_message (SOUP_SESSION (object), result));
  count (load, status);
  if (status == 202 && answer != NULL && json_object_has_member (answer, "order_id"))
    {
      const char *id = json_object_get_string_member (answer, "order_id");

      if (!g_hash_table_contains (load->accepted, id))
        g_hash_table_insert (load->accepted, g_strdup (id), GINT_TO_POINTER (load->phase + 1));
      client_next (c);
      return;
    }
  /* No answer, or not now: the same hold again is the same order. */
  if ((status == 0 || status == 503 || status >= 500) && ++c->tries < ORDER_TRIES &&
      !load->stopping)
    {
      load->order_retries++;
      g_timeout_add (200, order_retry_cb, c);
      return;
    }
  client_next (c);
}

static void
client_order (Client *c)
{
  LeapFaultLoad *load = c->load;
  g_autofree char *body = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": %s, "
                                           "\"customer\": {\"name\": \"Fan\"}}",
                                           c->hold_id,
                                           load->f->payment
                                               ? load->f->payment
                                               : "{\"method\": \"cash\", \"tendered\": 100000}");
  SoupMessage *msg = new_message (load, "/api/v1/orders", body);

  soup_session_send_and_read_async (load->session, msg, G_PRIORITY_DEFAULT, NULL, order_cb, c);
}

static void
hold_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Client *c = user_data;
  LeapFaultLoad *load = c->load;
  g_autoptr(JsonObject) answer = NULL;
  guint status = finish (SOUP_SESSION (object), result, &answer);

  g_object_unref (soup_session_get_async_result_message (SOUP_SESSION (object), result));
  count (load, status);
  if (status == 201 && answer != NULL && json_object_has_member (answer, "hold_id"))
    {
      load->holds_made++;
      g_free (c->hold_id);
      c->hold_id = g_strdup (json_object_get_string_member (answer, "hold_id"));
      c->tries = 0;
      if (g_rand_double (load->rand) < ORDER_SHARE && !load->stopping)
        {
          client_order (c);
          return;
        }
      client_next (c);
      return;
    }
  if (status == 409)
    client_later (c, 20);   /* sold out: wait for expiries */
  else if (status != 201)
    client_later (c, 100);
  else
    client_next (c);
}

static void
client_hold (Client *c)
{
  LeapFaultLoad *load = c->load;
  gint64 tier = load->f->tiers[g_rand_int_range (load->rand, 0, 2)];
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": %d}]}",
                                           load->f->event, tier,
                                           g_rand_int_range (load->rand, 1, 3));
  SoupMessage *msg = new_message (load, "/api/v1/holds", body);

  soup_session_send_and_read_async (load->session, msg, G_PRIORITY_DEFAULT, NULL, hold_cb, c);
}

static void
load_free (LeapFaultLoad *load)
{
  g_object_unref (load->session);
  g_rand_free (load->rand);
  g_hash_table_unref (load->accepted);
  g_free (load);
}

void
leap_fault_load_start (LeapFault *f,
                       guint      in_flight)
{
  LeapFaultLoad *load = g_new0 (LeapFaultLoad, 1);

  g_assert_null (f->load);
  load->f = f;
  load->session = soup_session_new_with_options ("timeout", 20, "max-conns", in_flight + 10,
                                                 "max-conns-per-host", in_flight + 10, NULL);
  load->rand = g_rand_new_with_seed (g_test_rand_int ());
  load->accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->load = load;
  for (guint i = 0; i < in_flight; i++)
    {
      Client *c = g_new0 (Client, 1);

      c->load = load;
      load->in_flight++;
      client_hold (c);
    }
}

void
leap_fault_set_phase (LeapFault      *f,
                      LeapFaultPhase  phase)
{
  f->load->phase = phase;
}

static gboolean
load_idle (gpointer data)
{
  LeapFaultLoad *load = data;
  return load->in_flight == 0;
}

void
leap_fault_load_stop (LeapFault *f)
{
  f->load->stopping = TRUE;
  g_assert_true (leap_test_wait_until (load_idle, f->load, 60000));
}

const LeapFaultStats *
leap_fault_get_stats (LeapFault      *f,
                      LeapFaultPhase  phase)
{
  return &f->load->stats[phase];
}

guint
leap_fault_holds_made (LeapFault *f)
{
  return f->load->holds_made;
}

guint
leap_fault_orders_accepted (LeapFault *f)
{
  return g_hash_table_size (f->load->accepted);
}

typedef struct
{
  gint64 until;
} Until;

static gboolean
time_passed (gpointer data)
{
  return g_get_monotonic_time () >= ((Until *) data)->until;
}

void
leap_fault_run_for (LeapFault *f,
                    guint      ms)
{
  Until u = { g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND };

  leap_test_wait_until (time_passed, &u, ms + 1000);
}

typedef struct
{
  LeapFault *f;
  guint      want;
} HoldsWait;

static gboolean
holds_reached (gpointer data)
{
  HoldsWait *w = data;
  return w->f->load->holds_made >= w->want;
}

void
leap_fault_wait_holds (LeapFault *f,
                       guint      n,
                       guint      timeout_ms)
{
  HoldsWait w = { f, f->load->holds_made + n };

  if (!leap_test_wait_until (holds_reached, &w, timeout_ms))
    g_error ("The flash-sale client made %u holds, not %u, in %u ms", f->load->holds_made, w.want,
             timeout_ms);
}

typedef struct
{
  LeapFault *f;
  gint64     want;
  gint64     next;
} PaidWait;

static gboolean
paid_reached (gpointer data)
{
  PaidWait *w = data;

  if (g_get_monotonic_time () < w->next)
    return FALSE;
  w->next = g_get_monotonic_time () + 50 * G_TIME_SPAN_MILLISECOND;
  return leap_test_db_int (w->f->db, "SELECT count(*) FROM orders WHERE status = 'paid'") >=
         w->want;
}

void
leap_fault_wait_paid (LeapFault *f,
                      guint      n,
                      guint      timeout_ms)
{
  PaidWait w = { f, n, 0 };

  if (!leap_test_wait_until (paid_reached, &w, timeout_ms))
    g_error ("The workers paid fewer than %u orders in %u ms", n, timeout_ms);
}

typedef struct
{
  LeapFault *f;
  guint      want;
} RequestsWait;

static gboolean
requests_reached (gpointer data)
{
  RequestsWait *w = data;
  return w->f->load->stats[w->f->load->phase].requests >= w->want;
}

void
leap_fault_wait_requests (LeapFault *f,
                          guint      n,
                          guint      timeout_ms)
{
  RequestsWait w = { f, f->load->stats[f->load->phase].requests + n };

  if (!leap_test_wait_until (requests_reached, &w, timeout_ms))
    g_error ("The flash-sale client had fewer than %u answers in %u ms", n, timeout_ms);
}

/* Recovery */

typedef struct
{
  LeapFault *f;
  gint64     next;
} Probe;

static gboolean
serves_again (gpointer data)
{
  Probe *p = data;
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = NULL;

  if (g_get_monotonic_time () < p->next)
    return FALSE;
  p->next = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;
  leap_test_backend_call (&p->f->tb, "GET", "/healthz", NULL, NULL, &reply);
  if (reply.status != 200)
    return FALSE;
  body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                          ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
                          p->f->event, p->f->spare);
  leap_test_backend_call (&p->f->tb, "POST", "/api/v1/holds", p->f->cashier, body, &reply);
  return reply.status == 201;
}

void
leap_fault_assert_recovers (LeapFault *f,
                            guint      timeout_ms)
{
  Probe p = { f, 0 };
  gint64 start = g_get_monotonic_time ();

  /* A fresh session: the test's own may hold connections to a dead
   * backend. */
  g_clear_object (&f->tb.session);
  f->tb.session = soup_session_new_with_options ("timeout", 10, NULL);
  if (!leap_test_wait_until (serves_again, &p, timeout_ms))
    g_error ("The service did not recover within %u ms", timeout_ms);
  f->recovered_us = g_get_monotonic_time () - start;
}

/* The checks every fault ends with */

typedef struct
{
  LeapFault *f;
  gint64     next;
  guint      missing;
  gboolean   report;
} OrdersWait;

static gboolean
orders_written (gpointer data)
{
  OrdersWait *w = data;
  GHashTableIter iter;
  gpointer id, phase;
  GHashTable *accepted = w->f->load != NULL ? w->f->load->accepted : w->f->accepted;

  if (accepted == NULL)
    return TRUE;
  if (g_get_monotonic_time () < w->next)
    return FALSE;
  w->next = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;
  w->missing = 0;
  memset (w->f->lost_by_phase, 0, sizeof w->f->lost_by_phase);
  g_hash_table_iter_init (&iter, accepted);
  while (g_hash_table_iter_next (&iter, &id, &phase))
    {
      /* Order ids are the backend's own, never quoted. */
      if (leap_test_db_int (w->f->db,
                            "SELECT count(*) FROM orders WHERE id = '%s' "
                            "AND status != 'pending'",
                            (char *)id) != 1)
        {
          w->f->lost_by_phase[GPOINTER_TO_INT (phase) - 1]++;
          if (w->missing++ < 3 && w->report)
            g_test_message (
                "order %s: accepted, not written (outbox %" G_GINT64_FORMAT
                ", accepted %" G_GINT64_FORMAT ", order rows %" G_GINT64_FORMAT ")",
                (char *)id,
                leap_test_db_int (w->f->db,
                                  "SELECT count(*) FROM checkout_outbox WHERE order_id = '%s'",
                                  (char *)id),
                leap_test_db_int (w->f->db,
                                  "SELECT count(*) FROM accepted_orders WHERE order_id = '%s'",
                                  (char *)id),
                leap_test_db_int (w->f->db, "SELECT count(*) FROM orders WHERE id = '%s'",
                                  (char *)id));
        }
    }
  return w->missing == 0;
}

typedef struct
{
  LeapFault *f;
  gint64     next;
} Drain;

/* No checkout left, no live hold left: every hold ended, by an order or by
 * its expiry. */
static gboolean
drained (gpointer data)
{
  Drain *d = data;
  g_autofree char *key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:holds", d->f->event);
  g_autofree char *live = NULL;

  if (g_get_monotonic_time () < d->next)
    return FALSE;
  d->next = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;
  for (guint i = 0; i < 2; i++)
    if (leap_fault_redis_hget (d->f, "checkout", d->f->tiers[i]) != 0 ||
        leap_fault_redis_hget (d->f, "held", d->f->tiers[i]) != 0)
      return FALSE;
  live = leap_test_redis_cli (d->f->tb.redis, "ZCARD", key, NULL);
  return g_strcmp0 (live, "0") == 0;
}

static void
assert_counters (LeapFault *f)
{
  for (guint i = 0; i < 2; i++)
    {
      gint64 tier = f->tiers[i];
      gint64 cap = leap_fault_redis_hget (f, "cap", tier);
      gint64 sold = leap_fault_redis_hget (f, "sold", tier);

      g_assert_cmpint (cap, ==, f->capacity[i]);
      g_assert_cmpint (leap_fault_redis_hget (f, "avail", tier) +
                           leap_fault_redis_hget (f, "held", tier) +
                           leap_fault_redis_hget (f, "checkout", tier) + sold,
                       ==, cap);
      g_assert_cmpint (sold, <=, cap);
      g_assert_cmpint (leap_fault_redis_hget (f, "avail", tier), >=, 0);
    }
}

/* A process the test did not kill is still running: a fault elsewhere
 * must not take it down. */
static void
assert_alive (LeapFault   *f,
              GSubprocess *p,
              const char  *what)
{
  if (p == NULL || g_object_get_data (G_OBJECT (p), "killed") != NULL)
    return;
  /* Reaped by GLib's child watch once it has exited. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (g_subprocess_get_identifier (p) == NULL)
    {
      if (g_subprocess_get_if_signaled (p))
        g_error ("%s died of signal %d (%s)", what, g_subprocess_get_term_sig (p),
                 g_strsignal (g_subprocess_get_term_sig (p)));
      g_error ("%s exited with status %d", what, g_subprocess_get_exit_status (p));
    }
}

void
leap_fault_assert_invariants (LeapFault *f)
{
  OrdersWait w = { f, 0, 0, FALSE };
  Drain d = { f, 0 };
  g_auto(LeapTestReply) reply = { 0 };
  JsonArray *repairs;

  for (guint i = 0; i < f->workers->len; i++)
    assert_alive (f, g_ptr_array_index (f->workers, i), "leap-worker");
  assert_alive (f, f->backend, "leap-backend");

  /* Every accepted order is written, paid or failed. */
  if (!leap_test_wait_until (orders_written, &w, 30000))
    {
      w.report = TRUE;
      w.next = 0;
      orders_written (&w);
    }
  f->lost_orders = w.missing;
  {
    g_autofree char *dead = leap_test_redis_cli (f->tb.redis, "XLEN", leap_keys_checkout_dead (),
                                                 NULL);

    f->dead_letters = g_ascii_strtoll (dead, NULL, 10);
    if (f->lost_orders > 0)
      g_test_message ("%u accepted orders not written; %" G_GINT64_FORMAT " dead letters",
                      f->lost_orders, f->dead_letters);
  }
  g_assert_cmpuint (f->lost_orders, ==, 0);

  /* Holds past their expiry are given back (TTL LEAP_FAULT_HOLD_TTL_S). */
  if (!leap_test_wait_until (drained, &d, (LEAP_FAULT_HOLD_TTL_S + 15) * 1000))
    g_error ("Holds or checkouts left %u s after the sale: held %" G_GINT64_FORMAT
             "/%" G_GINT64_FORMAT ", checkout %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
             LEAP_FAULT_HOLD_TTL_S + 15, leap_fault_redis_hget (f, "held", f->tiers[0]),
             leap_fault_redis_hget (f, "held", f->tiers[1]),
             leap_fault_redis_hget (f, "checkout", f->tiers[0]),
             leap_fault_redis_hget (f, "checkout", f->tiers[1]));
  assert_counters (f);
  /* Holds the database made while Redis was down (the fallback) were
   * handed to Redis when it came back, and their tickets are counted
   * above; their rows may keep their last status: a figure, not a check. */
  f->stale_db_holds =
      leap_test_db_int (f->db,
                        "SELECT count(*) FROM holds WHERE status IN ('held', 'checking_out') "
                        "AND expires_at < %" G_GINT64_FORMAT,
                        g_get_real_time () / G_USEC_PER_SEC - 2);
  f->db_holds = leap_test_db_int (f->db, "SELECT count(*) FROM holds");

  /* The reconciler finds what drifted; after it Redis agrees with the
   * database. */
  leap_test_backend_call (&f->tb, "POST", "/api/v1/admin/reconcile", f->admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  repairs = json_object_get_array_member (leap_test_reply_object (&reply), "repairs");
  f->repairs = json_array_get_length (repairs);
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (leap_test_reply_object (&reply), "oversold")),
                    ==, 0);
  assert_counters (f);

  for (guint i = 0; i < 2; i++)
    {
      gint64 tier = f->tiers[i];
      gint64 db_sold =
        leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT, tier);

      /* No oversell, and the database's count is its tickets. */
      g_assert_cmpint (db_sold, <=, f->capacity[i]);
      g_assert_cmpint (
          db_sold, ==,
          leap_test_db_int (f->db,
                            "SELECT coalesce (sum (l.quantity), 0) FROM order_lines l "
                            "JOIN orders o ON o.id = l.order_id "
                            "WHERE o.status = 'paid' AND l.tier_id = %" G_GINT64_FORMAT,
                            tier));
      g_assert_cmpint (db_sold, ==,
                       leap_test_db_int (f->db,
                                         "SELECT count(*) FROM tickets t JOIN orders o "
                                         "ON o.id = t.order_id WHERE o.status = 'paid' "
                                         "AND t.tier_id = %" G_GINT64_FORMAT,
                                         tier));
      g_assert_cmpint (leap_fault_redis_hget (f, "sold", tier), ==, db_sold);
    }
  /* Every paid order exactly once: one order per hold, one payment per
   * paid order, every ticket code once. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders"), ==,
                   leap_test_db_int (f->db, "SELECT count(DISTINCT hold_id) FROM orders"));
  g_assert_cmpint (
      leap_test_db_int (f->db, "SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id "
                            "WHERE o.status = 'paid'"),
      ==, leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE status = 'paid'"));
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets"), ==,
                   leap_test_db_int (f->db, "SELECT count(DISTINCT code) FROM tickets"));
}

void
leap_fault_print_figures (LeapFault  *f,
                          const char *fault)
{
  static const char *names[] = { "before", "during", "after" };

  for (guint i = 0; i < LEAP_FAULT_N_PHASES; i++)
    {
      const LeapFaultStats *s = &f->load->stats[i];

      g_test_message ("%s %s: %u requests: %u 2xx, %u 409, %u 503, %u other 4xx, %u other 5xx, "
                      "%u without answer; orders accepted then lost: %u",
                      fault, names[i], s->requests, s->ok, s->sold_out, s->unavailable, s->client,
                      s->server, s->transport, f->lost_by_phase[i]);
    }
  g_test_message ("%s: %u orders sent again after no answer or 503", fault, f->load->order_retries);
  g_test_message ("%s: %u holds, %u orders accepted, %" G_GINT64_FORMAT " paid, %" G_GINT64_FORMAT
                  " failed, %u lost; sold %" G_GINT64_FORMAT "/%u + %" G_GINT64_FORMAT "/%u; "
                  "recovered in %.2f s; %" G_GINT64_FORMAT " dead letters; %" G_GUINT64_FORMAT
                  " repairs by the reconciler; "
                  "%" G_GINT64_FORMAT " holds made by the database, %" G_GINT64_FORMAT
                  " of them still "
                  "held or checking out there past their expiry",
                  fault, f->load->holds_made, leap_fault_orders_accepted (f),
                  leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE status = 'paid'"),
                  leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE status != 'paid'"),
                  f->lost_orders,
                  leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                    f->tiers[0]),
                  f->capacity[0],
                  leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                    f->tiers[1]),
                  f->capacity[1], f->recovered_us / 1e6, f->dead_letters, f->repairs, f->db_holds,
                  f->stale_db_holds);
}
