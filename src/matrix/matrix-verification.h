/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "matrix-client.h"

G_BEGIN_DECLS

/**
 * MatrixVerificationState:
 * @MATRIX_VERIFICATION_STARTED: one side sent the start; nobody accepted yet
 * @MATRIX_VERIFICATION_ACCEPTED: the verification was accepted; the keys
 *   are being exchanged
 * @MATRIX_VERIFICATION_KEYS_EXCHANGED: the emoji are known: show them and
 *   ask the user whether both sides show the same
 * @MATRIX_VERIFICATION_CONFIRMED: this side said the emoji match and waits
 *   for the other side
 * @MATRIX_VERIFICATION_DONE: both sides confirmed: the other device (or
 *   user) is verified
 * @MATRIX_VERIFICATION_CANCELLED: one side cancelled, the emoji did not
 *   match, or it timed out: see matrix_verification_get_cancel_reason()
 *
 * Where an emoji (SAS) verification is.
 */
typedef enum {
  MATRIX_VERIFICATION_STARTED,
  MATRIX_VERIFICATION_ACCEPTED,
  MATRIX_VERIFICATION_KEYS_EXCHANGED,
  MATRIX_VERIFICATION_CONFIRMED,
  MATRIX_VERIFICATION_DONE,
  MATRIX_VERIFICATION_CANCELLED,
} MatrixVerificationState;

#define MATRIX_TYPE_VERIFICATION_STATE (matrix_verification_state_get_type ())
GType matrix_verification_state_get_type (void) G_GNUC_CONST;

/**
 * MatrixDevice:
 * @user_id: the user the device belongs to
 * @device_id: the device's id
 * @display_name: (nullable): its name, as the server or its keys say
 * @ed25519: (nullable): its Ed25519 fingerprint key (unpadded base64), or
 *   %NULL when its keys are not known (yet)
 * @last_seen_ts: when the server last saw it (ms since the epoch), or 0
 *   when unknown (the server tells only of the user's own devices)
 * @last_seen_ip: (nullable): the address the server last saw it at
 * @verified: whether this session trusts it: verified by emoji, or
 *   cross-signed by a verified identity
 * @is_this_device: whether it is this session
 *
 * One device (session) of a user, with what end-to-end encryption knows of
 * it.
 */
typedef struct {
  char     *user_id;
  char     *device_id;
  char     *display_name;
  char     *ed25519;
  gint64    last_seen_ts;
  char     *last_seen_ip;
  gboolean  verified;
  gboolean  is_this_device;
} MatrixDevice;

#define MATRIX_TYPE_DEVICE (matrix_device_get_type ())
GType         matrix_device_get_type   (void) G_GNUC_CONST;
MatrixDevice *matrix_device_copy       (const MatrixDevice *device);
void          matrix_device_free       (MatrixDevice       *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MatrixDevice, matrix_device_free)

#define MATRIX_TYPE_VERIFICATION (matrix_verification_get_type ())
G_DECLARE_FINAL_TYPE (MatrixVerification, matrix_verification, MATRIX, VERIFICATION, GObject)

MatrixVerificationState  matrix_verification_get_state               (MatrixVerification  *self);
const char              *matrix_verification_get_flow_id             (MatrixVerification  *self);
const char              *matrix_verification_get_other_user_id       (MatrixVerification  *self);
const char              *matrix_verification_get_other_device_id     (MatrixVerification  *self);
gboolean                 matrix_verification_get_we_started          (MatrixVerification  *self);
const char * const      *matrix_verification_get_emoji               (MatrixVerification  *self);
const char * const      *matrix_verification_get_emoji_descriptions  (MatrixVerification  *self);
const char              *matrix_verification_get_cancel_reason       (MatrixVerification  *self);

void                     matrix_verification_accept_async            (MatrixVerification  *self,
                                                                      GCancellable        *cancellable,
                                                                      GAsyncReadyCallback  callback,
                                                                      gpointer             user_data);
gboolean                 matrix_verification_accept_finish           (MatrixVerification  *self,
                                                                      GAsyncResult        *result,
                                                                      GError             **error);
void                     matrix_verification_confirm_async           (MatrixVerification  *self,
                                                                      GCancellable        *cancellable,
                                                                      GAsyncReadyCallback  callback,
                                                                      gpointer             user_data);
gboolean                 matrix_verification_confirm_finish          (MatrixVerification  *self,
                                                                      GAsyncResult        *result,
                                                                      GError             **error);
void                     matrix_verification_cancel_async            (MatrixVerification  *self,
                                                                      GCancellable        *cancellable,
                                                                      GAsyncReadyCallback  callback,
                                                                      gpointer             user_data);
gboolean                 matrix_verification_cancel_finish           (MatrixVerification  *self,
                                                                      GAsyncResult        *result,
                                                                      GError             **error);

void                     matrix_client_start_verification_async      (MatrixClient        *client,
                                                                      const char          *user_id,
                                                                      const char          *device_id,
                                                                      GCancellable        *cancellable,
                                                                      GAsyncReadyCallback  callback,
                                                                      gpointer             user_data);
MatrixVerification      *matrix_client_start_verification_finish     (MatrixClient        *client,
                                                                      GAsyncResult        *result,
                                                                      GError             **error);

void                     matrix_client_bootstrap_cross_signing_async  (MatrixClient        *client,
                                                                       const char          *password,
                                                                       GCancellable        *cancellable,
                                                                       GAsyncReadyCallback  callback,
                                                                       gpointer             user_data);
gboolean                 matrix_client_bootstrap_cross_signing_finish (MatrixClient        *client,
                                                                       GAsyncResult        *result,
                                                                       GError             **error);

void                     matrix_client_get_session_verified_async     (MatrixClient        *client,
                                                                       GCancellable        *cancellable,
                                                                       GAsyncReadyCallback  callback,
                                                                       gpointer             user_data);
gboolean                 matrix_client_get_session_verified_finish    (MatrixClient        *client,
                                                                       GAsyncResult        *result,
                                                                       gboolean            *verified,
                                                                       GError             **error);

void                     matrix_client_get_devices_async             (MatrixClient        *client,
                                                                      const char          *user_id,
                                                                      GCancellable        *cancellable,
                                                                      GAsyncReadyCallback  callback,
                                                                      gpointer             user_data);
GPtrArray               *matrix_client_get_devices_finish            (MatrixClient        *client,
                                                                      GAsyncResult        *result,
                                                                      GError             **error);

void                     matrix_client_delete_device_async           (MatrixClient        *client,
                                                                      const char          *device_id,
                                                                      const char          *password,
                                                                      GCancellable        *cancellable,
                                                                      GAsyncReadyCallback  callback,
                                                                      gpointer             user_data);
gboolean                 matrix_client_delete_device_finish          (MatrixClient        *client,
                                                                      GAsyncResult        *result,
                                                                      GError             **error);

void                     matrix_client_get_unverified_members_async  (MatrixClient        *client,
                                                                      const char          *room_id,
                                                                      GCancellable        *cancellable,
                                                                      GAsyncReadyCallback  callback,
                                                                      gpointer             user_data);
GStrv                    matrix_client_get_unverified_members_finish (MatrixClient        *client,
                                                                      GAsyncResult        *result,
                                                                      GError             **error);

G_END_DECLS
