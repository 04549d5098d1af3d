/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Signed tickets: codes that a scanner verifies offline with the public
 * key alone, admission once at the door whatever races for it, refusal of
 * every forged, altered, voided or garbled code, and printable tickets.
 * Orders are paid by the real leap-worker. The signature checks here use
 * libsodium directly, not the backend's code. */
#include "leap-test-backend.h"
#include "leap-error.h"
#include "leap-ticket-signer.h"

#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  char           *cashier;
  char           *kiosk;
  gint64          event;
  gint64          tier;   /* 2500 EUR, 50 seats */
  GSubprocess    *worker;
  LeapTestDb     *db;
} Fixture;

/* Code layout (see docs/api.md): "LT1." payload "." signature. */
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

typedef struct
{
  guint8  key_id[4];
  gint64  event_id;
  gint64  tier_id;
  guint   index;
  char   *order_id;
} Payload;

static void
payload_clear (Payload *p)
{
  g_clear_pointer (&p->order_id, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Payload, payload_clear)

static guint64
get_u64 (const guint8 *p)
{
  guint64 v = 0;

  for (int i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

static void
put_u64 (guint8 *p,
         guint64 v)
{
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = v & 0xff;
}

/* Verifies a code as a scanner would, from the text and the public key. */
static gboolean
scanner_verify (const char   *code,
                const guint8 *public_key,
                Payload      *out)
{
  g_auto(GStrv) parts = g_strsplit (code, ".", -1);
  guint8 payload[256];
  guint8 signature[crypto_sign_BYTES];
  gsize payload_len = 0, sig_len = 0;
  gsize signed_len;

  if (g_strv_length (parts) != 3 || !g_str_equal (parts[0], "LT1"))
    return FALSE;
  signed_len = strlen (parts[0]) + 1 + strlen (parts[1]);
  if (sodium_base642bin (signature, sizeof signature, parts[2], strlen (parts[2]), NULL, &sig_len,
                         NULL, B64) != 0 ||
      sig_len != sizeof signature ||
      crypto_sign_verify_detached (signature, (const guint8 *)code, signed_len, public_key) != 0)
    return FALSE;
  if (sodium_base642bin (payload, sizeof payload, parts[1], strlen (parts[1]), NULL, &payload_len,
                         NULL, B64) != 0 ||
      payload_len < 25 || payload[0] != 1 || payload[23] + 24u != payload_len)
    return FALSE;
  memcpy (out->key_id, payload + 1, 4);
  out->event_id = get_u64 (payload + 5);
  out->tier_id = get_u64 (payload + 13);
  out->index = (payload[21] << 8) | payload[22];
  out->order_id = g_strndup ((const char *) payload + 24, payload[23]);
  return TRUE;
}

/* Makes a code of the documented layout, signed with any secret key. */
static char *
forge_code (const guint8 *secret_key,
            const guint8  key_id[4],
            gint64        event_id,
            const char   *order_id,
            gint64        tier_id,
            guint         index)
{
  guint8 payload[128];
  guint8 signature[crypto_sign_BYTES];
  char payload_text[256], sig_text[128];
  g_autofree char *head = NULL;
  gsize len = strlen (order_id);

  payload[0] = 1;
  memcpy (payload + 1, key_id, 4);
  put_u64 (payload + 5, event_id);
  put_u64 (payload + 13, tier_id);
  payload[21] = index >> 8;
  payload[22] = index & 0xff;
  payload[23] = len;
  memcpy (payload + 24, order_id, len);
  sodium_bin2base64 (payload_text, sizeof payload_text, payload, 24 + len, B64);
  head = g_strconcat ("LT1.", payload_text, NULL);
  crypto_sign_detached (signature, NULL, (const guint8 *) head, strlen (head), secret_key);
  sodium_bin2base64 (sig_text, sizeof sig_text, signature, sizeof signature, B64);
  return g_strconcat (head, ".", sig_text, NULL);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *body = NULL;
  gint64 venue;

  leap_test_backend_setup (&f->tb, 0);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  f->cashier = leap_test_backend_login (&f->tb, "cashier");
  f->kiosk = leap_test_backend_login (&f->tb, "kiosk");
  venue = leap_test_backend_create (
      &f->tb, f->admin, "/api/v1/venues",
      "{\"name\": \"Großer Saal\", \"city\": \"Wien\", \"timezone\": \"Europe/Vienna\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Die Zauberflöte\", "
                          "\"starts_at\": \"2026-12-01T18:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  g_free (body);
  body = g_strdup_printf ("{\"name\": \"Parkett\", \"price\": 2500, \"currency\": \"EUR\", "
                          "\"capacity\": 50, \"max_per_order\": 10}");
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
    f->tier = leap_test_backend_create (&f->tb, f->admin, path, body);
  }
  f->db = leap_test_db_open (f->tb.db_url);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  leap_test_stop_process (&f->worker, SIGTERM);
  leap_test_db_close (f->db);
  g_free (f->admin);
  g_free (f->cashier);
  g_free (f->kiosk);
  leap_test_backend_teardown (&f->tb);
}

static void
start_worker (Fixture *f)
{
  f->worker = leap_test_backend_spawn_worker (&f->tb, "tickets", FALSE, NULL);
}

static char *
guest_login (Fixture *f)
{
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
}

/* A hold of quantity tickets, placed with payment; returns the order id. */
static char *
place (Fixture    *f,
       const char *token,
       guint       quantity,
       const char *payment)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": %u}]}",
                                           f->event, f->tier, quantity);
  g_autofree char *order = NULL;

  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", token, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  order = g_strdup_printf (
      "{\"hold_id\": \"%s\", \"payment\": %s, \"customer\": {\"name\": \"Ada Lovelace\"}}",
      json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"), payment);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/orders", token, order, &reply);
  if (reply.status != 202)
    g_error ("POST /orders: %u %s", reply.status, reply.body);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "order_id"));
}

