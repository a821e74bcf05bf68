/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* MatrixRoom's insides, shared by the files that make it up: matrix-room.c
 * (the object and its public calls), matrix-room-state.c (reading its state,
 * its display name) and matrix-room-updates.c (what each sync changes: the
 * preview, redactions, counts, receipts, invites, restoring from the store).
 * Nothing outside them includes it. */

#include "matrix-room-private.h"

G_BEGIN_DECLS

#define MAX_HEROES 5
/* How much of a message the room's preview shows. */
#define PREVIEW_CHARS 200

struct _MatrixRoom
{
  GObject           parent_instance;

  MatrixClient     *client;
  char             *room_id;
  MatrixTimeline   *timeline;

  MatrixMembership  membership;
  char             *display_name;
  char             *topic;
  char             *avatar_url;
  guint             notification_count;
  guint             highlight_count;
  gint64            last_activity;
  gboolean          bumped;        /* last_activity is that of an event that bumps the room */
  char             *last_message;
  char             *preview_event_id;  /* the message last_message shows */
  char             *inviter;
  gboolean          encrypted;
  /* The event the last read markers named (sent or being sent). */
  char             *read_event_id;

  /* Until the store has loaded the room, the timeline stays empty and the
   * gaps stay as they were read. */
  gboolean          timeline_restored;
  JsonArray        *stored_gaps;

  JsonObject       *summary;       /* merged: the server sends changed fields only */
  JsonObject       *unread;        /* the server's counts */

  /* The counts this client makes with the user's push rules, where the
   * server's are wrong (encrypted rooms) or none (sliding sync). */
  JsonObject       *push_rules;
  guint             own_notifications;
  guint             own_highlights;
  /* The store said the last run showed them: they stand until the room is
   * loaded and can say again whether it is encrypted. */
  gboolean          own_counts_stored;
  GSource          *recount_source;
  GPtrArray        *invite_state;  /* JsonObject; NULL unless invited */
  gint64            invite_ts;

  char             *direct_user_id;
  /* Who types, where each member read, our fully-read marker. */
  MatrixReceipts   *receipts;

  /* Built on demand, dropped when the state changes. */
  GHashTable       *member_names;  /* user id → displayname (joined or invited) */
  GHashTable       *name_counts;   /* displayname → how many members use it */
};

enum {
  PROP_0,
  PROP_ROOM_ID,
  PROP_DISPLAY_NAME,
  PROP_TOPIC,
  PROP_AVATAR_URL,
  PROP_MEMBERSHIP,
  PROP_NOTIFICATION_COUNT,
  PROP_HIGHLIGHT_COUNT,
  PROP_LAST_ACTIVITY,
  PROP_LAST_MESSAGE,
  PROP_INVITER,
  PROP_ENCRYPTED,
  PROP_TIMELINE,
  PROP_TYPING_USERS,
  PROP_FULLY_READ,
  PROP_DIRECT_USER_ID,
  N_PROPS
};

enum {
  RECEIPTS_CHANGED,
  STATE_CHANGED,
  N_SIGNALS
};

extern GParamSpec *_matrix_room_properties[N_PROPS];
extern guint _matrix_room_signals[N_SIGNALS];

/* matrix-room-state.c: helpers for reading state contents. */
const char *_matrix_room_content_string (JsonObject *content,
                                         const char *member);
const char *_matrix_room_nonempty (const char *s);
/* The member names the display name used are read again. */
void _matrix_room_invalidate_members (MatrixRoom *self);
/* Replaces *@field; TRUE if it changed. */
gboolean _matrix_room_set_string (char **field,
                                  const char *value);
/* Name, topic, avatar, encryption read again from the current state. */
void _matrix_room_update_from_state (MatrixRoom *self);

/* matrix-room-updates.c: unread counts recounted when idle, applied; the
 * room data a restart needs written to the store. */
void _matrix_room_schedule_recount (MatrixRoom *self);
void _matrix_room_apply_unread (MatrixRoom *self);
void _matrix_room_save (MatrixRoom *self);

G_END_DECLS
