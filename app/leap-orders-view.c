/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <adwaita.h>

#include "leap-a11y.h"
#include "leap-checkout.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-money.h"
#include "leap-offline-cache.h"
#include "leap-order.h"
#include "leap-order-code.h"
#include "leap-orders-view.h"
#include "leap-refund-dialog.h"

/* Orders: the sales of this device (from the offline cache, so they show
 * offline too), found by order number, ticket code or customer name; an
 * exact order number is also looked up on the server. The chosen order
 * shows in full, and can be printed again, checked again, and refunded by
 * a manager. It reports upward with signals: print-order, add-toast. */
struct _LeapOrdersView
{
  GtkWidget         parent_instance;

  /* Template widgets */
  GtkSearchEntry   *search_entry;
  GtkListView      *order_list;
  GtkStack         *detail_stack;
  GtkLabel         *order_title;
  GtkLabel         *status_label;
  GtkLabel         *summary_label;
  GtkLabel         *tickets_label;
  GtkWidget        *print_button;
  GtkWidget        *refresh_button;
  GtkWidget        *refund_button;
  GtkWidget        *void_button;
  GtkLabel         *refund_hint;

  /* Owned */
  LeapClient       *client;
  LeapOfflineCache *cache;
  LeapCheckout     *checkout;
  GListStore       *orders;
  GtkSingleSelection *selection;
  GCancellable     *cancellable;
  char             *text;
  guint             search_serial;
  guint             busy;
};

G_DEFINE_FINAL_TYPE (LeapOrdersView, leap_orders_view, GTK_TYPE_WIDGET)

