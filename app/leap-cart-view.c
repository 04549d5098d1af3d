/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "leap-cart-view.h"
#include "leap-format.h"

/* The cart: the event it is for, a line per tier with its quantity and
 * subtotal, the total, and the pay buttons. Whether paying is possible is
 * decided by the window (through the win.pay-* actions); the cart shows
 * the reason when not. What went wrong with the sale stays in its own
 * label until the window clears it at the next action on the sale: the
 * countdown of a new hold does not replace it. */
struct _LeapCartView
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget  *box;
  GtkLabel   *event_label;
  GtkListBox *line_box;
  GtkLabel   *empty_label;
  GtkLabel   *total_label;
  GtkLabel   *hold_label;
  GtkLabel   *problem_label;
  GtkLabel   *reason_label;

  /* Owned */
  GListStore *lines;
  GHashTable *quantities; /* LeapTier → quantity */
  char       *reason;
};

G_DEFINE_FINAL_TYPE (LeapCartView, leap_cart_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_N_TICKETS,
  PROP_REASON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Lines are per tier, whichever LeapTier object stands for it: the event
 * page makes new ones each time it shows the event again. */
static guint
tier_hash (gconstpointer tier)
{
  gint64 id = leap_tier_get_id ((LeapTier *) tier);

  return g_int64_hash (&id);
}

static gboolean
tier_equal (gconstpointer a,
            gconstpointer b)
{
  return leap_tier_get_id ((LeapTier *) a) == leap_tier_get_id ((LeapTier *) b);
}

static GtkWidget *
create_line_cb (gpointer item,
                gpointer user_data)
{
  LeapCartView *self = user_data;
  LeapTier *tier = item;
  guint quantity = GPOINTER_TO_UINT (g_hash_table_lookup (self->quantities, tier));
  LeapMoney subtotal = leap_tier_get_price (tier);
  g_autofree char *title = NULL;
  g_autofree char *money = NULL;
  GtkWidget *row, *label;

  leap_money_multiply (&subtotal, quantity, NULL);
  money = leap_format_money (&subtotal);
  title = g_strdup_printf ("%u × %s", quantity, leap_tier_get_name (tier));

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  label = gtk_label_new (money);
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  return row;
}

static void
update (LeapCartView *self)
{
  LeapMoney total = leap_cart_view_get_total (self);
  g_autofree char *text = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));

  text = n > 0 ? leap_format_money (&total) : g_strdup ("—");
  gtk_label_set_label (self->total_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->line_box), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label), n == 0);
}

static void
leap_cart_view_dispose (GObject *object)
{
  LeapCartView *self = (LeapCartView *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_CART_VIEW);
  g_clear_object (&self->lines);
  g_clear_pointer (&self->quantities, g_hash_table_unref);

  G_OBJECT_CLASS (leap_cart_view_parent_class)->dispose (object);
}

static void
leap_cart_view_finalize (GObject *object)
{
  LeapCartView *self = (LeapCartView *) object;

  g_clear_pointer (&self->reason, g_free);

  G_OBJECT_CLASS (leap_cart_view_parent_class)->finalize (object);
}

