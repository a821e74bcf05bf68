/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-client.h"
#include "matrix-crypto-private.h"
#include "matrix-timeline-item.h"

G_BEGIN_DECLS

/* What a MatrixClient keeps for end-to-end encryption (matrix-client-crypto.c). */
typedef struct _MatrixClientCrypto MatrixClientCrypto;

MatrixClientCrypto *_matrix_client_crypto_new         (MatrixCrypto       *crypto);
void                _matrix_client_crypto_free        (MatrixClientCrypto *state);
MatrixCrypto       *_matrix_client_crypto_get_machine (MatrixClientCrypto *state);

/* matrix-client.c: the client's state, NULL without a machine. */
MatrixClientCrypto *_matrix_client_get_crypto_state   (MatrixClient       *self);
/* Attaches @crypto (NULL detaches): each sync then feeds it before the
 * rooms, and the client sends what it asks for. */
void                _matrix_client_set_crypto         (MatrixClient       *self,
                                                       MatrixCrypto       *crypto);
MatrixCrypto       *_matrix_client_get_crypto         (MatrixClient       *self);

/* Sends the machine's outgoing requests (one round at a time). */
void                _matrix_client_crypto_send_requests (MatrixClient     *client);

/* Sends the machine's requests and finishes when the rounds are over
 * (a keys/query for newly tracked users among them). */
void                _matrix_client_crypto_flush_requests_async  (MatrixClient        *client,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
gboolean            _matrix_client_crypto_flush_requests_finish (MatrixClient        *client,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);

/* Feeds a sync's crypto parts (MatrixSyncResponse.crypto_changes, may be
 * NULL) to the machine; returns the ids of rooms that got new room keys. */
void                _matrix_client_crypto_receive_sync_async  (MatrixClient        *client,
                                                               JsonObject          *changes,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
char              **_matrix_client_crypto_receive_sync_finish (MatrixClient        *client,
                                                               GAsyncResult        *result,
                                                               GError             **error);

/* Decrypts an m.room.encrypted event: the plaintext event (its type,
 * content, sender, id), or MATRIX_ERROR_DECRYPTION_KEY_MISSING (the key may
 * still come: MatrixCrypto::room-keys-received) or _DECRYPTION_FAILED. */
void                _matrix_client_decrypt_event_async  (MatrixClient        *client,
                                                         MatrixEvent         *event,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
MatrixEvent        *_matrix_client_decrypt_event_finish (MatrixClient        *client,
                                                         GAsyncResult        *result,
                                                         GError             **error);
/* How far the device that sent a plaintext event from
 * _matrix_client_decrypt_event_finish() is trusted (NONE for any other). */
MatrixSenderTrust   _matrix_decrypted_event_get_sender_trust (MatrixEvent       *plain);
void                _matrix_decrypted_event_set_sender_trust (MatrixEvent       *plain,
                                                              MatrixSenderTrust  trust);

/* The m.room.encrypted content of an event of @event_type with @content for
 * @room_id: after sharing the room key with every member's devices. */
void                _matrix_client_crypto_encrypt_async  (MatrixClient        *client,
                                                          const char          *room_id,
                                                          const char          *event_type,
                                                          JsonObject          *content,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
JsonObject         *_matrix_client_crypto_encrypt_finish (MatrixClient        *client,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* At a logout (not a soft one): lets go of the machine and forgets the
 * store's passphrase. */
void                _matrix_client_crypto_forget         (MatrixClient        *self);

G_END_DECLS
