/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rows read the same way from either database: an order and its refunds
 * as the API shows them, shared by LeapStoreSqlite and LeapStorePg. */
#include "leap-store.h"
#include "leap-json.h"

/* "tier:quantity,…" as [{"tier_id", "quantity"}]. */
JsonArray *
leap_store_items_to_lines (const char *items)
{
  g_auto(GStrv) pairs = g_strsplit (items != NULL ? items : "", ",", -1);
  JsonArray *lines = json_array_new ();

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto(GStrv) tq = g_strsplit (pairs[i], ":", 2);
      JsonObject *line;

      if (g_strv_length (tq) != 2)
        continue;
      line = json_object_new ();
      json_object_set_int_member (line, "tier_id", g_ascii_strtoll (tq[0], NULL, 10));
      json_object_set_int_member (line, "quantity", g_ascii_strtoll (tq[1], NULL, 10));
      json_array_add_object_element (lines, line);
    }
  return lines;
}

/* An order's row as the API shows it, with its @lines and @tickets (both
 * taken) and the first of @payments (or null). */
void
leap_store_shape_order (JsonObject *order,
                        JsonArray  *lines,
                        JsonArray  *payments,
                        JsonArray  *tickets)
{
  JsonObject *customer = json_object_new ();

  json_object_set_member (customer, "name", json_object_dup_member (order, "customer_name"));
  json_object_set_member (customer, "email", json_object_dup_member (order, "customer_email"));
  json_object_remove_member (order, "customer_name");
  json_object_remove_member (order, "customer_email");
  json_object_set_object_member (order, "customer", customer);
  json_object_set_array_member (order, "lines", lines);
  if (json_array_get_length (payments) > 0)
    json_object_set_object_member (order, "payment",
                                   json_object_ref (json_array_get_object_element (payments, 0)));
  else
    json_object_set_null_member (order, "payment");
  json_object_set_array_member (order, "tickets", tickets);
}

/* The refunds of an order (its rows of refunds, by seq) and their sum,
 * added to the order as the API shows it. */
void
leap_store_add_refund_rows (JsonObject *order,
                            JsonArray  *rows)
{
  JsonArray *refunds = json_array_new ();
  gint64 total = 0;

  json_object_set_array_member (order, "refunds", refunds);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonObject *refund = json_object_new ();

      json_object_set_int_member (refund, "refund_id", leap_json_get_int (row, "refund_id", 0));
      json_object_set_int_member (refund, "seq", leap_json_get_int (row, "seq", 0));
      json_object_set_int_member (refund, "amount", leap_json_get_int (row, "amount", 0));
      json_object_set_string_member (refund, "currency",
                                     leap_json_get_string (row, "currency", ""));
      json_object_set_string_member (refund, "method", leap_json_get_string (row, "method", ""));
      json_object_set_array_member (refund, "lines",
                                    leap_store_items_to_lines (leap_json_get_string (row, "items",
                                                                                     "")));
      json_object_set_member (refund, "reason", json_object_dup_member (row, "reason"));
      json_object_set_member (refund, "created_at", json_object_dup_member (row, "created_at"));
      /* "pending" from its intent until the provider has paid it back. */
      json_object_set_string_member (refund, "status", leap_json_get_string (row, "status", ""));
      /* Back on sale: false only while Redis has not taken them back yet. */
      json_object_set_boolean_member (refund, "returned",
                                      !json_object_get_null_member (row, "returned_at"));
      json_array_add_object_element (refunds, refund);
      total += leap_json_get_int (row, "amount", 0);
    }
  json_object_set_int_member (order, "refunded_amount", total);
}

/* The audit log's details of a refund begun, as JSON text. */
char *
leap_store_refund_details (JsonObject *refund,
                           gint64      refund_id,
                           gint64      seq,
                           const char *items,
                           gint64      tickets)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_int_member (details, "refund_id", refund_id);
  json_object_set_int_member (details, "seq", seq);
  json_object_set_array_member (details, "lines", leap_store_items_to_lines (items));
  json_object_set_int_member (details, "tickets", tickets);
  json_object_set_int_member (details, "amount", leap_json_get_int (refund, "amount", 0));
  json_object_set_string_member (details, "currency",
                                 leap_json_get_string (refund, "currency", ""));
  json_object_set_string_member (details, "method", leap_json_get_string (refund, "method", ""));
  if (leap_json_get_string (refund, "reason", NULL) != NULL)
    json_object_set_string_member (details, "reason",
                                   leap_json_get_string (refund, "reason", NULL));
  return leap_json_object_to_string (details);
}

/* What leap_store_begin_refund () answers; takes @order. */
JsonObject *
leap_store_refund_begun (gint64      refund_id,
                         gint64      seq,
                         const char *refund_key,
                         gint64      event_id,
                         const char *items,
                         JsonObject *order)
{
  JsonObject *answer = json_object_new ();

  json_object_set_int_member (answer, "refund_id", refund_id);
  json_object_set_int_member (answer, "seq", seq);
  json_object_set_string_member (answer, "refund_key", refund_key);
  json_object_set_int_member (answer, "event_id", event_id);
  json_object_set_string_member (answer, "items", items);
  json_object_set_object_member (answer, "order", order);
  return answer;
}
