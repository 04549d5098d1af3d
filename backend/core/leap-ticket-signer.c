/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-tickets"

#include "leap-ticket-signer.h"
#include "leap-error.h"
#include "leap-key-file.h"

#include <sodium.h>
#include <string.h>

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define PAYLOAD_FIXED (1 + LEAP_TICKET_KEY_ID_LEN + 8 + 8 + 2 + 1)
#define PAYLOAD_MAX   (PAYLOAD_FIXED + 64)
#define SIG_TEXT_LEN  86 /* 64 bytes, unpadded base64 */

struct _LeapTicketSigner
{
  GObject parent_instance;

  guint8  public_key[crypto_sign_PUBLICKEYBYTES];
  guint8  secret_key[crypto_sign_SECRETKEYBYTES];
  guint8  key_id[LEAP_TICKET_KEY_ID_LEN];
  char   *public_key_text; /* standard base64, as the API shows it */
  char   *key_id_text;     /* hex */
};

G_DEFINE_FINAL_TYPE (LeapTicketSigner, leap_ticket_signer, G_TYPE_OBJECT)

static gboolean
invalid (GError    **error,
         const char *why)
{
  g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID_TICKET, "Not a valid ticket code: %s", why);
  return FALSE;
}

static gboolean
order_id_char_ok (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

static void
put_u64 (guint8 *p,
         guint64 value)
{
  for (int i = 7; i >= 0; i--)
    {
      p[i] = value & 0xff;
      value >>= 8;
    }
}

static guint64
get_u64 (const guint8 *p)
{
  guint64 value = 0;

  for (int i = 0; i < 8; i++)
    value = (value << 8) | p[i];
  return value;
}

/* Decodes unpadded base64url and insists on the one canonical spelling, so
 * that no two texts decode to the same bytes. */
static gboolean
decode_canonical (const char *text,
                  gsize       length,
                  guint8     *out,
                  gsize       max,
                  gsize      *out_len)
{
  char again[sodium_base64_ENCODED_LEN (PAYLOAD_MAX > 64 ? PAYLOAD_MAX : 64, B64)];

  if (length == 0 ||
      sodium_base642bin (out, max, text, length, NULL, out_len, NULL, B64) != 0)
    return FALSE;
  if (sodium_base64_ENCODED_LEN (*out_len, B64) > sizeof again)
    return FALSE;
  sodium_bin2base64 (again, sizeof again, out, *out_len, B64);
  return strlen (again) == length && memcmp (again, text, length) == 0;
}

/* Checks the shape of a code and decodes its payload, without the key:
 * what a fuzzer feeds and what the signature check builds on. The code is
 * length bytes, not necessarily NUL-terminated. */
gboolean
leap_ticket_code_parse (const char       *code,
                        gsize             length,
                        LeapTicketFields *fields,
                        GError          **error)
{
  const gsize prefix = strlen (LEAP_TICKET_CODE_PREFIX);
  const char *payload_text, *dot;
  guint8 payload[PAYLOAD_MAX];
  guint8 signature[crypto_sign_BYTES];
  gsize payload_len = 0, sig_len = 0, id_len;
  guint64 event_id, tier_id;

  g_return_val_if_fail (fields != NULL, FALSE);

  memset (fields, 0, sizeof *fields);
  if (code == NULL || length == 0)
    return invalid (error, "it is empty");
  if (length > LEAP_TICKET_CODE_MAX_LEN)
    return invalid (error, "it is too long");
  if (length < prefix || memcmp (code, LEAP_TICKET_CODE_PREFIX, prefix) != 0)
    return invalid (error, "it does not start with " LEAP_TICKET_CODE_PREFIX);
  payload_text = code + prefix;
  dot = memchr (payload_text, '.', length - prefix);
  if (dot == NULL)
    return invalid (error, "it has no signature");
  if ((gsize) (code + length - (dot + 1)) != SIG_TEXT_LEN)
    return invalid (error, "its signature has the wrong length");
  if (!decode_canonical (payload_text, dot - payload_text, payload, sizeof payload, &payload_len))
    return invalid (error, "its payload is not base64url");
  if (!decode_canonical (dot + 1, SIG_TEXT_LEN, signature, sizeof signature, &sig_len) ||
      sig_len != crypto_sign_BYTES)
    return invalid (error, "its signature is not base64url");
  if (payload_len < PAYLOAD_FIXED + 1 || payload[0] != 1)
    return invalid (error, "unknown payload version");
  id_len = payload[PAYLOAD_FIXED - 1];
  if (id_len < 1 || id_len > 64 || payload_len != PAYLOAD_FIXED + id_len)
    return invalid (error, "the payload has the wrong length");
  event_id = get_u64 (payload + 1 + LEAP_TICKET_KEY_ID_LEN);
  tier_id = get_u64 (payload + 1 + LEAP_TICKET_KEY_ID_LEN + 8);
  if (event_id == 0 || event_id > G_MAXINT64 || tier_id == 0 || tier_id > G_MAXINT64)
    return invalid (error, "the payload names no event or tier");
  for (gsize i = 0; i < id_len; i++)
    if (!order_id_char_ok (payload[PAYLOAD_FIXED + i]))
      return invalid (error, "the payload's order id is garbled");

  fields->version = payload[0];
  memcpy (fields->key_id, payload + 1, LEAP_TICKET_KEY_ID_LEN);
  fields->event_id = event_id;
  fields->tier_id = tier_id;
  fields->index = (payload[PAYLOAD_FIXED - 3] << 8) | payload[PAYLOAD_FIXED - 2];
  memcpy (fields->order_id, payload + PAYLOAD_FIXED, id_len);
  fields->order_id[id_len] = '\0';
  return TRUE;
}

gboolean
leap_ticket_signer_verify (LeapTicketSigner *self,
                           const char       *code,
                           gsize             length,
                           LeapTicketFields *fields,
                           GError          **error)
{
  guint8 signature[crypto_sign_BYTES];
  gsize signed_len, sig_len = 0;

  g_return_val_if_fail (LEAP_IS_TICKET_SIGNER (self), FALSE);

  if (!leap_ticket_code_parse (code, length, fields, error))
    return FALSE;
  /* The parse proved the shape: the signature is the last SIG_TEXT_LEN
   * characters, after a dot. */
  signed_len = length - SIG_TEXT_LEN - 1;
  if (sodium_base642bin (signature, sizeof signature, code + signed_len + 1, SIG_TEXT_LEN, NULL,
                         &sig_len, NULL, B64) != 0 ||
      sig_len != sizeof signature)
    return invalid (error, "its signature is not base64url");
  if (crypto_sign_verify_detached (signature, (const guint8 *)code, signed_len, self->public_key) !=
      0)
    {
      gboolean other_key = memcmp (fields->key_id, self->key_id, LEAP_TICKET_KEY_ID_LEN) != 0;

      memset (fields, 0, sizeof *fields);
      return invalid (error, other_key ? "it was not signed by this box office"
                                       : "its signature does not match");
    }
  return TRUE;
}

char *
leap_ticket_signer_sign (LeapTicketSigner *self,
                         gint64            event_id,
                         const char       *order_id,
                         gint64            tier_id,
                         guint             index,
                         GError          **error)
{
  guint8 payload[PAYLOAD_MAX];
  guint8 signature[crypto_sign_BYTES];
  char payload_text[sodium_base64_ENCODED_LEN (PAYLOAD_MAX, B64)];
  char sig_text[sodium_base64_ENCODED_LEN (crypto_sign_BYTES, B64)];
  g_autofree char *head = NULL;
  gsize id_len = order_id ? strlen (order_id) : 0;

  g_return_val_if_fail (LEAP_IS_TICKET_SIGNER (self), NULL);

  if (event_id <= 0 || tier_id <= 0 || index > G_MAXUINT16 || id_len < 1 || id_len > 64)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Cannot sign a ticket for order “%s”",
                   order_id ? order_id : "");
      return NULL;
    }
  for (gsize i = 0; i < id_len; i++)
    if (!order_id_char_ok (order_id[i]))
      {
        g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Cannot sign a ticket for order “%s”",
                     order_id);
        return NULL;
      }

  payload[0] = 1;
  memcpy (payload + 1, self->key_id, LEAP_TICKET_KEY_ID_LEN);
  put_u64 (payload + 1 + LEAP_TICKET_KEY_ID_LEN, event_id);
  put_u64 (payload + 1 + LEAP_TICKET_KEY_ID_LEN + 8, tier_id);
  payload[PAYLOAD_FIXED - 3] = (index >> 8) & 0xff;
  payload[PAYLOAD_FIXED - 2] = index & 0xff;
  payload[PAYLOAD_FIXED - 1] = id_len;
  memcpy (payload + PAYLOAD_FIXED, order_id, id_len);

  sodium_bin2base64 (payload_text, sizeof payload_text, payload, PAYLOAD_FIXED + id_len, B64);
  head = g_strconcat (LEAP_TICKET_CODE_PREFIX, payload_text, NULL);
  crypto_sign_detached (signature, NULL, (const guint8 *) head, strlen (head), self->secret_key);
  sodium_bin2base64 (sig_text, sizeof sig_text, signature, sizeof signature, B64);
  return g_strconcat (head, ".", sig_text, NULL);
}

