/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-a11y.h"
#include "leap-error.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-order-code.h"
#include "leap-money.h"
#include "leap-refund-dialog.h"
#include "leap-ticket-printer.h"

/* Refunds tickets of a paid order. It offers, per tier, the tickets that
 * can really be refunded: valid and not used at the door, as the server
 * has them (asked when the dialog opens; the device's copy meanwhile).
 * A cashier's refund is approved on the same screen by a manager's name
 * and password, with no sign-out. A refused approval (or any failure)
 * stays in the dialog, which shows again; once refunded, a slip is
 * printed, ::refunded reports the order as the server has it now with
 * what to tell the customer, and the dialog goes. */
struct _LeapRefundDialog
{
  AdwMessageDialog parent_instance;

  /* Template widgets */
  GtkListBox   *lines_box;
  GtkLabel     *used_label;
  GtkLabel     *amount_label;
  GtkWidget    *approval_box;
  AdwEntryRow  *manager_row;
  AdwEntryRow  *password_row;
  GtkLabel     *error_label;

  /* Owned */
  LeapClient   *client;
  JsonObject   *order;
  GCancellable *cancellable;
  GArray       *lines;       /* Line */
  char         *key;         /* this refund's Idempotency-Key */
  gboolean      loaded;      /* the order is the server's */
  gboolean      busy;
};

G_DEFINE_FINAL_TYPE (LeapRefundDialog, leap_refund_dialog, ADW_TYPE_MESSAGE_DIALOG)

enum {
  REFUNDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  gint64         tier_id;
  gint64         unit_price;
  guint          refundable;
  GtkSpinButton *spin;       /* Borrowed, in lines_box */
} Line;

static const char * const approvers[] = { "admin", "manager", NULL };

static gboolean
asks_approval (LeapRefundDialog *self)
{
  const char *role = leap_client_get_role (self->client);

  return role == NULL || !g_strv_contains (approvers, role);
}

static char *
money (LeapRefundDialog *self,
       gint64            amount)
{
  LeapMoney m = leap_money_init (amount, leap_json_get_string (self->order, "currency", "EUR"));

  return leap_format_money (&m);
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
paid_in_cash (JsonObject *order)
{
  JsonNode *payment = json_object_get_member (order, "payment");

  return payment != NULL && JSON_NODE_HOLDS_OBJECT (payment) &&
         g_strcmp0 (leap_json_get_string (json_node_get_object (payment), "method", NULL),
                    "cash") == 0;
}

static const char *
tier_name (LeapRefundDialog *self,
           gint64            tier_id)
{
  JsonNode *node = json_object_get_member (self->order, "tier_names");
  g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT, tier_id);
  const char *name = NULL;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    name = leap_json_get_string (json_node_get_object (node), key, NULL);
  return name ? name : _("Tickets");
}

static gint64
amount (LeapRefundDialog *self)
{
  gint64 total = 0;

  for (guint i = 0; i < self->lines->len; i++)
    {
      Line *line = &g_array_index (self->lines, Line, i);

      total += line->unit_price * gtk_spin_button_get_value_as_int (line->spin);
    }
  return total;
}

static void
update (LeapRefundDialog *self)
{
  gint64 total = amount (self);
  g_autofree char *text = money (self, total);
  g_autofree char *label = g_strdup_printf (_("Refund: %s"), text);
  gboolean approved = !asks_approval (self) ||
                      (*gtk_editable_get_text (GTK_EDITABLE (self->manager_row)) != '\0' &&
                       *gtk_editable_get_text (GTK_EDITABLE (self->password_row)) != '\0');

  gtk_label_set_label (self->amount_label, label);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "refund",
                                           total > 0 && approved && !self->busy);
}

