/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include <adwaita.h>

#include "leap-event-list.h"
#include "leap-event-row.h"
#include "leap-timings.h"

/* The events column: a GtkListView over the cache's events, filtered by
 * the search text and a date range. The model is sorted by start time and
 * holds nothing that is over, so today's events come first. */
struct _LeapEventList
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget          *box;
  GtkDropDown        *date_dropdown;
  GtkLabel           *count_label;
  GtkStack           *stack;
  GtkListView        *list_view;
  AdwStatusPage      *empty_page;

  /* Owned */
  GListModel         *model;
  GtkFilterListModel *filter_model;
  GtkCustomFilter    *filter;
  GtkSingleSelection *selection;
  char               *search_text;
  char              **words;
  gint64              from;
  gint64              to;
  gboolean            from_today;
};

G_DEFINE_FINAL_TYPE (LeapEventList, leap_event_list, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_SEARCH_TEXT,
  PROP_DATE_FILTER,
  PROP_SELECTED_EVENT,
  N_PROPS
};

enum {
  EVENT_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* In the order of the drop-down's items. */
static const char * const date_filters[] = { "upcoming", "today", "tomorrow", "week", "month" };

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  LeapEventList *self = user_data;
  LeapEvent *event = item;
  gint64 starts_at = leap_event_get_starts_at (event);

  if (self->to > 0 && starts_at >= self->to)
    return FALSE;
  /* Events of the range by their start; a range from today also keeps
   * what started before and is still running. */
  if (starts_at < self->from &&
      (!self->from_today || leap_event_get_ends_at (event) <= g_get_real_time () / G_USEC_PER_SEC))
    return FALSE;
  return leap_event_matches (event, (const char * const *) self->words);
}

static void
compute_range (LeapEventList *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) today = g_date_time_new_local (g_date_time_get_year (now),
                                                      g_date_time_get_month (now),
                                                      g_date_time_get_day_of_month (now), 0, 0, 0);
  guint which = gtk_drop_down_get_selected (self->date_dropdown);
  int from_days = 0, to_days = 0;

  switch (which)
    {
    case 1: from_days = 0, to_days = 1; break;
    case 2: from_days = 1, to_days = 2; break;
    case 3: from_days = 0, to_days = 7; break;
    case 4: from_days = 0, to_days = 30; break;
    default: from_days = 0, to_days = 0; break;
    }

  {
    g_autoptr(GDateTime) from = g_date_time_add_days (today, from_days);
    g_autoptr(GDateTime) to = g_date_time_add_days (today, to_days);

    self->from = g_date_time_to_unix (from);
    self->from_today = from_days == 0;
    self->to = to_days > 0 ? g_date_time_to_unix (to) : 0;
  }
}

static void
update_count (LeapEventList *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  g_autofree char *text = g_strdup_printf (ngettext ("%u event", "%u events", n), n);

  gtk_label_set_label (self->count_label, text);
  if (n > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else
    {
      gboolean any = self->model != NULL && g_list_model_get_n_items (self->model) > 0;

      adw_status_page_set_description (self->empty_page,
                                       any ? _("No event matches the search or the dates.")
                                           : _("The offline cache has no upcoming events yet. "
                                               "They appear as soon as the server is reached."));
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
}

static void
refilter (LeapEventList *self)
{
  compute_range (self);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
date_selected_cb (LeapEventList *self)
{
  refilter (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATE_FILTER]);
}

static void
items_changed_cb (LeapEventList *self)
{
  update_count (self);
  leap_timings_list_shown (self->list_view,
                           g_list_model_get_n_items (G_LIST_MODEL (self->filter_model)));
}

static void
selection_changed_cb (LeapEventList *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_EVENT]);
}

static void
activate_cb (LeapEventList *self,
             guint          position)
{
  g_autoptr(LeapEvent) event = g_list_model_get_item (G_LIST_MODEL (self->filter_model), position);

  if (event == NULL)
    return;
  leap_event_list_select_position (self, position);
  g_signal_emit (self, signals[EVENT_ACTIVATED], 0, event);
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  gtk_list_item_set_child (item, leap_event_row_new ());
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         gpointer                  user_data)
{
  leap_event_row_set_event (LEAP_EVENT_ROW (gtk_list_item_get_child (item)),
                            gtk_list_item_get_item (item));
}