const char *
leap_ticket_signer_get_public_key (LeapTicketSigner *self)
{
  g_return_val_if_fail (LEAP_IS_TICKET_SIGNER (self), NULL);
  return self->public_key_text;
}

const char *
leap_ticket_signer_get_key_id (LeapTicketSigner *self)
{
  g_return_val_if_fail (LEAP_IS_TICKET_SIGNER (self), NULL);
  return self->key_id_text;
}

/* "sqlite:/var/lib/leap/leap.db" → "/var/lib/leap/leap.db.ticket-key": the
 * backend and the workers started with the same --database share it. */
char *
leap_ticket_key_path_for_database (const char *database_url)
{
  return leap_key_file_path_for_database (database_url, ".ticket-key");
}

LeapTicketSigner *
leap_ticket_signer_new_from_seed (const guint8 *seed,
                                  gsize         length)
{
  LeapTicketSigner *self;
  guint8 hash[crypto_hash_sha256_BYTES];
  char text[sodium_base64_ENCODED_LEN (crypto_sign_PUBLICKEYBYTES, sodium_base64_VARIANT_ORIGINAL)];

  g_return_val_if_fail (seed != NULL && length == crypto_sign_SEEDBYTES, NULL);

  self = g_object_new (LEAP_TYPE_TICKET_SIGNER, NULL);
  crypto_sign_seed_keypair (self->public_key, self->secret_key, seed);
  crypto_hash_sha256 (hash, self->public_key, sizeof self->public_key);
  memcpy (self->key_id, hash, LEAP_TICKET_KEY_ID_LEN);
  sodium_bin2base64 (text, sizeof text, self->public_key, sizeof self->public_key,
                     sodium_base64_VARIANT_ORIGINAL);
  self->public_key_text = g_strdup (text);
  self->key_id_text = g_malloc (LEAP_TICKET_KEY_ID_LEN * 2 + 1);
  sodium_bin2hex (self->key_id_text, LEAP_TICKET_KEY_ID_LEN * 2 + 1, self->key_id,
                  LEAP_TICKET_KEY_ID_LEN);
  return self;
}

LeapTicketSigner *
leap_ticket_signer_new_from_file (const char *path,
                                  GError    **error)
{
  guint8 seed[crypto_sign_SEEDBYTES];
  LeapTicketSigner *self;

  if (!leap_key_file_load (path, "ticket key", seed, sizeof seed, error))
    return NULL;
  self = leap_ticket_signer_new_from_seed (seed, sizeof seed);
  sodium_memzero (seed, sizeof seed);
  return self;
}

static void
leap_ticket_signer_finalize (GObject *object)
{
  LeapTicketSigner *self = LEAP_TICKET_SIGNER (object);

  sodium_memzero (self->secret_key, sizeof self->secret_key);
  g_free (self->public_key_text);
  g_free (self->key_id_text);
  G_OBJECT_CLASS (leap_ticket_signer_parent_class)->finalize (object);
}

static void
leap_ticket_signer_class_init (LeapTicketSignerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = leap_ticket_signer_finalize;
}

static void
leap_ticket_signer_init (LeapTicketSigner *self)
{
}
