/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-check-in-view.h"
#include "leap-client.h"
#include "leap-event.h"
#include "leap-error.h"
#include "leap-format.h"
#include "leap-json.h"

/* The door: a field that takes a barcode scanner's keystrokes (a scanner
 * types the code and presses Enter) and a large panel that says, in
 * colour and in words, whether to let the person in. The field keeps the
 * focus and empties itself after each scan, so the next ticket can follow
 * at once. The door admits to one event, tonight's unless the staff choose
 * another, and sends it with each scan: a ticket of another night is
 * refused, not used up. The server decides; offline nobody is admitted
 * here. */
struct _LeapCheckInView
{
  GtkWidget     parent_instance;

  /* Template widgets */
  GtkLabel     *event_name_label;
  GtkLabel     *event_date_label;
  GtkDropDown  *event_dropdown;
  GtkEntry     *code_entry;
  GtkWidget    *result_box;
  GtkLabel     *result_title;
  GtkLabel     *result_detail;
  GtkLabel     *count_label;

  /* Owned */
  LeapClient   *client;
  GListModel   *events;
  GCancellable *cancellable;
  char         *state;
  guint         admitted;
  guint         refused;
  gint64        event_id; /* the door's event, 0 for any */
  guint         serial;   /* the scan whose answer counts */
  gboolean      chosen;   /* the staff picked the event: keep it */
  gboolean      choosing; /* the dropdown follows the view, not the staff */
};

G_DEFINE_FINAL_TYPE (LeapCheckInView, leap_check_in_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *states[] = {
  "idle", "checking", "admitted", "used", "voided", "wrong-event", "not-paid", "invalid", "error"
};

/* The states that turn a person away, all shown alike. */
static const char *refusals[] = { "used", "voided", "wrong-event", "not-paid", "invalid", NULL };

static void
show_result (LeapCheckInView *self,
             const char      *state,
             const char      *title,
             const char      *detail)
{
  g_autofree char *counts = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    gtk_widget_remove_css_class (self->result_box, states[i]);
  gtk_widget_add_css_class (self->result_box, state);
  if (g_strv_contains (refusals, state))
    gtk_widget_add_css_class (self->result_box, "refused");
  else
    gtk_widget_remove_css_class (self->result_box, "refused");
  gtk_label_set_label (self->result_title, title);
  gtk_label_set_label (self->result_detail, detail ? detail : "");

  /* Translators: counts of this session at the door */
  counts = g_strdup_printf (_("Admitted %u · Turned away %u"), self->admitted, self->refused);
  gtk_label_set_label (self->count_label, counts);

  if (g_strcmp0 (self->state, state) != 0)
    {
      g_free (self->state);
      self->state = g_strdup (state);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

/* "18:02:11" at this computer's clock, from the server's UTC time. */
static char *
local_time (const char *iso)
{
  g_autoptr(GDateTime) at = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (at == NULL)
    return NULL;
  local = g_date_time_to_local (at);
  if (g_date_time_get_year (local) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (local) == g_date_time_get_day_of_year (now))
    /* Translators: strftime() codes. xgettext:no-c-format */
    return leap_format_date_time (local, C_("time with seconds", "%H:%M:%S"));
  /* Translators: strftime() codes. xgettext:no-c-format */
  return leap_format_date_time (local, C_("date and time", "%e %b %Y, %H:%M"));
}

/* "Hamlet, Wed 16 Dec, 19:00": the event a ticket is for, at its venue's
 * time, from the server's {"name", "starts_at", "timezone"}. */
static char *
describe_event (JsonObject *event)
{
  const char *name = leap_json_get_string (event, "name", "");
  const char *starts = leap_json_get_string (event, "starts_at", NULL);
  const char *zone = leap_json_get_string (event, "timezone", NULL);
  g_autoptr(GDateTime) at = starts ? g_date_time_new_from_iso8601 (starts, NULL) : NULL;
  g_autoptr(GTimeZone) tz = zone ? g_time_zone_new_identifier (zone) : NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *when = NULL;

  if (at == NULL)
    return g_strdup (name);
  local = tz ? g_date_time_to_timezone (at, tz) : g_date_time_to_local (at);
  /* Translators: "Wed 16 Dec, 19:00"; strftime() codes. xgettext:no-c-format */
  when = leap_format_date_time (local, C_("wrong night", "%a %-d %b, %H:%M"));
  /* Translators: an event's name and its date */
  return g_strdup_printf (C_("wrong night", "%s, %s"), name, when);
}

typedef struct
{
  LeapCheckInView *view;
  guint            serial;
  char            *code;
} Scan;

static void
scan_free (Scan *scan)
{
  g_object_unref (scan->view);
  g_free (scan->code);
  g_free (scan);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Scan, scan_free)

static void
check_in_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Scan) scan = user_data;
  LeapCheckInView *self = scan->view;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *detail = NULL;
  const char *status;

  answer = leap_client_check_in_finish (LEAP_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || scan->serial != self->serial)
    return;

  if (answer == NULL)
    {
      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        detail = g_strdup (_("The server cannot be reached, so this ticket cannot be checked. "
                             "Let nobody in on this device until the header says Online, or use "
                             "another scanner."));
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED))
        detail = g_strdup (_("The session has ended. Sign in again, then scan the ticket again."));
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_FORBIDDEN))
        detail = g_strdup (
            _("This account may not check tickets in. Sign in as box office staff."));
      else
        detail = g_strdup_printf (_("The ticket could not be checked: %s. Scan it again."),
                                  error->message);
      show_result (self, "error", _("NOT CHECKED"), detail);
      return;
    }

  status = leap_json_get_string (answer, "status", "invalid");
  if (g_str_equal (status, "admitted"))
    {
      const char *tier = leap_json_get_string (answer, "tier_name", NULL);
      const char *event = leap_json_get_string (answer, "event_name", NULL);

      self->admitted++;
      if (tier != NULL && event != NULL)
        detail = g_strdup_printf ("%s · %s", event, tier);
      else
        detail = g_strdup (scan->code);
      show_result (self, "admitted", _("VALID — LET IN"), detail);
    }
  else if (g_str_equal (status, "already_checked_in"))
    {
      g_autofree char *when = local_time (leap_json_get_string (answer, "checked_in_at", NULL));

      self->refused++;
      detail = when ? g_strdup_printf (_("This ticket was used at %s. Do not let in again."), when)
                    : g_strdup (_("This ticket was used before. Do not let in again."));
      show_result (self, "used", _("ALREADY USED"), detail);
    }
  else if (g_str_equal (status, "wrong_event") &&
           json_object_has_member (answer, "event") &&
           JSON_NODE_HOLDS_OBJECT (json_object_get_member (answer, "event")))
    {
      self->refused++;
      detail = describe_event (json_object_get_object_member (answer, "event"));
      show_result (self, "wrong-event", _("WRONG NIGHT"), detail);
    }
  else if (g_str_equal (status, "not_paid"))
    {
      self->refused++;
      show_result (self, "not-paid", _("NOT PAID"),
                   _("This ticket's order is not paid, or must be looked at first. Send the "
                     "person to the box office."));
    }
  else if (g_str_equal (status, "voided"))
    {
      self->refused++;
      show_result (self, "voided", _("REFUNDED — NOT VALID"),
                   _("This ticket was refunded and lets nobody in."));
    }
  else
    {
      self->refused++;
      show_result (self, "invalid", _("INVALID TICKET"),
                   _("This is not a ticket of this box office, or it was never paid. Ask for "
                     "another ticket or send the person to the box office."));
    }
}

