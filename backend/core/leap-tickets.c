/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-tickets"

#include "leap-tickets.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-money.h"
#include "leap-ticket-pdf.h"

#include <glib/gi18n.h>
#include <string.h>

struct _LeapTickets
{
  GObject           parent_instance;

  /* Owned */
  LeapStore        *store;
  LeapTicketSigner *signer;
};

G_DEFINE_FINAL_TYPE (LeapTickets, leap_tickets, G_TYPE_OBJECT)

/* GET /api/v1/tickets/public-key: all a scanner needs to check codes. */
JsonObject *
leap_tickets_public_key (LeapTickets *self)
{
  JsonObject *answer = json_object_new ();

  json_object_set_string_member (answer, "algorithm", "Ed25519");
  json_object_set_string_member (answer, "public_key",
                                 leap_ticket_signer_get_public_key (self->signer));
  json_object_set_string_member (answer, "key_id", leap_ticket_signer_get_key_id (self->signer));
  json_object_set_string_member (answer, "code_prefix", LEAP_TICKET_CODE_PREFIX);
  return answer;
}

/* Check-in */

/* {"code", "event_id"}: event_id, the door's event, is optional (scanners
 * older than it send none) and *event_id is then 0. */
static const char *
code_or_error (JsonObject *request,
               gsize      *length,
               gint64     *event_id,
               GError    **error)
{
  JsonObjectIter iter;
  const char *member;
  const char *code;
  JsonNode *node;

  json_object_iter_init (&iter, request);
  while (json_object_iter_next (&iter, &member, &node))
    if (!g_str_equal (member, "code") && !g_str_equal (member, "event_id"))
      {
        g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Unknown field “%.64s” in check-in",
                     member);
        return NULL;
      }
  node = json_object_get_member (request, "code");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           N_("checkin.code must be the ticket's code"));
      return NULL;
    }
  code = json_node_get_string (node);
  *event_id = 0;
  if (json_object_has_member (request, "event_id"))
    {
      node = json_object_get_member (request, "event_id");
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
          json_node_get_int (node) <= 0)
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                               N_("checkin.event_id must be the id of the door's event"));
          return NULL;
        }
      *event_id = json_node_get_int (node);
    }
  *length = strlen (code);
  return code;
}

/* Why a ticket the store did not admit admits no one, with what the door
 * needs to say so in *details; in this order, so that a ticket of another
 * night is sent there whatever else is wrong with it. */
static void
refuse (JsonObject  *ticket,
        gint64       event_id,
        JsonObject **details,
        GError     **error)
{
  const char *order_status = leap_json_get_string (ticket, "order_status", "");

  if (event_id != 0 && leap_json_get_int (ticket, "event_id", 0) != event_id)
    {
      JsonObject *event = json_object_new ();

      json_object_set_member (event, "id", json_object_dup_member (ticket, "event_id"));
      json_object_set_member (event, "name", json_object_dup_member (ticket, "event_name"));
      json_object_set_member (event, "starts_at",
                              json_object_dup_member (ticket, "event_starts_at"));
      json_object_set_member (event, "timezone",
                              json_object_dup_member (ticket, "event_timezone"));
      *details = json_object_new ();
      json_object_set_object_member (*details, "event", event);
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_WRONG_EVENT,
                   "This ticket is for another event: “%s” at %s",
                   leap_json_get_string (ticket, "event_name", ""),
                   leap_json_get_string (ticket, "event_starts_at", ""));
    }
  else if (g_strcmp0 (leap_json_get_string (ticket, "status", NULL), "voided") == 0)
    g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_VOIDED,
                         N_("This ticket was voided and admits no one"));
  else if (!g_str_equal (order_status, "paid"))
    {
      *details = json_object_new ();
      json_object_set_string_member (*details, "order_status", order_status);
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_NOT_PAID,
                   "This ticket's order is %s, not paid: it admits no one", order_status);
    }
  else
    {
      *details = json_object_new ();
      json_object_set_member (*details, "checked_in_at",
                              json_object_dup_member (ticket, "checked_in_at"));
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_ALREADY_CHECKED_IN,
                   "This ticket was already checked in at %s",
                   leap_json_get_string (ticket, "checked_in_at", "an earlier time"));
    }
}

/* The database's half of a check-in, in a thread of the store's pool. */
typedef struct
{
  char   *code;
  gint64  event_id;
  gint64  actor;
  guint   index;   /* the ticket's place in its order, from the code */
  JsonObject *details; /* a refusal's members beside code and message */
} CheckIn;

static void
check_in_free (CheckIn *c)
{
  g_free (c->code);
  g_clear_pointer (&c->details, json_object_unref);
  g_free (c);
}

static gpointer
check_in_run (LeapStore *store,
              gpointer   data,
              GError   **error)
{
  CheckIn *c = data;

  return leap_store_check_in_ticket (store, c->code, c->event_id,
                                     g_get_real_time () / G_USEC_PER_SEC, c->actor, error);
}

