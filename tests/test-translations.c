/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The backend answers its error messages in the language the request
 * asks for (Accept-Language) among the installed catalogues, English
 * otherwise; the error codes never change. The catalogues are the
 * build's (po/LL/LC_MESSAGES), copied into a folder of the test with
 * $LEAP_LOCALEDIR pointing there, beside a made-up language "xx" whose
 * translations show how messages with values are filled. */
#include "leap-test-backend.h"

#include "leap-i18n.h"

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
      const char    *token,
      const char    *method,
      const char    *path,
      const char    *body,
      const char    *accept_language,
      LeapTestReply *reply)
{
  g_autofree char *url = leap_test_backend_url (&f->tb, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);

  if (token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    bearer);
    }
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
       const char *token,
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
  call (f, token, method, path, body, accept_language, &reply);
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

  check (f, NULL, "POST", "/api/v1/sessions", wrong, NULL, 401, "unauthorized",
         "Wrong username or password", NULL);
  check (f, NULL, "POST", "/api/v1/sessions", wrong, "de", 401, "unauthorized",
         "Falscher Benutzername oder falsches Passwort", "de");
  check (f, NULL, "POST", "/api/v1/sessions", wrong, "fr-CH, fr;q=0.9, en;q=0.5", 401,
         "unauthorized", "Nom d’utilisateur ou mot de passe incorrect", "fr");
  /* The first language the server has wins; English when it comes first. */
  check (f, NULL, "POST", "/api/v1/sessions", wrong, "es, de-AT;q=0.8", 401, "unauthorized",
         "Falscher Benutzername oder falsches Passwort", "de");
  check (f, NULL, "POST", "/api/v1/sessions", wrong, "en-GB, de;q=0.8", 401, "unauthorized",
         "Wrong username or password", NULL);
  check (f, NULL, "POST", "/api/v1/sessions", wrong, "de;q=0.2, fr;q=0.9", 401, "unauthorized",
         "Nom d’utilisateur ou mot de passe incorrect", "fr");
  check (f, NULL, "POST", "/api/v1/sessions", wrong, "es, it", 401, "unauthorized",
         "Wrong username or password", NULL);

  /* A message with a value in it: the format is translated, then filled. */
  check (f, NULL, "GET", "/api/v1/no-such-thing", NULL, "de", 404, "not_found",
         "Keine solche Ressource: /api/v1/no-such-thing", "de");
  check (f, NULL, "GET", "/api/v1/orders/1", NULL, "fr", 401, "unauthorized",
         "Connectez-vous d’abord : envoyez Authorization: Bearer TOKEN", "fr");
}

/* Messages with values, made in the domain by g_set_error () with a
 * format of the catalogue: the values of the request in the sentence of
 * the language. */
