/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "matrix-client.h"

G_BEGIN_DECLS

/* How the sync loop waits before a retry: a source that fires once after
 * @delay_ms. Tests replace it to record delays and fire at once. */
typedef GSource *(*MatrixTimeoutSourceFunc) (guint    delay_ms,
                                             gpointer user_data);

void  _matrix_client_set_timeout_source_func (MatrixClient            *self,
                                              MatrixTimeoutSourceFunc  func,
                                              gpointer                 user_data);
/* How long one /sync may take in all before it is given up on (the
 * long-poll's 30 s plus a margin); tests shorten it. */
void  _matrix_client_set_sync_watchdog_ms    (MatrixClient            *self,
                                              guint                    watchdog_ms);
void  _matrix_client_set_max_body_size       (MatrixClient            *self,
                                              gsize                    max_size);

gboolean _matrix_client_dispatch_sync_body (MatrixClient            *self,
                                            GBytes                  *body,
                                            GError                 **error);

G_END_DECLS
