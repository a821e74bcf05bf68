/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-composer"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-composer.h"
#include "confab-event-description.h"
#include "confab-mention-completion.h"
#include "confab-reply-quote.h"
#include "confab-typing-indicator.h"
#include "confab-uploader.h"

/* A typing notification lasts this long on the server; it is sent again
 * (while the user goes on typing) a while before it runs out. */
#define TYPING_TIMEOUT_MS 30000
#define TYPING_RESEND_US (20 * G_USEC_PER_SEC)
#define QUOTE_CHARS 80

typedef enum {
  MODE_NONE,
  MODE_REPLY,
  MODE_EDIT,
} ComposerMode;

/**
 * ConfabComposer:
 *
 * Where a message is written. Enter sends, Shift+Enter starts a new line;
 * "/me waves" sends an emote. The message is handed to the room's
 * #MatrixTimeline, which shows it at once as a local echo.
 *
 * In an encrypted room (#MatrixRoom:encrypted) it is insensitive and says
 * why: without encryption keys the library refuses to send there in the clear.
 * It follows the room if encryption is turned on while it is open.
 *
 * The "conversation" actions (confab_composer_get_actions(); reply and edit,
 * each with an event id) put it in reply or edit mode, with a bar above
 * saying so; Escape or the bar's button leaves it. Up in an empty composer
 * edits the user's last message. While the user types, the room is told
 * (every 20 s at most); emptying the composer says they stopped.
 */
struct _ConfabComposer
{
  GtkWidget    parent_instance;

  GtkWidget   *box;
  GtkWidget   *encrypted_box;
  GtkLabel    *encrypted_label;
  GtkTextView *text_view;
  ConfabUploader *uploader;
  GtkWidget   *mode_box;
  ConfabTypingIndicator *typing_indicator;
  GtkImage    *mode_icon;
  GtkLabel    *mode_label;
  GtkLabel    *mode_quote;

  MatrixRoom  *room;
  gulong       encrypted_handler;
  GHashTable  *drafts;

  GSimpleActionGroup *actions;
  ConfabMentionCompletion *completion;
  ComposerMode        mode;
  MatrixTimelineItem *target;
  guint               user_action_depth;
  gboolean            typing;
  gint64              typing_sent_at;
};

G_DEFINE_FINAL_TYPE (ConfabComposer, confab_composer, GTK_TYPE_WIDGET)

GtkWidget *
confab_composer_new (void)
{
  return g_object_new (CONFAB_TYPE_COMPOSER, NULL);
}

MatrixRoom *
confab_composer_get_room (ConfabComposer *self)
{
  g_return_val_if_fail (CONFAB_IS_COMPOSER (self), NULL);

  return self->room;
}

static char *
get_text (ConfabComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* An encrypted room, and an account without encryption keys: nothing can
 * be sent there (never in the clear). */
static gboolean
cannot_encrypt (ConfabComposer *self)
{
  return self->room != NULL && matrix_room_get_encrypted (self->room) &&
         !matrix_client_get_encryption_enabled (matrix_room_get_client (self->room));
}

static void
set_typing (ConfabComposer *self,
            gboolean        typing)
{
  MatrixClient *client;

  if (self->room == NULL || cannot_encrypt (self))
    return;
  if (typing == self->typing &&
      (!typing || g_get_monotonic_time () - self->typing_sent_at < TYPING_RESEND_US))
    return;

  client = matrix_room_get_client (self->room);
  self->typing = typing;
  self->typing_sent_at = g_get_monotonic_time ();
  matrix_client_set_typing_async (client, matrix_room_get_room_id (self->room), typing,
                                  TYPING_TIMEOUT_MS, NULL, NULL, NULL);
}

static void
on_buffer_changed (ConfabComposer *self)
{
  g_autofree char *text = NULL;

  /* Only what the user types: not a draft put back, nor an edit's text. */
  if (self->user_action_depth == 0)
    return;

  text = get_text (self);
  set_typing (self, *text != '\0');
  confab_mention_completion_update (self->completion);
}

static void
on_begin_user_action (ConfabComposer *self)
{
  self->user_action_depth++;
}

static void
on_end_user_action (ConfabComposer *self)
{
  if (self->user_action_depth > 0)
    self->user_action_depth--;
}

static gboolean
can_send (ConfabComposer *self)
{
  return self->room != NULL && !cannot_encrypt (self);
}

static void
update_send_enabled (ConfabComposer *self)
{
  g_autofree char *text = get_text (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send",
                                 can_send (self) && *g_strstrip (text) != '\0');
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.attach", can_send (self));
}

static void
update_sensitivity (ConfabComposer *self)
{
  gboolean encrypted = cannot_encrypt (self);

  gtk_widget_set_visible (self->encrypted_box, encrypted);
  gtk_widget_set_sensitive (GTK_WIDGET (self->text_view), can_send (self));
  if (encrypted)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    gtk_label_get_text (self->encrypted_label), -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self->text_view),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  update_send_enabled (self);
}