static void
test_values (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *admin = leap_test_backend_login (&f->tb, "admin");
  g_autofree char *cashier = leap_test_backend_login (&f->tb, "cashier");
  g_autofree char *body = NULL;
  g_autofree char *hold_path = NULL;
  g_autofree char *order = NULL;
  g_autofree char *card = NULL;
  g_autofree char *hold = NULL;
  g_auto(LeapTestReply) reply = { 0 };
  gint64 venue, event, tier;

  venue = leap_test_backend_create (&f->tb, admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Gala\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  event = leap_test_backend_create (&f->tb, admin, "/api/v1/events", body);
  g_free (body);
  body = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", event);
  tier =
      leap_test_backend_create (&f->tb, admin, body,
                                "{\"name\": \"Stalls\", \"price\": 2500, "
                                "\"currency\": \"EUR\", \"capacity\": 10, \"max_per_order\": 10}");
  g_free (body);
  body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                          ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT ", \"quantity\": 2}]}",
                          event, tier);
  leap_test_backend_call (&f->tb, "POST", "/api/v1/holds", cashier, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  hold = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "hold_id"));
  hold_path = g_strconcat ("/api/v1/holds/", hold, NULL);

  /* Cash short of the total (2 × 25.00): both amounts in the message. */
  order = g_strdup_printf (
      "{\"hold_id\": \"%s\", \"payment\": {\"method\": \"cash\", \"tendered\": 100}}", hold);
  check (f, cashier, "POST", "/api/v1/orders", order, "de", 422, "invalid_field",
         "order.payment.tendered (100) ist weniger als die Summe (5000)", "de");
  check (f, cashier, "POST", "/api/v1/orders", order, "fr-FR", 422, "invalid_field",
         "order.payment.tendered (100) est inférieur au total (5000)", "fr");
  check (f, cashier, "POST", "/api/v1/orders", order, "en", 422, "invalid_field",
         "order.payment.tendered (100) is less than the total (5000)", NULL);
  check (f, cashier, "POST", "/api/v1/orders", order, NULL, 422, "invalid_field",
         "order.payment.tendered (100) is less than the total (5000)", NULL);

  /* The same tier twice in a hold: the tier's id in the message. */
  g_free (body);
  body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                          ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                          ", \"quantity\": 1}, {\"tier_id\": %" G_GINT64_FORMAT
                          ", \"quantity\": 1}]}",
                          event, tier, tier);
  {
    g_autofree char *de = g_strdup_printf ("hold.items nennt Kategorie %" G_GINT64_FORMAT
                                           " zweimal",
                                           tier);
    g_autofree char *en = g_strdup_printf ("hold.items names tier %" G_GINT64_FORMAT " twice",
                                           tier);

    check (f, cashier, "POST", "/api/v1/holds", body, "de", 422, "invalid_field", de, "de");
    check (f, cashier, "POST", "/api/v1/holds", body, NULL, 422, "invalid_field", en, NULL);
  }

  /* A released hold cannot be paid for: its status is the value. */
  leap_test_reply_clear (&reply);
  leap_test_backend_call (&f->tb, "DELETE", hold_path, cashier, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);
  card = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"card\"}}", hold);
  check (f, cashier, "POST", "/api/v1/orders", card, "de-DE, en;q=0.5", 409, "conflict",
         "Diese Reservierung hat den Status „released“ und kann nicht bezahlt werden", "de");
  check (f, cashier, "POST", "/api/v1/orders", card, "fr", 409, "conflict",
         "Cette réservation est à l’état «\u00a0released\u00a0» et ne peut pas être payée", "fr");
  check (f, cashier, "POST", "/api/v1/orders", card, "en-GB", 409, "conflict",
         "This hold is released and cannot be checked out", NULL);
}

/* How a message with values is filled, with the catalogue of "xx". */
static void
test_filling (void)
{
  const char *message;
  const char *translated;

  /* Positional directives: the values in the order of the translation. */
  g_assert_cmpstr (leap_i18n_translate ("xx", "At most 4 tickets of tier 12 per order"), ==,
                   "xx: tier 12, 4 at most");
  /* Negative numbers and words are values as well. */
  g_assert_cmpstr (leap_i18n_translate ("xx", "Not enough tickets left in tier -3: 0 available"),
                   ==, "xx: tier -3, 0 left");
  g_assert_cmpstr (leap_i18n_translate ("xx", "This hold is paid and cannot be checked out"), ==,
                   "xx: hold paid, no checkout");
  /* The most specific pattern wins; a value that is itself a message is
   * translated too. */
  g_assert_cmpstr (leap_i18n_translate ("xx", "Tier 5 no longer exists and cannot be checked out"),
                   ==, "xx: (xx: tier 5 gone), no checkout");
  /* A number where a number goes: anything else does not match. */
  message = "Tier five no longer exists";
  g_assert_true (leap_i18n_translate ("xx", message) == message);
  /* Exact translations are the catalogue's own strings. */
  g_assert_cmpstr (leap_i18n_translate ("xx", "No such hold"), ==, "xx: no such hold");
  /* A message with a '%' may be a format: never filled. A translation
   * that would hold a '%' is not used either. Nothing is ever read as a
   * format: a value is copied as it is. */
  message = "This hold is %s%n and cannot be checked out";
  g_assert_true (leap_i18n_translate ("xx", message) == message);
  message = "Tier 3 is not on sale for this event";
  g_assert_true (leap_i18n_translate ("xx", message) == message);
  g_assert_cmpstr (leap_i18n_translate ("xx", "This hold is {s} $1 \\ and cannot be checked out"),
                   ==, "xx: hold {s} $1 \\, no checkout");
  /* A long message is left as it is, at once. */
  {
    g_autoptr(GString) rambling = g_string_new ("This hold is ");
    gint64 start = g_get_monotonic_time ();

    for (guint i = 0; i < 200; i++)
      g_string_append (rambling, "and and ");
    g_string_append (rambling, "and cannot be checked out");
    g_assert_true (leap_i18n_translate ("xx", rambling->str) == rambling->str);
    g_string_truncate (rambling, 1000);
    g_assert_nonnull (leap_i18n_translate ("de", rambling->str));
    g_test_message ("a message of 1000 bytes matched in %" G_GINT64_FORMAT " microseconds",
                    g_get_monotonic_time () - start);
  }
  /* "%s" alone would match anything: it is no pattern. */
  message = "Something else entirely";
  g_assert_true (leap_i18n_translate ("xx", message) == message);
  /* No language, or English: the message itself. */
  message = "Tier 5 no longer exists";
  g_assert_true (leap_i18n_translate (NULL, message) == message);
  g_assert_true (leap_i18n_translate ("en", message) == message);
  /* A translation made for the call stays valid while others are made. */
  translated = leap_i18n_translate ("xx", message);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *other = g_strdup_printf ("Tier %u no longer exists", i);

      g_assert_nonnull (leap_i18n_translate ("xx", other));
    }
  g_assert_cmpstr (translated, ==, "xx: tier 5 gone");
}

