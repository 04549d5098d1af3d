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
 * its answer. Keys are scoped by the caller's credentials.
 *
 * The first request claims the key for a lease ("P" fingerprint " " nonce,
 * LEASE_MS), renewed while it runs, and replaces the claim with its answer
 * whether or not its client is still there. A backend that dies mid-request
 * leaves a claim that ends with its lease; a retry then runs the request
 * again, so the operations behind it must be safe to run twice (core's
 * business). Waiting outlasts a lease, so that a retry meets the answer or
 * runs, rather than being told to come back. */

#define KEEP_MS "86400000"
#define LEASE_MS 10000
#define RENEW_MS (LEASE_MS / 3)
#define WAIT_STEP_MS 25
#define WAIT_MAX_MS 15000

G_STATIC_ASSERT (WAIT_MAX_MS > LEASE_MS);

struct _LeapIdempotencyClaim
{
  LeapRedis *redis;       /* Owned */
  char      *key;         /* Owned: the Redis key */
  char      *fingerprint; /* Owned: SHA-256 of method, path and body */
  char      *claim;       /* Owned: the value this request set, "P" fingerprint " " nonce */
  guint      renew_id;
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LeapIdempotencyClaim, leap_idempotency_claim_free)

typedef struct
{
  LeapRequest          *req;
  LeapContinueFunc      next;
  LeapIdempotencyClaim *claim;  /* Owned until the key is claimed */
  guint                 waited_ms;
} Begin;

void
leap_idempotency_claim_free (LeapIdempotencyClaim *claim)
{
  g_clear_handle_id (&claim->renew_id, g_source_remove);
  g_clear_object (&claim->redis);
  g_free (claim->key);
  g_free (claim->fingerprint);
  g_free (claim->claim);
  g_free (claim);
}

static void
begin_free (Begin *b)
{
  leap_request_unref (b->req);
  g_clear_pointer (&b->claim, leap_idempotency_claim_free);
  g_free (b);
}

static void lookup (Begin *b);
static gboolean renew_cb (gpointer data);

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
  gsize fp_len = strlen (b->claim->fingerprint);
  const char *stored;
  gsize length;

  if (error != NULL || (stored = leap_reply_string (reply, &length)) == NULL)
    {
      /* Gone meanwhile (a first try that failed on the server, or one
       * whose lease ended): claim it and run it. */
      lookup (b);
      return;
    }
  if (length < 1 + fp_len || memcmp (stored + 1, b->claim->fingerprint, fp_len) != 0)
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
      req->idempotency = g_steal_pointer (&b->claim);
      req->idempotency->renew_id = g_timeout_add (RENEW_MS, renew_cb, req->idempotency);
      b->next (req);
      begin_free (b);
      return;
    }
  leap_redis_command (req->ctx->redis, lookup_cb, b, "GET", b->claim->key, NULL);
}

static void
lookup (Begin *b)
{
  leap_redis_command (b->req->ctx->redis, claim_cb, b, "SET", b->claim->key, b->claim->claim, "NX",
                      "PX", G_STRINGIFY (LEASE_MS), NULL);
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
  g_autofree char *nonce = NULL;
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
  b->claim = g_new0 (LeapIdempotencyClaim, 1);
  b->claim->redis = g_object_ref (req->ctx->redis);
  b->claim->key = leap_keys_idempotency (scope, key_hash);
  b->claim->fingerprint = g_strdup (g_checksum_get_string (fp));
  nonce = g_uuid_string_random ();
  b->claim->claim = g_strconcat ("P", b->claim->fingerprint, " ", nonce, NULL);
  lookup (b);
}

static void
renewed_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
  gint64 renewed = 0;

  if (error != NULL)
    g_debug ("Idempotency-Key lease not renewed: %s", error->message);
  else if (leap_reply_get_int (reply, &renewed) && renewed == 0)
    g_debug ("An Idempotency-Key claim outlived its lease; a retry may run the request too");
}

/* Extends the lease while the request runs. */
static gboolean
renew_cb (gpointer data)
{
  LeapIdempotencyClaim *claim = data;
  const char *argv[] = { claim->key, claim->claim, G_STRINGIFY (LEASE_MS) };

  leap_redis_eval_argv (claim->redis, "idempotency-renew", renewed_cb, NULL, 1,
                        G_N_ELEMENTS (argv), argv, NULL);
  return G_SOURCE_CONTINUE;
}

/* Keeps the answer for the retries, whether or not the client is still
 * there; a server fault is not kept, so that a retry can succeed. Either
 * only while the key is still this request's claim (or unclaimed). */
void
leap_idempotency_finish (LeapRequest *req,
                         GBytes      *body)
{
  g_autoptr(LeapIdempotencyClaim) claim = g_steal_pointer (&req->idempotency);
  g_autoptr(GByteArray) stored = g_byte_array_new ();
  const char *location;
  char status[16];

  if (claim == NULL)
    return;
  g_clear_handle_id (&claim->renew_id, g_source_remove);
  if (req->status < 500)
    {
      location = soup_message_headers_get_one (
          soup_server_message_get_response_headers (req->msg), "Location");
      g_snprintf (status, sizeof status, "\n%u\n", req->status);
      g_byte_array_append (stored, (const guint8 *) "D", 1);
      g_byte_array_append (stored, (const guint8 *) claim->fingerprint,
                           strlen (claim->fingerprint));
      g_byte_array_append (stored, (const guint8 *) status, strlen (status));
      if (location != NULL)
        g_byte_array_append (stored, (const guint8 *) location, strlen (location));
      g_byte_array_append (stored, (const guint8 *) "\n", 1);
      if (body != NULL)
        g_byte_array_append (stored, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    }
  {
    const char *answer = stored->len > 0 ? (const char *) stored->data : "";
    const char *argv[] = { claim->key, claim->claim, answer, KEEP_MS };
    size_t lens[] = { strlen (claim->key), strlen (claim->claim), stored->len, strlen (KEEP_MS) };

    leap_redis_eval_argv (claim->redis, "idempotency-settle", NULL, NULL, 1, G_N_ELEMENTS (argv),
                          argv, lens);
  }
}
