/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-a11y.h"
#include "leap-format.h"
#include "leap-payment-dialog.h"

/* Asks how the customer pays: for cash the amount handed over, with the
 * change worked out as it is typed and buttons for the usual notes; for a
 * card only the optional name, since the terminal does the rest. The
 * "pay" response is possible only when enough cash was handed over. */
struct _LeapPaymentDialog
{
  AdwMessageDialog parent_instance;

  /* Template widgets */
  GtkWidget   *cash_box;
  AdwEntryRow *tendered_row;
  GtkLabel    *change_label;
  GtkWidget   *quick_box;
  AdwEntryRow *customer_row;
  GtkLabel    *problem_label;

  /* Owned */
  char        *method;
  LeapMoney    total;
  gint64       tendered;
};

G_DEFINE_FINAL_TYPE (LeapPaymentDialog, leap_payment_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
update (LeapPaymentDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->tendered_row));
  gboolean cash = g_str_equal (self->method, "cash");
  const char *problem = NULL;
  LeapMoney tendered;
  gboolean ok = TRUE;

  self->tendered = -1;
  if (cash)
    {
      ok = FALSE;
      if (text[0] == '\0')
        problem = NULL;
      else if (!leap_money_parse (text, self->total.currency, &tendered, NULL))
        problem = _("Type the amount handed over, for example 50 or 45.50.");
      else if (tendered.amount < self->total.amount)
        problem = _("That is less than the total.");
      else
        {
          LeapMoney change = leap_money_init (tendered.amount - self->total.amount,
                                              self->total.currency);
          g_autofree char *change_text = leap_format_money (&change);

          self->tendered = tendered.amount;
          gtk_label_set_label (self->change_label, change_text);
          ok = TRUE;
        }
      if (!ok)
        gtk_label_set_label (self->change_label, "—");
    }
  gtk_label_set_label (self->problem_label, problem ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), problem != NULL);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "pay", ok);
}

static void
quick_clicked_cb (GtkButton         *button,
                  LeapPaymentDialog *self)
{
  gint64 amount = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "amount"));
  guint exp = leap_currency_exponent (self->total.currency);
  gint64 scale = 1;
  g_autofree char *text = NULL;

  for (guint i = 0; i < exp; i++)
    scale *= 10;
  if (exp == 0)
    text = g_strdup_printf ("%" G_GINT64_FORMAT, amount);
  else
    text = g_strdup_printf ("%" G_GINT64_FORMAT ".%0*" G_GINT64_FORMAT, amount / scale, (int) exp,
                            amount % scale);
  gtk_editable_set_text (GTK_EDITABLE (self->tendered_row), text);
  gtk_widget_grab_focus (GTK_WIDGET (self->tendered_row));
}

/* Enter in the name takes the payment as in the amount (the row's
 * activates-default does not reach the dialog's response there). */
static void
customer_activated_cb (LeapPaymentDialog *self)
{
  if (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (self), "pay"))
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (self), "pay");
}

static int
compare_amounts (gconstpointer a,
                 gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Buttons for the exact amount and the notes a customer is likely to hand
 * over: the total rounded up to 5, 10, 20, 50 and 100, and a 50 and a 100
 * above that; four at most, smallest first. */
static void
add_quick_buttons (LeapPaymentDialog *self)
{
  static const gint64 steps[] = { 5, 10, 20, 50, 100 };
  guint exp = leap_currency_exponent (self->total.currency);
  gint64 scale = 1, total = self->total.amount;
  g_autoptr(GArray) amounts = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 last = -1;
  guint n = 0;

  for (guint i = 0; i < exp; i++)
    scale *= 10;
  g_array_append_val (amounts, total);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      gint64 step = steps[i] * scale;
      gint64 amount = (total + step - 1) / step * step;

      g_array_append_val (amounts, amount);
      if (steps[i] >= 50)
        {
          amount += step;
          g_array_append_val (amounts, amount);
        }
    }
  g_array_sort (amounts, compare_amounts);

  for (guint i = 0; i < amounts->len && n < 4; i++)
    {
      gint64 amount = g_array_index (amounts, gint64, i);
      LeapMoney money;
      g_autofree char *label = NULL;
      GtkWidget *button;

      if (amount == last)
        continue;
      last = amount;
      money = leap_money_init (amount, self->total.currency);
      label = leap_format_money (&money);
      button = gtk_button_new_with_label (label);
      gtk_widget_set_tooltip_text (button, amount == total ? _("The exact amount") : NULL);
      g_object_set_data (G_OBJECT (button), "amount", GSIZE_TO_POINTER ((gsize) amount));
      g_signal_connect (button, "clicked", G_CALLBACK (quick_clicked_cb), self);
      gtk_box_append (GTK_BOX (self->quick_box), button);
      n++;
    }
}

