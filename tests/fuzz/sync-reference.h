/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "matrix-sync-private.h"

G_BEGIN_DECLS

MatrixSyncResponse *sync_reference_parse (GBytes  *body,
                                          GError **error);

G_END_DECLS