typedef struct
{
  Fixture    *f;
  const char *token;
  const char *order_id;
  JsonObject *order;
  gint64      next_check;
} PaidWait;

static gboolean
order_paid (gpointer data)
{
  PaidWait *w = data;
  g_autofree char *path = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *order;

  if (g_get_monotonic_time () < w->next_check)
    return FALSE;
  w->next_check = g_get_monotonic_time () + 20 * G_TIME_SPAN_MILLISECOND;
  path = g_strconcat ("/api/v1/orders/", w->order_id, NULL);
  leap_test_backend_call (&w->f->tb, "GET", path, w->token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  order = leap_test_reply_object (&reply);
  if (g_strcmp0 (json_object_get_string_member (order, "status"), "paid") != 0)
    return FALSE;
  w->order = json_object_ref (order);
  return TRUE;
}

/* Waits for the worker to pay the order; returns it as GET shows it. */
static JsonObject *
wait_paid (Fixture    *f,
           const char *token,
           const char *order_id)
{
  PaidWait w = { f, token, order_id, NULL, 0 };

  if (!leap_test_wait_until (order_paid, &w, 15000))
    g_error ("Order %s was not paid in time", order_id);
  return w.order;
}

static JsonObject *
pay_cash (Fixture *f,
          guint    quantity,
          char   **order_id)
{
  *order_id = place (f, f->cashier, quantity, "{\"method\": \"cash\", \"tendered\": 100000}");
  return wait_paid (f, f->cashier, *order_id);
}

static void
public_key (Fixture *f,
            guint8   key[crypto_sign_PUBLICKEYBYTES],
            char   **key_id)
{
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *answer;
  gsize len = 0;
  const char *text;

  /* Public: no token. */
  leap_test_backend_call (&f->tb, "GET", "/api/v1/tickets/public-key", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  answer = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (answer, "algorithm"), ==, "Ed25519");
  text = json_object_get_string_member (answer, "public_key");
  g_assert_cmpint (sodium_base642bin (key, crypto_sign_PUBLICKEYBYTES, text, strlen (text), NULL,
                                      &len, NULL, sodium_base64_VARIANT_ORIGINAL),
                   ==, 0);
  g_assert_cmpuint (len, ==, crypto_sign_PUBLICKEYBYTES);
  if (key_id != NULL)
    *key_id = g_strdup (json_object_get_string_member (answer, "key_id"));
}

/* A scan at the door of door_event, or by a scanner that names no event
 * (door_event 0, as scanners before event_id did). */
static void
check_in_door (Fixture       *f,
               const char    *token,
               const char    *code,
               gint64         door_event,
               LeapTestReply *reply)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  if (door_event != 0)
    {
      json_builder_set_member_name (builder, "event_id");
      json_builder_add_int_value (builder, door_event);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  body = json_generator_to_data (generator, NULL);
  leap_test_reply_clear (reply);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/checkins", token, body, reply);
}

static void
check_in (Fixture       *f,
          const char    *token,
          const char    *code,
          LeapTestReply *reply)
{
  check_in_door (f, token, code, 0, reply);
}

/* A check-in with an Idempotency-Key, as a scanner that retries sends it. */
static guint
check_in_with_key (Fixture    *f,
                   const char *token,
                   const char *code,
                   const char *key)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, "/api/v1/checkins");
  g_autofree char *body = g_strdup_printf ("{\"code\": \"%s\"}", code);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_auto(LeapTestReply) reply = { 0 };

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  leap_test_send (f->tb.session, msg, &reply);
  return reply.status;
}

static const char *
ticket_code (JsonObject *order,
             guint       i)
{
  return json_object_get_string_member (
      json_array_get_object_element (json_object_get_array_member (order, "tickets"), i), "code");
}

/* Paid orders list their tickets; each code verifies with the public key
 * alone and names its event, tier, order and place. */
