/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shields: the warnings on messages from devices that are not verified and
 * on rooms with members whose devices are not verified. */

#include <glib/gi18n.h>

#include "confab-trust-shield.h"

void
confab_trust_shield_update (GtkWidget          *image,
                            MatrixTimelineItem *item)
{
  MatrixSenderTrust trust = item != NULL ? matrix_timeline_item_get_sender_trust (item)
                                         : MATRIX_SENDER_TRUST_NONE;

  switch (trust)
    {
    case MATRIX_SENDER_TRUST_UNVERIFIED:
      gtk_widget_set_tooltip_text (image, _("Sent from a session that is not verified"));
      break;
    case MATRIX_SENDER_TRUST_UNKNOWN_DEVICE:
      gtk_widget_set_tooltip_text (image, _("Sent from an unknown or deleted session"));
      break;
    case MATRIX_SENDER_TRUST_NONE:
    case MATRIX_SENDER_TRUST_VERIFIED:
    default:
      gtk_widget_set_tooltip_text (image, NULL);
      break;
    }
  gtk_widget_set_visible (image, trust == MATRIX_SENDER_TRUST_UNVERIFIED ||
                                 trust == MATRIX_SENDER_TRUST_UNKNOWN_DEVICE);
}

struct _ConfabRoomShield {
  AdwBin        parent_instance;
  GtkWidget    *image;
  MatrixRoom   *room;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (ConfabRoomShield, confab_room_shield, ADW_TYPE_BIN)

static void
on_unverified_members (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) users = matrix_client_get_unverified_members_finish (MATRIX_CLIENT (source), result,
                                                                     &error);
  ConfabRoomShield *self;

  /* Cancelled: the shield went, or shows another room now. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = CONFAB_ROOM_SHIELD (user_data);
  if (users == NULL)
    g_debug ("Could not tell the room's unverified members: %s", error->message);
  gtk_widget_set_visible (GTK_WIDGET (self), users != NULL && users[0] != NULL);
}

void
confab_room_shield_set_room (ConfabRoomShield *self,
                             MatrixRoom       *room)
{
  g_return_if_fail (CONFAB_IS_ROOM_SHIELD (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_set_object (&self->room, room);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  if (room == NULL || !matrix_room_get_encrypted (room) || matrix_room_get_client (room) == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  matrix_client_get_unverified_members_async (matrix_room_get_client (room),
                                              matrix_room_get_room_id (room), self->cancellable,
                                              on_unverified_members, self);
}

GtkWidget *
confab_room_shield_new (void)
{
  return g_object_new (CONFAB_TYPE_ROOM_SHIELD, NULL);
}

static void
confab_room_shield_dispose (GObject *object)
{
  ConfabRoomShield *self = CONFAB_ROOM_SHIELD (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->room);
  G_OBJECT_CLASS (confab_room_shield_parent_class)->dispose (object);
}

static void
confab_room_shield_class_init (ConfabRoomShieldClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_room_shield_dispose;
}

static void
confab_room_shield_init (ConfabRoomShield *self)
{
  self->image = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  gtk_widget_add_css_class (self->image, "warning");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self),
                               _("This room has members with sessions that are not verified"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->image), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("This room has members with sessions that are not verified"),
                                  -1);
  adw_bin_set_child (ADW_BIN (self), self->image);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