static void
leap_payment_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), LEAP_TYPE_PAYMENT_DIALOG);

  G_OBJECT_CLASS (leap_payment_dialog_parent_class)->dispose (object);
}

static void
leap_payment_dialog_finalize (GObject *object)
{
  LeapPaymentDialog *self = (LeapPaymentDialog *) object;

  g_clear_pointer (&self->method, g_free);

  G_OBJECT_CLASS (leap_payment_dialog_parent_class)->finalize (object);
}

static void
leap_payment_dialog_class_init (LeapPaymentDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leap_payment_dialog_dispose;
  object_class->finalize = leap_payment_dialog_finalize;

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-payment-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapPaymentDialog, cash_box);
  gtk_widget_class_bind_template_child (widget_class, LeapPaymentDialog, tendered_row);
  gtk_widget_class_bind_template_child (widget_class, LeapPaymentDialog, change_label);
  gtk_widget_class_bind_template_child (widget_class, LeapPaymentDialog, quick_box);
  gtk_widget_class_bind_template_child (widget_class, LeapPaymentDialog, customer_row);
  gtk_widget_class_bind_template_child (widget_class, LeapPaymentDialog, problem_label);
}

static void
leap_payment_dialog_init (LeapPaymentDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (self->tendered_row, "changed", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->customer_row, "entry-activated",
                           G_CALLBACK (customer_activated_cb), self, G_CONNECT_SWAPPED);
}

/* @method is "cash" or "card"; @total what the cart costs. */
LeapPaymentDialog *
leap_payment_dialog_new (GtkWindow  *parent,
                         const char *method,
                         LeapMoney   total)
{
  LeapPaymentDialog *self;
  g_autofree char *amount = leap_format_money (&total);
  g_autofree char *heading = NULL;
  gboolean cash;

  g_return_val_if_fail (method != NULL, NULL);

  self = g_object_new (LEAP_TYPE_PAYMENT_DIALOG, "transient-for", parent, NULL);
  self->method = g_strdup (method);
  self->total = total;
  cash = g_str_equal (method, "cash");

  /* Translators: "Cash · €90.00" */
  heading = g_strdup_printf (cash ? _("Cash · %s") : _("Card · %s"), amount);
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), heading);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self),
                               cash ? _("Type what the customer hands over, or pick a note. "
                                        "Enter takes the payment.")
                                    : _("Press Pay, then the customer pays on the card "
                                        "terminal."));
  adw_message_dialog_set_response_label (ADW_MESSAGE_DIALOG (self), "pay",
                                         cash ? _("_Take Cash") : _("_Pay by Card"));
  gtk_widget_set_visible (self->cash_box, cash);
  gtk_widget_set_visible (self->quick_box, cash);
  if (cash)
    add_quick_buttons (self);
  update (self);
  leap_a11y_name_mnemonic_buttons (GTK_WIDGET (self));
  gtk_widget_grab_focus (cash ? GTK_WIDGET (self->tendered_row) : GTK_WIDGET (self->customer_row));
  return self;
}

const char *
leap_payment_dialog_get_method (LeapPaymentDialog *self)
{
  g_return_val_if_fail (LEAP_IS_PAYMENT_DIALOG (self), NULL);
  return self->method;
}

/* The cash handed over in minor units, or -1 when it is not enough. */
gint64
leap_payment_dialog_get_tendered (LeapPaymentDialog *self)
{
  g_return_val_if_fail (LEAP_IS_PAYMENT_DIALOG (self), -1);
  return self->tendered;
}

gint64
leap_payment_dialog_get_change (LeapPaymentDialog *self)
{
  g_return_val_if_fail (LEAP_IS_PAYMENT_DIALOG (self), -1);
  return self->tendered >= 0 ? self->tendered - self->total.amount : -1;
}

/* The name typed, stripped; NULL when none. */
const char *
leap_payment_dialog_get_customer_name (LeapPaymentDialog *self)
{
  const char *text;

  g_return_val_if_fail (LEAP_IS_PAYMENT_DIALOG (self), NULL);

  text = gtk_editable_get_text (GTK_EDITABLE (self->customer_row));
  while (*text == ' ')
    text++;
  return text[0] != '\0' ? text : NULL;
}

void
leap_payment_dialog_set_tendered_text (LeapPaymentDialog *self,
                                       const char        *text)
{
  g_return_if_fail (LEAP_IS_PAYMENT_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->tendered_row), text);
}

void
leap_payment_dialog_set_customer_name (LeapPaymentDialog *self,
                                       const char        *name)
{
  g_return_if_fail (LEAP_IS_PAYMENT_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->customer_row), name ? name : "");
}
