/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MATRIX_ERROR (matrix_error_quark ())

/**
 * MatrixError:
 * @MATRIX_ERROR_FAILED: anything not covered below
 * @MATRIX_ERROR_HTTP: the server answered with an error status and no Matrix error body
 * @MATRIX_ERROR_INVALID_JSON: the body is not JSON (or not the expected content type)
 * @MATRIX_ERROR_INVALID_RESPONSE: JSON that does not match the schema of the endpoint
 * @MATRIX_ERROR_SERVER: a Matrix error response with an `errcode` not listed below
 * @MATRIX_ERROR_FORBIDDEN: `M_FORBIDDEN` (e.g. a wrong password)
 * @MATRIX_ERROR_UNKNOWN_TOKEN: `M_UNKNOWN_TOKEN`: the session has ended
 * @MATRIX_ERROR_MISSING_TOKEN: `M_MISSING_TOKEN`
 * @MATRIX_ERROR_LIMIT_EXCEEDED: `M_LIMIT_EXCEEDED`: rate limited
 * @MATRIX_ERROR_NOT_FOUND: `M_NOT_FOUND`
 * @MATRIX_ERROR_NOT_LOGGED_IN: a request that needs an access token was made without one
 * @MATRIX_ERROR_ROOM_ENCRYPTED: refused before any request was made: an event
 *   that would carry readable content (anything sent with `/send/` but
 *   `m.room.redaction` and `m.room.encrypted`) into a room whose state has
 *   `m.room.encryption`, by a client without end-to-end encryption keys. Such
 *   an event is never sent there in the clear; see
 *   matrix_client_send_event_async(). Also an encrypted room asked of
 *   matrix_client_create_room_with_options_async() by such a client.
 * @MATRIX_ERROR_INVALID_USER_ID: refused before any request was made: not a
 *   user id (`@localpart:server`)
 * @MATRIX_ERROR_ALREADY_MEMBER: the user is already in the room (or invited
 *   to it), so inviting them again would do nothing
 * @MATRIX_ERROR_UNKNOWN_USER: the server knows no such user (an invite's
 *   `M_NOT_FOUND`, or a profile that does not exist)
 * @MATRIX_ERROR_TOO_LARGE: `M_TOO_LARGE`, or media refused by the client
 *   before or while it was transferred because it is larger than allowed
 * @MATRIX_ERROR_DECRYPTION_KEY_MISSING: an encrypted event whose room key
 *   has not arrived; it may still come, and the event is then decrypted
 * @MATRIX_ERROR_DECRYPTION_FAILED: an encrypted event that cannot be
 *   decrypted: damaged, forged, or not encrypted for this session
 * @MATRIX_ERROR_ROOM_IN_USE: `M_ROOM_IN_USE`: the room alias asked for
 *   belongs to another room already
 * @MATRIX_ERROR_INVALID_ALIAS: refused before any request was made: not a
 *   room alias (`#localpart:server`), or not a localpart of one
 * @MATRIX_ERROR_INVALID_LINK: not a `matrix:` URI or matrix.to link to a
 *   room, an event or a user (see matrix_link_parse())
 *
 * Errors of the %MATRIX_ERROR domain. Errors built from a server response also
 * carry the server's `errcode`, HTTP status and `retry_after_ms`; read them with
 * matrix_error_get_errcode() and friends.
 */
typedef enum {
  MATRIX_ERROR_FAILED,
  MATRIX_ERROR_HTTP,
  MATRIX_ERROR_INVALID_JSON,
  MATRIX_ERROR_INVALID_RESPONSE,
  MATRIX_ERROR_SERVER,
  MATRIX_ERROR_FORBIDDEN,
  MATRIX_ERROR_UNKNOWN_TOKEN,
  MATRIX_ERROR_MISSING_TOKEN,
  MATRIX_ERROR_LIMIT_EXCEEDED,
  MATRIX_ERROR_NOT_FOUND,
  MATRIX_ERROR_NOT_LOGGED_IN,
  MATRIX_ERROR_ROOM_ENCRYPTED,
  MATRIX_ERROR_INVALID_USER_ID,
  MATRIX_ERROR_ALREADY_MEMBER,
  MATRIX_ERROR_UNKNOWN_USER,
  MATRIX_ERROR_TOO_LARGE,
  MATRIX_ERROR_DECRYPTION_KEY_MISSING,
  MATRIX_ERROR_DECRYPTION_FAILED,
  MATRIX_ERROR_ROOM_IN_USE,
  MATRIX_ERROR_INVALID_ALIAS,
  MATRIX_ERROR_INVALID_LINK,
} MatrixError;

GQuark      matrix_error_quark                (void);

GError     *matrix_error_new_from_response    (guint        http_status,
                                               const char  *errcode,
                                               const char  *message,
                                               gint64       retry_after_ms,
                                               gboolean     soft_logout);
const char *matrix_error_get_errcode          (const GError *error);
guint       matrix_error_get_http_status      (const GError *error);
gint64      matrix_error_get_retry_after_ms   (const GError *error);
gboolean    matrix_error_get_soft_logout      (const GError *error);

G_END_DECLS