static void
leap_cart_view_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  LeapCartView *self = LEAP_CART_VIEW (object);

  switch (prop_id)
    {
    case PROP_N_TICKETS: g_value_set_uint (value, leap_cart_view_get_n_tickets (self)); break;
    case PROP_REASON: g_value_set_string (value, self->reason); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_cart_view_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  LeapCartView *self = LEAP_CART_VIEW (object);

  switch (prop_id)
    {
    case PROP_REASON: leap_cart_view_set_reason (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_cart_view_class_init (LeapCartViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leap_cart_view_dispose;
  object_class->finalize = leap_cart_view_finalize;
  object_class->get_property = leap_cart_view_get_property;
  object_class->set_property = leap_cart_view_set_property;

  properties[PROP_N_TICKETS] =
    g_param_spec_uint ("n-tickets", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REASON] =
    g_param_spec_string ("reason", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-cart-view.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapCartView, box);
  gtk_widget_class_bind_template_child (widget_class, LeapCartView, event_label);
  gtk_widget_class_bind_template_child (widget_class, LeapCartView, line_box);
  gtk_widget_class_bind_template_child (widget_class, LeapCartView, empty_label);
  gtk_widget_class_bind_template_child (widget_class, LeapCartView, total_label);
  gtk_widget_class_bind_template_child (widget_class, LeapCartView, hold_label);
  gtk_widget_class_bind_template_child (widget_class, LeapCartView, problem_label);
  gtk_widget_class_bind_template_child (widget_class, LeapCartView, reason_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
leap_cart_view_init (LeapCartView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->lines = g_list_store_new (LEAP_TYPE_TIER);
  self->quantities = g_hash_table_new_full (tier_hash, tier_equal, g_object_unref, NULL);
  gtk_list_box_bind_model (self->line_box, G_LIST_MODEL (self->lines), create_line_cb, self, NULL);
  update (self);
}

/* Sets how many tickets of @tier the cart has; 0 removes the line. */
void
leap_cart_view_set_quantity (LeapCartView *self,
                             LeapTier     *tier,
                             guint         quantity)
{
  guint position;
  gboolean found;

  g_return_if_fail (LEAP_IS_CART_VIEW (self));
  g_return_if_fail (LEAP_IS_TIER (tier));

  found = g_list_store_find_with_equal_func (self->lines, tier, tier_equal, &position);
  if (found && GPOINTER_TO_UINT (g_hash_table_lookup (self->quantities, tier)) == quantity)
    return;

  if (quantity == 0)
    {
      g_hash_table_remove (self->quantities, tier);
      if (found)
        g_list_store_remove (self->lines, position);
    }
  else
    {
      g_hash_table_replace (self->quantities, g_object_ref (tier), GUINT_TO_POINTER (quantity));
      /* Put the line back in its place so its row is made anew. */
      if (found)
        g_list_store_splice (self->lines, position, 1, (gpointer *) &tier, 1);
      else
        g_list_store_append (self->lines, tier);
    }
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TICKETS]);
}

void
leap_cart_view_clear (LeapCartView *self)
{
  g_return_if_fail (LEAP_IS_CART_VIEW (self));

  if (g_list_model_get_n_items (G_LIST_MODEL (self->lines)) == 0)
    return;
  g_list_store_remove_all (self->lines);
  g_hash_table_remove_all (self->quantities);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TICKETS]);
}

guint
leap_cart_view_get_n_tickets (LeapCartView *self)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_return_val_if_fail (LEAP_IS_CART_VIEW (self), 0);

  g_hash_table_iter_init (&iter, self->quantities);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n += GPOINTER_TO_UINT (value);
  return n;
}

/* The sum of the lines. Tiers of one event share a currency; a line in
 * another currency would be a server error and is left out of the sum. */
LeapMoney
leap_cart_view_get_total (LeapCartView *self)
{
  LeapMoney total = leap_money_init (0, NULL);
  guint n;

  g_return_val_if_fail (LEAP_IS_CART_VIEW (self), total);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LeapTier) tier = g_list_model_get_item (G_LIST_MODEL (self->lines), i);
      LeapMoney line = leap_tier_get_price (tier);

      if (leap_money_multiply (&line,
                               GPOINTER_TO_UINT (g_hash_table_lookup (self->quantities, tier)),
                               NULL))
        leap_money_add (&total, &line, NULL);
    }
  return total;
}

const char *
leap_cart_view_get_reason (LeapCartView *self)
{
  g_return_val_if_fail (LEAP_IS_CART_VIEW (self), NULL);
  return self->reason;
}

/* The tiers in the cart, in the order they were added. */
GListModel *
leap_cart_view_get_lines (LeapCartView *self)
{
  g_return_val_if_fail (LEAP_IS_CART_VIEW (self), NULL);
  return G_LIST_MODEL (self->lines);
}

guint
leap_cart_view_get_quantity (LeapCartView *self,
                             LeapTier     *tier)
{
  g_return_val_if_fail (LEAP_IS_CART_VIEW (self), 0);
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->quantities, tier));
}