static void
set_mode (ConfabComposer     *self,
          ComposerMode        mode,
          MatrixTimelineItem *target)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  ComposerMode old_mode = self->mode;

  self->mode = target != NULL ? mode : MODE_NONE;
  if (self->mode == MODE_NONE)
    target = NULL;
  g_set_object (&self->target, target);

  if (self->mode == MODE_NONE)
    {
      gtk_widget_set_visible (self->mode_box, FALSE);
      /* The text was the message's, not something the user wrote. */
      if (old_mode == MODE_EDIT)
        gtk_text_buffer_set_text (buffer, "", -1);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.cancel", FALSE);
      return;
    }

  {
    g_autofree char *sender =
      confab_event_dup_name (self->room, matrix_timeline_item_get_sender (target));
    g_autofree char *quote =
      confab_reply_quote_shorten (matrix_timeline_item_get_body (target), QUOTE_CHARS);
    g_autofree char *title = NULL;

    if (self->mode == MODE_REPLY)
      {
        /* Translators: above the composer while it writes a reply to someone */
        title = g_strdup_printf (_("Replying to %s"), sender);
        gtk_image_set_from_icon_name (self->mode_icon, "mail-reply-sender-symbolic");
      }
    else
      {
        title = g_strdup (_("Editing"));
        gtk_image_set_from_icon_name (self->mode_icon, "document-edit-symbolic");
        gtk_text_buffer_set_text (buffer, matrix_timeline_item_get_body (target), -1);
      }
    gtk_label_set_text (self->mode_label, title);
    gtk_label_set_text (self->mode_quote, quote);
  }
  gtk_widget_set_visible (self->mode_box, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.cancel", TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static MatrixTimelineItem *
find_item (ConfabComposer *self,
           const char     *event_id)
{
  GListModel *model;

  if (self->room == NULL || event_id == NULL)
    return NULL;

  model = G_LIST_MODEL (matrix_room_get_timeline (self->room));
  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i - 1);

      if (g_strcmp0 (matrix_timeline_item_get_event_id (item), event_id) == 0)
        return g_steal_pointer (&item);
    }

  return NULL;
}

static gboolean
is_editable (ConfabComposer     *self,
             MatrixTimelineItem *item)
{
  const char *own = matrix_client_get_user_id (matrix_room_get_client (self->room));
  MatrixEvent *event = matrix_timeline_item_get_event (item);

  return matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_EVENT &&
         event != NULL && !matrix_event_is_state (event) && !matrix_event_is_redacted (event) &&
         g_strcmp0 (matrix_timeline_item_get_event_type (item), "m.room.message") == 0 &&
         matrix_timeline_item_get_body (item) != NULL &&
         g_strcmp0 (matrix_timeline_item_get_sender (item), own) == 0;
}

/* The user's newest message that can be edited, if the timeline has one. */
static MatrixTimelineItem *
find_last_own (ConfabComposer *self)
{
  GListModel *model;

  if (self->room == NULL)
    return NULL;

  model = G_LIST_MODEL (matrix_room_get_timeline (self->room));
  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i - 1);

      if (is_editable (self, item))
        return g_steal_pointer (&item);
    }

  return NULL;
}

static void
reply_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  ConfabComposer *self = user_data;
  g_autoptr(MatrixTimelineItem) item = find_item (self, g_variant_get_string (parameter, NULL));

  if (item != NULL && can_send (self))
    set_mode (self, MODE_REPLY, item);
}

static void
edit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  ConfabComposer *self = user_data;
  g_autoptr(MatrixTimelineItem) item = find_item (self, g_variant_get_string (parameter, NULL));

  if (item != NULL && can_send (self) && is_editable (self, item))
    set_mode (self, MODE_EDIT, item);
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  set_mode (CONFAB_COMPOSER (widget), MODE_NONE, NULL);
}

GActionGroup *
confab_composer_get_actions (ConfabComposer *self)
{
  g_return_val_if_fail (CONFAB_IS_COMPOSER (self), NULL);

  return G_ACTION_GROUP (self->actions);
}

