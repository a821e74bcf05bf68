/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-notifier"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-notifier.h"

/**
 * ConfabNotifier:
 *
 * Desktop notifications for the rooms of a session: one per room whose
 * notification count went up (the server's push rules decide what counts)
 * and per new invite, each opening its room through `app.open-room`.
 */
struct _ConfabNotifier
{
  GObject       parent_instance;

  GApplication *application;   /* weak */
  /* room id → the notification count last seen (joined) or G_MAXUINT
   * (invited), to notify only of what is new; NULL before the first sync. */
  GHashTable   *seen_counts;
};

G_DEFINE_FINAL_TYPE (ConfabNotifier, confab_notifier, G_TYPE_OBJECT)

ConfabNotifier *
confab_notifier_new (void)
{
  return g_object_new (CONFAB_TYPE_NOTIFIER, NULL);
}

void
confab_notifier_set_application (ConfabNotifier *self,
                                 GApplication   *application)
{
  g_return_if_fail (CONFAB_IS_NOTIFIER (self));

  g_set_weak_pointer (&self->application, application);
}

static void
send_room_notification (GApplication *app,
                        MatrixRoom   *room,
                        gboolean      invite)
{
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GIcon) icon = g_themed_icon_new (APP_ID);
  g_autofree char *id = g_strconcat ("room-", matrix_room_get_room_id (room), NULL);
  g_autofree char *body = NULL;

  notification = g_notification_new (matrix_room_get_display_name (room));
  if (invite)
    {
      const char *inviter = matrix_room_get_inviter (room);
      g_autofree char *name = inviter ? matrix_room_dup_member_display_name (room, inviter) : NULL;

      body = name != NULL ? g_strdup_printf (_("%s invited you"), name) : g_strdup (_("You are invited"));
    }
  else
    {
      body = g_strdup (matrix_room_get_last_message (room));
    }
  if (body != NULL)
    g_notification_set_body (notification, body);
  g_notification_set_icon (notification, icon);
  if (matrix_room_get_highlight_count (room) > 0)
    g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action_and_target (notification, "app.open-room", "s",
                                                matrix_room_get_room_id (room));
  g_application_send_notification (app, id, notification);
}

static void
withdraw_room_notification (GApplication *app,
                            const char   *room_id)
{
  g_autofree char *id = g_strconcat ("room-", room_id, NULL);

  g_application_withdraw_notification (app, id);
}

/* A room read again, or gone from the list, loses its notification.
 * Nothing on the first sync after sign-in or start, which only catches
 * up. */
void
confab_notifier_update (ConfabNotifier *self,
                        GListModel     *rooms,
                        MatrixRoom     *shown_room)
{
  GApplication *app;
  g_autoptr(GHashTable) seen = NULL;
  GHashTableIter iter;
  gpointer room_id, value;

  g_return_if_fail (CONFAB_IS_NOTIFIER (self));
  g_return_if_fail (G_IS_LIST_MODEL (rooms));

  app = self->application;
  seen = g_steal_pointer (&self->seen_counts);
  self->seen_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    {
      g_autoptr(MatrixRoom) room = g_list_model_get_item (rooms, i);
      const char *id = matrix_room_get_room_id (room);
      gboolean invite = matrix_room_get_membership (room) == MATRIX_MEMBERSHIP_INVITE;
      guint count = invite ? G_MAXUINT : matrix_room_get_notification_count (room);
      gboolean known = seen != NULL && g_hash_table_lookup_extended (seen, id, NULL, &value);
      guint before = known ? GPOINTER_TO_UINT (value) : 0;

      if (known)
        g_hash_table_remove (seen, id);
      g_hash_table_insert (self->seen_counts, g_strdup (id), GUINT_TO_POINTER (count));

      if (app == NULL || seen == NULL)
        continue;
      if (count > before && room != shown_room)
        send_room_notification (app, room, invite);
      else if (count == 0 && before > 0)
        withdraw_room_notification (app, id);
    }

  /* Rooms no longer listed (left, or an invite declined). */
  if (app != NULL && seen != NULL)
    {
      g_hash_table_iter_init (&iter, seen);
      while (g_hash_table_iter_next (&iter, &room_id, &value))
        if (GPOINTER_TO_UINT (value) > 0)
          withdraw_room_notification (app, room_id);
    }
}

void
confab_notifier_withdraw_all (ConfabNotifier *self)
{
  GHashTableIter iter;
  gpointer room_id, count;

  g_return_if_fail (CONFAB_IS_NOTIFIER (self));

  if (self->seen_counts == NULL)
    return;

  g_hash_table_iter_init (&iter, self->seen_counts);
  while (self->application != NULL && g_hash_table_iter_next (&iter, &room_id, &count))
    if (GPOINTER_TO_UINT (count) > 0)
      withdraw_room_notification (self->application, room_id);
  g_clear_pointer (&self->seen_counts, g_hash_table_unref);
}

static void
confab_notifier_dispose (GObject *object)
{
  ConfabNotifier *self = CONFAB_NOTIFIER (object);

  g_clear_weak_pointer (&self->application);
  g_clear_pointer (&self->seen_counts, g_hash_table_unref);

  G_OBJECT_CLASS (confab_notifier_parent_class)->dispose (object);
}

static void
confab_notifier_class_init (ConfabNotifierClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_notifier_dispose;
}

static void
confab_notifier_init (ConfabNotifier *self)
{
}