static void
test_signed (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = NULL;
  g_autofree char *key_id = NULL;
  const char *key_path = f->tb.ticket_key;
  g_autoptr(JsonObject) order = NULL;
  guint8 key[crypto_sign_PUBLICKEYBYTES];
  char key_id_hex[9];
  guint8 hash[crypto_hash_sha256_BYTES];
  JsonArray *tickets;
  struct stat st;

  start_worker (f);
  order = pay_cash (f, 2, &order_id);
  public_key (f, key, &key_id);
  crypto_hash_sha256 (hash, key, sizeof key);
  sodium_bin2hex (key_id_hex, sizeof key_id_hex, hash, 4);
  g_assert_cmpstr (key_id, ==, key_id_hex);

  tickets = json_object_get_array_member (order, "tickets");
  g_assert_cmpuint (json_array_get_length (tickets), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);
      const char *code = json_object_get_string_member (ticket, "code");
      g_auto(Payload) p = { 0 };

      g_assert_true (g_str_has_prefix (code, "LT1."));
      g_assert_cmpuint (strlen (code), <=, 256);
      g_assert_true (scanner_verify (code, key, &p));
      g_assert_cmpint (p.event_id, ==, f->event);
      g_assert_cmpint (p.tier_id, ==, f->tier);
      g_assert_cmpint (json_object_get_int_member (ticket, "tier_id"), ==, f->tier);
      g_assert_cmpstr (json_object_get_string_member (ticket, "status"), ==, "valid");
      g_assert_true (json_object_get_null_member (ticket, "checked_in_at"));
      g_assert_cmpuint (p.index, ==, i);
      g_assert_cmpstr (p.order_id, ==, order_id);
      g_assert_cmpmem (p.key_id, 4, hash, 4);
    }
  g_assert_cmpstr (ticket_code (order, 0), !=, ticket_code (order, 1));
  g_test_message ("A ticket code is %zu characters", strlen (ticket_code (order, 0)));

  /* The secret stays in a file only its owner reads. */
  g_assert_cmpint (stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* The first scan admits, the second says when the first was. */
static void
test_check_in (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = NULL;
  g_autofree char *guest = guest_login (f);
  g_autofree char *manager = leap_test_backend_login (&f->tb, "manager");
  g_autofree char *first_at = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *answer, *error;
  const char *code;

  start_worker (f);
  order = pay_cash (f, 2, &order_id);
  code = ticket_code (order, 0);

  /* Only door staff check in: not a kiosk, a guest, or no one. */
  check_in (f, f->kiosk, code, &reply);
  g_assert_cmpuint (reply.status, ==, 403);
  check_in (f, guest, code, &reply);
  g_assert_cmpuint (reply.status, ==, 403);
  check_in (f, NULL, code, &reply);
  g_assert_cmpuint (reply.status, ==, 401);
  g_assert_cmpint (
      leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE checked_in_at IS NOT NULL"), ==,
      0);

  check_in (f, f->cashier, code, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  answer = leap_test_reply_object (&reply);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "admitted");
  g_assert_cmpstr (json_object_get_string_member (answer, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (answer, "order_id"), ==, order_id);
  g_assert_cmpint (json_object_get_int_member (answer, "tier_id"), ==, f->tier);
  g_assert_cmpint (json_object_get_int_member (answer, "event_id"), ==, f->event);
  g_assert_cmpstr (json_object_get_string_member (answer, "tier_name"), ==, "Parkett");
  g_assert_cmpstr (json_object_get_string_member (answer, "event_name"), ==, "Die Zauberflöte");
  first_at = g_strdup (json_object_get_string_member (answer, "checked_in_at"));
  g_assert_true (g_str_has_suffix (first_at, "Z"));

  /* Again, by another person at another door. */
  check_in (f, manager, code, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "already_checked_in");
  error = json_object_get_object_member (leap_test_reply_object (&reply), "error");
  g_assert_cmpstr (json_object_get_string_member (error, "checked_in_at"), ==, first_at);

  /* The other ticket of the order is still good. A scanner that lost the
   * answer and retries with its Idempotency-Key hears the same again; a
   * new scan of the ticket does not get in. */
  g_assert_cmpuint (check_in_with_key (f, f->admin, ticket_code (order, 1), "scan-1"), ==, 200);
  g_assert_cmpuint (check_in_with_key (f, f->admin, ticket_code (order, 1), "scan-1"), ==, 200);
  g_assert_cmpuint (check_in_with_key (f, f->admin, ticket_code (order, 1), "scan-2"), ==, 409);

  /* Each admission is in the audit log, with who let the ticket in. */
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM audit_log WHERE action = 'check_in'"),
                   ==, 2);
  g_assert_cmpint (
      leap_test_db_int (
          f->db,
          "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id "
          "WHERE a.action = 'check_in' AND u.username = 'cashier' AND a.object_kind = 'ticket'"),
      ==, 1);
  g_assert_cmpint (
      leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE checked_in_at IS NOT NULL"), ==,
      2);
  {
    g_autoptr(JsonObject) again = wait_paid (f, f->cashier, order_id);
    JsonObject *ticket = json_array_get_object_element (json_object_get_array_member (again,
                                                                                      "tickets"),
                                                        0);

    g_assert_cmpstr (json_object_get_string_member (ticket, "checked_in_at"), ==, first_at);
  }
}

static char *
flip (const char *code,
      gsize       at)
{
  char *copy = g_strdup (code);

  copy[at] = copy[at] == 'A' ? 'B' : 'A';
  return copy;
}

static void
expect_invalid (Fixture    *f,
                const char *code,
                const char *why)
{
  g_auto(LeapTestReply) reply = { 0 };

  check_in (f, f->cashier, code, &reply);
  if (reply.status != 422)
    g_error ("%s: expected 422, got %u %s", why, reply.status, reply.body);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "invalid_ticket");
}

