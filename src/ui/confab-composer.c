/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-composer"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-composer.h"

/**
 * ConfabComposer:
 *
 * Where a message is written. Enter sends, Shift+Enter starts a new line;
 * "/me waves" sends an emote. The message is handed to the room's
 * #MatrixTimeline, which shows it at once as a local echo.
 *
 * In an encrypted room (#MatrixRoom:encrypted) it is insensitive and says
 * why: the library cannot encrypt, and refuses to send there in the clear.
 * It follows the room if encryption is turned on while it is open.
 */
struct _ConfabComposer
{
  GtkWidget    parent_instance;

  GtkWidget   *box;
  GtkWidget   *encrypted_box;
  GtkLabel    *encrypted_label;
  GtkTextView *text_view;

  MatrixRoom  *room;
  gulong       encrypted_handler;
  GHashTable  *drafts;
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

static gboolean
can_send (ConfabComposer *self)
{
  return self->room != NULL && !matrix_room_get_encrypted (self->room);
}

static void
update_send_enabled (ConfabComposer *self)
{
  g_autofree char *text = get_text (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send",
                                 can_send (self) && *g_strstrip (text) != '\0');
}

static void
update_sensitivity (ConfabComposer *self)
{
  gboolean encrypted = self->room != NULL && matrix_room_get_encrypted (self->room);

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
  if (self->room != NULL)
    {
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

static void
send_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ConfabComposer *self = CONFAB_COMPOSER (widget);
  g_autofree char *text = get_text (self);
  const char *body = text;
  MatrixMessageType type = MATRIX_MESSAGE_TEXT;
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

  matrix_timeline_send_message_async (matrix_room_get_timeline (self->room), type, body, NULL, NULL,
                                      NULL, on_sent, NULL);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", -1);
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                ConfabComposer        *self)
{
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
confab_composer_class_init (ConfabComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_composer_dispose;
  object_class->finalize = confab_composer_finalize;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-composer");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, box);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, encrypted_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, encrypted_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabComposer, text_view);

  gtk_widget_class_install_action (widget_class, "composer.send", NULL, send_activated);
}

static void
confab_composer_init (ConfabComposer *self)
{
  GtkEventController *controller;

  gtk_widget_init_template (GTK_WIDGET (self));

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
