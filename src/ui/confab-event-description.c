/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-event-description"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-event-description.h"

/* How much of a topic a description quotes. */
#define TOPIC_CHARS 300
#define TOPIC_LINES 3

char *
confab_event_dup_name (MatrixRoom *room,
                       const char *user_id)
{
  char *name = NULL;

  if (user_id == NULL)
    return g_strdup (_("Someone"));

  if (room != NULL)
    name = matrix_room_dup_member_display_name (room, user_id);

  return name != NULL && *name != '\0' ? name : (g_free (name), g_strdup (user_id));
}

static const char *
nonempty (const char *s)
{
  return s != NULL && *s != '\0' ? s : NULL;
}

/* A member who stays joined changed their name or avatar, as the previous
 * content (when the server sent it) tells. */
static char *
describe_profile_change (MatrixEvent *event,
                         const char  *user_id)
{
  const char *name = nonempty (matrix_event_get_content_string (event, "displayname"));
  const char *old_name = nonempty (matrix_event_get_prev_content_string (event, "displayname"));
  const char *avatar = nonempty (matrix_event_get_content_string (event, "avatar_url"));
  const char *old_avatar = nonempty (matrix_event_get_prev_content_string (event, "avatar_url"));
  gboolean avatar_changed = g_strcmp0 (avatar, old_avatar) != 0;

  if (g_strcmp0 (name, old_name) != 0)
    {
      if (old_name != NULL && name != NULL)
        return avatar_changed
          ? g_strdup_printf (_("%s changed their name to %s and changed their avatar"), old_name, name)
          : g_strdup_printf (_("%s changed their name to %s"), old_name, name);
      if (name != NULL)
        return avatar_changed
          ? g_strdup_printf (_("%s set their name to %s and changed their avatar"), user_id, name)
          : g_strdup_printf (_("%s set their name to %s"), user_id, name);
      return avatar_changed
        ? g_strdup_printf (_("%s removed their name and changed their avatar"), old_name)
        : g_strdup_printf (_("%s removed their name"), old_name);
    }

  if (name == NULL)
    name = user_id;
  if (avatar_changed && avatar != NULL)
    return g_strdup_printf (_("%s changed their avatar"), name);
  if (avatar_changed)
    return g_strdup_printf (_("%s removed their avatar"), name);
  /* Something else of theirs changed, or the server sent no previous content. */
  return g_strdup_printf (_("%s updated their profile"), name);
}