static void
show_error (LeapRefundDialog *self,
            const char       *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

/* The tickets that can be refunded, per tier, from self->order; the
 * spin buttons start at all of them. */
static void
build_lines (LeapRefundDialog *self)
{
  JsonArray *order_lines = get_array (self->order, "lines");
  JsonArray *tickets = get_array (self->order, "tickets");
  GtkWidget *row;
  guint used = 0;

  while ((row = gtk_widget_get_first_child (GTK_WIDGET (self->lines_box))) != NULL)
    gtk_list_box_remove (self->lines_box, row);
  g_array_set_size (self->lines, 0);

  for (guint i = 0; order_lines != NULL && i < json_array_get_length (order_lines); i++)
    {
      JsonObject *o = json_array_get_object_element (order_lines, i);
      Line line = { leap_json_get_int (o, "tier_id", 0), leap_json_get_int (o, "unit_price", 0) };

      g_array_append_val (self->lines, line);
    }
  for (guint i = 0; tickets != NULL && i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);
      JsonNode *checked_in = json_object_get_member (ticket, "checked_in_at");
      gint64 tier_id = leap_json_get_int (ticket, "tier_id", 0);

      if (g_strcmp0 (leap_json_get_string (ticket, "status", "valid"), "valid") != 0)
        continue;
      if (checked_in != NULL && !JSON_NODE_HOLDS_NULL (checked_in))
        {
          used++;
          continue;
        }
      for (guint l = 0; l < self->lines->len; l++)
        if (g_array_index (self->lines, Line, l).tier_id == tier_id)
          g_array_index (self->lines, Line, l).refundable++;
    }

  for (guint l = 0; l < self->lines->len; l++)
    {
      Line *line = &g_array_index (self->lines, Line, l);
      const char *name = tier_name (self, line->tier_id);
      g_autofree char *price = money (self, line->unit_price);
      g_autofree char *subtitle = NULL;
      g_autofree char *spin_name = NULL;

      if (line->refundable == 0)
        continue;
      /* Translators: under a tier's name in the refund dialog: the price of
       * one ticket and how many can be refunded. */
      subtitle = g_strdup_printf (ngettext ("%s each · %u can be refunded",
                                            "%s each · %u can be refunded", line->refundable),
                                  price, line->refundable);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      line->spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, line->refundable, 1));
      gtk_spin_button_set_value (line->spin, line->refundable);
      gtk_widget_set_valign (GTK_WIDGET (line->spin), GTK_ALIGN_CENTER);
      spin_name = g_strdup_printf (_("%s tickets to refund"), name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (line->spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      spin_name, -1);
      g_signal_connect_object (line->spin, "value-changed", G_CALLBACK (update), self,
                               G_CONNECT_SWAPPED);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (line->spin));
      gtk_list_box_append (self->lines_box, row);
    }
  /* Only the tiers offered keep a line. */
  for (guint l = self->lines->len; l > 0; l--)
    if (g_array_index (self->lines, Line, l - 1).refundable == 0)
      g_array_remove_index (self->lines, l - 1);
  gtk_widget_set_visible (GTK_WIDGET (self->lines_box), self->lines->len > 0);

  if (used > 0)
    {
      g_autofree char *text =
        g_strdup_printf (ngettext ("%u ticket was already used at the door: it is not refunded.",
                                   "%u tickets were already used at the door: they are not "
                                   "refunded.", used), used);

      gtk_label_set_label (self->used_label, text);
    }
  else if (self->lines->len == 0)
    gtk_label_set_label (self->used_label, _("Nothing of this order can be refunded."));
  gtk_widget_set_visible (GTK_WIDGET (self->used_label), used > 0 || self->lines->len == 0);
  update (self);
}

static void
order_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LeapRefundDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = leap_client_get_order_finish (LEAP_CLIENT (source), result, &error);

  if (order == NULL)
    {
      /* The device's copy stays; the server checks again anyway. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("The order to refund was not read again: %s", error->message);
      return;
    }
  if (self->busy)
    return;
  /* The server's tickets, with the device's names of the tiers. */
  if (!json_object_has_member (order, "tier_names") &&
      json_object_has_member (self->order, "tier_names"))
    json_object_set_member (order, "tier_names",
                            json_object_dup_member (self->order, "tier_names"));
  g_clear_pointer (&self->order, json_object_unref);
  self->order = g_steal_pointer (&order);
  self->loaded = TRUE;
  build_lines (self);
}

