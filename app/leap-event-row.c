/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-event-row.h"
#include "leap-format.h"

/* One row of the event list: start time and day, name and venue, and how
 * full the event is. Rows are recycled by the list view, so everything is
 * set from the event in leap_event_row_set_event(). */
struct _LeapEventRow
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget   *box;
  GtkLabel    *time_label;
  GtkLabel    *day_label;
  GtkLabel    *name_label;
  GtkLabel    *venue_label;
  GtkLevelBar *level_bar;
  GtkLabel    *available_label;

  /* Owned */
  LeapEvent   *event;
  gulong       notify_id;
};

G_DEFINE_FINAL_TYPE (LeapEventRow, leap_event_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_EVENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_availability (LeapEventRow *self)
{
  gint64 capacity = leap_event_get_capacity (self->event);
  gint64 available = leap_event_get_available (self->event);
  g_autofree char *text = NULL;

  gtk_widget_remove_css_class (GTK_WIDGET (self->available_label), "sold-out-label");
  if (available < 0 || capacity <= 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->level_bar), FALSE);
      if (capacity > 0)
        text = g_strdup_printf (ngettext ("%d seat", "%d seats", (gulong)capacity), (int)capacity);
      gtk_label_set_label (self->available_label, text ? text : "");
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->level_bar), TRUE);
  gtk_level_bar_set_value (self->level_bar, CLAMP ((double) available / capacity, 0.0, 1.0));
  if (available == 0)
    {
      gtk_label_set_label (self->available_label, _("Sold out"));
      gtk_widget_add_css_class (GTK_WIDGET (self->available_label), "sold-out-label");
    }
  else
    {
      text = g_strdup_printf (ngettext ("%d left", "%d left", (gulong) available), (int) available);
      gtk_label_set_label (self->available_label, text);
    }
}

/* What a screen reader says of the row: its labels in one sentence,
 * with the whole date ("Hamlet, Cancelled, Saturday 5 December 2026,
 * 19:30–22:00 · Grand Theatre, 12 left"). The row and the list item
 * that holds it carry it: the item is what takes the focus. */
static void
update_accessible_label (LeapEventRow *self)
{
  g_autofree char *when = leap_format_event_when (self->event);
  const char *status = leap_event_get_status (self->event);
  const char *available = gtk_label_get_label (self->available_label);
  g_autoptr(GString) label = g_string_new (leap_event_get_name (self->event));
  GtkWidget *item = gtk_widget_get_parent (GTK_WIDGET (self));

  if (g_str_equal (status, "cancelled"))
    g_string_append_printf (label, ", %s", _("Cancelled"));
  else if (g_str_equal (status, "off_sale"))
    g_string_append_printf (label, ", %s", _("Not on sale"));
  g_string_append_printf (label, ", %s", when);
  if (available[0] != '\0')
    g_string_append_printf (label, ", %s", available);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label->str, -1);
  if (item != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (item), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    label->str, -1);
}

static void
event_notify_cb (LeapEventRow *self)
{
  update_availability (self);
  update_accessible_label (self);
}

static void
update (LeapEventRow *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *time = NULL;
  g_autofree char *day = NULL;
  g_autofree char *venue = NULL;
  const char *status;

  if (self->event == NULL)
    return;

  time = leap_format_event_time (self->event, now, &day);
  gtk_label_set_label (self->time_label, time);
  gtk_label_set_label (self->day_label, day);
  gtk_label_set_label (self->name_label, leap_event_get_name (self->event));

  status = leap_event_get_status (self->event);
  if (g_str_equal (status, "cancelled"))
    venue = g_strdup_printf (_("Cancelled · %s"), leap_event_get_venue_name (self->event) ?: "");
  else if (g_str_equal (status, "off_sale"))
    venue = g_strdup_printf (_("Not on sale · %s"), leap_event_get_venue_name (self->event) ?: "");
  else
    venue = g_strdup (leap_event_get_venue_name (self->event) ?: "");
  gtk_label_set_label (self->venue_label, venue);
  update_availability (self);
  update_accessible_label (self);
}

static void
leap_event_row_dispose (GObject *object)
{
  LeapEventRow *self = (LeapEventRow *) object;

  leap_event_row_set_event (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_EVENT_ROW);

  G_OBJECT_CLASS (leap_event_row_parent_class)->dispose (object);
}

static void
leap_event_row_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  LeapEventRow *self = LEAP_EVENT_ROW (object);

  switch (prop_id)
    {
    case PROP_EVENT: g_value_set_object (value, self->event); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_event_row_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  LeapEventRow *self = LEAP_EVENT_ROW (object);

  switch (prop_id)
    {
    case PROP_EVENT: leap_event_row_set_event (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_event_row_class_init (LeapEventRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leap_event_row_dispose;
  object_class->get_property = leap_event_row_get_property;
  object_class->set_property = leap_event_row_set_property;

  properties[PROP_EVENT] =
    g_param_spec_object ("event", NULL, NULL, LEAP_TYPE_EVENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-event-row.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapEventRow, box);
  gtk_widget_class_bind_template_child (widget_class, LeapEventRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, LeapEventRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, LeapEventRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, LeapEventRow, venue_label);
  gtk_widget_class_bind_template_child (widget_class, LeapEventRow, level_bar);
  gtk_widget_class_bind_template_child (widget_class, LeapEventRow, available_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
leap_event_row_init (LeapEventRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
leap_event_row_new (void)
{
  return g_object_new (LEAP_TYPE_EVENT_ROW, NULL);
}

LeapEvent *
leap_event_row_get_event (LeapEventRow *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT_ROW (self), NULL);
  return self->event;
}

void
leap_event_row_set_event (LeapEventRow *self,
                          LeapEvent    *event)
{
  g_return_if_fail (LEAP_IS_EVENT_ROW (self));
  g_return_if_fail (event == NULL || LEAP_IS_EVENT (event));

  if (self->event == event)
    return;
  if (self->event != NULL)
    g_clear_signal_handler (&self->notify_id, self->event);
  g_set_object (&self->event, event);
  if (event != NULL)
    {
      self->notify_id = g_signal_connect_object (event, "notify::available",
                                                 G_CALLBACK (event_notify_cb), self,
                                                 G_CONNECT_SWAPPED);
      update (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVENT]);
}