void
confab_composer_set_room (ConfabComposer *self,
                          MatrixRoom     *room)
{
  GtkTextBuffer *buffer;
  const char *draft = NULL;

  g_return_if_fail (CONFAB_IS_COMPOSER (self));

  if (self->room == room)
    return;

  buffer = gtk_text_view_get_buffer (self->text_view);

  /* Each room keeps what was being written in it. */
  set_mode (self, MODE_NONE, NULL);
  if (self->room != NULL)
    {
      set_typing (self, FALSE);
      self->typing = FALSE;
      g_hash_table_insert (self->drafts, g_strdup (matrix_room_get_room_id (self->room)),
                           get_text (self));
      g_clear_signal_handler (&self->encrypted_handler, self->room);
    }
  g_set_object (&self->room, room);
  if (room != NULL)
    {
      draft = g_hash_table_lookup (self->drafts, matrix_room_get_room_id (room));
      self->encrypted_handler = g_signal_connect_swapped (room, "notify::encrypted",
                                                          G_CALLBACK (update_sensitivity), self);
    }

  gtk_text_buffer_set_text (buffer, draft ? draft : "", -1);
  confab_typing_indicator_set_room (self->typing_indicator, room);
  confab_uploader_set_room (self->uploader, room);
  confab_mention_completion_set_room (self->completion, room);
  update_sensitivity (self);
}

void
confab_composer_grab_focus (ConfabComposer *self)
{
  g_return_if_fail (CONFAB_IS_COMPOSER (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = matrix_timeline_send_finish (MATRIX_TIMELINE (source), result, &error);

  /* A failed send stays in the timeline, marked, with a Retry button. */
  if (event_id == NULL)
    g_debug ("Sending failed: %s", error->message);
}

/* The user ids of the members named in @body (as the completion put them
 * there), and @body as CommonMark with each name a link to its member:
 * what becomes a pill. */
static GStrv
collect_mentions (ConfabComposer  *self,
                  const char      *body,
                  char           **markdown)
{
  GHashTable *names = confab_mention_completion_get_mentions (self->completion);
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  g_autoptr(GString) out = g_string_new (body);
  GHashTableIter iter;
  gpointer name, user_id;

  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &name, &user_id))
    {
      g_autofree char *link = NULL;
      const char *found = strstr (out->str, name);

      if (found == NULL)
        continue;
      g_strv_builder_add (ids, user_id);
      /* A name that would break the link's text stays plain. */
      if (strpbrk (name, "[]\\") != NULL)
        continue;
      link = g_strdup_printf ("[%s](https://matrix.to/#/%s)", (char *) name, (char *) user_id);
      g_string_replace (out, name, link, 1);
    }

  *markdown = g_string_free (g_steal_pointer (&out), FALSE);
  return g_strv_builder_end (ids);
}

static void
send_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ConfabComposer *self = CONFAB_COMPOSER (widget);
  g_autofree char *text = get_text (self);
  const char *body = text;
  MatrixMessageType type = MATRIX_MESSAGE_TEXT;
  MatrixTimeline *timeline;
  g_auto(GStrv) mentions = NULL;
  g_autofree char *markdown = NULL;
  g_autofree char *formatted = NULL;
  const char * const *ids;
  char *stripped;

  if (!can_send (self))
    return;

  stripped = g_strstrip (text);
  if (*stripped == '\0')
    return;
  body = stripped;

  if (g_str_has_prefix (body, "/me "))
    {
      type = MATRIX_MESSAGE_EMOTE;
      body = g_strchug ((char *) body + strlen ("/me "));
      if (*body == '\0')
        return;
    }
  else if (g_str_has_prefix (body, "//"))
    {
      /* "//" sends a message that starts with "/". */
      body++;
    }

  mentions = collect_mentions (self, body, &markdown);
  /* Only a message with formatting has a formatted body. */
  formatted = matrix_markdown_to_html (markdown);
  ids = g_strv_length (mentions) > 0 ? (const char * const *) mentions : NULL;

  timeline = matrix_room_get_timeline (self->room);
  if (self->mode == MODE_EDIT && type == MATRIX_MESSAGE_TEXT)
    matrix_timeline_send_edit_async (timeline, matrix_timeline_item_get_event (self->target),
                                     body, formatted, ids, NULL, on_sent, NULL);
  else if (self->mode == MODE_REPLY)
    matrix_timeline_send_reply_async (timeline, matrix_timeline_item_get_event (self->target),
                                      type, body, formatted, ids, NULL, on_sent, NULL);
  else
    matrix_timeline_send_message_async (timeline, type, body, formatted, ids, NULL, on_sent, NULL);
  confab_mention_completion_clear (self->completion);

  /* The library has said the user stopped typing. */
  self->typing = FALSE;
  self->mode = MODE_NONE;
  set_mode (self, MODE_NONE, NULL);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", -1);
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                ConfabComposer        *self)
{
  if (confab_mention_completion_key (self->completion, keyval))
    return GDK_EVENT_STOP;

  if (keyval == GDK_KEY_Escape && self->mode != MODE_NONE)
    {
      set_mode (self, MODE_NONE, NULL);
      return GDK_EVENT_STOP;
    }

  if (keyval == GDK_KEY_Up && (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) == 0 &&
      self->mode != MODE_EDIT && can_send (self))
    {
      g_autofree char *text = get_text (self);
      g_autoptr(MatrixTimelineItem) last = NULL;

      if (*text != '\0' || (last = find_last_own (self)) == NULL)
        return GDK_EVENT_PROPAGATE;
      set_mode (self, MODE_EDIT, last);
      return GDK_EVENT_STOP;
    }

  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;

  /* Shift+Enter: the text view inserts a new line. */
  if (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK))
    return GDK_EVENT_PROPAGATE;

  gtk_widget_activate_action (GTK_WIDGET (self), "composer.send", NULL);
  return GDK_EVENT_STOP;
}