/* Forged, altered and garbled codes are refused before the database;
 * none of them admits anyone. */
static void
test_forged (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = NULL;
  const char *key_path = f->tb.ticket_key;
  g_autofree char *seed_text = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  g_auto(Payload) p = { 0 };
  guint8 key[crypto_sign_PUBLICKEYBYTES];
  guint8 other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];
  const char *code;
  const char *dot;

  start_worker (f);
  order = pay_cash (f, 1, &order_id);
  code = ticket_code (order, 0);
  public_key (f, key, NULL);
  g_assert_true (scanner_verify (code, key, &p));
  dot = strrchr (code, '.');

  /* One character changed anywhere: in the payload, in the signature,
   * in the prefix; the last characters too, whose low bits base64 may
   * not carry. */
  {
    gsize places[] = { 1,
                       5,
                       10,
                       (gsize)(dot - code) - 1,
                       (gsize)(dot - code) + 1,
                       (gsize)(dot - code) + 40,
                       strlen (code) - 1 };

    for (guint i = 0; i < G_N_ELEMENTS (places); i++)
      {
        g_autofree char *altered = flip (code, places[i]);
        g_autofree char *why = g_strdup_printf ("character %zu altered", places[i]);

        g_assert_false (scanner_verify (altered, key, &(Payload) { 0 }));
        expect_invalid (f, altered, why);
      }
  }
  {
    /* Signature of another ticket glued to this payload. */
    g_autofree char *payload_only = g_strndup (code, dot - code);
    g_autofree char *glued = g_strconcat (payload_only, ".", strrchr (code, '.') + 1, "A", NULL);

    expect_invalid (f, glued, "signature one character longer");
    expect_invalid (f, payload_only, "no signature");
  }

  /* The right layout and key id, signed by a different key. */
  crypto_sign_keypair (other_pk, other_sk);
  {
    g_autofree char *forged = forge_code (other_sk, p.key_id, f->event, order_id, f->tier, 0);
    expect_invalid (f, forged, "signed by another key");
  }

  /* Garbage of every shape: never a 5xx. */
  expect_invalid (f, "", "empty");
  expect_invalid (f, "LT1.", "prefix only");
  expect_invalid (f, "LT1..", "two dots");
  expect_invalid (f, "hello world", "words");
  expect_invalid (f, "LT1.!!!!.????", "not base64");
  expect_invalid (f, "LT2.AAAA.AAAA", "other version");
  for (guint i = 0; i < 200; i++)
    {
      guint8 raw[300];
      char text[sizeof raw * 2];
      gsize len = g_random_int_range (1, 200);

      randombytes_buf (raw, len);
      sodium_bin2base64 (text, sizeof text, raw, len, B64);
      if (i % 2 == 0)
        memcpy (text, "LT1.", 4);
      if (i % 3 == 0 && strlen (text) > 90)
        text[strlen (text) - 87] = '.';
      expect_invalid (f, text, "random");
    }
  {
    GString *huge = g_string_new ("LT1.");

    while (huge->len < 100 * 1024)
      g_string_append_c (huge, 'A' + huge->len % 26);
    check_in (f, f->cashier, huge->str, &reply);
    g_assert_true (reply.status == 422 || reply.status == 413);
    g_string_free (huge, TRUE);
  }

  /* Not a code at all. */
  leap_test_backend_call (&f->tb, "POST", "/api/v1/checkins", f->cashier, "{\"code\": 42}", &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/checkins", f->cashier, "{}", &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/checkins", f->cashier, "[\"x\"]", &reply);
  g_assert_cmpuint (reply.status, <, 500);
  g_assert_cmpuint (reply.status, >=, 400);
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/checkins", f->cashier,
                          "{\"code\": \"x\", \"gate\": 1}", &reply);
  g_assert_cmpuint (reply.status, ==, 422);
  leap_test_reply_clear (&reply);

  /* Signed with the real key (read from its file) for an order that was
   * never paid: the signature holds, the database knows no such ticket. */
  g_assert_true (g_file_get_contents (key_path, &seed_text, NULL, NULL));
  {
    guint8 seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES],
        sk[crypto_sign_SECRETKEYBYTES];
    gsize len = 0;
    g_autofree char *unsold = NULL;
    g_autofree char *fake_order = g_strdup_printf ("o-%" G_GINT64_FORMAT "-AAAAAAAAAAAAAAAAAAAAAA",
                                                   f->event);

    g_strstrip (seed_text);
    g_assert_cmpint (sodium_base642bin (seed, sizeof seed, seed_text, strlen (seed_text), NULL,
                                        &len, NULL, sodium_base64_VARIANT_ORIGINAL),
                     ==, 0);
    crypto_sign_seed_keypair (pk, sk, seed);
    g_assert_cmpmem (pk, sizeof pk, key, sizeof key);
    g_auto(Payload) q = { 0 };

    unsold = forge_code (sk, p.key_id, f->event, fake_order, f->tier, 0);
    g_assert_true (scanner_verify (unsold, key, &q));
    check_in (f, f->cashier, unsold, &reply);
    g_assert_cmpuint (reply.status, ==, 404);
    g_assert_cmpstr (leap_test_error_code (&reply), ==, "not_found");
  }

  /* Nothing above let anyone in; the real code still does. */
  g_assert_cmpint (
      leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE checked_in_at IS NOT NULL"), ==,
      0);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM audit_log WHERE action = 'check_in'"),
                   ==, 0);
  check_in (f, f->cashier, code, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
}

