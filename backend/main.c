/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-backend"

#include "leap-config.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leap-address.h"
#include "leap-backend.h"
#include "leap-password.h"

static char *
read_password (GError **error)
{
  char buffer[1100];
  gsize len;

  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "No password on standard input (give it as one line)");
      return NULL;
    }
  len = strcspn (buffer, "\r\n");
  buffer[len] = '\0';
  return g_strdup (buffer);
}

static volatile sig_atomic_t stopping;

static void
stop_children (int sig)
{
  stopping = 1;
}

/* Set for the children of --processes, which serve. */
#define SUPERVISED "LEAP_BACKEND_SUPERVISED"

/* With --processes N the parent only supervises: N children each run the
 * whole backend on the same port (SO_REUSEPORT), so that a rush uses every
 * core; one that dies is started again. A child is this program started
 * afresh (exec), not a copy of the parent: a thread of the parent's (the
 * database's pool, GLib's own) may hold a lock when it forks, and a copy
 * would wait for it forever. */
static int
supervise (guint   processes,
           char  **argv)
{
  g_autofree pid_t *children = g_new0 (pid_t, processes);
  struct sigaction action = { 0 };

  action.sa_handler = stop_children;
  sigaction (SIGTERM, &action, NULL);
  sigaction (SIGINT, &action, NULL);
  /* The children serve, and do not supervise again. */
  g_setenv (SUPERVISED, "1", TRUE);

  while (!stopping)
    {
      for (guint i = 0; i < processes; i++)
        if (children[i] == 0)
          {
            pid_t pid = fork ();

            if (pid == 0)
              {
                execv ("/proc/self/exe", argv);
                _exit (127);
              }
            children[i] = pid;
          }

      {
        int status;
        pid_t pid = wait (&status);

        for (guint i = 0; pid > 0 && i < processes; i++)
          if (children[i] == pid)
            {
              children[i] = 0;
              if (!stopping)
                {
                  g_warning ("Backend process %d ended (status %d); starting another", pid, status);
                  g_usleep (G_USEC_PER_SEC / 2);
                }
            }
      }
    }

  for (guint i = 0; i < processes; i++)
    if (children[i] > 0)
      kill (children[i], SIGTERM);
  while (wait (NULL) > 0)
    ;
  return 0;
}

static gboolean
quit_cb (gpointer data)
{
  g_message ("Stopping");
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* The database to back up or copy from: opening a SQLite file that is
 * not there would make an empty one. */
static LeapStore *
open_existing (const char *database_url,
               GError    **error)
{
  if (g_str_has_prefix (database_url, "sqlite:") &&
      !g_file_test (database_url + strlen ("sqlite:"), G_FILE_TEST_EXISTS))
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "there is no database there");
      return NULL;
    }
  return leap_store_open (database_url, error);
}

/* --backup: needs neither Redis nor the keys, and leaves the running
 * backends alone. */
static int
backup (const char *database_url,
        const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = open_existing (database_url, &error);

  if (store == NULL || !leap_store_backup (store, path, &error))
    {
      g_printerr ("leap-backend: cannot back up %s: %s\n", database_url, error->message);
      return 1;
    }
  g_print ("Backed up %s to %s\n", database_url, path);
  return 0;
}

/* --copy-to: moving a venue up from SQLite to PostgreSQL. */
static int
copy_to (const char *database_url,
         const char *target_url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) from = open_existing (database_url, &error);
  g_autoptr(LeapStore) to = NULL;
  g_autoptr(JsonObject) counts = NULL;
  gint64 rows = 0;

  if (from != NULL)
    to = leap_store_open (target_url, &error);
  if (to != NULL)
    counts = leap_store_copy (from, to, &error);
  if (counts == NULL)
    {
      g_printerr ("leap-backend: cannot copy %s: %s\n", database_url, error->message);
      return 1;
    }
  for (GList *l = json_object_get_members (counts); l != NULL; l = g_list_delete_link (l, l))
    rows += json_object_get_int_member (counts, l->data);
  g_print ("Copied %" G_GINT64_FORMAT " rows of %u tables from %s\n", rows,
           json_object_get_size (counts), database_url);
  return 0;
}

