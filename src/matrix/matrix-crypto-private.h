/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The end-to-end encryption state machine of one device: matrix-sdk-crypto's
 * OlmMachine (Rust, src/matrix/crypto) over its SQLite store. Every machine
 * call runs on the object's one worker thread, in the order the calls were
 * made, so a sync's to-device events are in the machine before a decryption
 * asked for after them. The machine does no I/O: its callers send the
 * requests it asks for and hand back the responses. */

#define MATRIX_TYPE_CRYPTO (_matrix_crypto_get_type ())
G_DECLARE_FINAL_TYPE (MatrixCrypto, _matrix_crypto, MATRIX, CRYPTO, GObject)

#define MATRIX_CRYPTO_ERROR (_matrix_crypto_error_quark ())
GQuark _matrix_crypto_error_quark (void);

typedef enum {
  MATRIX_CRYPTO_ERROR_FAILED,
  /* Bad arguments or JSON the machine could not take. */
  MATRIX_CRYPTO_ERROR_INVALID,
  /* The crypto store: I/O, a wrong passphrase, another account's store. */
  MATRIX_CRYPTO_ERROR_STORE,
  /* The event's room key has not arrived (it may come later). */
  MATRIX_CRYPTO_ERROR_MISSING_KEY,
  /* The event will never decrypt: forged, corrupt, not for this device. */
  MATRIX_CRYPTO_ERROR_UNDECRYPTABLE,
  /* The machine refused (no room key shared before encrypting...). */
  MATRIX_CRYPTO_ERROR_MACHINE,
} MatrixCryptoError;

/* The name of the store's directory inside an account's store folder. */
#define MATRIX_CRYPTO_STORE_DIR "crypto"

void          _matrix_crypto_open_async          (const char           *user_id,
                                                  const char           *device_id,
                                                  const char           *store_path,
                                                  const char           *passphrase,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
MatrixCrypto *_matrix_crypto_open_finish         (GAsyncResult         *result,
                                                  GError              **error);

const char   *_matrix_crypto_get_user_id         (MatrixCrypto         *self);
const char   *_matrix_crypto_get_device_id       (MatrixCrypto         *self);
/* This device's keys (unpadded base64), known once opened. */
const char   *_matrix_crypto_get_ed25519_key     (MatrixCrypto         *self);
const char   *_matrix_crypto_get_curve25519_key  (MatrixCrypto         *self);

/* @changes: {"to_device_events", "changed", "left", "one_time_key_counts",
 * "unused_fallback_key_types", "next_batch"}. Returns {"to_device_events",
 * "room_keys": [{"room_id", "session_id", ...}]}. */
void          _matrix_crypto_receive_sync_changes_async  (MatrixCrypto        *self,
                                                          JsonObject          *changes,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
JsonObject   *_matrix_crypto_receive_sync_changes_finish (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* An array of {"id", "type", "body"...}: see mxc_machine_outgoing_requests(). */
void          _matrix_crypto_outgoing_requests_async     (MatrixCrypto        *self,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
JsonArray    *_matrix_crypto_outgoing_requests_finish    (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

void          _matrix_crypto_mark_request_as_sent_async  (MatrixCrypto        *self,
                                                          const char          *request_id,
                                                          const char          *request_type,
                                                          const char          *response_body,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean      _matrix_crypto_mark_request_as_sent_finish (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* Returns {"event": {type, content...}, "sender", "sender_device",
 * "verified"}; fails with MISSING_KEY or UNDECRYPTABLE (the message says
 * why). */
void          _matrix_crypto_decrypt_async               (MatrixCrypto        *self,
                                                          const char          *room_id,
                                                          JsonObject          *event,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
JsonObject   *_matrix_crypto_decrypt_finish              (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

void          _matrix_crypto_update_tracked_users_async  (MatrixCrypto        *self,
                                                          const char * const  *users,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean      _matrix_crypto_update_tracked_users_finish (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* Returns the keys/claim request ({"id", "type", "body"}), or NULL (and no
 * error) when every device of @users has an Olm session. */
void          _matrix_crypto_get_missing_sessions_async  (MatrixCrypto        *self,
                                                          const char * const  *users,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
JsonObject   *_matrix_crypto_get_missing_sessions_finish (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* @history_visibility: the room's, or NULL. Returns the to_device
 * requests to send. */
void          _matrix_crypto_share_room_key_async        (MatrixCrypto        *self,
                                                          const char          *room_id,
                                                          const char * const  *users,
                                                          const char          *history_visibility,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
JsonArray    *_matrix_crypto_share_room_key_finish       (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* Returns the m.room.encrypted content of @content. */
void          _matrix_crypto_encrypt_async               (MatrixCrypto        *self,
                                                          const char          *room_id,
                                                          const char          *event_type,
                                                          JsonObject          *content,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
JsonObject   *_matrix_crypto_encrypt_finish              (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* A call of the crate made by another file (the key backup's): runs on the
 * worker with the machine and up to three string arguments; *out is JSON
 * or NULL (then the JSON null is returned). */
struct MxcMachine;
typedef int (*MatrixCryptoCall) (struct MxcMachine  *machine,
                                 const char * const *args,
                                 char              **out,
                                 char              **message);

void          _matrix_crypto_call_async                  (MatrixCrypto        *self,
                                                          MatrixCryptoCall     call,
                                                          const char          *a,
                                                          const char          *b,
                                                          const char          *c,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
/* Returns the call's JSON (the JSON null when it had none). */
JsonNode     *_matrix_crypto_call_finish                 (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* Cross-signing, device trust and emoji verification: @command is
 * {"op": ...}, see mxc_machine_verification() for the ops and answers. */
void          _matrix_crypto_verification_async          (MatrixCrypto        *self,
                                                          JsonObject          *command,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
JsonObject   *_matrix_crypto_verification_finish         (MatrixCrypto        *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* A new random passphrase for a crypto store (32 random bytes, base64). */
char         *_matrix_crypto_new_passphrase              (void);

G_END_DECLS