/* A voided ticket (its order refunded) admits no one. */
static void
test_voided (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = NULL;
  g_autofree char *sql = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_auto(LeapTestReply) reply = { 0 };

  start_worker (f);
  order = pay_cash (f, 2, &order_id);
  sql = g_strdup_printf ("UPDATE tickets SET status = 'voided' WHERE code = '%s'",
                         ticket_code (order, 0));
  leap_test_backend_sql (&f->tb, sql);

  check_in (f, f->cashier, ticket_code (order, 0), &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "voided");
  check_in (f, f->cashier, ticket_code (order, 0), &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "voided");
  g_assert_cmpint (
      leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE checked_in_at IS NOT NULL"), ==,
      0);
  check_in (f, f->cashier, ticket_code (order, 1), &reply);
  g_assert_cmpuint (reply.status, ==, 200);
}

static gint64
used_tickets (Fixture *f)
{
  return leap_test_db_int (f->db, "SELECT count(*) FROM tickets WHERE checked_in_at IS NOT NULL");
}

static void
expect_not_paid (Fixture    *f,
                 const char *code,
                 gint64      door_event,
                 const char *order_status)
{
  g_auto(LeapTestReply) reply = { 0 };
  JsonObject *error;

  check_in_door (f, f->cashier, code, door_event, &reply);
  if (reply.status != 409)
    g_error ("Order %s: expected 409, got %u %s", order_status, reply.status, reply.body);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "not_paid");
  error = json_object_get_object_member (leap_test_reply_object (&reply), "error");
  g_assert_cmpstr (json_object_get_string_member (error, "order_status"), ==, order_status);
}

/* The payment went through but the hold was lost (a Redis that lost
 * data): the worker writes the order and its tickets as needs_review. Its
 * tickets admit no one until a person has looked at it, whether or not
 * the scanner names the door's event; nor do those of an order failed or
 * refunded, and none of them is marked used. */
