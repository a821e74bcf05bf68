/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-event-row"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-event-description.h"
#include "confab-event-row.h"
#include "confab-event-row-actions.h"
#include "confab-reaction-bar.h"
#include "confab-read-receipts.h"
#include "confab-reply-quote.h"
#include "confab-media-row.h"
#include "confab-message-body.h"
#include "confab-trust-shield.h"
#include "confab-wrap-bin.h"

/* Messages from one sender less than this far apart share one header. */
#define GROUP_WINDOW_MS (5 * 60 * 1000)

/**
 * ConfabEventRow:
 *
 * One #MatrixTimelineItem: a message with its sender and time (the header
 * hidden when it continues the previous sender's messages), a one-line
 * description of any other event, or a gap in the history. A local echo
 * shows "Sending…", and "Not sent" with Retry and Discard buttons if the send failed.
 * A message's text can be selected and copied; its links (a formatted
 * body's, or bare URLs in a plain one, from the library) open in a browser.
 */
struct _ConfabEventRow
{
  GtkWidget           parent_instance;

  GtkWidget          *box;
  GtkLabel           *day_label;
  GtkWidget          *header_box;
  GtkLabel           *sender_label;
  GtkLabel           *time_label;
  GtkWidget          *message_box;
  ConfabMessageBody  *message_body;
  ConfabMediaRow     *media_row;
  GtkLabel           *body_label;
  GtkLabel           *status_label;
  GtkWidget          *retry_button;
  GtkWidget          *discard_button;
  GtkLabel           *description_label;
  GtkWidget          *gap_box;
  ConfabReplyQuote   *reply_quote;
  GtkWidget          *edited_label;
  ConfabReactionBar  *reaction_bar;
  GtkLabel           *thread_label;
  GtkWidget          *thread_button;
  GtkBox             *receipts_box;
  GtkWidget          *menu_button;
  GtkWidget          *shield_image;
  GtkSpinner         *gap_spinner;
  GtkLabel           *gap_label;

  MatrixRoom         *room;
  MatrixTimelineItem *item;
  MatrixTimeline     *timeline;
  gulong              send_state_handler;
  gulong              body_handler;
  gulong              loading_handler;
  gulong              receipts_handler;
  gboolean            body_pressed;
};

G_DEFINE_FINAL_TYPE (ConfabEventRow, confab_event_row, GTK_TYPE_WIDGET)

GtkWidget *
confab_event_row_new (void)
{
  return g_object_new (CONFAB_TYPE_EVENT_ROW, NULL);
}

MatrixTimelineItem *
confab_event_row_get_item (ConfabEventRow *self)
{
  g_return_val_if_fail (CONFAB_IS_EVENT_ROW (self), NULL);

  return self->item;
}

MatrixRoom *
confab_event_row_get_room (ConfabEventRow *self)
{
  g_return_val_if_fail (CONFAB_IS_EVENT_ROW (self), NULL);

  return self->room;
}

static gboolean
item_is_message (MatrixTimelineItem *item)
{
  MatrixTimelineItemKind kind = matrix_timeline_item_get_kind (item);
  MatrixEvent *event = matrix_timeline_item_get_event (item);

  if (kind == MATRIX_TIMELINE_ITEM_GAP)
    return FALSE;
  if (event != NULL && matrix_event_is_state (event))
    return FALSE;

  /* A sticker is shown as the image it is. */
  return (g_strcmp0 (matrix_timeline_item_get_event_type (item), "m.room.message") == 0 ||
          g_strcmp0 (matrix_timeline_item_get_event_type (item), "m.sticker") == 0) &&
         matrix_timeline_item_get_body (item) != NULL;
}

static GDateTime *
item_date_time (MatrixTimelineItem *item)
{
  gint64 ts = matrix_timeline_item_get_origin_server_ts (item);

  if (ts <= 0)
    return NULL;

  return g_date_time_new_from_unix_local (ts / 1000);
}

