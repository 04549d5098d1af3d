/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-holds"

#include "leap-holds.h"
#include "leap-error.h"
#include "leap-json.h"


/* A hold's price is fixed when it is made: Redis's hold record (and the
 * database's, while Redis is down) keeps, beside its items
 * ("tier:quantity,…"), the unit price and currency of each line
 * ("tier:unit_price:currency,…"), and the order charges those. */

JsonArray *
leap_hold_lines_parse (const char *items,
                       const char *prices)
{
  JsonArray *lines = json_array_new ();
  g_auto(GStrv) pairs = g_strsplit (items ? items : "", ",", -1);
  g_auto(GStrv) priced = g_strsplit (prices ? prices : "", ",", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto(GStrv) tq = g_strsplit (pairs[i], ":", 2);
      JsonObject *line;

      if (g_strv_length (tq) != 2)
        continue;
      line = json_object_new ();
      json_object_set_int_member (line, "tier_id", g_ascii_strtoll (tq[0], NULL, 10));
      json_object_set_int_member (line, "quantity", g_ascii_strtoll (tq[1], NULL, 10));
      for (guint j = 0; priced[j] != NULL; j++)
        {
          g_auto(GStrv) tpc = g_strsplit (priced[j], ":", 3);

          if (g_strv_length (tpc) == 3 && g_str_equal (tpc[0], tq[0]))
            {
              json_object_set_int_member (line, "unit_price", g_ascii_strtoll (tpc[1], NULL, 10));
              json_object_set_string_member (line, "currency", tpc[2]);
            }
        }
      json_array_add_object_element (lines, line);
    }
  return lines;
}

char *
leap_hold_prices_format (JsonArray *lines)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);

      if (!json_object_has_member (line, "currency"))
        continue;
      g_string_append_printf (text, "%s%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%s",
                              text->len > 0 ? "," : "", leap_json_get_int (line, "tier_id", 0),
                              leap_json_get_int (line, "unit_price", 0),
                              leap_json_get_string (line, "currency", ""));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static JsonObject *
find_tier (JsonArray *tiers,
           gint64     tier_id)
{
  for (guint i = 0; i < json_array_get_length (tiers); i++)
    if (leap_json_get_int (json_array_get_object_element (tiers, i), "id", 0) == tier_id)
      return json_array_get_object_element (tiers, i);
  return NULL;
}

JsonArray *
leap_hold_lines_price (JsonArray  *lines,
                       JsonArray  *tiers,
                       gboolean    strict,
                       LeapMoney  *total,
                       GError    **error)
{
  g_autoptr(JsonArray) out = json_array_new ();

  *total = leap_money_init (0, "");
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *held = json_array_get_object_element (lines, i);
      gint64 tier_id = leap_json_get_int (held, "tier_id", 0);
      gint64 quantity = leap_json_get_int (held, "quantity", 0);
      JsonObject *tier = find_tier (tiers, tier_id);
      gboolean fixed = json_object_has_member (held, "unit_price");
      gint64 price = 0;
      const char *currency = NULL;
      JsonObject *line;
      LeapMoney amount;

      if (tier == NULL && strict)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                       "Tier %" G_GINT64_FORMAT " no longer exists", tier_id);
          return NULL;
        }
      /* A hold made before prices were kept with it takes today's. */
      if (fixed || tier != NULL)
        {
          price = fixed ? leap_json_get_int (held, "unit_price", 0)
                        : leap_json_get_int (tier, "price", 0);
          currency = leap_json_get_string (fixed ? held : tier, "currency", "");
        }
      line = json_object_new ();
      json_array_add_object_element (out, line);
      json_object_set_int_member (line, "tier_id", tier_id);
      if (tier != NULL)
        json_object_set_string_member (line, "name", leap_json_get_string (tier, "name", ""));
      json_object_set_int_member (line, "quantity", quantity);
      json_object_set_int_member (line, "unit_price", price);
      if (currency == NULL)
        continue;
      json_object_set_string_member (line, "currency", currency);
      /* Never money of two currencies added up. */
      amount = leap_money_init (price, currency);
      if (!leap_money_multiply (&amount, quantity, error) ||
          !leap_money_add (total, &amount, error))
        return NULL;
    }
  return g_steal_pointer (&out);
}
