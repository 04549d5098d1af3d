/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include "leap-client.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-test-utils.h"

#define TIMEOUT_MS 10000
#define TOKEN "tok-123"

typedef struct
{
  SoupServer *server;
  char       *url;
  LeapClient *client;
  gboolean    done;
  gboolean    ok;
  GError     *error;
  JsonObject *reply;
  char       *last_auth;
  char       *last_method;
} Fixture;

static void
sessions_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  Fixture *f = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  g_free (f->last_auth);
  f->last_auth = g_strdup (auth);
  g_free (f->last_method);
  f->last_method = g_strdup (method);

  if (g_str_equal (path, "/api/v1/sessions") && g_str_equal (method, "POST"))
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);
      g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
      g_autoptr(JsonObject) request =
        leap_json_parse_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);

      if (request != NULL &&
          g_strcmp0 (leap_json_get_string (request, "username", NULL), "anna") == 0 &&
          g_strcmp0 (leap_json_get_string (request, "password", NULL), "s3cret") == 0)
        leap_test_reply_json (msg, 201, "{\"token\": \"" TOKEN "\", \"user\": {\"id\": 3, "
                              "\"username\": \"anna\", \"role\": \"cashier\"}, "
                              "\"expires_at\": \"2030-01-01T00:00:00Z\"}");
      else
        leap_test_reply_json (msg, 401, "{\"error\": {\"code\": \"unauthorized\", "
                              "\"message\": \"Wrong user name or password\"}}");
      return;
    }

  if (g_str_equal (path, "/api/v1/sessions/current"))
    {
      if (g_strcmp0 (auth, "Bearer " TOKEN) != 0)
        {
          leap_test_reply_json (msg, 401, "{\"error\": {\"code\": \"unauthorized\", "
                                "\"message\": \"Sign in first\"}}");
          return;
        }
      if (g_str_equal (method, "DELETE"))
        leap_test_reply_json (msg, 204, NULL);
      else
        leap_test_reply_json (msg, 200, "{\"user\": {\"id\": 3, \"username\": \"anna\", "
                              "\"role\": \"cashier\"}, \"expires_at\": \"2030-01-01T00:00:00Z\"}");
      return;
    }
  leap_test_reply_json (msg, 404,
                        "{\"error\": {\"code\": \"not_found\", \"message\": \"No such thing\"}}");
}

static void
status_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  if (g_str_equal (path, "/api/v1/test/sold-out"))
    leap_test_reply_json (msg, 409, "{\"error\": {\"code\": \"sold_out\", "
                          "\"message\": \"Stalls has only 1 left\"}}");
  else if (g_str_equal (path, "/api/v1/test/busy"))
    leap_test_reply_json (msg, 429, "Slow down");
  else if (g_str_equal (path, "/api/v1/test/down"))
    leap_test_reply_json (msg, 503, "{\"error\": {\"code\": \"unavailable\", "
                          "\"message\": \"Database is down\"}}");
  else if (g_str_equal (path, "/api/v1/test/odd-code"))
    leap_test_reply_json (msg, 403, "{\"error\": {\"code\": \"brand_new_code\", "
                          "\"message\": \"Not for you\"}}");
  else
    leap_test_reply_json (msg, 200, "{\"ok\": true}");
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->server = leap_test_server_new (&f->url);
  soup_server_add_handler (f->server, "/api/v1/sessions", sessions_handler, f, NULL);
  soup_server_add_handler (f->server, "/api/v1/test", status_handler, f, NULL);
  f->client = leap_client_new (f->url);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->client);
  g_clear_object (&f->server);
  g_clear_error (&f->error);
  g_clear_pointer (&f->reply, json_object_unref);
  g_free (f->url);
  g_free (f->last_auth);
  g_free (f->last_method);
}

static void
reset (Fixture *f)
{
  f->done = FALSE;
  f->ok = FALSE;
  g_clear_error (&f->error);
  g_clear_pointer (&f->reply, json_object_unref);
}

static void
sign_in_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fixture *f = user_data;

  f->ok = leap_client_sign_in_finish (LEAP_CLIENT (source), result, &f->error);
  f->done = TRUE;
}

static void
resume_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Fixture *f = user_data;

  f->ok = leap_client_resume_finish (LEAP_CLIENT (source), result, &f->error);
  f->done = TRUE;
}

static void
sign_out_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *f = user_data;

  f->ok = leap_client_sign_out_finish (LEAP_CLIENT (source), result, &f->error);
  f->done = TRUE;
}

static void
json_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;

  f->reply = leap_client_send_json_finish (LEAP_CLIENT (source), result, &f->error);
  f->done = TRUE;
}