static gboolean
same_day (GDateTime *a,
          GDateTime *b)
{
  return g_date_time_get_year (a) == g_date_time_get_year (b) &&
         g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

static char *
format_day (GDateTime *date)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) yesterday = g_date_time_add_days (now, -1);

  if (same_day (date, now))
    return g_strdup (_("Today"));
  if (same_day (date, yesterday))
    return g_strdup (_("Yesterday"));
  if (g_date_time_get_year (date) == g_date_time_get_year (now))
    /* Translators: a day in the timeline, see g_date_time_format() */
    return g_date_time_format (date, _("%A, %B %e"));

  /* Translators: a day of another year in the timeline, see g_date_time_format() */
  return g_date_time_format (date, _("%B %e, %Y"));
}

static void
update_send_state (ConfabEventRow *self)
{
  MatrixSendState state = MATRIX_SEND_STATE_NONE;

  if (self->item != NULL &&
      matrix_timeline_item_get_kind (self->item) == MATRIX_TIMELINE_ITEM_LOCAL_ECHO)
    state = matrix_timeline_item_get_send_state (self->item);

  switch (state)
    {
    case MATRIX_SEND_STATE_PENDING:
      gtk_label_set_text (self->status_label, _("Sending…"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self), "pending");
      gtk_widget_set_visible (GTK_WIDGET (self->status_label), TRUE);
      gtk_widget_set_visible (self->retry_button, FALSE);
      gtk_widget_set_visible (self->discard_button, FALSE);
      break;

    case MATRIX_SEND_STATE_FAILED:
      gtk_label_set_text (self->status_label, _("Not sent"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self), "pending");
      gtk_widget_set_visible (GTK_WIDGET (self->status_label), TRUE);
      gtk_widget_set_visible (self->retry_button, TRUE);
      gtk_widget_set_visible (self->discard_button, TRUE);
      break;

    case MATRIX_SEND_STATE_NONE:
    default:
      gtk_widget_remove_css_class (GTK_WIDGET (self), "pending");
      gtk_widget_set_visible (GTK_WIDGET (self->status_label), FALSE);
      gtk_widget_set_visible (self->retry_button, FALSE);
      gtk_widget_set_visible (self->discard_button, FALSE);
      break;
    }
}

static void
update_gap (ConfabEventRow *self)
{
  gboolean loading = self->timeline != NULL && matrix_timeline_get_loading (self->timeline);

  gtk_spinner_set_spinning (self->gap_spinner, loading);
  gtk_widget_set_visible (GTK_WIDGET (self->gap_spinner), loading);
  gtk_label_set_text (self->gap_label,
                      loading ? _("Loading older messages…") : _("Scroll up for older messages"));
}

static void
clear (ConfabEventRow *self)
{
  if (self->item != NULL)
    {
      g_clear_signal_handler (&self->send_state_handler, self->item);
      g_clear_signal_handler (&self->body_handler, self->item);
      g_signal_handlers_disconnect_by_data (self->item, self);
    }
  if (self->room != NULL)
    g_clear_signal_handler (&self->receipts_handler, self->room);
  if (self->timeline != NULL)
    g_clear_signal_handler (&self->loading_handler, self->timeline);
  g_clear_object (&self->item);
  g_clear_object (&self->timeline);
  g_clear_object (&self->room);
  /* An unbound row keeps nothing of the session alive (disposed, it has
   * no parts left). */
  if (self->reply_quote != NULL)
    {
      confab_reply_quote_set_item (self->reply_quote, NULL, NULL);
      confab_media_row_set_item (self->media_row, NULL, NULL);
      confab_reaction_bar_set_item (self->reaction_bar, NULL, NULL);
      confab_read_receipts_fill (self->receipts_box, NULL, NULL);
    }
}

static void
set_css_class (GtkWidget  *widget,
               const char *css_class,
               gboolean    on)
{
  if (on)
    gtk_widget_add_css_class (widget, css_class);
  else
    gtk_widget_remove_css_class (widget, css_class);
}

/* The body is only set for a new item: laying out a paragraph is most of
 * what a row costs, and a row is asked to show its item again whenever an
 * item above it changes, which can only change its header. */