static void
slip_printed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The refund stands; the order shows it and can be printed again. */
  if (!leap_ticket_printer_print_finish (LEAP_TICKET_PRINTER (source), result, &error))
    g_message ("The refund slip was not printed: %s", error->message);
}

/* The refund's slip, for the customer and the till: what, how much, how
 * it goes back, who approved it. */
static void
print_slip (LeapRefundDialog *self,
            JsonObject       *order,
            gint64            refunded)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(LeapTicketPrinter) printer = NULL;
  g_autofree char *back = money (self, refunded);
  g_autofree char *people = leap_order_code_for_people (order);
  g_autofree char *when = leap_format_date_time (now, C_("order date", "%a %e %b %Y, %H:%M"));
  JsonNode *event = json_object_get_member (order, "event");
  const char *approver = gtk_editable_get_text (GTK_EDITABLE (self->manager_row));

  g_ptr_array_add (lines, g_strdup_printf (_("Order %s"), people));
  if (event != NULL && JSON_NODE_HOLDS_OBJECT (event))
    g_ptr_array_add (lines,
                     g_strdup (leap_json_get_string (json_node_get_object (event), "name", "")));
  g_ptr_array_add (lines, g_strdup (when));
  g_ptr_array_add (lines, g_strdup (""));
  for (guint i = 0; i < self->lines->len; i++)
    {
      Line *line = &g_array_index (self->lines, Line, i);
      int quantity = gtk_spin_button_get_value_as_int (line->spin);
      g_autofree char *unit = money (self, line->unit_price);

      if (quantity > 0)
        g_ptr_array_add (lines, g_strdup_printf ("%d × %s @ %s", quantity,
                                                 tier_name (self, line->tier_id), unit));
    }
  g_ptr_array_add (lines, g_strdup_printf (_("Refunded: %s"), back));
  if (paid_in_cash (order))
    g_ptr_array_add (lines, g_strdup (_("Paid back in cash")));
  else
    g_ptr_array_add (lines, g_strdup (_("Paid back to the card")));
  if (asks_approval (self))
    g_ptr_array_add (lines, g_strdup_printf (_("Approved by %s"), approver));
  if (leap_client_get_username (self->client) != NULL)
    g_ptr_array_add (lines, g_strdup_printf (_("Refunded by %s"),
                                             leap_client_get_username (self->client)));
  g_ptr_array_add (lines, NULL);
  printer = leap_ticket_printer_new_report (_("Refund Slip"), (const char * const *) lines->pdata);
  leap_ticket_printer_print_async (printer, gtk_window_get_transient_for (GTK_WINDOW (self)),
                                   FALSE, NULL, slip_printed_cb, NULL);
}

static void
refunded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(LeapRefundDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = leap_client_refund_finish (LEAP_CLIENT (source), result, &error);
  g_autofree char *message = NULL;
  g_autofree char *back = NULL;
  gint64 refunded;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  if (order == NULL)
    {
      /* Refused for good: the next try is another request. */
      if (!g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        {
          g_free (self->key);
          self->key = g_uuid_string_random ();
        }
      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED))
        message = g_strdup (_("The manager’s user name or password is wrong."));
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_FORBIDDEN))
        message = g_strdup (_("Only a manager can approve a refund."));
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_RATE_LIMITED))
        message = g_strdup (_("Too many attempts. Wait a minute, then try again."));
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        message = g_strdup (_("The server cannot be reached, so nothing was refunded. Try again "
                              "once online."));
      else
        message = g_strdup_printf (_("The order was not refunded: %s"), error->message);
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
      show_error (self, message);
      update (self);
      gtk_window_present (GTK_WINDOW (self));
      return;
    }

  /* What this refund gave back: tickets already used at the door stay. */
  refunded = leap_json_get_int (order, "refunded_amount", 0) -
             leap_json_get_int (self->order, "refunded_amount", 0);
  back = money (self, refunded);
  if (paid_in_cash (order))
    message = g_strdup_printf (_("Refunded: give %s back in cash. The tickets no longer work."),
                               back);
  else
    message = g_strdup_printf (_("Refunded: %s goes back to the card. The tickets no longer work."),
                               back);
  print_slip (self, order, refunded);
  g_signal_emit (self, signals[REFUNDED], 0, order, message);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
