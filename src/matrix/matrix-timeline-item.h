/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "matrix-event.h"

G_BEGIN_DECLS

/**
 * MatrixTimelineItemKind:
 * @MATRIX_TIMELINE_ITEM_EVENT: an event the server sent in a room's timeline
 *   (state events included when they came in the timeline)
 * @MATRIX_TIMELINE_ITEM_GAP: events are missing here; matrix_timeline_load_older_async()
 *   fills the gap nearest the top
 * @MATRIX_TIMELINE_ITEM_LOCAL_ECHO: an event this client is sending, shown before
 *   the server has it; replaced in place by the server's copy
 *
 * What a #MatrixTimelineItem is (#MatrixTimelineItem:kind).
 */
typedef enum {
  MATRIX_TIMELINE_ITEM_EVENT,
  MATRIX_TIMELINE_ITEM_GAP,
  MATRIX_TIMELINE_ITEM_LOCAL_ECHO,
} MatrixTimelineItemKind;

/**
 * MatrixSendState:
 * @MATRIX_SEND_STATE_NONE: not a local echo
 * @MATRIX_SEND_STATE_PENDING: being sent
 * @MATRIX_SEND_STATE_FAILED: the send failed; matrix_timeline_retry() resends it
 * @MATRIX_SEND_STATE_SENT: the server accepted it; its copy has not come down
 *   the sync yet (it then replaces the echo)
 *
 * How the send of a local echo stands (#MatrixTimelineItem:send-state).
 */
typedef enum {
  MATRIX_SEND_STATE_NONE,
  MATRIX_SEND_STATE_PENDING,
  MATRIX_SEND_STATE_FAILED,
  MATRIX_SEND_STATE_SENT,
} MatrixSendState;

/**
 * MatrixSenderTrust:
 * @MATRIX_SENDER_TRUST_NONE: the item is not an encrypted event, or not
 *   decrypted (yet)
 * @MATRIX_SENDER_TRUST_VERIFIED: the device that sent the event is verified:
 *   cross-signed by a user identity this session trusts, or verified by this
 *   session (e.g. with emoji)
 * @MATRIX_SENDER_TRUST_UNVERIFIED: the sending device is known but not
 *   verified
 * @MATRIX_SENDER_TRUST_UNKNOWN_DEVICE: no device of the sender's is known to
 *   own the room key the event was encrypted with (deleted, never listed, or
 *   the key came from a backup)
 *
 * How far the device an encrypted event came from is trusted
 * (#MatrixTimelineItem:sender-trust): clients show a warning on events from
 * devices that are not verified.
 */
typedef enum {
  MATRIX_SENDER_TRUST_NONE,
  MATRIX_SENDER_TRUST_VERIFIED,
  MATRIX_SENDER_TRUST_UNVERIFIED,
  MATRIX_SENDER_TRUST_UNKNOWN_DEVICE,
} MatrixSenderTrust;

/**
 * MatrixReplyState:
 * @MATRIX_REPLY_STATE_NONE: the item is not a reply
 * @MATRIX_REPLY_STATE_UNKNOWN: a reply to an event the timeline does not have
 *   (yet): matrix_timeline_load_reply_async() asks the server for it
 * @MATRIX_REPLY_STATE_LOADING: the event replied to is being fetched
 * @MATRIX_REPLY_STATE_LOADED: matrix_timeline_item_get_in_reply_to() is the
 *   event replied to
 * @MATRIX_REPLY_STATE_INACCESSIBLE: the server would not give the event
 *   replied to (it does not exist, or the user may not see it)
 *
 * Whether a reply can quote the event it answers
 * (#MatrixTimelineItem:reply-state). Replies often answer events older than
 * the timeline holds, so those are fetched only when a reply is shown.
 */
typedef enum {
  MATRIX_REPLY_STATE_NONE,
  MATRIX_REPLY_STATE_UNKNOWN,
  MATRIX_REPLY_STATE_LOADING,
  MATRIX_REPLY_STATE_LOADED,
  MATRIX_REPLY_STATE_INACCESSIBLE,
} MatrixReplyState;

#define MATRIX_TYPE_REPLY_STATE (matrix_reply_state_get_type ())
GType matrix_reply_state_get_type (void) G_GNUC_CONST;