static void
show_body (ConfabEventRow     *self,
           MatrixTimelineItem *item,
           const char         *sender)
{
  const char *msgtype = matrix_timeline_item_get_msgtype (item);
  gboolean emote = g_strcmp0 (msgtype, "m.emote") == 0;
  /* The library sanitises formatted bodies into markup and escapes plain
   * ones, their bare URLs made links, as a local echo's text is. Nothing
   * from the network reaches the markup unescaped. A long message shows
   * its start. */
  gboolean media = confab_media_row_set_item (self->media_row, self->room, item);
  gboolean caption = media && confab_media_row_has_caption (self->media_row);

  confab_message_body_set_message (self->message_body, item, emote ? sender : NULL);
  /* A media message's body is the file's name, which the media shows. */
  gtk_widget_set_visible (GTK_WIDGET (self->message_body), !media || caption);

  set_css_class (GTK_WIDGET (self->body_label), "confab-emote", emote);
  set_css_class (GTK_WIDGET (self->body_label), "confab-notice",
                 g_strcmp0 (msgtype, "m.notice") == 0);
  set_css_class (GTK_WIDGET (self), "confab-mention", confab_item_mentions_user (self->room, item));
}

/* What a message shows besides its text: the quote of what it answers,
 * "(edited)", its reactions, its thread and who has read up to it. */
static void
update_relations (ConfabEventRow *self)
{
  gboolean message = self->item != NULL && item_is_message (self->item);
  guint n_replies = message ? matrix_timeline_item_get_thread_count (self->item) : 0;

  confab_reply_quote_set_item (self->reply_quote, self->room, message ? self->item : NULL);
  gtk_widget_set_visible (self->edited_label,
                          message && matrix_timeline_item_get_edited (self->item));
  confab_reaction_bar_set_item (self->reaction_bar, self->room, self->item);
  if (n_replies > 0)
    {
      g_autofree char *summary = confab_thread_summary (self->room, self->item);

      gtk_label_set_text (self->thread_label, summary);
    }
  gtk_widget_set_visible (self->thread_button, n_replies > 0);
  gtk_widget_set_visible (self->menu_button,
                          self->item != NULL &&
                          matrix_timeline_item_get_kind (self->item) != MATRIX_TIMELINE_ITEM_GAP);
  confab_trust_shield_update (self->shield_image, message ? self->item : NULL);
}

static void
update_receipts (ConfabEventRow *self)
{
  const char *event_id = self->item ? matrix_timeline_item_get_event_id (self->item) : NULL;

  confab_read_receipts_fill (self->receipts_box, self->room, event_id);
}

/* An edit came (or went): the message shows its new text in place. */
static void
update_body (ConfabEventRow *self)
{
  g_autofree char *sender = NULL;

  if (self->item == NULL || !item_is_message (self->item))
    return;
  sender = confab_event_dup_name (self->room, matrix_timeline_item_get_sender (self->item));
  show_body (self, self->item, sender);
}

static void
show_message (ConfabEventRow     *self,
              MatrixTimelineItem *item,
              MatrixTimelineItem *previous,
              GDateTime          *date,
              gboolean            new_item)
{
  const char *sender_id = matrix_timeline_item_get_sender (item);
  g_autofree char *sender = confab_event_dup_name (self->room, sender_id);
  gboolean grouped = FALSE;

  if (previous != NULL && item_is_message (previous) &&
      g_strcmp0 (matrix_timeline_item_get_sender (previous), sender_id) == 0)
    {
      gint64 delta = matrix_timeline_item_get_origin_server_ts (item) -
                     matrix_timeline_item_get_origin_server_ts (previous);
      g_autoptr(GDateTime) previous_date = item_date_time (previous);

      grouped = delta >= 0 && delta < GROUP_WINDOW_MS &&
                date != NULL && previous_date != NULL && same_day (date, previous_date);
    }

  {
    /* What follows the name in the header keeps its direction. */
    g_autofree char *isolated = matrix_text_isolate (sender);

    gtk_label_set_text (self->sender_label, isolated);
  }
  if (date != NULL)
    {
      g_autofree char *time = g_date_time_format (date, "%H:%M");

      gtk_label_set_text (self->time_label, time);
    }
  else
    {
      gtk_label_set_text (self->time_label, "");
    }
  gtk_widget_set_visible (self->header_box, !grouped);

  if (new_item)
    show_body (self, item, sender);
}

