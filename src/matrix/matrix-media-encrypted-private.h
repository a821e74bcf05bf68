/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Whether @file has what decrypting needs: an `mxc://` url, `v` "v2", a
 * JWK `key` (kty oct, alg A256CTR, k), an `iv` and `hashes.sha256`. The
 * crate checks the values themselves (lengths, base64) when it decrypts. */
gboolean _matrix_encrypted_file_validate (JsonObject  *file,
                                          GError     **error);

G_END_DECLS