static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  leap_event_row_set_event (LEAP_EVENT_ROW (gtk_list_item_get_child (item)), NULL);
}

static void
leap_event_list_dispose (GObject *object)
{
  LeapEventList *self = (LeapEventList *) object;

  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_EVENT_LIST);
  g_clear_object (&self->selection);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (leap_event_list_parent_class)->dispose (object);
}

static void
leap_event_list_finalize (GObject *object)
{
  LeapEventList *self = (LeapEventList *) object;

  g_clear_pointer (&self->search_text, g_free);
  g_clear_pointer (&self->words, g_strfreev);

  G_OBJECT_CLASS (leap_event_list_parent_class)->finalize (object);
}

static void
leap_event_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  LeapEventList *self = LEAP_EVENT_LIST (object);

  switch (prop_id)
    {
    case PROP_MODEL: g_value_set_object (value, self->model); break;
    case PROP_SEARCH_TEXT: g_value_set_string (value, self->search_text); break;
    case PROP_DATE_FILTER:
      g_value_set_string (value, leap_event_list_get_date_filter (self));
      break;
    case PROP_SELECTED_EVENT:
      g_value_set_object (value, leap_event_list_get_selected_event (self));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_event_list_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  LeapEventList *self = LEAP_EVENT_LIST (object);

  switch (prop_id)
    {
    case PROP_MODEL: leap_event_list_set_model (self, g_value_get_object (value)); break;
    case PROP_SEARCH_TEXT:
      leap_event_list_set_search_text (self, g_value_get_string (value));
      break;
    case PROP_DATE_FILTER:
      leap_event_list_set_date_filter (self, g_value_get_string (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_event_list_class_init (LeapEventListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = leap_event_list_dispose;
  object_class->finalize = leap_event_list_finalize;
  object_class->get_property = leap_event_list_get_property;
  object_class->set_property = leap_event_list_set_property;

  properties[PROP_MODEL] = g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL, rw);
  properties[PROP_SEARCH_TEXT] = g_param_spec_string ("search-text", NULL, NULL, NULL, rw);
  properties[PROP_DATE_FILTER] = g_param_spec_string ("date-filter", NULL, NULL, "upcoming", rw);
  properties[PROP_SELECTED_EVENT] =
    g_param_spec_object ("selected-event", NULL, NULL, LEAP_TYPE_EVENT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LeapEventList::event-activated:
   * @event: the event
   *
   * Enter (or a double click) on an event: the cashier wants to sell it.
   */
  signals[EVENT_ACTIVATED] =
    g_signal_new ("event-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, LEAP_TYPE_EVENT);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-event-list.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapEventList, box);
  gtk_widget_class_bind_template_child (widget_class, LeapEventList, date_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LeapEventList, count_label);
  gtk_widget_class_bind_template_child (widget_class, LeapEventList, stack);
  gtk_widget_class_bind_template_child (widget_class, LeapEventList, list_view);
  gtk_widget_class_bind_template_child (widget_class, LeapEventList, empty_page);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
leap_event_list_init (LeapEventList *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;
  GtkWidget *toggle;

  g_type_ensure (LEAP_TYPE_EVENT_ROW);
  gtk_widget_init_template (GTK_WIDGET (self));
  /* GTK 4.8 leaves the toggle button inside a drop-down without an
   * accessible name, and that button is what takes the focus. */
  toggle = gtk_widget_get_first_child (GTK_WIDGET (self->date_dropdown));
  if (GTK_IS_TOGGLE_BUTTON (toggle))
    gtk_accessible_update_property (GTK_ACCESSIBLE (toggle), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    _("Show events of"), -1);

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filter_model = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filter_model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->filter_model, "items-changed", G_CALLBACK (items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->list_view, "activate", G_CALLBACK (activate_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->date_dropdown, "notify::selected", G_CALLBACK (date_selected_cb),
                           self, G_CONNECT_SWAPPED);

  compute_range (self);
  update_count (self);
}

GListModel *
leap_event_list_get_model (LeapEventList *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT_LIST (self), NULL);
  return self->model;
}

void
leap_event_list_set_model (LeapEventList *self,
                           GListModel    *model)
{
  g_return_if_fail (LEAP_IS_EVENT_LIST (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (!g_set_object (&self->model, model))
    return;
  compute_range (self);
  gtk_filter_list_model_set_model (self->filter_model, model);
  update_count (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

/* The events as shown, after the search and the date filter. */
GListModel *
leap_event_list_get_shown (LeapEventList *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT_LIST (self), NULL);
  return G_LIST_MODEL (self->filter_model);
}

const char *
leap_event_list_get_search_text (LeapEventList *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT_LIST (self), NULL);
  return self->search_text;
}

void
leap_event_list_set_search_text (LeapEventList *self,
                                 const char    *search_text)
{
  g_autofree char *folded = NULL;

  g_return_if_fail (LEAP_IS_EVENT_LIST (self));

  if (g_strcmp0 (self->search_text, search_text) == 0)
    return;
  g_free (self->search_text);
  self->search_text = g_strdup (search_text);

  g_clear_pointer (&self->words, g_strfreev);
  if (search_text != NULL && search_text[0] != '\0')
    {
      folded = g_utf8_casefold (search_text, -1);
      self->words = g_strsplit_set (g_strstrip (folded), " \t", -1);
    }
  refilter (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_TEXT]);
}

const char *
leap_event_list_get_date_filter (LeapEventList *self)
{
  guint which;

  g_return_val_if_fail (LEAP_IS_EVENT_LIST (self), NULL);

  which = gtk_drop_down_get_selected (self->date_dropdown);
  return which < G_N_ELEMENTS (date_filters) ? date_filters[which] : date_filters[0];
}

void
leap_event_list_set_date_filter (LeapEventList *self,
                                 const char    *date_filter)
{
  g_return_if_fail (LEAP_IS_EVENT_LIST (self));

  for (guint i = 0; i < G_N_ELEMENTS (date_filters); i++)
    if (g_strcmp0 (date_filters[i], date_filter) == 0)
      {
        /* The drop-down's notify::selected refilters and notifies. */
        gtk_drop_down_set_selected (self->date_dropdown, i);
        return;
      }
}

LeapEvent *
leap_event_list_get_selected_event (LeapEventList *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT_LIST (self), NULL);
  return gtk_single_selection_get_selected_item (self->selection);
}

gboolean
leap_event_list_select_first (LeapEventList *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT_LIST (self), FALSE);

  if (g_list_model_get_n_items (G_LIST_MODEL (self->filter_model)) == 0)
    return FALSE;
  leap_event_list_select_position (self, 0);
  return TRUE;
}

/* Selects the next show: the first event shown that has not ended yet
 * (without an end time: that started less than an hour ago). */
gboolean
leap_event_list_select_next_show (LeapEventList *self)
{
  GListModel *shown;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint n;

  g_return_val_if_fail (LEAP_IS_EVENT_LIST (self), FALSE);

  shown = G_LIST_MODEL (self->filter_model);
  n = g_list_model_get_n_items (shown);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LeapEvent) event = g_list_model_get_item (shown, i);
      gint64 ends_at = leap_event_get_ends_at (event);

      if (ends_at > 0 ? ends_at > now : leap_event_get_starts_at (event) > now - 3600)
        {
          leap_event_list_select_position (self, i);
          return TRUE;
        }
    }
  return FALSE;
}

void
leap_event_list_select_position (LeapEventList *self,
                                 guint          position)
{
  g_return_if_fail (LEAP_IS_EVENT_LIST (self));

  gtk_single_selection_set_selected (self->selection, position);
}

void
leap_event_list_focus_list (LeapEventList *self)
{
  g_return_if_fail (LEAP_IS_EVENT_LIST (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}