static void
test_not_paid (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = NULL;
  g_autofree char *hold_key = NULL;
  g_autofree char *path = NULL;
  g_autofree char *code = NULL;
  g_autofree char *sql = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  JsonArray *tickets;

  order_id = place (f, f->cashier, 2, "{\"method\": \"cash\", \"tendered\": 100000}");
  hold_key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:hold:%s", f->event, order_id + 2);
  g_free (leap_test_redis_cli (&redis, "DEL", hold_key, NULL));
  start_worker (f);
  leap_test_wait_db (f->db, 1, 15000,
                     "SELECT count(*) FROM orders WHERE id = '%s' AND status = 'needs_review'",
                     order_id);
  path = g_strconcat ("/api/v1/orders/", order_id, NULL);
  leap_test_backend_call (&f->tb, "GET", path, f->cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  tickets = json_object_get_array_member (leap_test_reply_object (&reply), "tickets");
  g_assert_cmpuint (json_array_get_length (tickets), ==, 2);
  code = g_strdup (json_object_get_string_member (json_array_get_object_element (tickets, 0),
                                                  "code"));

  expect_not_paid (f, code, 0, "needs_review");
  expect_not_paid (f, code, f->event, "needs_review");
  expect_not_paid (f, code, f->event, "needs_review");
  for (guint i = 0; i < 2; i++)
    {
      const char *status = i == 0 ? "failed" : "refunded";

      g_free (sql);
      sql = g_strdup_printf ("UPDATE orders SET status = '%s' WHERE id = '%s'", status, order_id);
      leap_test_backend_sql (&f->tb, sql);
      expect_not_paid (f, code, 0, status);
      expect_not_paid (f, code, f->event, status);
    }
  g_assert_cmpint (used_tickets (f), ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM audit_log WHERE action = 'check_in'"),
                   ==, 0);

  /* Once a person has settled it as paid, the same ticket gets in. */
  g_free (sql);
  sql = g_strdup_printf ("UPDATE orders SET status = 'paid' WHERE id = '%s'", order_id);
  leap_test_backend_sql (&f->tb, sql);
  check_in_door (f, f->cashier, code, f->event, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (used_tickets (f), ==, 1);
}

/* A scan names the door's event: a ticket of another night is turned
 * away with what the door needs to say which night it is for, and stays
 * unused. Scanners that name no event still admit valid tickets. */
static void
test_wrong_event (Fixture *f, gconstpointer data)
{
  g_autofree char *order_id = NULL;
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  const char *bad_ids[] = { "\"1\"", "0", "-1", "1.5", "null", "true", "{}" };
  JsonObject *error, *event;
  gint64 venue, hamlet;

  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues",
                                    "{\"name\": \"Globe\", \"timezone\": \"Europe/London\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Hamlet\", "
                          "\"starts_at\": \"2026-12-16T19:00:00Z\"}", venue);
  hamlet = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  start_worker (f);
  order = pay_cash (f, 3, &order_id);

  /* Die Zauberflöte's ticket at Hamlet's door. */
  for (guint i = 0; i < 2; i++)
    {
      check_in_door (f, f->cashier, ticket_code (order, 0), hamlet, &reply);
      g_assert_cmpuint (reply.status, ==, 409);
      g_assert_cmpstr (leap_test_error_code (&reply), ==, "wrong_event");
      error = json_object_get_object_member (leap_test_reply_object (&reply), "error");
      g_assert_nonnull (strstr (json_object_get_string_member (error, "message"),
                                "Die Zauberflöte"));
      event = json_object_get_object_member (error, "event");
      g_assert_nonnull (event);
      g_assert_cmpint (json_object_get_int_member (event, "id"), ==, f->event);
      g_assert_cmpstr (json_object_get_string_member (event, "name"), ==, "Die Zauberflöte");
      g_assert_cmpstr (json_object_get_string_member (event, "starts_at"), ==,
                       "2026-12-01T18:30:00Z");
      g_assert_cmpstr (json_object_get_string_member (event, "timezone"), ==, "Europe/Vienna");
    }
  /* A door naming an event that does not exist admits none either. */
  check_in_door (f, f->cashier, ticket_code (order, 0), hamlet + 1000, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "wrong_event");
  for (guint i = 0; i < G_N_ELEMENTS (bad_ids); i++)
    {
      g_autofree char *bad = g_strdup_printf ("{\"code\": \"%s\", \"event_id\": %s}",
                                              ticket_code (order, 0), bad_ids[i]);

      leap_test_reply_clear (&reply);
      leap_test_backend_call (&f->tb, "POST", "/api/v1/checkins", f->cashier, bad, &reply);
      if (reply.status != 422)
        g_error ("event_id %s: expected 422, got %u %s", bad_ids[i], reply.status, reply.body);
      g_assert_cmpstr (leap_test_error_code (&reply), ==, "invalid_field");
    }
  g_assert_cmpint (used_tickets (f), ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM audit_log WHERE action = 'check_in'"),
                   ==, 0);

  /* At its own door it gets in; at Hamlet's it is still the wrong night,
   * not "already checked in". */
  check_in_door (f, f->cashier, ticket_code (order, 0), f->event, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (leap_test_reply_object (&reply), "event_id"), ==,
                   f->event);
  check_in_door (f, f->cashier, ticket_code (order, 0), hamlet, &reply);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "wrong_event");

  /* An old scanner names no event: a valid ticket of a paid order gets in. */
  check_in (f, f->cashier, ticket_code (order, 1), &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpint (used_tickets (f), ==, 2);
}

/* Many scanners, two backend processes' worth of connections, one code. */
typedef struct
{
  guint ok;
  guint conflict;
  guint other;
  guint pending;
} Race;

static void
race_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Race *race = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, NULL);

  g_assert_nonnull (bytes);
  switch (soup_message_get_status (msg))
    {
    case 200: race->ok++; break;
    case 409: race->conflict++; break;
    default: race->other++; break;
    }
  race->pending--;
}

static gboolean
race_done (gpointer data)
{
  return ((Race *) data)->pending == 0;
}