enum {
  PRINT_ORDER,
  ADD_TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_busy (LeapOrdersView *self,
          gboolean        more)
{
  if (more)
    self->busy++;
  else if (self->busy > 0)
    self->busy--;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
toast (LeapOrdersView *self,
       const char     *message)
{
  g_signal_emit (self, signals[ADD_TOAST], 0, message);
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static char *
money (JsonObject *order,
       gint64      amount)
{
  LeapMoney m = leap_money_init (amount, leap_json_get_string (order, "currency", "EUR"));

  return leap_format_money (&m);
}

/* A cashier refunds too, with a manager's approval in the dialog. */
static gboolean
may_refund (LeapOrdersView *self)
{
  const char *role = self->client ? leap_client_get_role (self->client) : NULL;

  return g_strcmp0 (role, "manager") == 0 || g_strcmp0 (role, "admin") == 0 ||
         g_strcmp0 (role, "cashier") == 0;
}

static void
show_detail (LeapOrdersView *self)
{
  JsonObject *order = leap_orders_view_get_selected (self);
  JsonObject *event, *payment, *customer, *names;
  JsonArray *lines, *tickets;
  g_autoptr(GString) summary = g_string_new (NULL);
  g_autoptr(GString) codes = g_string_new (NULL);
  g_autofree char *title = NULL;
  g_autofree char *people = NULL;
  g_autofree char *total = NULL;
  const char *status;
  gboolean paid;

  if (order == NULL)
    {
      gtk_stack_set_visible_child_name (self->detail_stack, "none");
      return;
    }
  gtk_stack_set_visible_child_name (self->detail_stack, "order");

  status = leap_json_get_string (order, "status", "pending");
  paid = g_str_equal (status, "paid");
  people = leap_order_code_for_people (order);
  title = g_strdup_printf (_("Order %s"), people);
  gtk_label_set_label (self->order_title, title);
  if (paid && leap_json_get_int (order, "refunded_amount", 0) > 0)
    {
      g_autofree char *back = money (order, leap_json_get_int (order, "refunded_amount", 0));
      g_autofree char *text = g_strdup_printf (_("Paid · %s refunded"), back);

      gtk_label_set_label (self->status_label, text);
    }
  else
    gtk_label_set_label (self->status_label, leap_order_status_text (status));
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "order-status-paid");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "order-status-problem");
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label),
                            paid ? "order-status-paid" : "order-status-problem");

  event = get_object (order, "event");
  payment = get_object (order, "payment");
  customer = get_object (order, "customer");
  names = get_object (order, "tier_names");
  lines = get_array (order, "lines");
  tickets = get_array (order, "tickets");

  if (event != NULL)
    {
      gint64 starts = leap_json_get_int (event, "starts_at", 0);
      const char *tz_name = leap_json_get_string (event, "timezone", NULL);
      g_autoptr(GTimeZone) tz = tz_name ? g_time_zone_new_identifier (tz_name) : NULL;
      g_autoptr(GDateTime) utc = starts > 0 ? g_date_time_new_from_unix_utc (starts) : NULL;
      g_autoptr(GDateTime) at = NULL;
      g_autofree char *when = NULL;

      /* The time at the venue, as on the ticket. */
      if (tz == NULL)
        tz = g_time_zone_new_local ();
      at = utc ? g_date_time_to_timezone (utc, tz) : NULL;
      /* Translators: strftime() codes. xgettext:no-c-format */
      when = at ? leap_format_date_time (at, C_("order date", "%a %e %b %Y, %H:%M"))
                : g_strdup ("");

      g_string_append_printf (summary, "%s\n%s\n\n", leap_json_get_string (event, "name", ""),
                              when);
    }
  for (guint i = 0; lines != NULL && i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT,
                                              leap_json_get_int (line, "tier_id", 0));
      const char *tier = names ? leap_json_get_string (names, key, NULL) : NULL;
      g_autofree char *unit = money (order, leap_json_get_int (line, "unit_price", 0));

      g_string_append_printf (summary, "%" G_GINT64_FORMAT " × %s @ %s\n",
                              leap_json_get_int (line, "quantity", 0), tier ? tier : key, unit);
    }
  total = money (order, leap_json_get_int (order, "total", 0));
  g_string_append_printf (summary, _("Total %s\n"), total);
  if (payment != NULL && g_strcmp0 (leap_json_get_string (payment, "method", NULL), "cash") == 0)
    {
      g_autofree char *tendered = money (order, leap_json_get_int (payment, "tendered", 0));
      g_autofree char *change = money (order, leap_json_get_int (payment, "change", 0));

      g_string_append_printf (summary, _("Cash: %s handed over, %s change\n"), tendered, change);
    }
  else if (payment != NULL)
    g_string_append (summary, _("Card\n"));
  if (customer != NULL && leap_json_get_string (customer, "name", NULL) != NULL)
    g_string_append_printf (summary, _("Customer: %s\n"),
                            leap_json_get_string (customer, "name", NULL));
  if (leap_json_get_string (order, "cashier", NULL) != NULL)
    g_string_append_printf (summary, _("Sold by %s\n"),
                            leap_json_get_string (order, "cashier", NULL));
  if (leap_json_get_string (order, "reason", NULL) != NULL)
    g_string_append_printf (summary, _("Reason: %s\n"),
                            leap_json_get_string (order, "reason", NULL));
  gtk_label_set_label (self->summary_label, g_strstrip (summary->str));

  for (guint i = 0; tickets != NULL && i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);
      const char *ticket_status = leap_json_get_string (ticket, "status", "valid");

      g_string_append_printf (codes, "%s%s%s\n", leap_json_get_string (ticket, "code", ""),
                              g_str_equal (ticket_status, "valid") ? "" : " — ",
                              g_str_equal (ticket_status, "valid") ? "" : ticket_status);
    }
  gtk_label_set_label (self->tickets_label, codes->len > 0 ? g_strstrip (codes->str)
                                                           : _("No tickets (yet)."));

  gtk_widget_set_sensitive (self->print_button, paid && codes->len > 0);
  gtk_widget_set_sensitive (self->refund_button, paid && may_refund (self));
  gtk_widget_set_visible (self->void_button, g_str_equal (status, "not_placed"));
  gtk_label_set_label (self->refund_hint,
                       g_str_equal (status, "not_placed")
                           ? _("The server never had this order: nothing was sold and nothing "
                               "was charged. Void it to close it; the shift counts it nowhere.")
                       : !paid ? ""
                       : may_refund (self)
                           ? _("A refund gives the money back and voids the tickets.")
                           : _("Refunds are made by the box office staff."));
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), subtitle);
  gtk_list_item_set_child (item, box);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item)
{
  LeapOrder *order = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  g_autofree char *title = leap_order_dup_title (order);
  g_autofree char *subtitle = leap_order_dup_subtitle (order);

  gtk_label_set_label (GTK_LABEL (gtk_widget_get_first_child (box)), title);
  gtk_label_set_label (GTK_LABEL (gtk_widget_get_last_child (box)), subtitle);
}