static void
checked_in_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CheckIn *c = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ticket = leap_store_call_finish (LEAP_STORE (object), result, &error);
  JsonObject *answer;

  if (ticket == NULL)
    {
      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
        g_task_return_new_error (
            task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND,
            N_("This ticket is signed but was never sold (its order is not paid)"));
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!json_object_get_boolean_member_with_default (ticket, "admitted", FALSE))
    {
      refuse (ticket, c->event_id, &c->details, &error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  answer = json_object_new ();
  json_object_set_string_member (answer, "code", c->code);
  json_object_set_string_member (answer, "status", "admitted");
  json_object_set_member (answer, "order_id", json_object_dup_member (ticket, "order_id"));
  json_object_set_member (answer, "tier_id", json_object_dup_member (ticket, "tier_id"));
  json_object_set_member (answer, "tier_name", json_object_dup_member (ticket, "tier_name"));
  json_object_set_member (answer, "event_id", json_object_dup_member (ticket, "event_id"));
  json_object_set_member (answer, "event_name", json_object_dup_member (ticket, "event_name"));
  json_object_set_member (answer, "checked_in_at",
                          json_object_dup_member (ticket, "checked_in_at"));
  json_object_set_int_member (answer, "index", c->index);
  g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
}

/* Verifies the signature first, so that a forged code never reaches the
 * database, then admits the ticket with one conditional write (off the
 * main loop): a valid ticket of a paid order, of the door's event when the
 * scan names one. A second scan answers already_checked_in with details =
 * {"checked_in_at"}; see refuse () for the others. */
void
leap_tickets_check_in_async (LeapTickets        *self,
                             const LeapSession  *session,
                             JsonObject         *request,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  CheckIn *c = g_new0 (CheckIn, 1);
  g_autoptr(GError) error = NULL;
  LeapTicketFields fields;
  const char *code;
  gsize length = 0;

  g_task_set_source_tag (task, leap_tickets_check_in_async);
  g_task_set_task_data (task, c, (GDestroyNotify) check_in_free);
  code = code_or_error (request, &length, &c->event_id, &error);
  if (code == NULL || !leap_ticket_signer_verify (self->signer, code, length, &fields, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  c->code = g_strdup (code);
  c->actor = session->user_id;
  c->index = fields.index;
  /* The pool reads c; this side touches it again only in the callback. */
  leap_store_call_async (self->store, check_in_run, c, NULL, (GDestroyNotify) json_object_unref,
                         NULL, checked_in_cb, g_steal_pointer (&task));
}

/* The answer of an admitted ticket, or NULL with the error and, for a
 * refusal, *details (see refuse ()). */
JsonObject *
leap_tickets_check_in_finish (LeapTickets  *self,
                              GAsyncResult *result,
                              JsonObject  **details,
                              GError      **error)
{
  CheckIn *c;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (details != NULL && *details == NULL, NULL);

  c = g_task_get_task_data (G_TASK (result));
  if (c->details != NULL)
    *details = json_object_ref (c->details);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Printable tickets */

static char *
format_when (const char *starts_at,
             const char *timezone)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GTimeZone) zone = NULL;
  gint64 unix_utc;

  if (starts_at == NULL || !leap_time_parse (starts_at, &unix_utc))
    return g_strdup ("");
  zone = timezone ? g_time_zone_new_identifier (timezone) : NULL;
  if (zone == NULL)
    zone = g_time_zone_new_utc ();
  utc = g_date_time_new_from_unix_utc (unix_utc);
  local = utc ? g_date_time_to_timezone (utc, zone) : NULL;
  if (local == NULL)
    return g_strdup (starts_at);
  /* Fixed English names: the locale of a server says nothing of its
   * customers'. */
  return g_date_time_format (local, "%Y-%m-%d %H:%M %Z");
}

static JsonObject *
find_by (JsonArray  *array,
         const char *member,
         gint64      value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (leap_json_get_int (object, member, 0) == value)
        return object;
    }
  return NULL;
}

/* What the PDF shows, as text, from the order (already checked to be the
 * caller's) and the catalogue. */
/* In a thread of the store's pool: order is the call's own copy. */
static gpointer
make_document (LeapStore *store,
               gpointer   data,
               GError   **error)
{
  JsonObject *order = data;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) venue = NULL;
  g_autoptr(JsonArray) tiers = NULL;
  g_autoptr(JsonObject) document = json_object_new ();
  g_autoptr(JsonArray) printable = json_array_new ();
  g_autofree char *when = NULL;
  g_autofree char *place = NULL;
  JsonArray *tickets = json_object_get_array_member (order, "tickets");
  JsonArray *lines = json_object_get_array_member (order, "lines");
  JsonObject *customer = NULL;
  gint64 event_id = leap_json_get_int (order, "event_id", 0);

  if (g_strcmp0 (leap_json_get_string (order, "status", NULL), "paid") != 0)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                   "This order is %s: tickets are printed once it is paid",
                   leap_json_get_string (order, "status", "not paid"));
      return NULL;
    }
  event = leap_store_get (store, LEAP_KIND_EVENT, event_id, error);
  if (event == NULL)
    return NULL;
  venue = leap_store_get (store, LEAP_KIND_VENUE, leap_json_get_int (event, "venue_id", 0),
                          error);
  if (venue == NULL)
    return NULL;
  tiers = leap_store_list_children (store, LEAP_KIND_TIER, event_id, error);
  if (tiers == NULL)
    return NULL;

  when = format_when (leap_json_get_string (event, "starts_at", NULL),
                      leap_json_get_string (venue, "timezone", NULL));
  if (leap_json_get_string (venue, "city", NULL) != NULL)
    place = g_strdup_printf ("%s, %s", leap_json_get_string (venue, "name", ""),
                             leap_json_get_string (venue, "city", ""));
  else
    place = g_strdup (leap_json_get_string (venue, "name", ""));
  json_object_set_string_member (document, "event", leap_json_get_string (event, "name", ""));
  json_object_set_string_member (document, "venue", place);
  json_object_set_string_member (document, "when", when);
  json_object_set_string_member (document, "order_id",
                                 leap_json_get_string (order, "order_id", ""));
  if (json_object_has_member (order, "customer") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (order, "customer")))
    customer = json_object_get_object_member (order, "customer");
  if (customer != NULL && leap_json_get_string (customer, "name", NULL) != NULL)
    json_object_set_string_member (document, "customer",
                                   leap_json_get_string (customer, "name", NULL));

  /* Voided tickets (refunded) are not printed. */
  for (guint i = 0; tickets != NULL && i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);
      gint64 tier_id = leap_json_get_int (ticket, "tier_id", 0);
      JsonObject *tier = find_by (tiers, "id", tier_id);
      JsonObject *line = find_by (lines, "tier_id", tier_id);
      JsonObject *out;
      g_autofree char *tier_name = NULL;
      g_autofree char *price = NULL;

      if (g_strcmp0 (leap_json_get_string (ticket, "status", "valid"), "valid") != 0)
        continue;
      tier_name = tier ? g_strdup (leap_json_get_string (tier, "name", "")) :
                         g_strdup_printf ("Tier %" G_GINT64_FORMAT, tier_id);
      if (line != NULL)
        {
          LeapMoney money = leap_money_init (leap_json_get_int (line, "unit_price", 0),
                                             leap_json_get_string (line, "currency", "EUR"));
          price = leap_money_format (&money);
        }
      out = json_object_new ();
      json_object_set_string_member (out, "code", leap_json_get_string (ticket, "code", ""));
      json_object_set_string_member (out, "tier", tier_name);
      json_object_set_string_member (out, "price", price ? price : "");
      json_array_add_object_element (printable, out);
    }
  if (json_array_get_length (printable) == 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                           N_("This order has no valid tickets to print"));
      return NULL;
    }
  json_object_set_array_member (document, "tickets", g_steal_pointer (&printable));
  return g_steal_pointer (&document);
}

