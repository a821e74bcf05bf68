/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-reply-quote"

#include <glib/gi18n.h>

#include "confab-event-description.h"
#include "confab-reply-quote.h"

/* A quote is a reminder of what was answered, not the message again. */
#define QUOTE_CHARS 80

/**
 * ConfabReplyQuote:
 *
 * Above a reply: who wrote the message it answers and the start of what
 * they wrote (as edited), on one line. A reply to a message the timeline
 * does not have asks the library for it once. A click activates
 * "timeline.jump-to" with the replied-to event's id.
 */
struct _ConfabReplyQuote
{
  GtkWidget           parent_instance;

  GtkWidget          *button;
  GtkLabel           *sender_label;
  GtkLabel           *body_label;

  MatrixRoom         *room;
  MatrixTimelineItem *item;
  MatrixTimelineItem *target;
  GCancellable       *cancellable;
};

G_DEFINE_FINAL_TYPE (ConfabReplyQuote, confab_reply_quote, GTK_TYPE_WIDGET)

GtkWidget *
confab_reply_quote_new (void)
{
  return g_object_new (CONFAB_TYPE_REPLY_QUOTE, NULL);
}

char *
confab_reply_quote_shorten (const char *body,
                            guint       max_chars)
{
  g_autofree char *line = NULL;
  glong length;

  if (body == NULL)
    return g_strdup ("");

  length = g_utf8_strlen (body, -1);
  if ((guint) length > max_chars)
    {
      g_autofree char *start = g_utf8_substring (body, 0, max_chars);

      line = g_strconcat (start, "…", NULL);
    }
  else
    {
      line = g_strdup (body);
    }
  g_strdelimit (line, "\n\r\t", ' ');

  return g_steal_pointer (&line);
}

static void update (ConfabReplyQuote *self);

static void
set_target (ConfabReplyQuote   *self,
            MatrixTimelineItem *target)
{
  if (self->target == target)
    return;

  if (self->target != NULL)
    g_signal_handlers_disconnect_by_func (self->target, update, self);
  g_set_object (&self->target, target);
  if (target != NULL)
    g_signal_connect_swapped (target, "notify::body", G_CALLBACK (update), self);
}

static void
on_reply_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The item notifies its reply state either way. */
  if (!matrix_timeline_load_reply_finish (MATRIX_TIMELINE (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not load a replied-to message: %s", error->message);
}

static void
update (ConfabReplyQuote *self)
{
  MatrixReplyState state = MATRIX_REPLY_STATE_NONE;
  MatrixTimelineItem *target = NULL;

  if (self->item != NULL)
    state = matrix_timeline_item_get_reply_state (self->item);

  gtk_widget_set_visible (GTK_WIDGET (self), state != MATRIX_REPLY_STATE_NONE);

  switch (state)
    {
    case MATRIX_REPLY_STATE_NONE:
      break;

    case MATRIX_REPLY_STATE_UNKNOWN:
      if (self->room != NULL && self->cancellable == NULL)
        {
          self->cancellable = g_cancellable_new ();
          matrix_timeline_load_reply_async (matrix_room_get_timeline (self->room), self->item,
                                            self->cancellable, on_reply_loaded, NULL);
        }
      G_GNUC_FALLTHROUGH;
    case MATRIX_REPLY_STATE_LOADING:
      gtk_label_set_text (self->sender_label, "");
      gtk_label_set_text (self->body_label, _("Loading the message…"));
      break;

    case MATRIX_REPLY_STATE_INACCESSIBLE:
      gtk_label_set_text (self->sender_label, "");
      gtk_label_set_text (self->body_label, _("A message that cannot be shown"));
      break;

    case MATRIX_REPLY_STATE_LOADED:
    default:
      target = matrix_timeline_item_get_in_reply_to (self->item);
      if (target != NULL)
        {
          g_autofree char *sender =
            confab_event_dup_name (self->room, matrix_timeline_item_get_sender (target));
          const char *body = matrix_timeline_item_get_body (target);
          g_autofree char *line = NULL;

          MatrixEvent *event = matrix_timeline_item_get_event (target);

          if (body == NULL && event != NULL && matrix_event_is_redacted (event))
            line = g_strdup (_("Message deleted"));
          else
            line = confab_reply_quote_shorten (body, QUOTE_CHARS);
          gtk_label_set_text (self->sender_label, sender);
          gtk_label_set_text (self->body_label, line);
        }
      break;
    }

  set_target (self, target);
}

void
confab_reply_quote_set_item (ConfabReplyQuote   *self,
                             MatrixRoom         *room,
                             MatrixTimelineItem *item)
{
  g_return_if_fail (CONFAB_IS_REPLY_QUOTE (self));

  if (self->item != item)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      if (self->item != NULL)
        g_signal_handlers_disconnect_by_func (self->item, update, self);
      g_set_object (&self->item, item);
      if (item != NULL)
        {
          g_signal_connect_swapped (item, "notify::reply-state", G_CALLBACK (update), self);
          g_signal_connect_swapped (item, "notify::in-reply-to", G_CALLBACK (update), self);
        }
    }
  g_set_object (&self->room, room);
  update (self);
}

static void
on_clicked (ConfabReplyQuote *self)
{
  const char *id;

  if (self->item == NULL || (id = matrix_timeline_item_get_in_reply_to_id (self->item)) == NULL)
    return;

  gtk_widget_activate_action (GTK_WIDGET (self), "timeline.jump-to", "s", id);
}

static void
confab_reply_quote_dispose (GObject *object)
{
  ConfabReplyQuote *self = CONFAB_REPLY_QUOTE (object);

  confab_reply_quote_set_item (self, NULL, NULL);
  set_target (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_REPLY_QUOTE);

  G_OBJECT_CLASS (confab_reply_quote_parent_class)->dispose (object);
}

static void
confab_reply_quote_class_init (ConfabReplyQuoteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_reply_quote_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-reply-quote");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-reply-quote.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabReplyQuote, button);
  gtk_widget_class_bind_template_child (widget_class, ConfabReplyQuote, sender_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabReplyQuote, body_label);
  gtk_widget_class_bind_template_callback (widget_class, on_clicked);
}

static void
confab_reply_quote_init (ConfabReplyQuote *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
