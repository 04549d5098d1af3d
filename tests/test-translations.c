/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The backend answers its error messages in the language the request
 * asks for (Accept-Language) among the installed catalogues, English
 * otherwise; the error codes never change. The catalogues are the
 * build's (po/LL/LC_MESSAGES), found through $LEAP_LOCALEDIR. */
#include "leap-test-backend.h"

#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  leap_test_backend_setup (&f->tb, 0);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  leap_test_backend_teardown (&f->tb);
}

static void
call (Fixture       *f,
      const char    *method,
      const char    *path,
      const char    *body,
      const char    *accept_language,
      LeapTestReply *reply)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);

  if (accept_language != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Language",
                                  accept_language);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  leap_test_send (f->tb.session, msg, reply);
}

static const char *
message_of (LeapTestReply *reply)
{
  JsonObject *error = json_object_get_object_member (leap_test_reply_object (reply), "error");

  return json_object_get_string_member (error, "message");
}

static void
check (Fixture    *f,
       const char *method,
       const char *path,
       const char *body,
       const char *accept_language,
       guint       status,
       const char *code,
       const char *message,
       const char *content_language)
{
  g_auto(LeapTestReply) reply = { 0 };
  static guint n;
  g_autofree char *nobody = NULL;

  /* A different user each time: failed sign-ins are rate limited per user. */
  if (body == NULL && g_str_equal (method, "POST"))
    body = nobody = g_strdup_printf ("{\"username\": \"nobody-%u\", \"password\": "
                                     "\"not-the-password\"}", ++n);
  g_test_message ("%s %s, Accept-Language: %s", method, path,
                  accept_language ? accept_language : "(none)");
  call (f, method, path, body, accept_language, &reply);
  g_assert_cmpuint (reply.status, ==, status);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, code);
  g_assert_cmpstr (message_of (&reply), ==, message);
  g_assert_cmpstr (soup_message_headers_get_one (reply.headers, "Content-Language"), ==,
                   content_language);
}

static void
test_languages (Fixture       *f,
                gconstpointer  data)
{
  const char *wrong = NULL; /* a wrong sign-in of a user who does not exist */

  check (f, "POST", "/api/v1/sessions", wrong, NULL, 401, "unauthorized",
         "Wrong username or password", NULL);
  check (f, "POST", "/api/v1/sessions", wrong, "de", 401, "unauthorized",
         "Falscher Benutzername oder falsches Passwort", "de");
  check (f, "POST", "/api/v1/sessions", wrong, "fr-CH, fr;q=0.9, en;q=0.5", 401, "unauthorized",
         "Nom d’utilisateur ou mot de passe incorrect", "fr");
  /* The first language the server has wins; English when it comes first. */
  check (f, "POST", "/api/v1/sessions", wrong, "es, de-AT;q=0.8", 401, "unauthorized",
         "Falscher Benutzername oder falsches Passwort", "de");
  check (f, "POST", "/api/v1/sessions", wrong, "en-GB, de;q=0.8", 401, "unauthorized",
         "Wrong username or password", NULL);
  check (f, "POST", "/api/v1/sessions", wrong, "de;q=0.2, fr;q=0.9", 401, "unauthorized",
         "Nom d’utilisateur ou mot de passe incorrect", "fr");
  check (f, "POST", "/api/v1/sessions", wrong, "es, it", 401, "unauthorized",
         "Wrong username or password", NULL);

  /* A message with a value in it: the format is translated, then filled. */
  check (f, "GET", "/api/v1/no-such-thing", NULL, "de", 404, "not_found",
         "Keine solche Ressource: /api/v1/no-such-thing", "de");
  check (f, "GET", "/api/v1/orders/1", NULL, "fr", 401, "unauthorized",
         "Connectez-vous d’abord : envoyez Authorization: Bearer TOKEN", "fr");
}

static void
test_not_built (void)
{
  g_test_skip ("the translations are not built (-Dapp=false)");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *localedir = NULL;
  g_autofree char *catalogue = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  localedir = g_build_filename (g_getenv ("LEAP_BUILD_ROOT") ? g_getenv ("LEAP_BUILD_ROOT") : ".",
                                "po", NULL);
  catalogue = g_build_filename (localedir, "de", "LC_MESSAGES", "leap-boxoffice.mo", NULL);
  if (!g_file_test (catalogue, G_FILE_TEST_EXISTS))
    {
      g_test_add_func ("/leap/translations/languages", test_not_built);
      return g_test_run ();
    }
  g_setenv ("LEAP_LOCALEDIR", localedir, TRUE);

  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);
  g_test_add ("/leap/translations/languages", Fixture, NULL, setup, test_languages, teardown);
  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_stop (&redis);
  return status;
}