static void
show_description (ConfabEventRow     *self,
                  MatrixRoom         *room,
                  MatrixTimelineItem *item)
{
  MatrixEvent *event = matrix_timeline_item_get_event (item);
  const GError *undecrypted = matrix_timeline_item_get_decryption_error (item);
  g_autofree char *text = NULL;

  if (undecrypted != NULL)
    {
      g_autofree char *sender = confab_event_dup_name (room, matrix_timeline_item_get_sender (item));

      text = g_error_matches (undecrypted, MATRIX_ERROR, MATRIX_ERROR_DECRYPTION_KEY_MISSING)
        /* Translators: an encrypted message whose key may still come */
        ? g_strdup_printf (_("Unable to decrypt a message from %s: its key has not arrived yet"),
                           sender)
        : g_strdup_printf (_("Unable to decrypt a message from %s: it is damaged or was not "
                             "encrypted for this session"), sender);
    }
  else if (event != NULL)
    text = confab_event_describe (room, event);
  if (text == NULL)
    {
      g_autofree char *sender = confab_event_dup_name (room, matrix_timeline_item_get_sender (item));
      const char *type = matrix_timeline_item_get_event_type (item);

      text = g_strdup_printf (_("%s sent an event of type %s"), sender, type ? type : "?");
    }
  gtk_label_set_text (self->description_label, text);
}

void
confab_event_row_set_item (ConfabEventRow     *self,
                           MatrixRoom         *room,
                           MatrixTimelineItem *item,
                           MatrixTimelineItem *previous)
{
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) previous_date = NULL;
  gboolean new_item, gap, message, new_day;

  g_return_if_fail (CONFAB_IS_EVENT_ROW (self));

  new_item = self->item != item;
  if (new_item)
    {
      clear (self);
      if (item == NULL)
        return;

      self->item = g_object_ref (item);
      self->room = room ? g_object_ref (room) : NULL;
      self->send_state_handler =
        g_signal_connect_swapped (item, "notify::send-state", G_CALLBACK (update_send_state), self);
      self->body_handler =
        g_signal_connect_swapped (item, "notify::body", G_CALLBACK (update_body), self);
      g_signal_connect_swapped (item, "notify::edited", G_CALLBACK (update_relations), self);
      g_signal_connect_swapped (item, "notify::reply-state", G_CALLBACK (update_relations), self);
      g_signal_connect_swapped (item, "notify::thread-count", G_CALLBACK (update_relations), self);
      g_signal_connect_swapped (item, "notify::thread-latest", G_CALLBACK (update_relations), self);
      g_signal_connect_swapped (item, "notify::sender-trust", G_CALLBACK (update_relations), self);
      if (room != NULL)
        self->receipts_handler = g_signal_connect_swapped (room, "receipts-changed",
                                                           G_CALLBACK (update_receipts), self);
      update_relations (self);
      update_receipts (self);
    }
  else if (item == NULL)
    {
      return;
    }

  gap = matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_GAP;
  message = !gap && item_is_message (item);

  if (gap)
    {
      if (self->timeline == NULL && room != NULL)
        {
          self->timeline = g_object_ref (matrix_room_get_timeline (room));
          self->loading_handler =
            g_signal_connect_swapped (self->timeline, "notify::loading",
                                      G_CALLBACK (update_gap), self);
        }
      update_gap (self);
      new_day = FALSE;
    }
  else
    {
      date = item_date_time (item);
      if (previous != NULL)
        previous_date = item_date_time (previous);
      new_day = date != NULL && (previous_date == NULL || !same_day (date, previous_date));
      if (new_day)
        {
          g_autofree char *day = format_day (date);

          gtk_label_set_text (self->day_label, day);
        }

      if (message)
        show_message (self, item, new_day ? NULL : previous, date, new_item);
      else
        show_description (self, room, item);
    }

  /* Each part is shown or hidden once, to what it ends up as: hiding and
   * showing again would have the row measured again for nothing. */
  gtk_widget_set_visible (GTK_WIDGET (self->day_label), new_day);
  if (!message)
    gtk_widget_set_visible (self->header_box, FALSE);
  gtk_widget_set_visible (self->message_box, message);
  gtk_widget_set_visible (GTK_WIDGET (self->description_label), !gap && !message);
  gtk_widget_set_visible (self->gap_box, gap);

  update_send_state (self);
}