typedef struct
{
  char    *listen;
  char    *redis;
  char    *database;
  char    *ticket_key;
  char    *session_key;
  char    *web_root;
  char    *config_file;
  char    *create_user;
  char    *role;
  char    *backup;
  char    *copy_to;
  char   **cors;
  char   **trusted_proxies;
  char   **database_replicas;
  gboolean seed_demo;
  gboolean version;
  int      near_cache_ms;
  int      processes;
  int      hold_ttl;
  int      guest_address_max_tickets;
  int      reconcile_interval;
  int      idle_timeout;
  int      websocket_max_per_address;
  int      websocket_ping_interval;
  int      database_connections;
  int      redis_wait_ms;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->listen);
  g_free (o->redis);
  g_free (o->database);
  g_free (o->ticket_key);
  g_free (o->session_key);
  g_free (o->web_root);
  g_free (o->config_file);
  g_free (o->create_user);
  g_free (o->role);
  g_free (o->backup);
  g_free (o->copy_to);
  g_strfreev (o->cors);
  g_strfreev (o->trusted_proxies);
  g_strfreev (o->database_replicas);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* A number option, -1 when not given. */
static gboolean
take_number (int          value,
             const char  *name,
             int          min,
             int          max,
             guint       *target,
             GError     **error)
{
  if (value == -1)
    return TRUE;
  if (value < min || value > max)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--%s takes %d to %d", name,
                   min, max);
      return FALSE;
    }
  *target = value;
  return TRUE;
}

