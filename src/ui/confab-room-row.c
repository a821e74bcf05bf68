/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-room-row"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-avatar-loader.h"
#include "confab-room-row.h"

/**
 * ConfabRoomRow:
 *
 * One room in the sidebar: its avatar (the room's image, initials until it
 * is loaded or when there is none), name, the newest message and an unread
 * badge; for an invite, who sent it and Accept / Decline.
 * Everything shown is read from #MatrixRoom properties, as plain text.
 */
struct _ConfabRoomRow
{
  GtkWidget   parent_instance;

  GtkWidget  *box;
  AdwAvatar  *avatar;
  GtkLabel   *name_label;
  GtkLabel   *preview_label;
  GtkWidget  *text_box;
  /* Made for the first invite the row shows (ensure_invite_buttons()). */
  GtkWidget  *invite_buttons;
  GtkWidget  *accept_button;
  GtkWidget  *decline_button;
  GtkLabel   *badge_label;
  GtkLabel   *mention_label;

  MatrixRoom   *room;
  GPtrArray    *bindings;
  gulong        notify_handler;
  char         *avatar_url;     /* the one shown or being loaded */
  GCancellable *avatar_cancellable;
};

G_DEFINE_FINAL_TYPE (ConfabRoomRow, confab_room_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ROOM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The avatar's size in the template. */
#define AVATAR_SIZE 40

GtkWidget *
confab_room_row_new (void)
{
  return g_object_new (CONFAB_TYPE_ROOM_ROW, NULL);
}

MatrixRoom *
confab_room_row_get_room (ConfabRoomRow *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM_ROW (self), NULL);

  return self->room;
}

static void
on_avatar_loaded (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabRoomRow) self = user_data;
  g_autoptr(GdkPaintable) image = NULL;

  /* A row given another room meanwhile cancelled this; without an image the
   * initials stay. */
  image = confab_avatar_loader_load_finish (CONFAB_AVATAR_LOADER (source), result, NULL);
  if (image != NULL)
    adw_avatar_set_custom_image (self->avatar, image);
}

static void
update_avatar (ConfabRoomRow *self)
{
  const char *url = self->room != NULL ? matrix_room_get_avatar_url (self->room) : NULL;
  ConfabAvatarLoader *loader;
  GdkPaintable *image;

  if (g_strcmp0 (url, self->avatar_url) == 0)
    return;

  g_cancellable_cancel (self->avatar_cancellable);
  g_clear_object (&self->avatar_cancellable);
  g_free (self->avatar_url);
  self->avatar_url = g_strdup (url);
  adw_avatar_set_custom_image (self->avatar, NULL);
  if (url == NULL)
    return;

  loader = confab_avatar_loader_for_client (matrix_room_get_client (self->room));
  image = confab_avatar_loader_lookup (loader, url, AVATAR_SIZE);
  if (image != NULL)
    {
      adw_avatar_set_custom_image (self->avatar, image);
      return;
    }

  self->avatar_cancellable = g_cancellable_new ();
  confab_avatar_loader_load_async (loader, url, AVATAR_SIZE, self->avatar_cancellable,
                                   on_avatar_loaded, g_object_ref (self));
}

static void on_accept_clicked (ConfabRoomRow *self);
static void on_decline_clicked (ConfabRoomRow *self);

/* Accept and Decline, under the preview: only invites have them, so most
 * rows (the joined rooms') never make them. */
static void
ensure_invite_buttons (ConfabRoomRow *self)
{
  if (self->invite_buttons != NULL)
    return;

  self->invite_buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_top (self->invite_buttons, 4);

  self->accept_button = gtk_button_new_with_mnemonic (_("_Accept"));
  gtk_widget_add_css_class (self->accept_button, "suggested-action");
  g_signal_connect_swapped (self->accept_button, "clicked", G_CALLBACK (on_accept_clicked), self);
  gtk_box_append (GTK_BOX (self->invite_buttons), self->accept_button);

  self->decline_button = gtk_button_new_with_mnemonic (_("_Decline"));
  g_signal_connect_swapped (self->decline_button, "clicked", G_CALLBACK (on_decline_clicked), self);
  gtk_box_append (GTK_BOX (self->invite_buttons), self->decline_button);

  gtk_box_append (GTK_BOX (self->text_box), self->invite_buttons);
}

static void
set_invite_buttons_sensitive (ConfabRoomRow *self,
                              gboolean       sensitive)
{
  if (self->invite_buttons == NULL)
    return;

  gtk_widget_set_sensitive (self->accept_button, sensitive);
  gtk_widget_set_sensitive (self->decline_button, sensitive);
}

