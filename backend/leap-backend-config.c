/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-backend-config.h"
#include "leap-address.h"
#include "leap-error.h"
#include "leap-key-file.h"

#include <gio/gio.h>

#include <string.h>

void
leap_backend_config_init (LeapBackendConfig *config)
{
  memset (config, 0, sizeof *config);
  config->listen_host = g_strdup ("127.0.0.1");
  config->listen_port = 8080;
  config->redis_host = g_strdup ("127.0.0.1");
  config->redis_port = 6379;
  config->database_url = leap_default_database_url ();
  config->cors_origins = g_new0 (char *, 1);
  config->trusted_proxies = g_new0 (char *, 1);
  config->database_replicas = g_new0 (char *, 1);
  config->session_ttl_s = 12 * 60 * 60;
  config->near_cache_ms = 1000;
  config->max_body = 1024 * 1024;
  config->idle_timeout_s = 60;
  config->hold_ttl_s = 600;
  config->guest_max_holds = 5;
  config->guest_max_tickets = 10;
  config->guest_address_max_tickets = 100;
  config->guest_rate = 30;
  config->reconcile_interval_s = 60;
  config->waiting_room_rate = 50;
  config->waiting_room_window_s = 3600;
  config->waiting_room_timeout_s = 30;
  config->websocket_max_per_address = 50;
  config->websocket_ping_interval_s = 30;
  config->database_connections = 4;
  config->redis_wait_ms = 50;
}

void
leap_backend_config_clear (LeapBackendConfig *config)
{
  g_clear_pointer (&config->listen_host, g_free);
  g_clear_pointer (&config->redis_host, g_free);
  g_clear_pointer (&config->redis_sentinels, g_strfreev);
  g_clear_pointer (&config->redis_master, g_free);
  g_clear_pointer (&config->database_url, g_free);
  g_clear_pointer (&config->ticket_key, g_free);
  g_clear_pointer (&config->session_key, g_free);
  g_clear_pointer (&config->web_root, g_free);
  g_clear_pointer (&config->cors_origins, g_strfreev);
  g_clear_pointer (&config->trusted_proxies, g_strfreev);
  g_clear_pointer (&config->database_replicas, g_strfreev);
}

/* Each an address ("10.0.0.7", "::1") or a range ("10.0.0.0/8",
 * "fd00::/8"), as GInetAddressMask reads them; strips spaces in place. */
gboolean
leap_check_trusted_proxies (char   **cidrs,
                            GError **error)
{
  for (guint i = 0; cidrs != NULL && cidrs[i] != NULL; i++)
    {
      g_autoptr(GInetAddressMask) mask = NULL;

      mask = g_inet_address_mask_new_from_string (g_strstrip (cidrs[i]), NULL);

      if (mask == NULL)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "“%s” is not a trusted proxy address or range (ADDRESS or ADDRESS/BITS)",
                       cidrs[i]);
          return FALSE;
        }
    }
  return TRUE;
}

/* A list of the [backend] group (items separated by semicolons) in
 * @target, if the file has it. */
static void
take_list (GKeyFile    *file,
           const char  *key,
           char      ***target)
{
  if (!g_key_file_has_key (file, "backend", key, NULL))
    return;
  g_strfreev (*target);
  *target = g_key_file_get_string_list (file, "backend", key, NULL, NULL);
  if (*target == NULL)
    *target = g_new0 (char *, 1);
}

gboolean
leap_backend_config_load_file (LeapBackendConfig *config,
                               const char        *path,
                               GError           **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *text = NULL;
  guint64 number;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return FALSE;

#define STRING(group, key, then)                                              \
  if ((text = g_key_file_get_string (file, group, key, NULL)) != NULL)        \
    {                                                                         \
      then;                                                                   \
      g_clear_pointer (&text, g_free);                                        \
    }
#define NUMBER(group, key, min, max, target)                                  \
  if (g_key_file_has_key (file, group, key, NULL))                            \
    {                                                                         \
      g_autofree char *raw = g_key_file_get_string (file, group, key, NULL);  \
      if (!g_ascii_string_to_unsigned (raw, 10, min, max, &number, NULL))     \
        {                                                                     \
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,                 \
                       "%s: [%s] %s must be a number from %u to %u", path,    \
                       group, key, (guint) (min), (guint) (max));             \
          return FALSE;                                                       \
        }                                                                     \
      target = number;                                                        \
    }

  STRING ("backend", "listen",
          if (!leap_parse_host_port (text, &config->listen_host, &config->listen_port, error))
            return FALSE);
  STRING ("backend", "redis",
          if (!leap_parse_redis_address (text, &config->redis_host, &config->redis_port,
                                         &config->redis_sentinels, &config->redis_master, error))
            return FALSE);
  STRING ("backend", "database",
          g_free (config->database_url); config->database_url = g_strdup (text));
  take_list (file, "database-replica", &config->database_replicas);
  STRING ("backend", "ticket-key",
          g_free (config->ticket_key); config->ticket_key = g_strdup (text));
  STRING ("backend", "session-key",
          g_free (config->session_key); config->session_key = g_strdup (text));
  STRING ("backend", "web-root",
          g_free (config->web_root); config->web_root = g_strdup (text));
  take_list (file, "cors-origins", &config->cors_origins);
  take_list (file, "trusted-proxies", &config->trusted_proxies);
  if (!leap_check_trusted_proxies (config->trusted_proxies, error))
    {
      g_prefix_error (error, "%s: [backend] trusted-proxies: ", path);
      return FALSE;
    }
  NUMBER ("backend", "session-ttl", 60, 30 * 24 * 3600, config->session_ttl_s);
  NUMBER ("backend", "near-cache-ms", 0, 60000, config->near_cache_ms);
  NUMBER ("backend", "max-body", 1024, 64 * 1024 * 1024, config->max_body);
  NUMBER ("backend", "idle-timeout", 1, 3600, config->idle_timeout_s);
  NUMBER ("backend", "hold-ttl", 10, 3600, config->hold_ttl_s);
  NUMBER ("backend", "guest-max-holds", 1, 100, config->guest_max_holds);
  NUMBER ("backend", "guest-max-tickets", 1, 100, config->guest_max_tickets);
  NUMBER ("backend", "guest-address-max-tickets", 1, 100000, config->guest_address_max_tickets);
  NUMBER ("backend", "guest-rate", 1, 100000, config->guest_rate);
  NUMBER ("backend", "reconcile-interval", 0, 86400, config->reconcile_interval_s);
  NUMBER ("backend", "waiting-room-rate", 1, 100000, config->waiting_room_rate);
  NUMBER ("backend", "waiting-room-window", 0, 7 * 86400, config->waiting_room_window_s);
  NUMBER ("backend", "waiting-room-timeout", 1, 3600, config->waiting_room_timeout_s);
  NUMBER ("backend", "websocket-max-per-address", 1, 100000, config->websocket_max_per_address);
  NUMBER ("backend", "websocket-ping-interval", 1, 3600, config->websocket_ping_interval_s);
  NUMBER ("backend", "database-connections", 1, 64, config->database_connections);
  NUMBER ("backend", "redis-wait-ms", 0, 10000, config->redis_wait_ms);
#undef STRING
#undef NUMBER
  return TRUE;
}