refund (LeapRefundDialog *self)
{
  g_autoptr(JsonObject) request = json_object_new ();
  g_autoptr(JsonArray) lines = json_array_new ();
  gboolean all = TRUE;

  for (guint i = 0; i < self->lines->len; i++)
    {
      Line *line = &g_array_index (self->lines, Line, i);
      int quantity = gtk_spin_button_get_value_as_int (line->spin);
      JsonObject *o;

      all = all && quantity == (int) line->refundable;
      if (quantity == 0)
        continue;
      o = json_object_new ();
      json_object_set_int_member (o, "tier_id", line->tier_id);
      json_object_set_int_member (o, "quantity", quantity);
      json_array_add_object_element (lines, o);
    }
  /* Everything offered: the server refunds what is left, which is the
   * same unless a ticket was used at the door meanwhile, and then does
   * not refuse. */
  if (!all)
    json_object_set_array_member (request, "lines", g_steal_pointer (&lines));
  if (asks_approval (self))
    {
      JsonObject *approval = json_object_new ();

      json_object_set_string_member (approval, "username",
                                     gtk_editable_get_text (GTK_EDITABLE (self->manager_row)));
      json_object_set_string_member (approval, "password",
                                     gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
      json_object_set_object_member (request, "approval", approval);
    }
  self->busy = TRUE;
  show_error (self, NULL);
  update (self);
  leap_client_refund_async (self->client, leap_json_get_string (self->order, "order_id", ""),
                            request, self->key, self->cancellable, refunded_cb,
                            g_object_ref (self));
}

static void
response_cb (LeapRefundDialog *self,
             const char       *response)
{
  if (g_str_equal (response, "refund"))
    {
      /* AdwMessageDialog hid itself: it shows again if this fails. */
      if (!self->busy)
        refund (self);
      return;
    }
  g_cancellable_cancel (self->cancellable);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
leap_refund_dialog_dispose (GObject *object)
{
  LeapRefundDialog *self = (LeapRefundDialog *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_REFUND_DIALOG);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (leap_refund_dialog_parent_class)->dispose (object);
}

static void
leap_refund_dialog_finalize (GObject *object)
{
  LeapRefundDialog *self = (LeapRefundDialog *) object;

  g_clear_pointer (&self->order, json_object_unref);
  g_clear_pointer (&self->lines, g_array_unref);
  g_free (self->key);

  G_OBJECT_CLASS (leap_refund_dialog_parent_class)->finalize (object);
}

static void
leap_refund_dialog_class_init (LeapRefundDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leap_refund_dialog_dispose;
  object_class->finalize = leap_refund_dialog_finalize;

  /**
   * LeapRefundDialog::refunded:
   * @order: (type Json.Object): the order as the server has it now
   * @message: what to tell the customer
   */
  signals[REFUNDED] = g_signal_new ("refunded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 2, JSON_TYPE_OBJECT,
                                    G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-refund-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapRefundDialog, lines_box);
  gtk_widget_class_bind_template_child (widget_class, LeapRefundDialog, used_label);
  gtk_widget_class_bind_template_child (widget_class, LeapRefundDialog, amount_label);
  gtk_widget_class_bind_template_child (widget_class, LeapRefundDialog, approval_box);
  gtk_widget_class_bind_template_child (widget_class, LeapRefundDialog, manager_row);
  gtk_widget_class_bind_template_child (widget_class, LeapRefundDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, LeapRefundDialog, error_label);
}

static void
leap_refund_dialog_init (LeapRefundDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->lines = g_array_new (FALSE, TRUE, sizeof (Line));
  self->key = g_uuid_string_random ();
  g_signal_connect (self, "response", G_CALLBACK (response_cb), NULL);
  g_signal_connect_swapped (self->manager_row, "changed", G_CALLBACK (update), self);
  g_signal_connect_swapped (self->password_row, "changed", G_CALLBACK (update), self);
  leap_a11y_name_icon_buttons (GTK_WIDGET (self->password_row));
  leap_a11y_name_mnemonic_buttons (GTK_WIDGET (self));
}

/* Work under way keeps the dialog (destroyed or not) after its window:
 * it lets go of the window while the window is still there, or GTK
 * would let go of a freed window when the dialog goes. */
static void
parent_destroyed_cb (LeapRefundDialog *self)
{
  g_cancellable_cancel (self->cancellable);
  gtk_window_set_transient_for (GTK_WINDOW (self), NULL);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* Asks which tickets of @order (the device's record of a paid order) to
 * refund, and refunds them. */
LeapRefundDialog *
leap_refund_dialog_new (GtkWindow  *parent,
                        LeapClient *client,
                        JsonObject *order)
{
  LeapRefundDialog *self;
  g_autofree char *heading = NULL;
  g_autofree char *people = NULL;
  const char *order_id;

  g_return_val_if_fail (LEAP_IS_CLIENT (client), NULL);
  g_return_val_if_fail (order != NULL, NULL);

  order_id = leap_json_get_string (order, "order_id", "");
  people = leap_order_code_for_people (order);
  heading = g_strdup_printf (_("Refund Order %s?"), people);
  self = g_object_new (LEAP_TYPE_REFUND_DIALOG,
                       "transient-for", parent,
                       "heading", heading,
                       "body", _("The tickets refunded stop working. Tickets already used at "
                                 "the door are not refunded."),
                       NULL);
  if (parent != NULL)
    g_signal_connect_object (parent, "destroy", G_CALLBACK (parent_destroyed_cb), self,
                             G_CONNECT_SWAPPED);
  self->client = g_object_ref (client);
  self->order = json_object_ref (order);
  gtk_widget_set_visible (self->approval_box, asks_approval (self));
  build_lines (self);
  leap_client_get_order_async (client, order_id, self->cancellable, order_loaded_cb,
                               g_object_ref (self));
  return self;
}

/* How many tickets the dialog offers to refund. */
guint
leap_refund_dialog_get_n_offered (LeapRefundDialog *self)
{
  guint n = 0;

  g_return_val_if_fail (LEAP_IS_REFUND_DIALOG (self), 0);

  for (guint i = 0; i < self->lines->len; i++)
    n += g_array_index (self->lines, Line, i).refundable;
  return n;
}

/* What the tickets chosen cost, in minor units. */
gint64
leap_refund_dialog_get_amount (LeapRefundDialog *self)
{
  g_return_val_if_fail (LEAP_IS_REFUND_DIALOG (self), 0);
  return amount (self);
}

/* Whether the order shown is the server's (read when the dialog opened). */
gboolean
leap_refund_dialog_get_loaded (LeapRefundDialog *self)
{
  g_return_val_if_fail (LEAP_IS_REFUND_DIALOG (self), FALSE);
  return self->loaded;
}

gboolean
leap_refund_dialog_get_asks_approval (LeapRefundDialog *self)
{
  g_return_val_if_fail (LEAP_IS_REFUND_DIALOG (self), FALSE);
  return gtk_widget_get_visible (self->approval_box);
}

/* Chooses @quantity tickets of tier @tier_id, as the cashier would. */
void
leap_refund_dialog_set_quantity (LeapRefundDialog *self,
                                 gint64            tier_id,
                                 guint             quantity)
{
  g_return_if_fail (LEAP_IS_REFUND_DIALOG (self));

  for (guint i = 0; i < self->lines->len; i++)
    if (g_array_index (self->lines, Line, i).tier_id == tier_id)
      gtk_spin_button_set_value (g_array_index (self->lines, Line, i).spin, quantity);
}

/* Types a manager's name and password, as the manager would. */
void
leap_refund_dialog_set_approval (LeapRefundDialog *self,
                                 const char       *username,
                                 const char       *password)
{
  g_return_if_fail (LEAP_IS_REFUND_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->manager_row), username);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
}

/* What the dialog says went wrong, or NULL. */
const char *
leap_refund_dialog_get_error (LeapRefundDialog *self)
{
  g_return_val_if_fail (LEAP_IS_REFUND_DIALOG (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->error_label))
             ? gtk_label_get_label (self->error_label)
             : NULL;
}