static void
test_race (Fixture *f, gconstpointer data)
{
  const guint n = 20;
  g_autofree char *order_id = NULL;
  g_autofree char *db_url = g_strdup (f->tb.db_url);
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(LeapBackend) second = NULL;
  g_autoptr(SoupSession) session =
    soup_session_new_with_options ("max-conns-per-host", 64, "max-conns", 64, "timeout",
                                   30, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *auth = g_strconcat ("Bearer ", f->cashier, NULL);
  LeapBackendConfig config;
  Race race = { 0, 0, 0, n };
  char *bases[2];

  start_worker (f);
  order = pay_cash (f, 1, &order_id);
  body = g_strdup_printf ("{\"code\": \"%s\"}", ticket_code (order, 0));

  /* A second backend over the same database and Redis, as on another
   * host: its own connection to SQLite, its own key file reading. */
  leap_backend_config_init (&config);
  g_free (config.database_url);
  config.database_url = g_strdup (db_url);
  config.listen_port = 0;
  config.redis_port = redis.port;
  config.near_cache_ms = 0;
  second = leap_backend_new (&config, &error);
  leap_backend_config_clear (&config);
  g_assert_no_error (error);
  g_assert_true (leap_backend_listen (second, &error));
  g_assert_no_error (error);

  bases[0] = f->tb.base;
  bases[1] = g_strdup_printf ("http://127.0.0.1:%u", leap_backend_get_port (second));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *url = g_strconcat (bases[i % 2], "/api/v1/checkins", NULL);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, race_cb, &race);
    }
  g_assert_true (leap_test_wait_until (race_done, &race, 30000));
  g_free (bases[1]);

  g_assert_cmpuint (race.ok, ==, 1);
  g_assert_cmpuint (race.conflict, ==, n - 1);
  g_assert_cmpuint (race.other, ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db,
                                     "SELECT count(*) FROM audit_log WHERE action = 'check_in'"),
                   ==, 1);
}

static guint
count_pages (const char *data,
             gsize       len)
{
  const char *needle = "/Type /Page";
  gsize nlen = strlen (needle);
  guint pages = 0;

  for (gsize i = 0; i + nlen < len; i++)
    if (memcmp (data + i, needle, nlen) == 0 && data[i + nlen] != 's')
      pages++;
  return pages;
}

/* A PDF is binary: LeapTestReply keeps text, so this keeps the bytes. */
typedef struct
{
  guint        status;
  char        *content_type;
  GBytes      *bytes;
  const char  *error_code;
  JsonNode    *json;
} Pdf;

static void
pdf_clear (Pdf *pdf)
{
  g_clear_pointer (&pdf->content_type, g_free);
  g_clear_pointer (&pdf->bytes, g_bytes_unref);
  g_clear_pointer (&pdf->json, json_node_unref);
  pdf->error_code = NULL;
  pdf->status = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Pdf, pdf_clear)

typedef struct
{
  GBytes *bytes;
  gboolean done;
} Fetch;

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(GError) error = NULL;

  fetch->bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  g_assert_no_error (error);
  fetch->done = TRUE;
}

static gboolean
fetch_done (gpointer data)
{
  return ((Fetch *) data)->done;
}

static void
get_pdf (Fixture    *f,
         const char *token,
         const char *order_id,
         Pdf        *pdf)
{
  g_autofree char *url = g_strconcat (f->tb.base, "/api/v1/orders/", order_id, "/tickets.pdf",
                                      NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  Fetch fetch = { NULL, FALSE };

  pdf_clear (pdf);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  soup_session_send_and_read_async (f->tb.session, msg, G_PRIORITY_DEFAULT, NULL, fetched_cb,
                                    &fetch);
  g_assert_true (leap_test_wait_until (fetch_done, &fetch, 30000));
  pdf->status = soup_message_get_status (msg);
  pdf->content_type = g_strdup (
      soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL));
  pdf->bytes = fetch.bytes;
  if (g_strcmp0 (pdf->content_type, "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (pdf->bytes, NULL),
                                                 g_bytes_get_size (pdf->bytes), NULL));
      pdf->json = json_node_copy (json_parser_get_root (parser));
      pdf->error_code = json_object_get_string_member (
        json_object_get_object_member (json_node_get_object (pdf->json), "error"), "code");
    }
}

static void
assert_pdf (Pdf  *pdf,
            guint pages)
{
  gsize len = 0;
  const char *data;

  g_assert_cmpuint (pdf->status, ==, 200);
  g_assert_cmpstr (pdf->content_type, ==, "application/pdf");
  data = g_bytes_get_data (pdf->bytes, &len);
  g_assert_cmpuint (len, >, 1024);
  g_assert_cmpmem (data, 5, "%PDF-", 5);
  g_assert_cmpuint (count_pages (data, len), ==, pages);
}

/* Printable tickets: the owner and staff get them, nobody else learns the
 * order exists; not before it is paid. */
