/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-worker"

#include "leap-config.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <sodium.h>

#include "leap-address.h"
#include "leap-checkout-worker.h"

#define DRAIN_TIMEOUT_S 10

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
deadline_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* On SIGTERM, finish what is in work (a payment already asked for) rather
 * than leave it to be taken over after the idle timeout. */
static void
drain (LeapCheckoutWorker *worker)
{
  gboolean expired = FALSE;
  guint id;

  leap_checkout_worker_stop (worker);
  id = g_timeout_add_seconds (DRAIN_TIMEOUT_S, deadline_cb, &expired);
  while (!leap_checkout_worker_is_idle (worker) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  else
    g_warning ("Stopping with %u checkouts in work; other workers will take them over",
               leap_checkout_worker_get_in_flight (worker));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapCheckoutWorker) worker = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *redis = NULL;
  g_autofree char *database = NULL;
  g_autofree char *consumer = NULL;
  g_autofree char *ticket_key = NULL;
  gboolean version = FALSE;
  int concurrency = 512;
  int latency = 0;
  double decline = 0;
  int claim_idle = 30000;
  int max_deliveries = 5;
  LeapCheckoutWorkerConfig config;
  static const char summary[] =
    "Reads the checkout streams in the consumer group “leap-workers”, takes\n"
    "each payment, writes the order and its tickets, and confirms or releases\n"
    "the hold in Redis. Run as many as you like, with different --consumer names.";
  GOptionEntry entries[] = {
    { "redis", 'r', 0, G_OPTION_ARG_STRING, &redis,
      "Redis server, or the primary its Sentinels name (default 127.0.0.1:6379)",
      "HOST:PORT|sentinel://HOST:PORT[,…]/MASTER" },
    { "database", 'd', 0, G_OPTION_ARG_STRING, &database,
      "Central database, the backend's: sqlite:PATH, postgresql://… or \"host=… dbname=…\" "
      "(default sqlite: in the user data dir)", "URL" },
    { "ticket-key", 0, 0, G_OPTION_ARG_FILENAME, &ticket_key,
      "Ticket signing key, made if missing (default DATABASE.ticket-key; required with "
      "PostgreSQL)", "FILE" },
    { "consumer", 0, 0, G_OPTION_ARG_STRING, &consumer,
      "This worker's name in the consumer group (default HOST-PID)", "NAME" },
    { "concurrency", 'n', 0, G_OPTION_ARG_INT, &concurrency,
      "Checkouts in work at once (default 512)", "N" },
    { "card-latency-ms", 0, 0, G_OPTION_ARG_INT, &latency,
      "Simulated card terminal: answer after MS (default 0)", "MS" },
    { "card-decline-rate", 0, 0, G_OPTION_ARG_DOUBLE, &decline,
      "Simulated card terminal: share of declines, 0 to 1 (default 0)", "RATE" },
    { "claim-idle-ms", 0, 0, G_OPTION_ARG_INT, &claim_idle,
      "Take over a message pending this long (default 30000)", "MS" },
    { "max-deliveries", 0, 0, G_OPTION_ARG_INT, &max_deliveries,
      "Tries before a message goes to the dead-letter stream (default 5)", "N" },
    { "version", 'v', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  /* hiredis write ()s to its socket: a Redis killed under it must fail the
   * write (EPIPE), not kill this process. */
  signal (SIGPIPE, SIG_IGN);
  context = g_option_context_new ("— the Leap Box Office checkout worker");
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("leap-worker: %s\nTry --help.\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("leap-worker %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (sodium_init () < 0)
    {
      g_printerr ("leap-worker: libsodium could not start\n");
      return 1;
    }
  if (concurrency < 1 || concurrency > 10000 || latency < 0 || decline < 0 || decline > 1 ||
      claim_idle < 100 || max_deliveries < 1)
    {
      g_printerr ("leap-worker: --concurrency takes 1 to 10000, --card-decline-rate 0 to 1, "
                  "--claim-idle-ms at least 100, --max-deliveries at least 1\n");
      return 2;
    }

  leap_checkout_worker_config_init (&config);
  if (redis != NULL &&
      !leap_parse_redis_address (redis, &config.redis_host, &config.redis_port,
                                 &config.redis_sentinels, &config.redis_master, &error))
    {
      g_printerr ("leap-worker: %s\n", error->message);
      leap_checkout_worker_config_clear (&config);
      return 2;
    }
  if (database != NULL)
    {
      g_free (config.database_url);
      config.database_url = g_strdup (database);
    }
  if (ticket_key != NULL)
    config.ticket_key = g_strdup (ticket_key);
  if (consumer != NULL)
    {
      g_free (config.consumer);
      config.consumer = g_strdup (consumer);
    }
  config.concurrency = concurrency;
  config.card_latency_ms = latency;
  config.card_decline_rate = decline;
  config.claim_idle_ms = claim_idle;
  config.max_deliveries = max_deliveries;

  worker = leap_checkout_worker_new (&config, &error);
  leap_checkout_worker_config_clear (&config);
  if (worker == NULL)
    {
      g_printerr ("leap-worker: %s\n", error->message);
      return 1;
    }
  leap_checkout_worker_start (worker);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);
  drain (worker);
  return 0;
}