/* The made-up language: a few messages of the backend, translated so
 * that each rule of the filling shows. */
static const char xx_po[] =
  "msgid \"\"\n"
  "msgstr \"Project-Id-Version: xx\\nPO-Revision-Date: 2026-11-26 00:00+0000\\n\"\n"
  "\"Last-Translator: none\\nLanguage-Team: none\\nLanguage: xx\\nMIME-Version: 1.0\\n\"\n"
  "\"Content-Type: text/plain; charset=UTF-8\\nContent-Transfer-Encoding: 8bit\\n\"\n"
  "\n#, c-format\n"
  "msgid \"At most %lli tickets of tier %lli per order\"\n"
  "msgstr \"xx: tier %2$lli, %1$lli at most\"\n"
  "\n#, c-format\n"
  "msgid \"Not enough tickets left in tier %lli: %lli available\"\n"
  "msgstr \"xx: tier %lli, %lli left\"\n"
  "\n#, c-format\n"
  "msgid \"This hold is %s and cannot be checked out\"\n"
  "msgstr \"xx: hold %s, no checkout\"\n"
  "\n#, c-format\n"
  "msgid \"%s and cannot be checked out\"\n"
  "msgstr \"xx: (%s), no checkout\"\n"
  "\n#, c-format\n"
  "msgid \"Tier %lli no longer exists\"\n"
  "msgstr \"xx: tier %lli gone\"\n"
  "\n#, c-format\n"
  "msgid \"Tier %lli is not on sale for this event\"\n"
  "msgstr \"xx: %lli%% not on sale\"\n"
  "\n#, c-format\n"
  "msgid \"%s\"\n"
  "msgstr \"xx: %s\"\n"
  "\nmsgid \"No such hold\"\n"
  "msgstr \"xx: no such hold\"\n";

/* A locale folder for the test: the build's catalogues and "xx". */
static char *
make_localedir (const char *build_localedir)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *po = g_build_filename (dir, "xx.po", NULL);
  g_autofree char *xx = g_build_filename (dir, "xx", "LC_MESSAGES", NULL);
  g_autofree char *mo = g_build_filename (xx, "leap-boxoffice.mo", NULL);
  g_autoptr(GError) error = NULL;
  int status = -1;
  const char *languages[] = { "de", "fr" };
  const char *argv[] = { "msgfmt", "--check", "-o", mo, po, NULL };

  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    {
      g_autofree char *from = g_build_filename (build_localedir, languages[i], "LC_MESSAGES",
                                                "leap-boxoffice.mo", NULL);
      g_autofree char *to_dir = g_build_filename (dir, languages[i], "LC_MESSAGES", NULL);
      g_autofree char *to = g_build_filename (to_dir, "leap-boxoffice.mo", NULL);
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_cmpint (g_mkdir_with_parents (to_dir, 0700), ==, 0);
      g_assert_true (g_file_get_contents (from, &contents, &length, &error));
      g_assert_true (g_file_set_contents (to, contents, (gssize) length, &error));
    }
  g_assert_cmpint (g_mkdir_with_parents (xx, 0700), ==, 0);
  g_assert_true (g_file_set_contents (po, xx_po, -1, &error));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  return g_steal_pointer (&dir);
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
  g_autofree char *test_localedir = NULL;
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
  test_localedir = make_localedir (localedir);
  g_setenv ("LEAP_LOCALEDIR", test_localedir, TRUE);

  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);
  g_test_add ("/leap/translations/languages", Fixture, NULL, setup, test_languages, teardown);
  g_test_add ("/leap/translations/values", Fixture, NULL, setup, test_values, teardown);
  g_test_add_func ("/leap/translations/filling", test_filling);
  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_stop (&redis);
  leap_test_rmdir (test_localedir);
  return status;
}
