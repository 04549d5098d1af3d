/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A ticket code is "LT1." + base64url(payload) + "." + base64url(signature),
 * without padding. The signature is Ed25519 over the ASCII text before the
 * second dot ("LT1.<payload>"), so a scanner verifies the code as it reads
 * it, offline, with the public key of GET /api/v1/tickets/public-key.
 * The payload, big-endian:
 *
 *   version   1 byte   1
 *   key id    4 bytes  the first 4 bytes of SHA-256 (public key)
 *   event id  8 bytes
 *   tier id   8 bytes
 *   index     2 bytes  the ticket's place in its order, from 0
 *   length    1 byte   of the order id, 1 to 64
 *   order id  length bytes, [A-Za-z0-9_-]
 *
 * docs/api.md describes the same for scanner authors. */
#define LEAP_TICKET_CODE_PREFIX  "LT1."
#define LEAP_TICKET_CODE_MAX_LEN 256
#define LEAP_TICKET_KEY_ID_LEN   4

typedef struct
{
  guint8  version;
  guint8  key_id[LEAP_TICKET_KEY_ID_LEN];
  gint64  event_id;
  gint64  tier_id;
  guint   index;
  char    order_id[65];
} LeapTicketFields;

gboolean leap_ticket_code_parse (const char       *code,
                                 gsize             length,
                                 LeapTicketFields *fields,
                                 GError          **error);

#define LEAP_TYPE_TICKET_SIGNER (leap_ticket_signer_get_type ())
G_DECLARE_FINAL_TYPE (LeapTicketSigner, leap_ticket_signer, LEAP, TICKET_SIGNER, GObject)

/* The Ed25519 key pair that signs ticket codes. The secret is a 32-byte
 * seed kept in a key file (base64, mode 0600) that the backend and every
 * worker share; a missing file is created with a new random seed. */
LeapTicketSigner *leap_ticket_signer_new_from_file  (const char        *path,
                                                     GError           **error);
LeapTicketSigner *leap_ticket_signer_new_from_seed  (const guint8      *seed,
                                                     gsize              length);
char             *leap_ticket_key_path_for_database (const char        *database_url);
const char       *leap_ticket_signer_get_public_key (LeapTicketSigner  *self);
const char       *leap_ticket_signer_get_key_id     (LeapTicketSigner  *self);
char             *leap_ticket_signer_sign           (LeapTicketSigner  *self,
                                                     gint64             event_id,
                                                     const char        *order_id,
                                                     gint64             tier_id,
                                                     guint              index,
                                                     GError           **error);
gboolean          leap_ticket_signer_verify         (LeapTicketSigner  *self,
                                                     const char        *code,
                                                     gsize              length,
                                                     LeapTicketFields  *fields,
                                                     GError           **error);

G_END_DECLS
