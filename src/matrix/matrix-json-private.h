/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <string.h>

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
gboolean    _matrix_json_node_get_string (JsonNode     *node,
                                          const char   *where,
                                          const char   *member,
                                          gboolean      required,
                                          const char  **out,
                                          GError      **error);
gboolean    _matrix_json_node_get_int    (JsonNode     *node,
                                          const char   *where,
                                          const char   *member,
                                          gboolean      required,
                                          gint64       *out,
                                          GError      **error);
gboolean    _matrix_json_node_get_bool   (JsonNode     *node,
                                          const char   *where,
                                          const char   *member,
                                          gboolean      required,
                                          gboolean     *out,
                                          GError      **error);
gboolean    _matrix_json_node_get_object (JsonNode     *node,
                                          const char   *where,
                                          const char   *member,
                                          gboolean      required,
                                          JsonObject  **out,
                                          GError      **error);
gboolean    _matrix_json_node_get_array  (JsonNode     *node,
                                          const char   *where,
                                          const char   *member,
                                          gboolean      required,
                                          JsonArray   **out,
                                          GError      **error);

/* Sync and pagination tokens: at most this many bytes (a real server's are
 * well under a hundred; a URL should stay under the 8 KiB many HTTP servers
 * and proxies accept). */
#define MATRIX_MAX_TOKEN_LENGTH 4096

gboolean    _matrix_token_is_valid       (const char   *token);
gboolean    _matrix_json_get_token       (JsonObject   *object,
                                          const char   *where,
                                          const char   *member,
                                          gboolean      required,
                                          const char  **out,
                                          GError      **error);
gboolean    _matrix_json_node_get_token  (JsonNode     *node,
                                          const char   *where,
                                          const char   *member,
                                          gboolean      required,
                                          const char  **out,
                                          GError      **error);
JsonNode   *_matrix_json_parse         (const char   *data,
                                        gssize        length,
                                        GError      **error);
JsonObject *_matrix_json_parse_object  (const char   *data,
                                        gssize        length,
                                        GError      **error);
char       *_matrix_json_to_string     (JsonNode     *node);

typedef struct _MatrixJsonReader MatrixJsonReader;

MatrixJsonReader *_matrix_json_reader_new          (const char        *data,
                                                    gssize             length,
                                                    gboolean           object_only);
void              _matrix_json_reader_free         (MatrixJsonReader  *reader);
gboolean          _matrix_json_reader_failed       (MatrixJsonReader  *reader);
gsize             _matrix_json_reader_get_offset   (MatrixJsonReader  *reader);
gsize             _matrix_json_reader_get_decoded_offset (MatrixJsonReader *reader);
JsonNodeType      _matrix_json_reader_peek         (MatrixJsonReader  *reader);
gboolean          _matrix_json_reader_enter        (MatrixJsonReader  *reader);
const char       *_matrix_json_reader_next_member  (MatrixJsonReader  *reader);
gboolean          _matrix_json_reader_next_element (MatrixJsonReader  *reader);
JsonNode         *_matrix_json_reader_read_node    (MatrixJsonReader  *reader);
char             *_matrix_json_reader_read_string  (MatrixJsonReader  *reader);
gboolean          _matrix_json_reader_skip         (MatrixJsonReader  *reader);
gboolean          _matrix_json_reader_finish       (MatrixJsonReader  *reader,
                                                    GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MatrixJsonReader, _matrix_json_reader_free)
/* Compact JSON text, appended to @out. */

/* g_string_append_len() is a call that checks for overlapping data, and an
 * event's text is mostly short pieces: they are copied in place while they
 * fit (GString's fields are public), and GString grows the buffer otherwise. */
static inline void
_matrix_json_append_bytes (GString    *out,
                           const char *bytes,
                           gsize       n)
{
  if (G_LIKELY (out->len + n < out->allocated_len))
    {
      memcpy (out->str + out->len, bytes, n);
      out->len += n;
      out->str[out->len] = '\0';
    }
  else
    g_string_append_len (out, bytes, n);
}

#define _MATRIX_JSON_APPEND_LITERAL(out, literal) \
  _matrix_json_append_bytes ((out), "" literal, sizeof (literal) - 1)
void        _matrix_json_append        (GString      *out,
                                        JsonNode     *node);
void        _matrix_json_append_object (GString      *out,
                                        JsonObject   *object);
void        _matrix_json_append_string (GString      *out,
                                        const char   *text);
void        _matrix_json_append_int    (GString      *out,
                                        gint64        value);

G_END_DECLS