static void
rendered_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GBytes *pdf = leap_ticket_pdf_render_finish (result, &error);

  if (pdf == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, pdf, (GDestroyNotify) g_bytes_unref);
}

static void
documented_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) document = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (document == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  leap_ticket_pdf_render_async (document, g_task_get_cancellable (task), rendered_cb, task);
}

/* The tickets of a paid order as a PDF: the event, venue and tiers read
 * in the store's pool, the PDF rendered in a worker thread. */
void
leap_tickets_pdf_async (LeapTickets        *self,
                        JsonObject         *order,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, leap_tickets_pdf_async);
  leap_store_call_async (self->store, make_document, leap_json_object_copy (order),
                         (GDestroyNotify) json_object_unref, (GDestroyNotify) json_object_unref,
                         cancellable, documented_cb, task);
}

GBytes *
leap_tickets_pdf_finish (LeapTickets  *self,
                         GAsyncResult *result,
                         GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
leap_tickets_dispose (GObject *object)
{
  LeapTickets *self = LEAP_TICKETS (object);

  g_clear_object (&self->store);
  g_clear_object (&self->signer);
  G_OBJECT_CLASS (leap_tickets_parent_class)->dispose (object);
}

static void
leap_tickets_class_init (LeapTicketsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = leap_tickets_dispose;
}

static void
leap_tickets_init (LeapTickets *self)
{
}

LeapTickets *
leap_tickets_new (LeapStore        *store,
                  LeapTicketSigner *signer)
{
  LeapTickets *self = g_object_new (LEAP_TYPE_TICKETS, NULL);

  self->store = g_object_ref (store);
  self->signer = g_object_ref (signer);
  return self;
}