/* Puts @record in the list (replacing the same order) and chooses it. */
static void
put_order (LeapOrdersView *self,
           JsonObject     *record)
{
  const char *id = leap_json_get_string (record, "order_id", "");
  g_autoptr(LeapOrder) order = leap_order_new (record);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->orders));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LeapOrder) other = g_list_model_get_item (G_LIST_MODEL (self->orders), i);

      if (g_str_equal (leap_order_get_id (other), id))
        {
          g_list_store_splice (self->orders, i, 1, (gpointer *) &order, 1);
          gtk_single_selection_set_selected (self->selection, i);
          show_detail (self);
          return;
        }
    }
  g_list_store_insert (self->orders, 0, order);
  gtk_single_selection_set_selected (self->selection, 0);
  show_detail (self);
}

/* Replaces the same order in the list, where it is, and keeps the choice. */
static void
replace_order (LeapOrdersView *self,
               JsonObject     *record)
{
  const char *id = leap_json_get_string (record, "order_id", "");
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->orders));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LeapOrder) other = g_list_model_get_item (G_LIST_MODEL (self->orders), i);

      if (g_str_equal (leap_order_get_id (other), id))
        {
          g_autoptr(LeapOrder) order = leap_order_new (record);
          guint selected = gtk_single_selection_get_selected (self->selection);

          g_list_store_splice (self->orders, i, 1, (gpointer *) &order, 1);
          gtk_single_selection_set_selected (self->selection, selected);
          show_detail (self);
          return;
        }
    }
}

static void
pending_refreshed_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(LeapOrdersView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) record = NULL;

  record = leap_checkout_refresh_finish (LEAP_CHECKOUT (source), result, &error);
  if (record == NULL)
    {
      g_debug ("A pending order was not checked: %s", error->message);
      return;
    }
  if (self->orders != NULL)
    replace_order (self, record);
}

/* Orders this device left pending (the network went before the answer)
 * are asked about again whenever they show, so they settle by themselves. */
static void
refresh_pending (LeapOrdersView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->orders));

  if (self->checkout == NULL || !leap_client_get_signed_in (self->client) ||
      leap_client_get_connection (self->client) == LEAP_CONNECTION_OFFLINE)
    return;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LeapOrder) order = g_list_model_get_item (G_LIST_MODEL (self->orders), i);

      if (g_str_equal (leap_order_get_status (order), "pending"))
        leap_checkout_refresh_async (self->checkout, leap_order_get_record (order),
                                     self->cancellable, pending_refreshed_cb, g_object_ref (self));
    }
}

typedef struct
{
  LeapOrdersView *view;
  guint           serial;
  char           *text;
} Search;

static void
search_free (Search *search)
{
  g_object_unref (search->view);
  g_free (search->text);
  g_free (search);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Search, search_free)

static void
server_lookup_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Search) search = user_data;
  LeapOrdersView *self = search->view;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) record = NULL;

  record = leap_checkout_refresh_finish (LEAP_CHECKOUT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (search->serial != self->search_serial)
    return;
  if (record == NULL)
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
        message = g_strdup_printf (_("No order %s on this device or on the server."), search->text);
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        message = g_strdup_printf (_("Order %s is not on this device, and the server cannot be "
                                      "reached to look it up. Try again once online."),
                                   search->text);
      else
        message = g_strdup_printf (_("Order %s could not be looked up: %s"), search->text,
                                   error->message);
      toast (self, message);
      return;
    }
  put_order (self, record);
}

/* An order's id, or its short code ("K7M-4QXZ", any case). */
static gboolean
looks_like_order_id (const char *text)
{
  g_autofree char *code = leap_order_code_normalize (text);

  return text != NULL && ((g_str_has_prefix (text, "o-") && strlen (text) > 4 &&
                           strchr (text, ' ') == NULL) ||
                          code != NULL);
}