static void
on_menu_clicked (ConfabEventRow *self)
{
  graphene_point_t point;

  if (!gtk_widget_compute_point (self->menu_button, GTK_WIDGET (self),
                                 &GRAPHENE_POINT_INIT (gtk_widget_get_width (self->menu_button) / 2.f,
                                                       gtk_widget_get_height (self->menu_button)),
                                 &point))
    point = GRAPHENE_POINT_INIT (-1, -1);
  confab_event_row_menu_popup (self, point.x, point.y);
}

static void
on_retry_clicked (ConfabEventRow *self)
{
  if (self->item == NULL || self->room == NULL)
    return;

  matrix_timeline_retry (matrix_room_get_timeline (self->room), self->item);
}

static void
on_discard_clicked (ConfabEventRow *self)
{
  if (self->item == NULL || self->room == NULL)
    return;

  matrix_timeline_discard (matrix_room_get_timeline (self->room), self->item);
}

/* Pressing on a message's text gives the label the focus, to select and
 * copy from, and GtkListView then scrolls the focused row whole into view:
 * a message cut off at an edge would jump under the pointer as the
 * selection starts. For a press, the view stays where it is; focus from the
 * keyboard still brings the row into view. */
static void
on_body_pressed (ConfabEventRow *self)
{
  self->body_pressed = TRUE;
}

static void
on_body_press_ended (ConfabEventRow *self)
{
  self->body_pressed = FALSE;
}

static void
on_body_focus_enter (ConfabEventRow *self)
{
  GtkWidget *list = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_LIST_VIEW);
  GtkAdjustment *adjustment;

  if (!self->body_pressed || list == NULL)
    return;

  /* The list has only moved its anchor to the row yet; the adjustment still
   * holds where the view is, and the list takes its anchor from it again. */
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list));
  if (adjustment != NULL)
    g_signal_emit_by_name (adjustment, "value-changed");
}

static void
confab_event_row_dispose (GObject *object)
{
  ConfabEventRow *self = CONFAB_EVENT_ROW (object);
  GtkWidget *child;

  clear (self);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_EVENT_ROW);

  G_OBJECT_CLASS (confab_event_row_parent_class)->dispose (object);
}

static void
confab_event_row_class_init (ConfabEventRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_event_row_dispose;

  g_type_ensure (CONFAB_TYPE_MESSAGE_BODY);
  g_type_ensure (CONFAB_TYPE_MEDIA_ROW);
  g_type_ensure (CONFAB_TYPE_WRAP_BIN);
  g_type_ensure (CONFAB_TYPE_REPLY_QUOTE);
  g_type_ensure (CONFAB_TYPE_REACTION_BAR);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-event-row");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-event-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, box);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, header_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, sender_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, message_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, message_body);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, media_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, body_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, discard_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, description_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, gap_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, gap_spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, gap_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, reply_quote);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, edited_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, reaction_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, shield_image);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, thread_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, thread_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, receipts_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabEventRow, menu_button);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_menu_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_discard_clicked);
}

static void
confab_event_row_init (ConfabEventRow *self)
{
  GtkGesture *press;
  GtkEventController *focus;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Before the label's own gesture, which takes the focus. */
  press = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (press), 0);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (press), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (press, "pressed", G_CALLBACK (on_body_pressed), self);
  g_signal_connect_swapped (press, "released", G_CALLBACK (on_body_press_ended), self);
  g_signal_connect_swapped (press, "stopped", G_CALLBACK (on_body_press_ended), self);
  gtk_widget_add_controller (GTK_WIDGET (self->body_label), GTK_EVENT_CONTROLLER (press));

  focus = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (focus, "enter", G_CALLBACK (on_body_focus_enter), self);
  gtk_widget_add_controller (GTK_WIDGET (self->body_label), focus);

  confab_event_row_menu_attach (self);
}
