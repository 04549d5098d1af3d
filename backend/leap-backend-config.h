/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Everything an operator can set, from the key file given with --config
 * and then from the command line, which wins. */
typedef struct
{
  char    *listen_host;
  guint16  listen_port;
  char    *redis_host;
  guint16  redis_port;
  char   **redis_sentinels;   /* "HOST:PORT" each, or NULL: Redis at redis_host */
  char    *redis_master;      /* the primary's name at the Sentinels */
  char    *database_url;
  char   **database_replicas; /* read replicas of a PostgreSQL database_url */
  char    *ticket_key;       /* NULL: the database path + ".ticket-key" */
  char    *session_key;      /* NULL: the database path + ".session-key" */
  char   **cors_origins;
  char    *web_root;         /* served at /shop/; NULL: not served */
  char   **trusted_proxies;  /* CIDRs whose X-Forwarded-For is believed */
  guint    session_ttl_s;
  guint    near_cache_ms;
  gsize    max_body;
  guint    idle_timeout_s;
  guint    hold_ttl_s;
  guint    guest_max_holds;
  guint    guest_max_tickets;
  guint    guest_address_max_tickets; /* in the live holds of all guests of an address */
  guint    guest_rate;           /* per minute: holds of a guest session, guest sessions of an
                                  * address */
  guint    reconcile_interval_s; /* 0: only on request */
  guint    waiting_room_rate;    /* guests let in per event per second */
  guint    waiting_room_window_s; /* active this long from an event's on_sale_at */
  guint    waiting_room_timeout_s; /* a guest not seen for this long loses its place */
  guint    websocket_max_per_address;
  guint    websocket_ping_interval_s;
  guint    database_connections; /* of the pool that keeps the database off the main loop */
  guint    redis_wait_ms;        /* WAIT for a replica before a hold's 201; 0: never */
} LeapBackendConfig;

void     leap_backend_config_init      (LeapBackendConfig *config);
void     leap_backend_config_clear     (LeapBackendConfig *config);
gboolean leap_backend_config_load_file (LeapBackendConfig *config,
                                        const char        *path,
                                        GError           **error);
gboolean leap_check_trusted_proxies    (char             **cidrs,
                                        GError           **error);

G_END_DECLS