static void
lookup_on_server (LeapOrdersView *self,
                  const char     *text)
{
  g_autoptr(JsonObject) wanted = json_object_new ();
  Search *search;

  if (self->checkout == NULL || !leap_client_get_signed_in (self->client))
    {
      toast (self, _("Sign in to look orders up on the server."));
      return;
    }
  json_object_set_string_member (wanted, "order_id", text);
  search = g_new0 (Search, 1);
  search->view = g_object_ref (self);
  search->serial = self->search_serial;
  search->text = g_strdup (text);
  set_busy (self, TRUE);
  leap_checkout_refresh_async (self->checkout, wanted, self->cancellable, server_lookup_cb, search);
}

static void
find_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Search) search = user_data;
  LeapOrdersView *self = search->view;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  found = leap_offline_cache_find_orders_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (search->serial != self->search_serial)
    return;
  if (found == NULL)
    {
      toast (self, error->message);
      return;
    }
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (items, leap_order_new (found->pdata[i]));
  g_list_store_splice (self->orders, 0, g_list_model_get_n_items (G_LIST_MODEL (self->orders)),
                       items->pdata, items->len);
  if (items->len > 0)
    gtk_single_selection_set_selected (self->selection, 0);
  show_detail (self);
  refresh_pending (self);

  /* A full order number that is not on this device: ask the server. */
  if (items->len == 0 && looks_like_order_id (search->text))
    lookup_on_server (self, search->text);
}

/* Shows the orders of this device that match @text (all for ""). */
void
leap_orders_view_search (LeapOrdersView *self,
                         const char     *text)
{
  Search *search;

  g_return_if_fail (LEAP_IS_ORDERS_VIEW (self));

  {
    /* @text may be self->text itself (a reload). */
    char *copy = g_strstrip (g_strdup (text ? text : ""));

    g_free (self->text);
    self->text = copy;
  }
  if (self->cache == NULL)
    return;
  /* Signed out, the counter shows no orders, names or codes. */
  if (self->client != NULL && !leap_client_get_signed_in (self->client))
    {
      self->search_serial++;
      g_list_store_remove_all (self->orders);
      show_detail (self);
      return;
    }
  search = g_new0 (Search, 1);
  search->view = g_object_ref (self);
  search->serial = ++self->search_serial;
  search->text = g_strdup (self->text);
  set_busy (self, TRUE);
  leap_offline_cache_find_orders_async (self->cache, self->text, 0, self->cancellable, find_cb,
                                        search);
}

/* Signed out: the search, the list and the order go; signed in: back. */
static void
signed_in_changed_cb (LeapOrdersView *self)
{
  if (!leap_client_get_signed_in (self->client))
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  leap_orders_view_search (self, "");
}

void
leap_orders_view_reload (LeapOrdersView *self)
{
  g_return_if_fail (LEAP_IS_ORDERS_VIEW (self));
  leap_orders_view_search (self, self->text);
}

static void
search_changed_cb (LeapOrdersView *self)
{
  leap_orders_view_search (self, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
search_activate_cb (LeapOrdersView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *clean = g_strstrip (g_strdup (text));

  /* Enter on a number this device knows shows it; else the server is asked. */
  if (looks_like_order_id (clean) &&
      (leap_orders_view_get_selected (self) == NULL ||
       !g_str_equal (leap_json_get_string (leap_orders_view_get_selected (self), "order_id", ""),
                     clean)))
    lookup_on_server (self, clean);
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->orders)) > 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->order_list));
}

static void
print_clicked_cb (LeapOrdersView *self)
{
  JsonObject *order = leap_orders_view_get_selected (self);

  if (order != NULL)
    g_signal_emit (self, signals[PRINT_ORDER], 0, order);
}

/* The end of work on the chosen order: FALSE (and why, in a toast, unless
 * it was cancelled) when there is no @record. */
static gboolean
answered (LeapOrdersView *self,
          JsonObject     *record,
          GError         *error,
          const char     *failed)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  set_busy (self, FALSE);
  if (record == NULL)
    {
      g_autofree char *message = g_strdup_printf (failed, error->message);

      toast (self, message);
      return FALSE;
    }
  return TRUE;
}