#define MATRIX_TYPE_TIMELINE_ITEM_KIND (matrix_timeline_item_kind_get_type ())
GType matrix_timeline_item_kind_get_type (void) G_GNUC_CONST;
#define MATRIX_TYPE_SENDER_TRUST (matrix_sender_trust_get_type ())
GType matrix_sender_trust_get_type (void) G_GNUC_CONST;

#define MATRIX_TYPE_SEND_STATE (matrix_send_state_get_type ())
GType matrix_send_state_get_type (void) G_GNUC_CONST;

#define MATRIX_TYPE_TIMELINE_ITEM (matrix_timeline_item_get_type ())
G_DECLARE_FINAL_TYPE (MatrixTimelineItem, matrix_timeline_item, MATRIX, TIMELINE_ITEM, GObject)

/*
 * Properties (all read-only): kind (MatrixTimelineItemKind), event (MatrixEvent,
 * EVENT only), event-id, event-type, sender, content (JsonObject), origin-server-ts
 * (gint64 ms; the local time the send began for an echo), transaction-id (echoes),
 * send-state (MatrixSendState, notifies), gap-token (GAP only),
 * msgtype, body, formatted-body (what a message shows now: see the getters),
 * edited (gboolean), replacement (MatrixEvent: the newest valid edit),
 * reply-state (MatrixReplyState), in-reply-to (MatrixTimelineItem),
 * thread-count (guint), thread-latest (MatrixEvent), redacting (gboolean).
 * Each of these notifies when it changes; the reactions are a #GListModel
 * of #MatrixReaction that changes in place.
 * For a GAP, event-type, sender and content are NULL and origin-server-ts is 0.
 */

MatrixTimelineItemKind  matrix_timeline_item_get_kind             (MatrixTimelineItem *self);
MatrixEvent            *matrix_timeline_item_get_event            (MatrixTimelineItem *self);
const char             *matrix_timeline_item_get_event_id         (MatrixTimelineItem *self);
const char             *matrix_timeline_item_get_event_type       (MatrixTimelineItem *self);
const char             *matrix_timeline_item_get_sender           (MatrixTimelineItem *self);
JsonObject             *matrix_timeline_item_get_content          (MatrixTimelineItem *self);
gint64                  matrix_timeline_item_get_origin_server_ts (MatrixTimelineItem *self);
const char             *matrix_timeline_item_get_transaction_id   (MatrixTimelineItem *self);
MatrixSendState         matrix_timeline_item_get_send_state       (MatrixTimelineItem *self);
const GError           *matrix_timeline_item_get_send_error       (MatrixTimelineItem *self);
const GError           *matrix_timeline_item_get_decryption_error (MatrixTimelineItem *self);
MatrixSenderTrust       matrix_timeline_item_get_sender_trust     (MatrixTimelineItem *self);
const char             *matrix_timeline_item_get_gap_token        (MatrixTimelineItem *self);

const char             *matrix_timeline_item_get_msgtype          (MatrixTimelineItem *self);
const char             *matrix_timeline_item_get_body             (MatrixTimelineItem *self);
const char             *matrix_timeline_item_get_formatted_body   (MatrixTimelineItem *self);

gboolean                matrix_timeline_item_get_edited           (MatrixTimelineItem *self);
MatrixEvent            *matrix_timeline_item_get_replacement      (MatrixTimelineItem *self);
GPtrArray              *matrix_timeline_item_dup_edits            (MatrixTimelineItem *self);
GListModel             *matrix_timeline_item_get_reactions        (MatrixTimelineItem *self);
const char             *matrix_timeline_item_get_in_reply_to_id   (MatrixTimelineItem *self);
MatrixReplyState        matrix_timeline_item_get_reply_state      (MatrixTimelineItem *self);
MatrixTimelineItem     *matrix_timeline_item_get_in_reply_to      (MatrixTimelineItem *self);
guint                   matrix_timeline_item_get_thread_count     (MatrixTimelineItem *self);
MatrixEvent            *matrix_timeline_item_get_thread_latest    (MatrixTimelineItem *self);
gboolean                matrix_timeline_item_get_redacting        (MatrixTimelineItem *self);

G_END_DECLS