/* Checks @code in, as if it was scanned. */
void
leap_check_in_view_check (LeapCheckInView *self,
                          const char      *code)
{
  g_autofree char *clean = NULL;
  Scan *scan;

  g_return_if_fail (LEAP_IS_CHECK_IN_VIEW (self));
  g_return_if_fail (code != NULL);

  clean = g_strstrip (g_strdup (code));
  if (clean[0] == '\0')
    return;
  if (self->client == NULL || !leap_client_get_signed_in (self->client))
    {
      show_result (self, "error", _("NOT CHECKED"), _("Sign in to check tickets."));
      return;
    }

  scan = g_new0 (Scan, 1);
  scan->view = g_object_ref (self);
  scan->serial = ++self->serial;
  scan->code = g_strdup (clean);
  show_result (self, "checking", _("Checking…"), clean);
  leap_client_check_in_async (self->client, clean, self->event_id, self->cancellable,
                              check_in_cb, scan);
}

/* The event at the door, shown large: what the staff check against. */
static void
show_event (LeapCheckInView *self)
{
  g_autoptr(LeapEvent) event = NULL;
  g_autofree char *when = NULL;

  event = self->events ? g_list_model_get_item (self->events,
                                                gtk_drop_down_get_selected (self->event_dropdown))
                       : NULL;
  self->event_id = event ? leap_event_get_id (event) : 0;
  if (event == NULL)
    {
      gtk_label_set_label (self->event_name_label, _("Every Event"));
      gtk_label_set_label (self->event_date_label,
                           _("Choose tonight's event to turn away tickets of other nights"));
      return;
    }
  when = leap_format_event_when (event);
  gtk_label_set_label (self->event_name_label, leap_event_get_name (event));
  gtk_label_set_label (self->event_date_label, when);
}