static void
get (Fixture    *f,
     const char *path)
{
  reset (f);
  leap_client_send_async (f->client, "GET", path, NULL, NULL, json_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
}

static void
test_sign_in_out (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_false (leap_client_get_signed_in (f->client));
  g_assert_cmpuint (leap_client_get_connection (f->client), ==, LEAP_CONNECTION_UNKNOWN);

  reset (f);
  leap_client_sign_in_async (f->client, "anna", "s3cret", NULL, sign_in_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_no_error (f->error);
  g_assert_true (f->ok);
  g_assert_true (leap_client_get_signed_in (f->client));
  g_assert_cmpstr (leap_client_get_username (f->client), ==, "anna");
  g_assert_cmpstr (leap_client_get_role (f->client), ==, "cashier");
  g_assert_cmpstr (leap_client_get_token (f->client), ==, TOKEN);
  g_assert_cmpuint (leap_client_get_connection (f->client), ==, LEAP_CONNECTION_ONLINE);
  g_assert_cmpint (leap_client_get_last_contact (f->client), >, 0);
  g_assert_null (f->last_auth);

  /* Later requests carry the token. */
  get (f, "/api/v1/sessions/current");
  g_assert_no_error (f->error);
  g_assert_cmpstr (f->last_auth, ==, "Bearer " TOKEN);

  reset (f);
  leap_client_sign_out_async (f->client, NULL, sign_out_cb, f);
  /* Signed out here at once, whatever the server says. */
  g_assert_false (leap_client_get_signed_in (f->client));
  g_assert_null (leap_client_get_token (f->client));
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_no_error (f->error);
  g_assert_cmpstr (f->last_method, ==, "DELETE");
  g_assert_cmpstr (f->last_auth, ==, "Bearer " TOKEN);
  g_assert_false (leap_client_get_signed_in (f->client));
}

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  reset (f);
  leap_client_sign_in_async (f->client, "anna", "guess", NULL, sign_in_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (f->error->message, ==, "Wrong user name or password");
  g_assert_false (leap_client_get_signed_in (f->client));
  g_assert_cmpuint (leap_client_get_connection (f->client), ==, LEAP_CONNECTION_ONLINE);
}

static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  reset (f);
  leap_client_resume_async (f->client, TOKEN, NULL, resume_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_no_error (f->error);
  g_assert_true (leap_client_get_signed_in (f->client));
  g_assert_cmpstr (leap_client_get_username (f->client), ==, "anna");

  /* A token the server does not know is dropped. */
  reset (f);
  leap_client_resume_async (f->client, "stale", NULL, resume_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED);
  g_assert_false (leap_client_get_signed_in (f->client));
  g_assert_null (leap_client_get_token (f->client));
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  get (f, "/api/v1/test/sold-out");
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_SOLD_OUT);
  g_assert_cmpstr (f->error->message, ==, "Stalls has only 1 left");

  get (f, "/api/v1/test/busy");
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_RATE_LIMITED);

  get (f, "/api/v1/test/odd-code");
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_FORBIDDEN);
  g_assert_cmpstr (f->error->message, ==, "Not for you");

  get (f, "/api/v1/nothing-here");
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND);

  get (f, "/api/v1/test/fine");
  g_assert_no_error (f->error);
  g_assert_true (json_object_get_boolean_member (f->reply, "ok"));
  g_assert_cmpuint (leap_client_get_connection (f->client), ==, LEAP_CONNECTION_ONLINE);

  /* A server that says it cannot serve counts as offline. */
  get (f, "/api/v1/test/down");
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE);
  g_assert_cmpstr (f->error->message, ==, "Database is down");
  g_assert_cmpuint (leap_client_get_connection (f->client), ==, LEAP_CONNECTION_OFFLINE);
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", leap_test_free_port ());

  leap_client_set_base_url (f->client, url);
  /* The trailing slash is dropped so paths join cleanly. */
  g_assert_false (g_str_has_suffix (leap_client_get_base_url (f->client), "/"));

  get (f, "/api/v1/events");
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE);
  g_assert_cmpuint (leap_client_get_connection (f->client), ==, LEAP_CONNECTION_OFFLINE);

  leap_client_set_base_url (f->client, "not a server");
  get (f, "/api/v1/events");
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_INVALID);
}

static void
cancelled_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;
  g_autoptr(GBytes) body = leap_client_send_finish (LEAP_CLIENT (source), result, &f->error);

  g_assert_null (body);
  f->done = TRUE;
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  reset (f);
  leap_client_send_async (f->client, "GET", "/api/v1/test/fine", NULL, cancellable, cancelled_cb,
                          f);
  g_cancellable_cancel (cancellable);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* A cancelled request says nothing about the server. */
  g_assert_cmpuint (leap_client_get_connection (f->client), ==, LEAP_CONNECTION_UNKNOWN);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/leap/client/sign-in-out", Fixture, NULL, fixture_set_up, test_sign_in_out,
              fixture_tear_down);
  g_test_add ("/leap/client/wrong-password", Fixture, NULL, fixture_set_up, test_wrong_password,
              fixture_tear_down);
  g_test_add ("/leap/client/resume", Fixture, NULL, fixture_set_up, test_resume,
              fixture_tear_down);
  g_test_add ("/leap/client/errors", Fixture, NULL, fixture_set_up, test_errors,
              fixture_tear_down);
  g_test_add ("/leap/client/unreachable", Fixture, NULL, fixture_set_up, test_unreachable,
              fixture_tear_down);
  g_test_add ("/leap/client/cancel", Fixture, NULL, fixture_set_up, test_cancel,
              fixture_tear_down);

  return g_test_run ();
}
