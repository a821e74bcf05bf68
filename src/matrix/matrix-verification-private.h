/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-verification.h"

G_BEGIN_DECLS

/* matrix-client.c's class_init: adds MatrixClient::verification-request. */
void  _matrix_client_verification_add_signals    (GObjectClass *client_class);

/* matrix-client-crypto.c: the to-device events of a sync, once the machine
 * has taken them: the verification events among them move the live
 * MatrixVerifications on, and a new m.key.verification.start makes one and
 * emits MatrixClient::verification-request. */
void  _matrix_client_verification_handle_events  (MatrixClient *client,
                                                  JsonArray    *to_device_events);

/* Reads every live verification's state from the machine again (after
 * its requests went out: the machine moves on when they are sent). */
void  _matrix_client_verification_refresh        (MatrixClient *client);

/* The request a server asked user-interactive auth for: sent again with
 * m.login.password and the session of the 401. Returns the 2xx answer's
 * JSON object (finish with matrix_client_request_finish()'s rules:
 * g_task_propagate_pointer). */
void         _matrix_client_uia_request_async    (MatrixClient        *client,
                                                  const char          *method,
                                                  const char          *path,
                                                  JsonObject          *body,
                                                  const char          *password,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
JsonObject  *_matrix_client_uia_request_finish   (MatrixClient        *client,
                                                  GAsyncResult        *result,
                                                  GError             **error);

G_END_DECLS