static char *
event_label (LeapEvent *event)
{
  g_autoptr(GDateTime) start = leap_event_dup_local_start (event);
  /* Translators: strftime() codes. xgettext:no-c-format */
  g_autofree char *when = leap_format_date_time (start, C_("event date", "%a %-d %b, %H:%M"));

  return g_strdup_printf ("%s · %s", leap_event_get_name (event), when);
}

static gboolean
same_day (GDateTime *a,
          GDateTime *b)
{
  return g_date_time_get_year (a) == g_date_time_get_year (b) &&
         g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

/* How soon @event is the door's: today's (at its venue) that is not over
 * come first, earliest first; then those still to come; G_MAXINT64 for
 * those over. */
static gint64
door_rank (LeapEvent *event,
           gint64     now)
{
  g_autoptr(GDateTime) start = leap_event_dup_local_start (event);
  g_autoptr(GDateTime) today = g_date_time_new_now (g_date_time_get_timezone (start));
  gint64 starts = leap_event_get_starts_at (event);
  gint64 ends = leap_event_get_ends_at (event);

  if (ends > starts && ends <= now)
    return G_MAXINT64;
  if (same_day (start, today))
    return starts - G_MAXINT32;
  return starts >= now ? starts : G_MAXINT64;
}

/* Where the door starts: tonight's event, else the next to begin. */
static guint
default_position (LeapCheckInView *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint best = GTK_INVALID_LIST_POSITION;
  gint64 best_rank = G_MAXINT64;

  for (guint i = 0; self->events && i < g_list_model_get_n_items (self->events); i++)
    {
      g_autoptr(LeapEvent) event = g_list_model_get_item (self->events, i);
      gint64 rank = door_rank (event, now);

      if (rank < best_rank)
        {
          best = i;
          best_rank = rank;
        }
    }
  return best;
}

static guint
position_of (LeapCheckInView *self,
             gint64           event_id)
{
  for (guint i = 0; self->events && i < g_list_model_get_n_items (self->events); i++)
    {
      g_autoptr(LeapEvent) event = g_list_model_get_item (self->events, i);

      if (leap_event_get_id (event) == event_id)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static void
select_position (LeapCheckInView *self,
                 guint            position)
{
  self->choosing = TRUE;
  gtk_drop_down_set_selected (self->event_dropdown, position);
  self->choosing = FALSE;
  show_event (self);
}

/* Before the dropdown hears of a change to the list: what it selects
 * meanwhile is not the staff's choice. */
static void
events_changing_cb (LeapCheckInView *self)
{
  self->choosing = TRUE;
}

/* The list changed (a sync): the staff's choice stays, if it is still
 * there; otherwise the door follows tonight's event. */
static void
events_changed_cb (LeapCheckInView *self)
{
  guint position = self->chosen ? position_of (self, self->event_id) : GTK_INVALID_LIST_POSITION;

  if (position == GTK_INVALID_LIST_POSITION)
    {
      self->chosen = FALSE;
      position = default_position (self);
    }
  select_position (self, position);
}

static void
selected_cb (LeapCheckInView *self)
{
  if (self->choosing)
    return;
  self->chosen = TRUE;
  show_event (self);
}

static void
activate_cb (LeapCheckInView *self)
{
  g_autofree char *code = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->code_entry)));

  gtk_editable_set_text (GTK_EDITABLE (self->code_entry), "");
  leap_check_in_view_check (self, code);
}