static char *
describe_member (MatrixRoom  *room,
                 MatrixEvent *event,
                 const char  *sender)
{
  const char *membership = matrix_event_get_content_string (event, "membership");
  const char *prev_membership = matrix_event_get_prev_content_string (event, "membership");
  const char *target_id = matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event));
  const char *displayname = matrix_event_get_content_string (event, "displayname");
  const char *reason = nonempty (matrix_event_get_content_string (event, "reason"));
  g_autofree char *target = NULL;
  gboolean self_change = g_strcmp0 (target_id, matrix_event_get_sender (event)) == 0;

  /* Join to join is no joining: a profile change (a redacted one has lost
   * what changed). */
  if (g_strcmp0 (membership, "join") == 0 && g_strcmp0 (prev_membership, "join") == 0)
    {
      if (!matrix_event_is_redacted (event))
        return describe_profile_change (event, target_id);
      target = confab_event_dup_name (room, target_id);
      return g_strdup_printf (_("%s updated their profile"), target);
    }

  /* The name the event gives the member (a join or invite carries the one
   * they have from then on), else the one they had before it (a leave or a
   * ban carries none), else what the room knows. */
  if (nonempty (displayname) != NULL)
    target = g_strdup (displayname);
  else if (nonempty (matrix_event_get_prev_content_string (event, "displayname")) != NULL)
    target = g_strdup (matrix_event_get_prev_content_string (event, "displayname"));
  else
    target = confab_event_dup_name (room, target_id);

  if (g_strcmp0 (membership, "join") == 0)
    return g_strdup_printf (_("%s joined"), target);

  if (g_strcmp0 (membership, "invite") == 0)
    return reason != NULL
      /* Translators: who invited whom, and why */
      ? g_strdup_printf (_("%s invited %s: %s"), sender, target, reason)
      : g_strdup_printf (_("%s invited %s"), sender, target);

  if (g_strcmp0 (membership, "leave") == 0 && self_change)
    {
      if (g_strcmp0 (prev_membership, "invite") == 0)
        return reason != NULL
          /* Translators: who declined an invitation, and why */
          ? g_strdup_printf (_("%s rejected the invitation: %s"), target, reason)
          : g_strdup_printf (_("%s rejected the invitation"), target);
      if (g_strcmp0 (prev_membership, "knock") == 0)
        return g_strdup_printf (_("%s no longer asks to join"), target);
      return reason != NULL
        /* Translators: who left, and why */
        ? g_strdup_printf (_("%s left: %s"), target, reason)
        : g_strdup_printf (_("%s left"), target);
    }

  if (g_strcmp0 (membership, "leave") == 0)
    {
      if (g_strcmp0 (prev_membership, "invite") == 0)
        return reason != NULL
          /* Translators: who withdrew whose invitation, and why */
          ? g_strdup_printf (_("%s withdrew the invitation of %s: %s"), sender, target, reason)
          : g_strdup_printf (_("%s withdrew the invitation of %s"), sender, target);
      if (g_strcmp0 (prev_membership, "ban") == 0)
        return reason != NULL
          /* Translators: who lifted whose ban, and why */
          ? g_strdup_printf (_("%s unbanned %s: %s"), sender, target, reason)
          : g_strdup_printf (_("%s unbanned %s"), sender, target);
      if (g_strcmp0 (prev_membership, "knock") == 0)
        return reason != NULL
          /* Translators: who turned down whose request to join, and why */
          ? g_strdup_printf (_("%s declined the request of %s to join: %s"), sender, target, reason)
          : g_strdup_printf (_("%s declined the request of %s to join"), sender, target);
      return reason != NULL
        /* Translators: who removed (kicked) whom from the room, and why */
        ? g_strdup_printf (_("%s removed %s: %s"), sender, target, reason)
        : g_strdup_printf (_("%s removed %s"), sender, target);
    }

  if (g_strcmp0 (membership, "ban") == 0)
    return reason != NULL
      /* Translators: who banned whom, and why */
      ? g_strdup_printf (_("%s banned %s: %s"), sender, target, reason)
      : g_strdup_printf (_("%s banned %s"), sender, target);

  if (g_strcmp0 (membership, "knock") == 0)
    return reason != NULL
      /* Translators: who asked to join the room, and why */
      ? g_strdup_printf (_("%s asked to join: %s"), target, reason)
      : g_strdup_printf (_("%s asked to join"), target);

  return g_strdup_printf (_("%s changed the membership of %s"), sender, target);
}

char *
confab_event_describe (MatrixRoom  *room,
                       MatrixEvent *event)
{
  const char *type = matrix_event_get_event_type (event);
  g_autofree char *sender = confab_event_dup_name (room, matrix_event_get_sender (event));
  gboolean is_state = MATRIX_IS_STATE_EVENT (event);

  if (g_strcmp0 (type, "m.room.message") == 0 && !is_state)
    {
      if (matrix_event_get_content_string (event, "body") != NULL)
        return NULL;
      /* A redacted message keeps its type but loses its content. */
      return g_strdup_printf (_("%s deleted a message"), sender);
    }

  if (is_state && g_strcmp0 (type, "m.room.member") == 0)
    return describe_member (room, event, sender);

  /* Anything else redacted has lost what it said (a member event keeps its
   * membership, described above). */
  if (matrix_event_is_redacted (event))
    return g_strdup_printf (_("An event by %s was deleted"), sender);

  if (is_state && g_strcmp0 (type, "m.room.name") == 0)
    {
      const char *raw_name = matrix_event_get_content_string (event, "name");
      g_autofree char *name = raw_name != NULL ? matrix_text_dup_name (raw_name) : NULL;

      if (name != NULL)
        return g_strdup_printf (_("%s changed the room name to %s"), sender, name);
      return g_strdup_printf (_("%s removed the room name"), sender);
    }

  if (is_state && g_strcmp0 (type, "m.room.topic") == 0)
    {
      const char *topic = matrix_event_get_content_string (event, "topic");

      if (topic != NULL && *topic != '\0')
        {
          /* A topic can be 64 KB: its start, its overrides ended. */
          g_autofree char *start = matrix_text_preview (topic, TOPIC_CHARS, TOPIC_LINES);
          g_autofree char *bounded = matrix_text_bound (start, -1);

          return g_strdup_printf (_("%s changed the topic to %s"), sender, bounded);
        }
      return g_strdup_printf (_("%s removed the topic"), sender);
    }

  if (is_state && g_strcmp0 (type, "m.room.create") == 0)
    return g_strdup_printf (_("%s created the room"), sender);

  if (is_state && g_strcmp0 (type, "m.room.avatar") == 0)
    return g_strdup_printf (_("%s changed the room avatar"), sender);

  if (is_state && g_strcmp0 (type, "m.room.canonical_alias") == 0)
    {
      const char *alias = matrix_event_get_content_string (event, "alias");

      if (alias != NULL && *alias != '\0')
        return g_strdup_printf (_("%s set the room address to %s"), sender, alias);
      return g_strdup_printf (_("%s removed the room address"), sender);
    }

  if (is_state && g_strcmp0 (type, "m.room.join_rules") == 0)
    {
      const char *rule = matrix_event_get_content_string (event, "join_rule");

      if (g_strcmp0 (rule, "public") == 0)
        return g_strdup_printf (_("%s made the room public"), sender);
      if (g_strcmp0 (rule, "invite") == 0)
        return g_strdup_printf (_("%s made the room invite only"), sender);
      return g_strdup_printf (_("%s changed who can join the room"), sender);
    }

  if (is_state && g_strcmp0 (type, "m.room.history_visibility") == 0)
    return g_strdup_printf (_("%s changed who can read the history"), sender);

  if (is_state && g_strcmp0 (type, "m.room.power_levels") == 0)
    return g_strdup_printf (_("%s changed the permissions"), sender);

  if (is_state && g_strcmp0 (type, "m.room.guest_access") == 0)
    return g_strdup_printf (_("%s changed guest access"), sender);

  if (is_state && g_strcmp0 (type, "m.room.encryption") == 0)
    return g_strdup_printf (_("%s turned on end-to-end encryption"), sender);

  if (g_strcmp0 (type, "m.room.encrypted") == 0)
    return g_strdup_printf (_("%s sent an encrypted message (this session has no keys to read it)"),
                            sender);

  if (g_strcmp0 (type, "m.sticker") == 0)
    return g_strdup_printf (_("%s sent a sticker"), sender);

  if (g_strcmp0 (type, "m.reaction") == 0)
    return g_strdup_printf (_("%s reacted to a message"), sender);

  if (g_strcmp0 (type, "m.room.redaction") == 0)
    return g_strdup_printf (_("%s deleted a message"), sender);

  return g_strdup_printf (_("%s sent an event of type %s"), sender, type ? type : "?");
}

