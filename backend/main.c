/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-backend"

#include "leap-config.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

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

static gboolean
quit_cb (gpointer data)
{
  g_message ("Stopping");
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapBackend) backend = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *redis = NULL;
  g_autofree char *database = NULL;
  g_autofree char *config_file = NULL;
  g_autofree char *create_user = NULL;
  g_autofree char *role = NULL;
  g_auto(GStrv) cors = NULL;
  gboolean seed_demo = FALSE;
  gboolean version = FALSE;
  int near_cache_ms = -1;
  LeapBackendConfig config;
  GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address to serve HTTP on (default 127.0.0.1:8080)", "ADDR:PORT" },
    { "redis", 'r', 0, G_OPTION_ARG_STRING, &redis, "Redis server (default 127.0.0.1:6379)", "HOST:PORT" },
    { "database", 'd', 0, G_OPTION_ARG_STRING, &database, "Central database (default sqlite: in the user data dir)", "sqlite:PATH" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file, "Key file with a [backend] group; options override it", "FILE" },
    { "seed-demo", 0, 0, G_OPTION_ARG_NONE, &seed_demo, "Load the demo catalogue (once; again changes nothing)", NULL },
    { "create-user", 0, 0, G_OPTION_ARG_STRING, &create_user, "Create a user, password read from standard input, and exit", "NAME" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, "Role of the user to create: admin, manager, cashier or kiosk", "ROLE" },
    { "cors-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cors, "A web origin allowed to call the API (repeatable)", "ORIGIN" },
    { "near-cache-ms", 0, 0, G_OPTION_ARG_INT, &near_cache_ms, "How long this process keeps cached reads (0: off; default 1000)", "MS" },
    { "version", 'v', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("— the Leap Box Office API server");
  g_option_context_set_summary (context,
                                "Serves the catalogue, sessions and sales API over HTTP, with Redis as\n"
                                "cache and inventory and SQLite as the system of record.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("leap-backend: %s\nTry --help.\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("leap-backend %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (!leap_password_init ())
    {
      g_printerr ("leap-backend: libsodium could not start\n");
      return 1;
    }

  leap_backend_config_init (&config);
  if ((config_file != NULL && !leap_backend_config_load_file (&config, config_file, &error)) ||
      (listen != NULL && !leap_parse_host_port (listen, &config.listen_host, &config.listen_port, &error)) ||
      (redis != NULL && !leap_parse_host_port (redis, &config.redis_host, &config.redis_port, &error)))
    {
      g_printerr ("leap-backend: %s\n", error->message);
      leap_backend_config_clear (&config);
      return 2;
    }
  if (database != NULL)
    {
      g_free (config.database_url);
      config.database_url = g_strdup (database);
    }
  if (cors != NULL)
    {
      g_strfreev (config.cors_origins);
      config.cors_origins = g_strdupv (cors);
    }
  if (near_cache_ms >= 0)
    config.near_cache_ms = near_cache_ms;
  if (create_user != NULL && role == NULL)
    {
      g_printerr ("leap-backend: --create-user needs --role (admin, manager, cashier or kiosk)\n");
      leap_backend_config_clear (&config);
      return 2;
    }

  backend = leap_backend_new (&config, &error);
  leap_backend_config_clear (&config);
  if (backend == NULL)
    {
      g_printerr ("leap-backend: %s\n", error->message);
      return 1;
    }

  if (create_user == NULL)
    leap_backend_wait_for_redis (backend, 3000);

  if (seed_demo && !leap_catalogue_seed_demo (leap_backend_get_catalogue (backend), &error))
    {
      g_printerr ("leap-backend: cannot load the demo catalogue: %s\n", error->message);
      return 1;
    }

  if (create_user != NULL)
    {
      g_autofree char *password = read_password (&error);

      if (password == NULL ||
          leap_sessions_create_user (leap_backend_get_sessions (backend), create_user, role,
                                     password, &error) == 0)
        {
          g_printerr ("leap-backend: cannot create user “%s”: %s\n", create_user, error->message);
          return 1;
        }
      g_print ("Created %s “%s”\n", role, create_user);
      return 0;
    }

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
