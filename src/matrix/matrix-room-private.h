/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-room.h"

G_BEGIN_DECLS

/* The tracker owns the rooms and feeds them what a sync brings. */
MatrixRoom *_matrix_room_new              (MatrixClient *client,
                                           const char   *room_id);
/* Restores membership, summary, counts, invite and timeline from the store;
 * FALSE when the store says we left the room. */
gboolean    _matrix_room_restore          (MatrixRoom   *self);
/* The store has loaded the rest of the room: its timeline can be restored. */
void        _matrix_room_loaded           (MatrixRoom   *self);
/* The room's state changed in the store. */
void        _matrix_room_state_changed    (MatrixRoom   *self);
/* (transfer full) (nullable): the content of the state event (type, key),
 * from the store or, for an invite, its stripped state. */
JsonObject *_matrix_room_dup_state_content (MatrixRoom  *self,
                                            const char  *type,
                                            const char  *state_key);
void        _matrix_room_append_timeline  (MatrixRoom   *self,
                                           GPtrArray    *events,
                                           gboolean      limited,
                                           const char   *prev_batch);
void        _matrix_room_update_summary   (MatrixRoom   *self,
                                           JsonObject   *summary,
                                           JsonObject   *unread_notifications);
/* A joined room's ephemeral events (m.typing, m.receipt) and account data
 * (m.fully_read), JsonObject each. */
void        _matrix_room_apply_ephemeral  (MatrixRoom   *self,
                                           GPtrArray    *events);
void        _matrix_room_apply_account_data (MatrixRoom *self,
                                             GPtrArray  *events);
void        _matrix_room_set_invite       (MatrixRoom   *self,
                                           GPtrArray    *stripped_state);
void        _matrix_room_set_membership   (MatrixRoom   *self,
                                           MatrixMembership membership);
/* The content of the user's m.push_rules (NULL: the spec's defaults), by
 * which the room counts its unread notifications where the server's counts
 * are wrong (encrypted rooms) or missing (sliding sync). */
void        _matrix_room_set_push_rules   (MatrixRoom   *self,
                                           JsonObject   *push_rules);
/* Whom m.direct says the room is a direct chat with (NULL: nobody). */
void        _matrix_room_set_direct_user  (MatrixRoom   *self,
                                           const char   *user_id);

/* Whether the room list may show @event as its room's last message: an
 * m.room.message with a body that edits no other (an edit shows in the
 * preview of what it edits). Also what the SQLite store's lazy open reads
 * a room's events back to, so the two agree. */
gboolean    _matrix_room_event_is_preview (MatrixEvent  *event);

/* How a room is named, shared with the store's lazy loader, which reads
 * what a room list's name needs of a room by the same rules. */
char       *_matrix_room_state_name       (JsonObject   *name_content,
                                           JsonObject   *alias_content);
GPtrArray  *_matrix_room_summary_heroes   (JsonObject   *summary,
                                           const char   *own_id);
gboolean    _matrix_room_summary_counts   (JsonObject   *summary,
                                           gint64       *joined,
                                           gint64       *invited);
/* Whether @event moves its room up the list (see matrix_room_get_last_activity()).
 * Every preview bumps its room. */
gboolean    _matrix_room_event_bumps      (MatrixEvent  *event,
                                           const char   *own_user_id);

G_END_DECLS
