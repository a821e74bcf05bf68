/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * MatrixLinkKind:
 * @MATRIX_LINK_ROOM_ID: a room by its id (`!opaque:server`)
 * @MATRIX_LINK_ROOM_ALIAS: a room by its alias (`#name:server`)
 * @MATRIX_LINK_USER: a user (`@name:server`)
 *
 * What a `matrix:` URI or a matrix.to link points at. A link to an event
 * is a room link with an event id (see matrix_link_get_event_id()).
 */
typedef enum {
  MATRIX_LINK_ROOM_ID,
  MATRIX_LINK_ROOM_ALIAS,
  MATRIX_LINK_USER,
} MatrixLinkKind;

typedef struct _MatrixLink MatrixLink;

#define MATRIX_TYPE_LINK (matrix_link_get_type ())
GType               matrix_link_get_type     (void) G_GNUC_CONST;

MatrixLink         *matrix_link_parse        (const char  *uri,
                                              GError     **error);
MatrixLink         *matrix_link_ref          (MatrixLink  *self);
void                matrix_link_unref        (MatrixLink  *self);
MatrixLinkKind      matrix_link_get_kind     (MatrixLink  *self);
const char         *matrix_link_get_target   (MatrixLink  *self);
const char         *matrix_link_get_event_id (MatrixLink  *self);
const char * const *matrix_link_get_via      (MatrixLink  *self);
gboolean            matrix_link_get_join     (MatrixLink  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MatrixLink, matrix_link_unref)

G_END_DECLS