static void
refreshed_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(LeapOrdersView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) record = NULL;

  record = leap_checkout_refresh_finish (LEAP_CHECKOUT (source), result, &error);
  if (!answered (self, record, error, _("The order could not be checked: %s")))
    return;
  put_order (self, record);
  toast (self, leap_order_status_text (leap_json_get_string (record, "status", NULL)));
}

static void
voided_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LeapOrdersView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) kept = NULL;

  kept = leap_offline_cache_save_order_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  if (answered (self, kept, error, _("The order could not be voided: %s")))
    replace_order (self, kept);
}

/* Closes the chosen order if the server never had it: kept on this device
 * as voided, counted nowhere. */
void
leap_orders_view_void_selected (LeapOrdersView *self)
{
  JsonObject *order;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) voided = NULL;

  g_return_if_fail (LEAP_IS_ORDERS_VIEW (self));

  order = leap_orders_view_get_selected (self);
  if (order == NULL || self->cache == NULL ||
      g_strcmp0 (leap_json_get_string (order, "status", NULL), "not_placed") != 0)
    return;
  text = leap_json_object_to_string (order);
  voided = leap_json_parse_object (text, -1, NULL);
  json_object_set_string_member (voided, "status", "voided");
  set_busy (self, TRUE);
  leap_offline_cache_save_order_async (self->cache, voided, self->cancellable, voided_cb,
                                       g_object_ref (self));
}

static void
refresh_clicked_cb (LeapOrdersView *self)
{
  JsonObject *order = leap_orders_view_get_selected (self);

  if (order == NULL || self->checkout == NULL)
    return;
  set_busy (self, TRUE);
  leap_checkout_refresh_async (self->checkout, order, self->cancellable, refreshed_cb,
                               g_object_ref (self));
}

static void
refund_saved_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LeapOrdersView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) kept = NULL;

  kept = leap_offline_cache_save_order_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  set_busy (self, FALSE);
  if (kept != NULL)
    put_order (self, kept);
}

static void
refunded_cb (LeapRefundDialog *dialog,
             JsonObject       *answer,
             const char       *message,
             LeapOrdersView   *self)
{
  const char *id = leap_json_get_string (answer, "order_id", "");
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->orders));
  g_autoptr(JsonObject) merged = NULL;

  toast (self, message);
  /* The device's record of it, wherever the list is now. */
  for (guint i = 0; i < n && merged == NULL; i++)
    {
      g_autoptr(LeapOrder) order = g_list_model_get_item (G_LIST_MODEL (self->orders), i);

      if (g_str_equal (leap_order_get_id (order), id))
        merged = leap_checkout_merge (leap_order_get_record (order), answer);
    }
  if (merged == NULL)
    merged = json_object_ref (answer);
  set_busy (self, TRUE);
  leap_offline_cache_save_order_async (self->cache, merged, self->cancellable, refund_saved_cb,
                                       g_object_ref (self));
}

/* Asks which tickets to refund (a cashier with a manager's approval),
 * then refunds them: leap-refund-dialog.c. */
void
leap_orders_view_refund_selected (LeapOrdersView *self)
{
  JsonObject *order;
  LeapRefundDialog *dialog;

  g_return_if_fail (LEAP_IS_ORDERS_VIEW (self));

  order = leap_orders_view_get_selected (self);
  if (order == NULL || self->client == NULL)
    return;
  dialog = leap_refund_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   self->client, order);
  g_signal_connect_object (dialog, "refunded", G_CALLBACK (refunded_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
leap_orders_view_dispose (GObject *object)
{
  GtkWidget *child;
  LeapOrdersView *self = (LeapOrdersView *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_ORDERS_VIEW);
  /* The template's unnamed top box is not cleared by the call above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->orders);
  g_clear_object (&self->checkout);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (leap_orders_view_parent_class)->dispose (object);
}

static void
leap_orders_view_finalize (GObject *object)
{
  LeapOrdersView *self = (LeapOrdersView *) object;

  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (leap_orders_view_parent_class)->finalize (object);
}

static void
leap_orders_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  LeapOrdersView *self = LEAP_ORDERS_VIEW (object);

  switch (prop_id)
    {
    case PROP_BUSY: g_value_set_boolean (value, self->busy > 0); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_orders_view_class_init (LeapOrdersViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leap_orders_view_dispose;
  object_class->finalize = leap_orders_view_finalize;
  object_class->get_property = leap_orders_view_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LeapOrdersView::print-order:
   * @order: (type Json.Object): the order to print
   */
  signals[PRINT_ORDER] =
    g_signal_new ("print-order", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  signals[ADD_TOAST] =
    g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-orders-view.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, order_list);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, order_title);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, status_label);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, tickets_label);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, print_button);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, refresh_button);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, refund_button);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, refund_hint);
  gtk_widget_class_bind_template_child (widget_class, LeapOrdersView, void_button);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