static void
leap_check_in_view_dispose (GObject *object)
{
  GtkWidget *child;
  LeapCheckInView *self = (LeapCheckInView *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_CHECK_IN_VIEW);
  /* The template's unnamed top box is not cleared by the call above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->client);
  if (self->events != NULL)
    g_signal_handlers_disconnect_by_data (self->events, self);
  g_clear_object (&self->events);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (leap_check_in_view_parent_class)->dispose (object);
}

static void
leap_check_in_view_finalize (GObject *object)
{
  LeapCheckInView *self = (LeapCheckInView *) object;

  g_clear_pointer (&self->state, g_free);

  G_OBJECT_CLASS (leap_check_in_view_parent_class)->finalize (object);
}

static void
leap_check_in_view_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  LeapCheckInView *self = LEAP_CHECK_IN_VIEW (object);

  switch (prop_id)
    {
    case PROP_STATE: g_value_set_string (value, self->state); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
leap_check_in_view_grab_focus (GtkWidget *widget)
{
  return leap_check_in_view_focus_entry (LEAP_CHECK_IN_VIEW (widget));
}

static void
leap_check_in_view_class_init (LeapCheckInViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leap_check_in_view_dispose;
  object_class->finalize = leap_check_in_view_finalize;
  object_class->get_property = leap_check_in_view_get_property;
  widget_class->grab_focus = leap_check_in_view_grab_focus;

  properties[PROP_STATE] =
    g_param_spec_string ("state", NULL, NULL, "idle",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-check-in-view.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapCheckInView, event_name_label);
  gtk_widget_class_bind_template_child (widget_class, LeapCheckInView, event_date_label);
  gtk_widget_class_bind_template_child (widget_class, LeapCheckInView, event_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LeapCheckInView, code_entry);
  gtk_widget_class_bind_template_child (widget_class, LeapCheckInView, result_box);
  gtk_widget_class_bind_template_child (widget_class, LeapCheckInView, result_title);
  gtk_widget_class_bind_template_child (widget_class, LeapCheckInView, result_detail);
  gtk_widget_class_bind_template_child (widget_class, LeapCheckInView, count_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
leap_check_in_view_init (LeapCheckInView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->state = g_strdup ("idle");
  g_signal_connect_object (self->code_entry, "activate", G_CALLBACK (activate_cb), self,
                           G_CONNECT_SWAPPED);
  /* GTK 4.8 names the drop-down, not its toggle button, which takes the focus. */
  gtk_accessible_update_property (
      GTK_ACCESSIBLE (gtk_widget_get_first_child (GTK_WIDGET (self->event_dropdown))),
      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Event at this door"), -1);
  gtk_drop_down_set_expression (self->event_dropdown,
                                gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                                             G_CALLBACK (event_label),
                                                             NULL, NULL));
  g_signal_connect_object (self->event_dropdown, "notify::selected", G_CALLBACK (selected_cb),
                           self, G_CONNECT_SWAPPED);
  show_event (self);
  show_result (self, "idle", _("Ready to scan"), _("Each ticket lets one person in, once."));
}

void
leap_check_in_view_set_client (LeapCheckInView *self,
                               LeapClient      *client)
{
  g_return_if_fail (LEAP_IS_CHECK_IN_VIEW (self));

  g_set_object (&self->client, client);
}

/* The events the door may admit to (the offline cache's). */
void
leap_check_in_view_set_events (LeapCheckInView *self,
                               GListModel      *events)
{
  g_return_if_fail (LEAP_IS_CHECK_IN_VIEW (self));
  g_return_if_fail (events == NULL || G_IS_LIST_MODEL (events));

  if (self->events == events)
    return;
  if (self->events != NULL)
    g_signal_handlers_disconnect_by_data (self->events, self);
  g_set_object (&self->events, events);
  /* Around the dropdown's own handlers: these first. */
  if (events != NULL)
    {
      g_signal_connect_swapped (events, "items-changed", G_CALLBACK (events_changing_cb), self);
      g_signal_connect_data (events, "items-changed", G_CALLBACK (events_changed_cb), self, NULL,
                             G_CONNECT_SWAPPED | G_CONNECT_AFTER);
    }
  self->choosing = TRUE;
  gtk_drop_down_set_model (self->event_dropdown, events);
  self->chosen = FALSE;
  events_changed_cb (self);
}

/* The event the door admits to, as if the staff chose it; 0 for any. */
void
leap_check_in_view_set_event_id (LeapCheckInView *self,
                                 gint64           event_id)
{
  g_return_if_fail (LEAP_IS_CHECK_IN_VIEW (self));

  select_position (self, position_of (self, event_id));
  self->chosen = self->event_id != 0;
}

gint64
leap_check_in_view_get_event_id (LeapCheckInView *self)
{
  g_return_val_if_fail (LEAP_IS_CHECK_IN_VIEW (self), 0);
  return self->event_id;
}

const char *
leap_check_in_view_get_event_title (LeapCheckInView *self)
{
  g_return_val_if_fail (LEAP_IS_CHECK_IN_VIEW (self), NULL);
  return gtk_label_get_label (self->event_name_label);
}

/* "idle", "checking", "admitted", "used", "voided", "wrong-event",
 * "not-paid", "invalid" or "error"; all but the first three and the last
 * are refusals, shown alike. */
const char *
leap_check_in_view_get_state (LeapCheckInView *self)
{
  g_return_val_if_fail (LEAP_IS_CHECK_IN_VIEW (self), NULL);
  return self->state;
}

const char *
leap_check_in_view_get_result_title (LeapCheckInView *self)
{
  g_return_val_if_fail (LEAP_IS_CHECK_IN_VIEW (self), NULL);
  return gtk_label_get_label (self->result_title);
}

const char *
leap_check_in_view_get_result_detail (LeapCheckInView *self)
{
  g_return_val_if_fail (LEAP_IS_CHECK_IN_VIEW (self), NULL);
  return gtk_label_get_label (self->result_detail);
}

gboolean
leap_check_in_view_focus_entry (LeapCheckInView *self)
{
  g_return_val_if_fail (LEAP_IS_CHECK_IN_VIEW (self), FALSE);
  return gtk_widget_grab_focus (GTK_WIDGET (self->code_entry));
}
