/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The shared library: money, times, JSON checks, cursors, addresses. */
#include "leap-address.h"
#include "leap-catalogue.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-money.h"
#include "leap-schema.h"

#include <string.h>

static void
test_money (void)
{
  LeapMoney m = leap_money_init (4550, "EUR");
  LeapMoney sum = leap_money_init (0, "");
  LeapMoney big = leap_money_init (G_MAXINT64, "EUR");
  LeapMoney parsed;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = leap_money_format (&m);
  g_autofree char *yen = NULL;

  g_assert_cmpstr (text, ==, "€45.50");
  m = leap_money_init (1234, "JPY");
  yen = leap_money_format (&m);
  g_assert_cmpstr (yen, ==, "¥1234");

  m = leap_money_init (4550, "EUR");
  g_assert_true (leap_money_add (&sum, &m, NULL));
  g_assert_true (leap_money_multiply (&sum, 3, NULL));
  g_assert_cmpint (sum.amount, ==, 13650);
  g_assert_false (leap_money_add (&big, &m, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
  g_clear_error (&error);
  m = leap_money_init (100, "GBP");
  g_assert_false (leap_money_add (&sum, &m, &error));
  g_clear_error (&error);

  g_assert_true (leap_money_parse ("20", "EUR", &parsed, NULL));
  g_assert_cmpint (parsed.amount, ==, 2000);
  g_assert_true (leap_money_parse (" 20,5 ", "EUR", &parsed, NULL));
  g_assert_cmpint (parsed.amount, ==, 2050);
  g_assert_true (leap_money_parse ("0.07", "EUR", &parsed, NULL));
  g_assert_cmpint (parsed.amount, ==, 7);
  g_assert_false (leap_money_parse ("1.234", "EUR", &parsed, NULL));
  g_assert_false (leap_money_parse ("abc", "EUR", &parsed, NULL));
  g_assert_false (leap_money_parse ("", "EUR", &parsed, NULL));
  g_assert_false (leap_money_parse ("-5", "EUR", &parsed, NULL));
  g_assert_false (leap_money_parse ("1.5", "JPY", &parsed, NULL));
  g_assert_true (leap_currency_is_valid ("EUR"));
  g_assert_false (leap_currency_is_valid ("eur"));
  g_assert_false (leap_currency_is_valid ("EURO"));
}

static void
test_time (void)
{
  gint64 t;
  g_autofree char *text = NULL;

  g_assert_true (leap_time_parse ("2026-12-01T19:30:00+01:00", &t));
  text = leap_time_format (t);
  g_assert_cmpstr (text, ==, "2026-12-01T18:30:00Z");
  g_assert_false (leap_time_parse ("2026-12-01T19:30:00", &t));
  g_assert_false (leap_time_parse ("2026-13-01T19:30:00Z", &t));
  g_assert_false (leap_time_parse ("tomorrow", &t));
  g_assert_false (leap_time_parse (NULL, &t));
}

static void
test_json_check (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ok = leap_json_parse_object ("{\"name\": \"Stalls\", \"price\": 4500, "
                                                      "\"currency\": \"EUR\", \"capacity\": 10}",
                                                      -1, NULL);
  g_autoptr(JsonObject) bad =
    leap_json_parse_object ("{\"name\": \"Stalls\", \"price\": \"45\"}", -1, NULL);
  g_autoptr(JsonObject) none = NULL;
  g_autoptr(GString) deep = g_string_new (NULL);

  g_assert_true (leap_json_check (ok, &leap_schema_tier, FALSE, NULL));
  g_assert_false (leap_json_check (bad, &leap_schema_tier, TRUE, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "tier.price"));
  g_clear_error (&error);

  for (guint i = 0; i < 100; i++)
    g_string_append (deep, "{\"a\":");
  none = leap_json_parse_object (deep->str, -1, &error);
  g_assert_null (none);
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_null (leap_json_parse_object ("{\"a\": \"\\u0000\"}", -1, &error));
  g_clear_error (&error);
  g_assert_null (leap_json_parse_object ("\xff\xfe", 2, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_MALFORMED);
}

static void
test_cursor (void)
{
  g_autofree char *cursor = leap_event_cursor_encode (1796000000, 42);
  gint64 starts_at, id;

  g_assert_true (leap_event_cursor_decode (cursor, &starts_at, &id));
  g_assert_cmpint (starts_at, ==, 1796000000);
  g_assert_cmpint (id, ==, 42);
  g_assert_false (leap_event_cursor_decode ("", &starts_at, &id));
  g_assert_true (leap_event_cursor_decode ("ZTE6MTox", &starts_at, &id)); /* "e1:1:1" */
  g_assert_false (leap_event_cursor_decode ("ZTE6MTow", &starts_at, &id)); /* "e1:1:0" */
  g_assert_false (leap_event_cursor_decode ("e1:1:1", &starts_at, &id));
  g_assert_false (leap_event_cursor_decode ("!!!!", &starts_at, &id));
}

static void
test_errors (void)
{
  for (int code = LEAP_ERROR_INTERNAL; code <= LEAP_ERROR_EXPIRED; code++)
    g_assert_cmpint (leap_error_code_from_string (leap_error_code_to_string (code)), ==, code);
  g_assert_cmpstr (leap_error_code_to_string (999), ==, "internal");
}

static void
test_host_port (void)
{
  g_autofree char *host = g_strdup ("unchanged");
  static const char * const bad[] = {
    "redis.example", "redis.example:", "redis.example:65536", "redis.example:80x",
    "redis.example:-1",
  };
  g_autoptr(GError) error = NULL;
  guint16 port = 1;

  g_assert_true (leap_parse_host_port ("redis.example:6380", &host, &port, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (host, ==, "redis.example");
  g_assert_cmpuint (port, ==, 6380);
  g_assert_true (leap_parse_host_port ("[::1]:8080", &host, &port, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpuint (port, ==, 8080);
  /* No host: the loopback address. */
  g_assert_true (leap_parse_host_port (":9000", &host, &port, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpuint (port, ==, 9000);

  /* No port, or one that is not a number from 0 to 65535; a failure
   * leaves host and port as they were. */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *message = g_strdup_printf ("“%s” is not HOST:PORT", bad[i]);

      g_assert_false (leap_parse_host_port (bad[i], &host, &port, &error));
      g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
      g_assert_cmpstr (error->message, ==, message);
      g_clear_error (&error);
      g_assert_cmpstr (host, ==, "127.0.0.1");
      g_assert_cmpuint (port, ==, 9000);
    }
}

/* --redis and redis=: HOST:PORT as above (and no Sentinels then), or the
 * Sentinels of a primary. */
static void
test_redis_address (void)
{
  g_autofree char *host = g_strdup ("127.0.0.1");
  g_autofree char *master = NULL;
  g_auto(GStrv) sentinels = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port = 6379;

  g_assert_true (leap_parse_redis_address ("sentinel://10.0.0.1:26379,[::1]:26380/leap", &host,
                                           &port, &sentinels, &master, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (sentinels), ==, 2);
  g_assert_cmpstr (sentinels[0], ==, "10.0.0.1:26379");
  g_assert_cmpstr (sentinels[1], ==, "[::1]:26380");
  g_assert_cmpstr (master, ==, "leap");
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpuint (port, ==, 6379);

  /* A bad URL changes nothing. */
  g_assert_false (leap_parse_redis_address ("sentinel://10.0.0.1:26379/", &host, &port,
                                            &sentinels, &master, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpstr (master, ==, "leap");

  /* HOST:PORT, as leap_parse_host_port () reads it, drops the Sentinels. */
  g_assert_true (leap_parse_redis_address ("redis.example:6380", &host, &port, &sentinels,
                                           &master, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (host, ==, "redis.example");
  g_assert_cmpuint (port, ==, 6380);
  g_assert_null (sentinels);
  g_assert_null (master);
  g_assert_false (leap_parse_redis_address ("redis.example", &host, &port, &sentinels, &master,
                                            &error));
  g_assert_cmpstr (error->message, ==, "“redis.example” is not HOST:PORT");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/leap/common/money", test_money);
  g_test_add_func ("/leap/common/time", test_time);
  g_test_add_func ("/leap/common/json-check", test_json_check);
  g_test_add_func ("/leap/common/cursor", test_cursor);
  g_test_add_func ("/leap/common/errors", test_errors);
  g_test_add_func ("/leap/common/host-port", test_host_port);
  g_test_add_func ("/leap/common/redis-address", test_redis_address);
  return g_test_run ();
}
