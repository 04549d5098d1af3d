/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-format.h"
#include "leap-json.h"
#include "leap-money.h"
#include "leap-order.h"
#include "leap-order-code.h"

/* An order as the device keeps it (see LeapCheckout), as an item of the
 * orders list. */
struct _LeapOrder
{
  GObject     parent_instance;

  /* Owned */
  JsonObject *record;
};

G_DEFINE_FINAL_TYPE (LeapOrder, leap_order, G_TYPE_OBJECT)

static void
leap_order_finalize (GObject *object)
{
  LeapOrder *self = (LeapOrder *) object;

  g_clear_pointer (&self->record, json_object_unref);

  G_OBJECT_CLASS (leap_order_parent_class)->finalize (object);
}

static void
leap_order_class_init (LeapOrderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = leap_order_finalize;
}

static void
leap_order_init (LeapOrder *self)
{
}

LeapOrder *
leap_order_new (JsonObject *record)
{
  LeapOrder *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (LEAP_TYPE_ORDER, NULL);
  self->record = json_object_ref (record);
  return self;
}

JsonObject *
leap_order_get_record (LeapOrder *self)
{
  g_return_val_if_fail (LEAP_IS_ORDER (self), NULL);
  return self->record;
}

const char *
leap_order_get_id (LeapOrder *self)
{
  g_return_val_if_fail (LEAP_IS_ORDER (self), NULL);
  return leap_json_get_string (self->record, "order_id", "");
}

const char *
leap_order_get_status (LeapOrder *self)
{
  g_return_val_if_fail (LEAP_IS_ORDER (self), NULL);
  return leap_json_get_string (self->record, "status", "pending");
}

/* The status in words. */
const char *
leap_order_status_text (const char *status)
{
  if (g_strcmp0 (status, "paid") == 0)
    return _("Paid");
  if (g_strcmp0 (status, "pending") == 0)
    return _("Not confirmed yet");
  if (g_strcmp0 (status, "failed") == 0)
    return _("Declined");
  if (g_strcmp0 (status, "refunded") == 0)
    return _("Refunded");
  if (g_strcmp0 (status, "needs_review") == 0)
    return _("Needs a manager");
  if (g_strcmp0 (status, "not_placed") == 0)
    return _("Not sold");
  if (g_strcmp0 (status, "voided") == 0)
    return _("Voided: never sold");
  return status;
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* "Ada Lovelace · €90.00" or "o-1-abc · €90.00". */
char *
leap_order_dup_title (LeapOrder *self)
{
  JsonObject *customer;
  LeapMoney total;
  g_autofree char *money = NULL;
  g_autofree char *people = NULL;
  const char *name = NULL;

  g_return_val_if_fail (LEAP_IS_ORDER (self), NULL);

  customer = get_object (self->record, "customer");
  if (customer != NULL)
    name = leap_json_get_string (customer, "name", NULL);
  total = leap_money_init (leap_json_get_int (self->record, "total", 0),
                           leap_json_get_string (self->record, "currency", "EUR"));
  money = leap_format_money (&total);
  people = leap_order_code_for_people (self->record);
  return g_strdup_printf ("%s · %s", name ? name : people, money);
}

/* "Paid · 19:42 · Swan Lake". */
char *
leap_order_dup_subtitle (LeapOrder *self)
{
  JsonObject *event;
  gint64 sold_at;
  g_autofree char *when = NULL;

  g_return_val_if_fail (LEAP_IS_ORDER (self), NULL);

  event = get_object (self->record, "event");
  sold_at = leap_json_get_int (self->record, "sold_at", 0);
  if (sold_at > 0)
    {
      g_autoptr(GDateTime) at = g_date_time_new_from_unix_local (sold_at);

      /* Translators: strftime() codes. xgettext:no-c-format */
      when = leap_format_date_time (at, C_("short date and time", "%e %b %H:%M"));
    }
  return g_strdup_printf ("%s · %s · %s", leap_order_status_text (leap_order_get_status (self)),
                          when ? g_strstrip (when) : "",
                          event ? leap_json_get_string (event, "name", "") : "");
}