/* What the cart says about the hold: its state, else what went wrong. */
const char *
leap_cart_view_get_hold_text (LeapCartView *self)
{
  g_return_val_if_fail (LEAP_IS_CART_VIEW (self), NULL);

  if (gtk_widget_get_visible (GTK_WIDGET (self->hold_label)))
    return gtk_label_get_label (self->hold_label);
  return leap_cart_view_get_problem_text (self);
}

/* What went wrong with the sale, while the cart shows it; or NULL. */
const char *
leap_cart_view_get_problem_text (LeapCartView *self)
{
  g_return_val_if_fail (LEAP_IS_CART_VIEW (self), NULL);

  return gtk_widget_get_visible (GTK_WIDGET (self->problem_label)) ?
         gtk_label_get_label (self->problem_label) : NULL;
}

/* Shows what went wrong with the sale (declined, refused, run out) and
 * what to do, until it is set again: NULL at the next action on the sale. */
void
leap_cart_view_set_problem_text (LeapCartView *self,
                                 const char   *text)
{
  g_return_if_fail (LEAP_IS_CART_VIEW (self));

  gtk_label_set_label (self->problem_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), text != NULL);
}

/* The state of the hold under the total: the time left while it lasts.
 * With @problem, @text is what went wrong (sold out, run out) and what to
 * do, and stays while the hold's state changes; %NULL clears both. */
void
leap_cart_view_set_hold_text (LeapCartView *self,
                              const char   *text,
                              gboolean      problem)
{
  g_return_if_fail (LEAP_IS_CART_VIEW (self));

  if (problem || text == NULL)
    leap_cart_view_set_problem_text (self, text);
  gtk_label_set_label (self->hold_label, text && !problem ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hold_label), text != NULL && !problem);
  gtk_widget_remove_css_class (GTK_WIDGET (self->hold_label), "sale-done");
}

/* Why the sale cannot go on, in words; NULL when it can. */
void
leap_cart_view_set_reason (LeapCartView *self,
                           const char   *reason)
{
  g_return_if_fail (LEAP_IS_CART_VIEW (self));

  if (g_strcmp0 (self->reason, reason) == 0)
    return;
  g_free (self->reason);
  self->reason = g_strdup (reason);
  gtk_label_set_label (self->reason_label, reason ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->reason_label), reason != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON]);
}

/* The sale went through: @text (what to give back, the order) in place of
 * the hold, marked as done. */
void
leap_cart_view_set_done_text (LeapCartView *self,
                              const char   *text)
{
  g_return_if_fail (LEAP_IS_CART_VIEW (self));

  leap_cart_view_set_problem_text (self, NULL);
  leap_cart_view_set_hold_text (self, text, FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->hold_label), "sale-done");
}

/* The event the cart's tickets are for, or %NULL to say nothing; with
 * @elsewhere the window shows another event and the cart says so. */
void
leap_cart_view_set_event (LeapCartView *self,
                          LeapEvent    *event,
                          gboolean      elsewhere)
{
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (LEAP_IS_CART_VIEW (self));
  g_return_if_fail (event == NULL || LEAP_IS_EVENT (event));

  gtk_widget_set_visible (GTK_WIDGET (self->event_label), event != NULL);
  if (elsewhere)
    gtk_widget_add_css_class (GTK_WIDGET (self->event_label), "cart-other-event");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->event_label), "cart-other-event");
  if (event == NULL)
    return;
  when = leap_format_event_when (event);
  if (elsewhere)
    /* Translators: the event of the tickets in the cart, its date and
     * time, while another event is shown */
    text = g_strdup_printf (_("For %s · %s (not the event shown)"),
                            leap_event_get_name (event), when);
  else
    /* Translators: the event of the tickets in the cart, its date and time */
    text = g_strdup_printf (_("For %s · %s"), leap_event_get_name (event), when);
  gtk_label_set_label (self->event_label, text);
}

/* What the cart says about its event while it says something. */
const char *
leap_cart_view_get_event_text (LeapCartView *self)
{
  g_return_val_if_fail (LEAP_IS_CART_VIEW (self), NULL);

  return gtk_widget_get_visible (GTK_WIDGET (self->event_label)) ?
         gtk_label_get_label (self->event_label) : NULL;
}