static void
confab_composer_dispose (GObject *object)
{
  ConfabComposer *self = CONFAB_COMPOSER (object);
  GtkWidget *child;

  if (self->room != NULL)
    g_clear_signal_handler (&self->encrypted_handler, self->room);
  g_clear_object (&self->room);
  g_clear_object (&self->target);
  g_clear_object (&self->actions);
  if (self->completion != NULL)
    confab_mention_completion_set_room (self->completion, NULL);
  g_clear_object (&self->completion);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_COMPOSER);

  G_OBJECT_CLASS (confab_composer_parent_class)->dispose (object);
}

static void
confab_composer_finalize (GObject *object)
{
  ConfabComposer *self = CONFAB_COMPOSER (object);

  g_clear_pointer (&self->drafts, g_hash_table_unref);

  G_OBJECT_CLASS (confab_composer_parent_class)->finalize (object);
}

static void
attach_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  confab_uploader_choose_files (CONFAB_COMPOSER (widget)->uploader);
}

static void
on_texture_read (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabComposer) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);
  if (texture == NULL)
    g_debug ("No image in the clipboard: %s", error->message);
  else
    confab_uploader_send_texture (self->uploader, texture);
}

/* An image pasted (and no text with it) is sent as a file. */
static void
on_paste_clipboard (GtkTextView    *text_view,
                    ConfabComposer *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (text_view));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (!gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE) ||
      gdk_content_formats_contain_mime_type (formats, "text/plain;charset=utf-8") ||
      gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    return;

  g_signal_stop_emission_by_name (text_view, "paste-clipboard");
  if (can_send (self))
    gdk_clipboard_read_texture_async (clipboard, NULL, on_texture_read, g_object_ref (self));
}

/**
 * confab_composer_send_files:
 * @self: a #ConfabComposer
 * @files: (element-type GFile): files dropped on the room
 *
 * Sends @files to the room, as the attach button does.
 */
void
confab_composer_send_files (ConfabComposer *self,
                            GSList         *files)
{
  g_return_if_fail (CONFAB_IS_COMPOSER (self));

  if (!can_send (self))
    return;
  for (GSList *l = files; l != NULL; l = l->next)
    confab_uploader_send_file (self->uploader, l->data);
}

ConfabUploader *
confab_composer_get_uploader (ConfabComposer *self)
{
  return self->uploader;
}

static void
confab_composer_class_init (ConfabComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_composer_dispose;
  object_class->finalize = confab_composer_finalize;

  g_type_ensure (CONFAB_TYPE_TYPING_INDICATOR);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-composer");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, box);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, encrypted_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, encrypted_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, mode_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, typing_indicator);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, mode_icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, mode_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, mode_quote);

  gtk_widget_class_install_action (widget_class, "composer.send", NULL, send_activated);
  gtk_widget_class_install_action (widget_class, "composer.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "composer.attach", NULL, attach_activated);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, uploader);
  g_type_ensure (CONFAB_TYPE_UPLOADER);
}

static void
confab_composer_init (ConfabComposer *self)
{
  const GActionEntry entries[] = {
    { "reply", reply_activated, "s", NULL, NULL, { 0 } },
    { "edit", edit_activated, "s", NULL, NULL, { 0 } },
  };
  GtkEventController *controller;
  GtkTextBuffer *buffer;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), entries, G_N_ELEMENTS (entries),
                                   self);
  buffer = gtk_text_view_get_buffer (self->text_view);
  g_signal_connect_swapped (buffer, "begin-user-action", G_CALLBACK (on_begin_user_action), self);
  g_signal_connect_swapped (buffer, "end-user-action", G_CALLBACK (on_end_user_action), self);
  g_signal_connect_swapped (buffer, "changed", G_CALLBACK (on_buffer_changed), self);
  g_signal_connect (self->text_view, "paste-clipboard", G_CALLBACK (on_paste_clipboard), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.cancel", FALSE);
  self->completion = confab_mention_completion_new (self->text_view, GTK_WIDGET (self));

  self->drafts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), controller);

  g_signal_connect_swapped (gtk_text_view_get_buffer (self->text_view), "changed",
                            G_CALLBACK (update_send_enabled), self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->text_view), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send", FALSE);
}
