/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-http"

#include "leap-idempotency.h"
#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-keys.h"
#include "leap-reply.h"

#include <glib/gi18n.h>
#include <string.h>

/* Idempotency-Key: the first request with a key runs and its answer is kept
 * for a day; a retry with the same key and the same request gets that
 * answer again and changes nothing; the same key with another request is
 * refused (422). A retry that arrives while the first still runs waits for
 * its answer. Keys are scoped by the caller's credentials. */

#define KEEP_S "86400"
#define WAIT_STEP_MS 25
#define WAIT_MAX_MS 15000

typedef struct
{
  LeapRequest     *req;
  LeapContinueFunc next;
  char            *key;
  char            *fingerprint;
  guint            waited_ms;
} Begin;

static void
begin_free (Begin *b)
{
  leap_request_unref (b->req);
  g_free (b->key);
  g_free (b->fingerprint);
  g_free (b);
}

static void lookup (Begin *b);

static gboolean
retry_cb (gpointer data)
{
  lookup (data);
  return G_SOURCE_REMOVE;
}

/* "D" fingerprint \n status \n location \n body */
static void
replay (LeapRequest *req,
        const char  *stored,
        gsize        length)
{
  const char *status_line = memchr (stored, '\n', length);
  const char *location_line = NULL;
  const char *body = NULL;
  g_autofree char *location = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint status;

  if (status_line != NULL)
    location_line = memchr (status_line + 1, '\n', length - (status_line + 1 - stored));
  if (location_line != NULL)
    body = memchr (location_line + 1, '\n', length - (location_line + 1 - stored));
  if (body == NULL)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_INTERNAL, "A stored answer is damaged");
      return;
    }
  status = g_ascii_strtoull (status_line + 1, NULL, 10);
  location = g_strndup (location_line + 1, body - location_line - 1);
  if (location[0] != '\0')
    soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Location",
                                  location);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Idempotent-Replayed", "true");
  body++;
  if (body == stored + length)
    leap_request_reply_empty (req, status);
  else
    {
      bytes = g_bytes_new (body, stored + length - body);
      leap_request_reply_bytes (req, status, bytes);
    }
}

static void
lookup_cb (LeapRedis        *redis,
           const redisReply *reply,
           const GError     *error,
           gpointer          user_data)
{
  Begin *b = user_data;
  gsize fp_len = strlen (b->fingerprint);
  const char *stored;
  gsize length;

  if (error != NULL || (stored = leap_reply_string (reply, &length)) == NULL)
    {
      /* Gone meanwhile (a first try that failed on the server): run it. */
      lookup (b);
      return;
    }
  if (length < 1 + fp_len || memcmp (stored + 1, b->fingerprint, fp_len) != 0)
    {
      leap_request_reply_new_error (b->req, LEAP_ERROR_IDEMPOTENCY,
                                    N_("This Idempotency-Key was used for a different request"));
      begin_free (b);
      return;
    }
  if (stored[0] == 'D')
    {
      replay (b->req, stored + 1 + fp_len, length - 1 - fp_len);
      begin_free (b);
      return;
    }
  if (b->waited_ms >= WAIT_MAX_MS)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (b->req->msg),
                                    "Retry-After", "1");
      leap_request_reply_new_error (
          b->req, LEAP_ERROR_CONFLICT,
          N_("The first request with this Idempotency-Key is still running"));
      begin_free (b);
      return;
    }
  b->waited_ms += WAIT_STEP_MS;
  g_timeout_add (WAIT_STEP_MS, retry_cb, b);
}

static void
claim_cb (LeapRedis        *redis,
          const redisReply *reply,
          const GError     *error,
          gpointer          user_data)
{
  Begin *b = user_data;
  LeapRequest *req = b->req;

  if (error != NULL)
    {
      /* Without Redis the request runs unprotected: better than refusing a sale. */
      g_debug ("Idempotency-Key not checked: %s", error->message);
      b->next (req);
      begin_free (b);
      return;
    }
  if (leap_reply_is_status (reply))
    {
      req->idempotency_key = g_steal_pointer (&b->key);
      req->idempotency_fingerprint = g_steal_pointer (&b->fingerprint);
      b->next (req);
      begin_free (b);
      return;
    }
  leap_redis_command (req->ctx->redis, lookup_cb, b, "GET", b->key, NULL);
}

static void
lookup (Begin *b)
{
  g_autofree char *pending = g_strconcat ("P", b->fingerprint, NULL);

  leap_redis_command (b->req->ctx->redis, claim_cb, b, "SET", b->key, pending, "NX", "EX", KEEP_S,
                      NULL);
}

void
leap_idempotency_begin (LeapRequest     *req,
                        LeapContinueFunc next)
{
  const char *key = leap_request_get_header (req, "Idempotency-Key");
  const char *auth = leap_request_get_header (req, "Authorization");
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GChecksum) fp = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *key_hash = NULL;
  Begin *b;

  if (key == NULL)
    {
      next (req);
      return;
    }
  if (*key == '\0' || strlen (key) > 255)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_MALFORMED,
                                    N_("Idempotency-Key must be 1 to 255 characters"));
      return;
    }

  bytes = soup_message_body_flatten (body);
  fp = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (fp, (const guchar *) soup_server_message_get_method (req->msg), -1);
  g_checksum_update (fp, (const guchar *) " ", 1);
  g_checksum_update (fp, (const guchar *) req->path, -1);
  g_checksum_update (fp, (const guchar *) "\n", 1);
  g_checksum_update (fp, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  scope = g_compute_checksum_for_string (G_CHECKSUM_SHA256, auth ? auth : "", -1);
  key_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);

  b = g_new0 (Begin, 1);
  b->req = leap_request_ref (req);
  b->next = next;
  b->key = leap_keys_idempotency (scope, key_hash);
  b->fingerprint = g_strdup (g_checksum_get_string (fp));
  lookup (b);
}

/* Keeps the answer for the retries; a server fault is not kept, so that a
 * retry can succeed. */
void
leap_idempotency_finish (LeapRequest *req)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GByteArray) stored = NULL;
  const char *location;
  char status[16];

  if (req->idempotency_key == NULL)
    return;
  if (req->status >= 500 || req->gone)
    {
      leap_redis_command (req->ctx->redis, NULL, NULL, "DEL", req->idempotency_key, NULL);
      return;
    }
  body = soup_message_body_flatten (soup_server_message_get_response_body (req->msg));
  location = soup_message_headers_get_one (soup_server_message_get_response_headers (req->msg),
                                           "Location");
  g_snprintf (status, sizeof status, "\n%u\n", req->status);
  stored = g_byte_array_new ();
  g_byte_array_append (stored, (const guint8 *) "D", 1);
  g_byte_array_append (stored, (const guint8 *)req->idempotency_fingerprint,
                       strlen (req->idempotency_fingerprint));
  g_byte_array_append (stored, (const guint8 *) status, strlen (status));
  if (location != NULL)
    g_byte_array_append (stored, (const guint8 *) location, strlen (location));
  g_byte_array_append (stored, (const guint8 *) "\n", 1);
  g_byte_array_append (stored, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  {
    const char *argv[] = { "SET", req->idempotency_key, (const char *) stored->data, "EX", KEEP_S };
    size_t lens[] = { 3, strlen (req->idempotency_key), stored->len, 2, strlen (KEEP_S) };
    leap_redis_command_argv (req->ctx->redis, NULL, NULL, G_N_ELEMENTS (argv), argv, lens);
  }
}