static void
update (ConfabRoomRow *self)
{
  MatrixRoom *room = self->room;
  guint count;

  if (room == NULL)
    return;

  update_avatar (self);
  count = matrix_room_get_notification_count (room);
  if (count > 0)
    {
      g_autofree char *text = count > 99 ? g_strdup ("99+") : g_strdup_printf ("%u", count);

      gtk_label_set_text (self->badge_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->badge_label), count > 0);

  /* Mentions (the server's highlight count) apart from the unread count. */
  count = matrix_room_get_highlight_count (room);
  if (count > 0)
    {
      g_autofree char *text = count > 99 ? g_strdup ("@99+") : g_strdup_printf ("@%u", count);
      g_autofree char *description =
        g_strdup_printf (ngettext ("%u mention", "%u mentions", count), count);

      gtk_label_set_text (self->mention_label, text);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->mention_label), description);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->mention_label), count > 0);

  if (matrix_room_get_membership (room) == MATRIX_MEMBERSHIP_INVITE)
    {
      const char *inviter = matrix_room_get_inviter (room);
      g_autofree char *text = NULL;

      if (inviter != NULL)
        {
          g_autofree char *name = matrix_room_dup_member_display_name (room, inviter);

          text = g_strdup_printf (_("Invited by %s"), name ? name : inviter);
        }
      else
        {
          text = g_strdup (_("Invited"));
        }
      gtk_label_set_text (self->preview_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->preview_label), TRUE);
      ensure_invite_buttons (self);
      gtk_widget_set_visible (self->invite_buttons, TRUE);
    }
  else
    {
      const char *preview = matrix_room_get_last_message (room);

      gtk_label_set_text (self->preview_label, preview ? preview : "");
      gtk_widget_set_visible (GTK_WIDGET (self->preview_label), preview != NULL);
      if (self->invite_buttons != NULL)
        gtk_widget_set_visible (self->invite_buttons, FALSE);
    }
}

void
confab_room_row_set_room (ConfabRoomRow *self,
                          MatrixRoom    *room)
{
  g_return_if_fail (CONFAB_IS_ROOM_ROW (self));
  g_return_if_fail (room == NULL || MATRIX_IS_ROOM (room));

  if (self->room == room)
    return;

  g_ptr_array_set_size (self->bindings, 0);
  if (self->room != NULL)
    g_clear_signal_handler (&self->notify_handler, self->room);
  g_set_object (&self->room, room);
  update_avatar (self);

  set_invite_buttons_sensitive (self, TRUE);

  if (room != NULL)
    {
      g_ptr_array_add (self->bindings,
                       g_object_bind_property (room, "display-name", self->name_label, "label",
                                               G_BINDING_SYNC_CREATE));
      g_ptr_array_add (self->bindings,
                       g_object_bind_property (room, "display-name", self->avatar, "text",
                                               G_BINDING_SYNC_CREATE));
      self->notify_handler = g_signal_connect_swapped (room, "notify", G_CALLBACK (update), self);
      update (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM]);
}

static void
report_error (ConfabRoomRow *self,
              const char    *what,
              const GError  *error)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", what, error->message);

  /* The window shows it, if the row is still in one. */
  gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", text);
}

static void
on_join_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(ConfabRoomRow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_room_join_finish (MATRIX_ROOM (source), result, &error))
    {
      report_error (self, _("Could not accept the invite"), error);
      set_invite_buttons_sensitive (self, TRUE);
    }
}

static void
on_leave_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ConfabRoomRow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!matrix_room_leave_finish (MATRIX_ROOM (source), result, &error))
    {
      report_error (self, _("Could not decline the invite"), error);
      set_invite_buttons_sensitive (self, TRUE);
    }
}

static void
on_accept_clicked (ConfabRoomRow *self)
{
  if (self->room == NULL)
    return;

  set_invite_buttons_sensitive (self, FALSE);
  matrix_room_join_async (self->room, NULL, on_join_done, g_object_ref (self));
}

static void
on_decline_clicked (ConfabRoomRow *self)
{
  if (self->room == NULL)
    return;

  set_invite_buttons_sensitive (self, FALSE);
  matrix_room_leave_async (self->room, NULL, on_leave_done, g_object_ref (self));
}

static void
confab_room_row_dispose (GObject *object)
{
  ConfabRoomRow *self = CONFAB_ROOM_ROW (object);
  GtkWidget *child;

  confab_room_row_set_room (self, NULL);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_ROOM_ROW);

  G_OBJECT_CLASS (confab_room_row_parent_class)->dispose (object);
}

static void
confab_room_row_finalize (GObject *object)
{
  ConfabRoomRow *self = CONFAB_ROOM_ROW (object);

  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  g_free (self->avatar_url);

  G_OBJECT_CLASS (confab_room_row_parent_class)->finalize (object);
}

static void
confab_room_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ConfabRoomRow *self = CONFAB_ROOM_ROW (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      g_value_set_object (value, self->room);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_room_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ConfabRoomRow *self = CONFAB_ROOM_ROW (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      confab_room_row_set_room (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_room_row_class_init (ConfabRoomRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_room_row_dispose;
  object_class->finalize = confab_room_row_finalize;
  object_class->get_property = confab_room_row_get_property;
  object_class->set_property = confab_room_row_set_property;

  properties[PROP_ROOM] =
    g_param_spec_object ("room", NULL, NULL, MATRIX_TYPE_ROOM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-room-row");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-room-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomRow, box);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomRow, preview_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomRow, text_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomRow, badge_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabRoomRow, mention_label);
}

static void
confab_room_row_init (ConfabRoomRow *self)
{
  self->bindings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_binding_unbind);
  gtk_widget_init_template (GTK_WIDGET (self));
}