char *
confab_thread_summary (MatrixRoom         *room,
                       MatrixTimelineItem *root)
{
  guint n = matrix_timeline_item_get_thread_count (root);
  MatrixEvent *latest = matrix_timeline_item_get_thread_latest (root);
  g_autofree char *count = g_strdup_printf (ngettext ("%u reply", "%u replies", n), n);
  const char *body = latest ? matrix_event_get_content_string (latest, "body") : NULL;
  g_autofree char *sender = NULL;
  g_autofree char *line = NULL;

  if (body == NULL)
    return g_steal_pointer (&count);

  sender = confab_event_dup_name (room, matrix_event_get_sender (latest));
  line = g_utf8_strlen (body, -1) > 120 ? g_utf8_substring (body, 0, 120) : g_strdup (body);
  g_strdelimit (line, "\n\r\t", ' ');
  /* Translators: a thread's reply count, then who wrote its newest reply and what */
  return g_strdup_printf (_("%s · %s: %s"), count, sender, line);
}

static gboolean
contains_word (const char *text,
               const char *word)
{
  g_autofree char *folded_text = NULL;
  g_autofree char *folded_word = NULL;
  const char *found;
  gsize length;

  if (word == NULL || *word == '\0')
    return FALSE;

  folded_text = g_utf8_casefold (text, -1);
  folded_word = g_utf8_casefold (word, -1);
  length = strlen (folded_word);
  for (found = strstr (folded_text, folded_word); found != NULL;
       found = strstr (found + 1, folded_word))
    {
      gunichar before = found > folded_text ?
        g_utf8_get_char (g_utf8_prev_char (found)) : ' ';
      gunichar after = g_utf8_get_char (found + length);

      if (!g_unichar_isalnum (before) && (after == 0 || !g_unichar_isalnum (after)))
        return TRUE;
    }

  return FALSE;
}

gboolean
confab_item_mentions_user (MatrixRoom         *room,
                           MatrixTimelineItem *item)
{
  const char *own, *body;
  g_autofree char *name = NULL;

  if (room == NULL || item == NULL)
    return FALSE;

  own = matrix_client_get_user_id (matrix_room_get_client (room));
  body = matrix_timeline_item_get_body (item);
  if (own == NULL || body == NULL ||
      g_strcmp0 (matrix_timeline_item_get_sender (item), own) == 0)
    return FALSE;

  if (strstr (body, own) != NULL)
    return TRUE;
  name = matrix_room_dup_member_display_name (room, own);

  return name != NULL && contains_word (body, name);
}