leap_orders_view_init (LeapOrdersView *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->text = g_strdup ("");
  self->orders = g_list_store_new (LEAP_TYPE_ORDER);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->orders)));
  gtk_single_selection_set_autoselect (self->selection, TRUE);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  gtk_list_view_set_factory (self->order_list, factory);
  gtk_list_view_set_model (self->order_list, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->selection, "notify::selected", G_CALLBACK (show_detail), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "activate", G_CALLBACK (search_activate_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->print_button, "clicked", G_CALLBACK (print_clicked_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->void_button, "clicked",
                           G_CALLBACK (leap_orders_view_void_selected), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->refresh_button, "clicked", G_CALLBACK (refresh_clicked_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->refund_button, "clicked",
                           G_CALLBACK (leap_orders_view_refund_selected), self, G_CONNECT_SWAPPED);
  show_detail (self);
}

void
leap_orders_view_set_backend (LeapOrdersView   *self,
                              LeapClient       *client,
                              LeapOfflineCache *cache)
{
  g_return_if_fail (LEAP_IS_ORDERS_VIEW (self));
  g_return_if_fail (LEAP_IS_CLIENT (client));
  g_return_if_fail (LEAP_IS_OFFLINE_CACHE (cache));

  g_set_object (&self->client, client);
  g_set_object (&self->cache, cache);
  g_clear_object (&self->checkout);
  self->checkout = leap_checkout_new (client, cache);
  g_signal_connect_object (client, "notify::role", G_CALLBACK (show_detail), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (client, "notify::signed-in", G_CALLBACK (signed_in_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

GListModel *
leap_orders_view_get_orders (LeapOrdersView *self)
{
  g_return_val_if_fail (LEAP_IS_ORDERS_VIEW (self), NULL);
  return G_LIST_MODEL (self->orders);
}

/* The chosen order as the device keeps it, or NULL. */
JsonObject *
leap_orders_view_get_selected (LeapOrdersView *self)
{
  LeapOrder *order;

  g_return_val_if_fail (LEAP_IS_ORDERS_VIEW (self), NULL);

  order = gtk_single_selection_get_selected_item (self->selection);
  return order ? leap_order_get_record (order) : NULL;
}

void
leap_orders_view_select (LeapOrdersView *self,
                         guint           position)
{
  g_return_if_fail (LEAP_IS_ORDERS_VIEW (self));
  gtk_single_selection_set_selected (self->selection, position);
}

void
leap_orders_view_focus_search (LeapOrdersView *self)
{
  g_return_if_fail (LEAP_IS_ORDERS_VIEW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

gboolean
leap_orders_view_get_busy (LeapOrdersView *self)
{
  g_return_val_if_fail (LEAP_IS_ORDERS_VIEW (self), FALSE);
  return self->busy > 0;
}

/* The chosen order's status in words, as shown. */
const char *
leap_orders_view_get_status_text (LeapOrdersView *self)
{
  g_return_val_if_fail (LEAP_IS_ORDERS_VIEW (self), NULL);
  return gtk_label_get_label (self->status_label);
}

/* "Order K7M-4QXZ": the chosen order's title. */
const char *
leap_orders_view_get_title_text (LeapOrdersView *self)
{
  g_return_val_if_fail (LEAP_IS_ORDERS_VIEW (self), NULL);
  return gtk_label_get_label (self->order_title);
}