/* The config file first, then the command line over it. */
static gboolean
make_config (const Options     *o,
             LeapBackendConfig *config,
             GError           **error)
{
  leap_backend_config_init (config);
  if ((o->config_file != NULL && !leap_backend_config_load_file (config, o->config_file, error)) ||
      (o->listen != NULL &&
       !leap_parse_host_port (o->listen, &config->listen_host, &config->listen_port, error)) ||
      (o->redis != NULL &&
       !leap_parse_redis_address (o->redis, &config->redis_host, &config->redis_port,
                                  &config->redis_sentinels, &config->redis_master, error)))
    return FALSE;
  if (o->database != NULL)
    {
      g_free (config->database_url);
      config->database_url = g_strdup (o->database);
    }
  if (o->database_replicas != NULL)
    {
      g_strfreev (config->database_replicas);
      config->database_replicas = g_strdupv (o->database_replicas);
    }
  if (o->ticket_key != NULL)
    {
      g_free (config->ticket_key);
      config->ticket_key = g_strdup (o->ticket_key);
    }
  if (o->session_key != NULL)
    {
      g_free (config->session_key);
      config->session_key = g_strdup (o->session_key);
    }
  if (o->web_root != NULL)
    {
      g_free (config->web_root);
      config->web_root = g_strdup (o->web_root);
    }
  if (o->cors != NULL)
    {
      g_strfreev (config->cors_origins);
      config->cors_origins = g_strdupv (o->cors);
    }
  if (o->trusted_proxies != NULL)
    {
      g_strfreev (config->trusted_proxies);
      config->trusted_proxies = g_strdupv (o->trusted_proxies);
      if (!leap_check_trusted_proxies (config->trusted_proxies, error))
        return FALSE;
    }
  if (!take_number (o->idle_timeout, "idle-timeout", 1, 3600, &config->idle_timeout_s, error) ||
      !take_number (o->websocket_max_per_address, "websocket-max-per-address", 1, 100000,
                    &config->websocket_max_per_address, error) ||
      !take_number (o->websocket_ping_interval, "websocket-ping-interval", 1, 3600,
                    &config->websocket_ping_interval_s, error) ||
      !take_number (o->database_connections, "database-connections", 1, 64,
                    &config->database_connections, error) ||
      !take_number (o->redis_wait_ms, "redis-wait-ms", 0, 10000, &config->redis_wait_ms, error))
    return FALSE;
  if (o->near_cache_ms >= 0)
    config->near_cache_ms = o->near_cache_ms;
  if (o->hold_ttl > 0)
    config->hold_ttl_s = o->hold_ttl;
  if (o->guest_address_max_tickets != 0)
    {
      if (o->guest_address_max_tickets < 1 || o->guest_address_max_tickets > 100000)
        {
          g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                               "--guest-address-max-tickets takes 1 to 100000");
          return FALSE;
        }
      config->guest_address_max_tickets = o->guest_address_max_tickets;
    }
  if (o->reconcile_interval >= 0)
    config->reconcile_interval_s = o->reconcile_interval;
  if (o->create_user != NULL && o->role == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--create-user needs --role (admin, manager, cashier or kiosk)");
      return FALSE;
    }
  if (o->processes < 1 || o->processes > 64)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--processes takes 1 to 64");
      return FALSE;
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapBackend) backend = NULL;
  /* As given: the children of --processes are started with them. */
  g_auto(GStrv) own_argv = g_strdupv (argv);
  g_autoptr(GMainLoop) loop = NULL;
  g_auto(Options) o = { .near_cache_ms = -1, .processes = 1, .reconcile_interval = -1,
                        .idle_timeout = -1, .websocket_max_per_address = -1,
                        .websocket_ping_interval = -1, .database_connections = -1,
                        .redis_wait_ms = -1 };
  LeapBackendConfig config;
  GOptionEntry      entries[] = {
         { "listen", 'l', 0, G_OPTION_ARG_STRING, &o.listen,
           "Address to serve HTTP on (default 127.0.0.1:8080)", "ADDR:PORT" },
         { "redis", 'r', 0, G_OPTION_ARG_STRING, &o.redis,
           "Redis server, or the primary its Sentinels name (default 127.0.0.1:6379)",
           "HOST:PORT|sentinel://HOST:PORT[,…]/MASTER" },
         { "database", 'd', 0, G_OPTION_ARG_STRING, &o.database,
           "Central database: sqlite:PATH, postgresql://… or \"host=… dbname=…\" "
           "(default sqlite: in the user data dir)", "URL" },
         { "database-replica", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.database_replicas,
           "A streaming replica of the PostgreSQL database for catalogue and sync reads "
           "(repeatable)",
           "URL" },
         { "ticket-key", 0, 0, G_OPTION_ARG_FILENAME, &o.ticket_key,
           "Ticket signing key, made if missing (default DATABASE.ticket-key; required with "
           "PostgreSQL)", "FILE" },
         { "session-key", 0, 0, G_OPTION_ARG_FILENAME, &o.session_key,
           "Key that signs sessions cached in Redis, made if missing "
           "(default DATABASE.session-key; required with PostgreSQL)",
           "FILE" },
         { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config_file,
           "Key file with a [backend] group; options override it", "FILE" },
         { "seed-demo", 0, 0, G_OPTION_ARG_NONE, &o.seed_demo,
           "Load the demo catalogue (once; again changes nothing)", NULL },
         { "create-user", 0, 0, G_OPTION_ARG_STRING, &o.create_user,
           "Create a user, password read from standard input, and exit", "NAME" },
         { "role", 0, 0, G_OPTION_ARG_STRING, &o.role,
           "Role of the user to create: admin, manager, cashier or kiosk", "ROLE" },
         { "backup", 0, 0, G_OPTION_ARG_FILENAME, &o.backup,
           "Copy the running SQLite database, consistent, into FILE, and exit", "FILE" },
         { "copy-to", 0, 0, G_OPTION_ARG_STRING, &o.copy_to,
           "Copy the SQLite database, every row, into an empty PostgreSQL database, and exit",
           "postgresql://…" },
         { "cors-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.cors,
           "A web origin allowed to call the API (repeatable)", "ORIGIN" },
         { "web-root", 0, 0, G_OPTION_ARG_FILENAME, &o.web_root,
           "Serve the files of DIR (the web shop, web/) at /shop/ (default: off)", "DIR" },
         { "trusted-proxy", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.trusted_proxies,
           "A reverse proxy whose X-Forwarded-For names the client (repeatable)", "ADDR[/BITS]" },
         { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &o.idle_timeout,
           "Seconds a connection may wait for a request, and a request may take to arrive "
           "(default 60)",
           "SECONDS" },
         { "websocket-max-per-address", 0, 0, G_OPTION_ARG_INT, &o.websocket_max_per_address,
           "WebSockets one client address may keep open in a process (default 50)", "N" },
         { "websocket-ping-interval", 0, 0, G_OPTION_ARG_INT, &o.websocket_ping_interval,
           "Seconds between pings of a WebSocket; two unanswered close it (default 30)",
           "SECONDS" },
         { "database-connections", 0, 0, G_OPTION_ARG_INT, &o.database_connections,
           "Connections (and threads) that wait for the database off the main loop "
           "(default 4)",
           "N" },
         { "near-cache-ms", 0, 0, G_OPTION_ARG_INT, &o.near_cache_ms,
           "How long this process keeps cached reads (0: off; default 1000)", "MS" },
         { "hold-ttl", 0, 0, G_OPTION_ARG_INT, &o.hold_ttl,
           "Seconds a hold keeps its tickets (default 600)", "SECONDS" },
         { "guest-address-max-tickets", 0, 0, G_OPTION_ARG_INT, &o.guest_address_max_tickets,
           "Tickets the guests of one client address may keep in live holds at once "
           "(default 100)",
           "N" },
         { "redis-wait-ms", 0, 0, G_OPTION_ARG_INT, &o.redis_wait_ms,
           "With a Redis replica, answer a hold only once WAIT says the replica has it, or "
           "refuse it after MS (0: off; default 50)",
           "MS" },
         { "reconcile-interval", 0, 0, G_OPTION_ARG_INT, &o.reconcile_interval,
           "Seconds between checks of the Redis counters against the database (0: off; default 60)",
           "SECONDS" },
         { "processes", 'p', 0, G_OPTION_ARG_INT, &o.processes,
           "Serve from N processes sharing the port (default 1)", "N" },
         { "version", 'v', 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL },
         { NULL }
  };

  setlocale (LC_ALL, "");
  /* hiredis write ()s to its socket: a Redis killed under it must fail the
   * write (EPIPE), not kill this process. */
  signal (SIGPIPE, SIG_IGN);
  context = g_option_context_new ("— the Leap Box Office API server");
  g_option_context_set_summary (
      context, "Serves the catalogue, sessions and sales API over HTTP, with Redis as\n"
               "cache and inventory and SQLite or PostgreSQL as the system of record.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("leap-backend: %s\nTry --help.\n", error->message);
      return 2;
    }
  if (o.version)
    {
      g_print ("leap-backend %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_getenv (SUPERVISED) != NULL)
    o.processes = 1;
  if (!leap_password_init ())
    {
      g_printerr ("leap-backend: libsodium could not start\n");
      return 1;
    }
  if (!make_config (&o, &config, &error))
    {
      g_printerr ("leap-backend: %s\n", error->message);
      leap_backend_config_clear (&config);
      return 2;
    }

  if (o.backup != NULL || o.copy_to != NULL)
    {
      int status = o.backup != NULL ? backup (config.database_url, o.backup)
                                    : copy_to (config.database_url, o.copy_to);

      leap_backend_config_clear (&config);
      return status;
    }

  backend = leap_backend_new (&config, &error);
  if (backend == NULL)
    {
      g_printerr ("leap-backend: %s\n", error->message);
      leap_backend_config_clear (&config);
      return 1;
    }

  if (o.create_user != NULL)
    {
      g_autofree char *password = read_password (&error);

      leap_backend_config_clear (&config);
      if (password == NULL ||
          leap_sessions_create_user (leap_backend_get_sessions (backend), o.create_user, o.role,
                                     password, &error) == 0)
        {
          g_printerr ("leap-backend: cannot create user “%s”: %s\n", o.create_user, error->message);
          return 1;
        }
      g_print ("Created %s “%s”\n", o.role, o.create_user);
      return 0;
    }

  leap_backend_wait_for_redis (backend, 3000);
  if (o.seed_demo)
    {
      if (!leap_catalogue_seed_demo (leap_backend_get_catalogue (backend), &error))
        {
          g_printerr ("leap-backend: cannot load the demo catalogue: %s\n", error->message);
          leap_backend_config_clear (&config);
          return 1;
        }
      /* Tiers made here went straight to the database: count them in Redis. */
      leap_holds_repair (leap_backend_get_holds (backend));
    }

  if (o.processes > 1)
    {
      /* Each child opens its own database and Redis connections. */
      g_clear_object (&backend);
      leap_backend_config_clear (&config);
      return supervise (o.processes, own_argv);
    }
  leap_backend_config_clear (&config);

  if (!leap_backend_listen (backend, &error))
    {
      g_printerr ("leap-backend: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);
  return 0;
}
