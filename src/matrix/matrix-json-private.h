/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Schema checks for JSON from the network. Each returns FALSE and sets a
 * MATRIX_ERROR_INVALID_RESPONSE naming the member (`where` is a path such as
 * "rooms.join.!a:b.timeline") when the member is missing or of the wrong type. */
gboolean    _matrix_json_get_string    (JsonObject   *object,
                                        const char   *where,
                                        const char   *member,
                                        gboolean      required,
                                        const char  **out,
                                        GError      **error);
gboolean    _matrix_json_get_int       (JsonObject   *object,
                                        const char   *where,
                                        const char   *member,
                                        gboolean      required,
                                        gint64       *out,
                                        GError      **error);
gboolean    _matrix_json_get_bool      (JsonObject   *object,
                                        const char   *where,
                                        const char   *member,
                                        gboolean      required,
                                        gboolean     *out,
                                        GError      **error);
gboolean    _matrix_json_get_object    (JsonObject   *object,
                                        const char   *where,
                                        const char   *member,
                                        gboolean      required,
                                        JsonObject  **out,
                                        GError      **error);
gboolean    _matrix_json_get_array     (JsonObject   *object,
                                        const char   *where,
                                        const char   *member,
                                        gboolean      required,
                                        JsonArray   **out,
                                        GError      **error);
JsonObject *_matrix_json_parse_object  (const char   *data,
                                        gssize        length,
                                        GError      **error);
char       *_matrix_json_to_string     (JsonNode     *node);
/* Compact JSON text, appended to @out. */
#define _MATRIX_JSON_APPEND_LITERAL(out, literal) \
  g_string_append_len ((out), "" literal, sizeof (literal) - 1)
void        _matrix_json_append        (GString      *out,
                                        JsonNode     *node);
void        _matrix_json_append_object (GString      *out,
                                        JsonObject   *object);
void        _matrix_json_append_string (GString      *out,
                                        const char   *text);
void        _matrix_json_append_int    (GString      *out,
                                        gint64        value);

G_END_DECLS