static void
test_pdf (Fixture *f, gconstpointer data)
{
  g_autofree char *guest = guest_login (f);
  g_autofree char *stranger = guest_login (f);
  g_autofree char *order_id = NULL;
  g_autofree char *cash_order = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(JsonObject) cash = NULL;
  g_auto(Pdf) reply = { 0 };
  gint64 started;

  /* Pending (no worker yet): nothing to print. */
  order_id = place (f, guest, 3, "{\"method\": \"card\"}");
  get_pdf (f, guest, order_id, &reply);
  g_assert_cmpuint (reply.status, ==, 409);
  g_assert_cmpstr (reply.error_code, ==, "conflict");

  start_worker (f);
  order = wait_paid (f, guest, order_id);
  started = g_get_monotonic_time ();
  get_pdf (f, guest, order_id, &reply);
  g_test_message ("3 tickets rendered and served in %.1f ms",
                  (g_get_monotonic_time () - started) / 1000.0);
  assert_pdf (&reply, 3);

  /* Another customer, a kiosk, no one: as if there were no such order. */
  get_pdf (f, stranger, order_id, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  get_pdf (f, f->kiosk, order_id, &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  get_pdf (f, NULL, order_id, &reply);
  g_assert_cmpuint (reply.status, ==, 401);
  get_pdf (f, guest, "o-1-AAAAAAAAAAAAAAAAAAAAAA", &reply);
  g_assert_cmpuint (reply.status, ==, 404);
  get_pdf (f, guest, "nonsense", &reply);
  g_assert_cmpuint (reply.status, ==, 404);

  /* Staff print for a customer at the desk. */
  get_pdf (f, f->cashier, order_id, &reply);
  assert_pdf (&reply, 3);

  /* A voided ticket is not printed; none left, nothing to print. */
  cash = pay_cash (f, 2, &cash_order);
  {
    g_autofree char *sql =
        g_strdup_printf ("UPDATE tickets SET status = 'voided' WHERE code = '%s'",
                         ticket_code (cash, 0));
    leap_test_backend_sql (&f->tb, sql);
  }
  get_pdf (f, f->cashier, cash_order, &reply);
  assert_pdf (&reply, 1);
  {
    g_autofree char *sql =
        g_strdup_printf ("UPDATE tickets SET status = 'voided' WHERE order_id = '%s'", cash_order);
    leap_test_backend_sql (&f->tb, sql);
  }
  get_pdf (f, f->cashier, cash_order, &reply);
  g_assert_cmpuint (reply.status, ==, 409);

  /* Ten at once: rendering is off the main loop, the server keeps answering. */
  {
    g_autofree char *big = place (f, f->cashier, 10,
                                  "{\"method\": \"cash\", \"tendered\": 100000}");
    g_autoptr(JsonObject) paid = wait_paid (f, f->cashier, big);

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (paid, "tickets")), ==,
                      10);
    started = g_get_monotonic_time ();
    get_pdf (f, f->cashier, big, &reply);
    g_test_message ("10 tickets rendered and served in %.1f ms, %zu bytes",
                    (g_get_monotonic_time () - started) / 1000.0, g_bytes_get_size (reply.bytes));
    assert_pdf (&reply, 10);
  }
}

/* The signer alone: a code survives no change of any one character, and
 * the key file is made once, private, and read back the same. */
static void
test_every_character (void)
{
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "sub", "key", NULL);
  g_autoptr(LeapTicketSigner) signer = NULL;
  g_autoptr(LeapTicketSigner) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  LeapTicketFields fields;
  struct stat st;
  guint refused = 0;

  signer = leap_ticket_signer_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  again = leap_ticket_signer_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (leap_ticket_signer_get_public_key (signer), ==,
                   leap_ticket_signer_get_public_key (again));

  code = leap_ticket_signer_sign (signer, 7, "o-7-ZC14IBe70qm7JhJK7GYy5Q", 12, 3, &error);
  g_assert_no_error (error);
  g_assert_true (leap_ticket_signer_verify (again, code, strlen (code), &fields, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fields.event_id, ==, 7);
  g_assert_cmpint (fields.tier_id, ==, 12);
  g_assert_cmpuint (fields.index, ==, 3);
  g_assert_cmpstr (fields.order_id, ==, "o-7-ZC14IBe70qm7JhJK7GYy5Q");

  for (gsize i = 0; code[i] != '\0'; i++)
    for (gsize j = 0; alphabet[j] != '\0'; j++)
      {
        g_autofree char *altered = g_strdup (code);

        if (alphabet[j] == code[i])
          continue;
        altered[i] = alphabet[j];
        g_assert_false (
            leap_ticket_signer_verify (signer, altered, strlen (altered), &fields, &error));
        g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID_TICKET);
        g_clear_error (&error);
        refused++;
      }
  g_test_message ("%u one-character alterations refused", refused);

  /* A key file that is not one. */
  g_assert_true (g_file_set_contents (path, "not a key\n", -1, NULL));
  g_assert_null (leap_ticket_signer_new_from_file (path, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
  leap_test_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

  g_test_add_func ("/leap/tickets/every-character", test_every_character);
#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/leap/tickets/signed", test_signed);
  ADD ("/leap/tickets/check-in", test_check_in);
  ADD ("/leap/tickets/forged", test_forged);
  ADD ("/leap/tickets/voided", test_voided);
  ADD ("/leap/tickets/not-paid", test_not_paid);
  ADD ("/leap/tickets/wrong-event", test_wrong_event);
  ADD ("/leap/tickets/race", test_race);
  ADD ("/leap/tickets/pdf", test_pdf);
#undef ADD

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
