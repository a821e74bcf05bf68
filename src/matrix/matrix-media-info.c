/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-media-info"


#include "matrix-blurhash.h"
#include "matrix-client.h"
#include "matrix-error.h"
#include "matrix-json-private.h"
#include "matrix-media-encrypted-private.h"
#include "matrix-media-info.h"

/**
 * MatrixMediaInfo:
 *
 * What a media message says of its file: `m.image`, `m.file`, `m.video`,
 * `m.audio` and `m.sticker` events, read with every value checked, or built
 * for sending.
 *
 * A value of `info` of the wrong type or out of range is taken as absent
 * (the message is still shown by its body); a missing or invalid `url`
 * fails. Encrypted media (`file`, in encrypted rooms) is read too: its
 * `EncryptedFile` is checked, its `url` is matrix_media_info_get_url(), and
 * matrix_media_info_get_encrypted_file() is what
 * matrix_media_download_encrypted_async() needs to decrypt it; an invalid
 * `file` fails like an invalid `url`.
 */

/* Dimensions past this are no image anyone sends, and are taken as absent. */
#define MAX_DIMENSION 100000

#define BLURHASH_KEY "xyz.amorgan.blurhash"

struct _MatrixMediaInfo
{
  GObject  parent_instance;

  char    *msgtype;
  char    *body;
  char    *url;
  char    *filename;
  char    *mimetype;
  gint64   size;
  guint    width;
  guint    height;
  gint64   duration_ms;
  char    *thumbnail_url;
  JsonObject *encrypted_file;
  JsonObject *thumbnail_encrypted_file;
  char    *thumbnail_mimetype;
  gint64   thumbnail_size;
  guint    thumbnail_width;
  guint    thumbnail_height;
  char    *blurhash;
};

G_DEFINE_FINAL_TYPE (MatrixMediaInfo, matrix_media_info, G_TYPE_OBJECT)

static gboolean
is_media_msgtype (const char *msgtype)
{
  return g_strcmp0 (msgtype, "m.image") == 0 || g_strcmp0 (msgtype, "m.file") == 0 ||
         g_strcmp0 (msgtype, "m.video") == 0 || g_strcmp0 (msgtype, "m.audio") == 0;
}

static const char *
get_string (JsonObject *object,
            const char *member)
{
  const char *value = NULL;

  if (object == NULL || !_matrix_json_get_string (object, "content", member, FALSE, &value, NULL))
    return NULL;
  return value;
}

static gint64
get_int (JsonObject *object,
         const char *member,
         gint64      max)
{
  gint64 value = -1;

  if (object == NULL || !_matrix_json_get_int (object, "content", member, FALSE, &value, NULL) ||
      value < 0 || value > max)
    return -1;
  return value;
}

static guint
get_dimension (JsonObject *object,
               const char *member)
{
  gint64 value = get_int (object, member, MAX_DIMENSION);

  return value > 0 ? (guint) value : 0;
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonObject *value = NULL;

  if (object == NULL || !_matrix_json_get_object (object, "content", member, FALSE, &value, NULL))
    return NULL;
  return value;
}

/**
 * matrix_media_info_new:
 * @msgtype: `m.image`, `m.file`, `m.video` or `m.audio`
 * @body: the message's text: the file's name, or a caption
 * @mxc_uri: the uploaded file's content URI
 *
 * Describes a file to send; add what is known of it with the setters, then
 * send matrix_media_info_to_content().
 *
 * Returns: (transfer full): a new #MatrixMediaInfo
 */
MatrixMediaInfo *
matrix_media_info_new (const char *msgtype,
                       const char *body,
                       const char *mxc_uri)
{
  MatrixMediaInfo *self;

  g_return_val_if_fail (is_media_msgtype (msgtype), NULL);
  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (matrix_mxc_uri_parse (mxc_uri, NULL, NULL), NULL);

  self = g_object_new (MATRIX_TYPE_MEDIA_INFO, NULL);
  self->msgtype = g_strdup (msgtype);
  self->body = g_strdup (body);
  self->url = g_strdup (mxc_uri);
  return self;
}

/**
 * matrix_media_info_new_encrypted:
 * @msgtype: `m.image`, `m.file`, `m.video` or `m.audio`
 * @body: the message's text: the file's name, or a caption
 * @encrypted_file: the `EncryptedFile` of the uploaded ciphertext, from
 *   matrix_media_upload_encrypted_finish()
 *
 * Like matrix_media_info_new(), for a file sent into an encrypted room: see
 * matrix_media_info_set_encrypted_file().
 *
 * Returns: (transfer full): a new #MatrixMediaInfo
 */
MatrixMediaInfo *
matrix_media_info_new_encrypted (const char *msgtype,
                                 const char *body,
                                 JsonObject *encrypted_file)
{
  MatrixMediaInfo *self;

  g_return_val_if_fail (_matrix_encrypted_file_validate (encrypted_file, NULL), NULL);

  self = matrix_media_info_new (msgtype, body, json_object_get_string_member (encrypted_file,
                                                                             "url"));
  if (self != NULL)
    matrix_media_info_set_encrypted_file (self, encrypted_file);
  return self;
}

/**
 * matrix_media_info_new_from_content:
 * @event_type: the event's type, `m.room.message` or `m.sticker`
 * @content: the event's content
 * @error: return location for a #GError
 *
 * Reads a media message. A sticker counts as an image (`m.image`).
 *
 * Returns: (transfer full) (nullable): the media's description, or %NULL
 *   with @error set when @content is no media message this library can show
 */
MatrixMediaInfo *
matrix_media_info_new_from_content (const char  *event_type,
                                    JsonObject  *content,
                                    GError     **error)
{
  g_autoptr(MatrixMediaInfo) self = NULL;
  const char *msgtype = NULL, *body, *url;
  JsonObject *info, *thumbnail_info, *file, *thumbnail_file;

  g_return_val_if_fail (content != NULL, NULL);

  if (g_strcmp0 (event_type, "m.sticker") == 0)
    msgtype = "m.image";
  else if (g_strcmp0 (event_type, "m.room.message") == 0)
    msgtype = get_string (content, "msgtype");

  if (!is_media_msgtype (msgtype))
    {
      g_set_error_literal (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                           "Not a media message");
      return NULL;
    }

  url = get_string (content, "url");
  file = get_object (content, "file");
  if (url == NULL && json_object_has_member (content, "file"))
    {
      if (!_matrix_encrypted_file_validate (file, error))
        return NULL;
      url = get_string (file, "url");
    }
  else
    file = NULL;
  if (!matrix_mxc_uri_parse (url, NULL, NULL))
    {
      g_set_error_literal (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                           "The media message has no valid url");
      return NULL;
    }

  body = get_string (content, "body");
  self = g_object_new (MATRIX_TYPE_MEDIA_INFO, NULL);
  self->msgtype = g_strdup (msgtype);
  self->body = g_strdup (body != NULL ? body : "");
  self->url = g_strdup (url);
  if (file != NULL)
    self->encrypted_file = json_object_ref (file);
  self->filename = g_strdup (get_string (content, "filename"));

  info = get_object (content, "info");
  self->mimetype = g_strdup (get_string (info, "mimetype"));
  self->size = get_int (info, "size", G_MAXINT64);
  self->width = get_dimension (info, "w");
  self->height = get_dimension (info, "h");
  self->duration_ms = get_int (info, "duration", G_MAXINT64);
  /* MSC2448's unstable key, as Element and Fractal send it. */
  if (matrix_blurhash_is_valid (get_string (info, BLURHASH_KEY)))
    self->blurhash = g_strdup (get_string (info, BLURHASH_KEY));

  url = get_string (info, "thumbnail_url");
  thumbnail_file = get_object (info, "thumbnail_file");
  if (url == NULL && thumbnail_file != NULL)
    {
      /* A damaged thumbnail is only absent: the file itself may be fine. */
      if (_matrix_encrypted_file_validate (thumbnail_file, NULL))
        {
          url = get_string (thumbnail_file, "url");
          self->thumbnail_encrypted_file = json_object_ref (thumbnail_file);
        }
    }
  if (matrix_mxc_uri_parse (url, NULL, NULL))
    {
      thumbnail_info = get_object (info, "thumbnail_info");
      self->thumbnail_url = g_strdup (url);
      self->thumbnail_mimetype = g_strdup (get_string (thumbnail_info, "mimetype"));
      self->thumbnail_size = get_int (thumbnail_info, "size", G_MAXINT64);
      self->thumbnail_width = get_dimension (thumbnail_info, "w");
      self->thumbnail_height = get_dimension (thumbnail_info, "h");
    }

  return g_steal_pointer (&self);
}

/**
 * matrix_media_info_new_for_item:
 * @item: a timeline item
 * @error: return location for a #GError
 *
 * Reads the media of @item's event (its current content, after edits), as
 * matrix_media_info_new_from_content() does.
 *
 * Returns: (transfer full) (nullable): the media's description, or %NULL
 */
MatrixMediaInfo *
matrix_media_info_new_for_item (MatrixTimelineItem  *item,
                                GError             **error)
{
  JsonObject *content;

  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (item), NULL);

  content = matrix_timeline_item_get_content (item);
  if (content == NULL)
    {
      g_set_error_literal (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                           "Not a media message");
      return NULL;
    }

  return matrix_media_info_new_from_content (matrix_timeline_item_get_event_type (item), content,
                                             error);
}

static void
set_string_member (JsonObject *object,
                   const char *member,
                   const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
}

/**
 * matrix_media_info_to_content:
 * @self: a #MatrixMediaInfo
 *
 * The content of an `m.room.message` announcing the media, with an `info`
 * of what is known (mimetype, size, w, h, duration, thumbnail).
 *
 * Returns: (transfer full): the content
 */
JsonObject *
matrix_media_info_to_content (MatrixMediaInfo *self)
{
  JsonObject *content = json_object_new ();
  JsonObject *info = json_object_new ();

  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);

  json_object_set_string_member (content, "msgtype", self->msgtype);
  json_object_set_string_member (content, "body", self->body);
  if (self->encrypted_file != NULL)
    json_object_set_object_member (content, "file", json_object_ref (self->encrypted_file));
  else
    json_object_set_string_member (content, "url", self->url);
  set_string_member (content, "filename", self->filename);

  set_string_member (info, "mimetype", self->mimetype);
  if (self->size >= 0)
    json_object_set_int_member (info, "size", self->size);
  if (self->width > 0 && self->height > 0)
    {
      json_object_set_int_member (info, "w", self->width);
      json_object_set_int_member (info, "h", self->height);
    }
  if (self->duration_ms >= 0)
    json_object_set_int_member (info, "duration", self->duration_ms);
  set_string_member (info, BLURHASH_KEY, self->blurhash);
  if (self->thumbnail_url != NULL)
    {
      JsonObject *thumbnail_info = json_object_new ();

      if (self->thumbnail_encrypted_file != NULL)
        json_object_set_object_member (info, "thumbnail_file",
                                       json_object_ref (self->thumbnail_encrypted_file));
      else
        json_object_set_string_member (info, "thumbnail_url", self->thumbnail_url);
      set_string_member (thumbnail_info, "mimetype", self->thumbnail_mimetype);
      if (self->thumbnail_size >= 0)
        json_object_set_int_member (thumbnail_info, "size", self->thumbnail_size);
      if (self->thumbnail_width > 0 && self->thumbnail_height > 0)
        {
          json_object_set_int_member (thumbnail_info, "w", self->thumbnail_width);
          json_object_set_int_member (thumbnail_info, "h", self->thumbnail_height);
        }
      json_object_set_object_member (info, "thumbnail_info", thumbnail_info);
    }

  json_object_set_object_member (content, "info", info);
  return content;
}

/**
 * matrix_media_info_get_msgtype:
 * @self: a #MatrixMediaInfo
 *
 * The kind of media.
 *
 * Returns: (transfer none): `m.image` (stickers too), `m.file`, `m.video` or `m.audio`
 */
const char *
matrix_media_info_get_msgtype (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);
  return self->msgtype;
}

/**
 * matrix_media_info_get_body:
 * @self: a #MatrixMediaInfo
 *
 * The message's text.
 *
 * Returns: (transfer none): the message's text: a file name or a caption
 */
const char *
matrix_media_info_get_body (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);
  return self->body;
}

/**
 * matrix_media_info_get_url:
 * @self: a #MatrixMediaInfo
 *
 * The media itself.
 *
 * Returns: (transfer none): the media's content URI, a valid one
 */
const char *
matrix_media_info_get_url (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);
  return self->url;
}

/**
 * matrix_media_info_get_filename:
 * @self: a #MatrixMediaInfo
 *
 * The file's name when the body is a caption (`filename`); as a sender
 * chose it: never use it as a path as it is.
 *
 * Returns: (transfer none) (nullable): the file's name
 */
const char *
matrix_media_info_get_filename (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);
  return self->filename;
}

/**
 * matrix_media_info_set_filename:
 * @self: a #MatrixMediaInfo
 * @filename: (nullable): the file's name
 *
 * Sets the file's name, for a body that is a caption.
 */
void
matrix_media_info_set_filename (MatrixMediaInfo *self,
                                const char      *filename)
{
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (self));
  g_free (self->filename);
  self->filename = g_strdup (filename);
}

/**
 * matrix_media_info_get_mimetype:
 * @self: a #MatrixMediaInfo
 *
 * The MIME type the sender claims: a hint, not a fact.
 *
 * Returns: (transfer none) (nullable): the claimed MIME type
 */
const char *
matrix_media_info_get_mimetype (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);
  return self->mimetype;
}

/**
 * matrix_media_info_set_mimetype:
 * @self: a #MatrixMediaInfo
 * @mimetype: (nullable): the MIME type
 *
 * Sets the MIME type sent in `info`.
 */
void
matrix_media_info_set_mimetype (MatrixMediaInfo *self,
                                const char      *mimetype)
{
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (self));
  g_free (self->mimetype);
  self->mimetype = g_strdup (mimetype);
}

/**
 * matrix_media_info_get_size:
 * @self: a #MatrixMediaInfo
 *
 * The size the sender claims: a hint for limits, never trusted alone.
 *
 * Returns: the size in bytes, or -1 if not known
 */
gint64
matrix_media_info_get_size (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), -1);
  return self->size;
}

/**
 * matrix_media_info_set_size:
 * @self: a #MatrixMediaInfo
 * @size: the size in bytes, or -1
 *
 * Sets the size sent in `info`.
 */
void
matrix_media_info_set_size (MatrixMediaInfo *self,
                            gint64           size)
{
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (self));
  self->size = size;
}

/**
 * matrix_media_info_get_width:
 * @self: a #MatrixMediaInfo
 *
 * The width the sender claims.
 *
 * Returns: the claimed width in pixels, or 0 if not known
 */
guint
matrix_media_info_get_width (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), 0);
  return self->width;
}

/**
 * matrix_media_info_get_height:
 * @self: a #MatrixMediaInfo
 *
 * The height the sender claims.
 *
 * Returns: the claimed height in pixels, or 0 if not known
 */
guint
matrix_media_info_get_height (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), 0);
  return self->height;
}

/**
 * matrix_media_info_set_dimensions:
 * @self: a #MatrixMediaInfo
 * @width: the width in pixels, or 0
 * @height: the height in pixels, or 0
 *
 * Sets the `w` and `h` sent in `info` (both, or neither when one is 0).
 */
void
matrix_media_info_set_dimensions (MatrixMediaInfo *self,
                                  guint            width,
                                  guint            height)
{
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (self));
  self->width = width;
  self->height = height;
}

/**
 * matrix_media_info_get_duration_ms:
 * @self: a #MatrixMediaInfo
 *
 * The duration the sender claims.
 *
 * Returns: the claimed duration of a video or audio file in ms, or -1
 */
gint64
matrix_media_info_get_duration_ms (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), -1);
  return self->duration_ms;
}

/**
 * matrix_media_info_set_duration_ms:
 * @self: a #MatrixMediaInfo
 * @duration_ms: the duration in ms, or -1
 *
 * Sets the `duration` sent in `info`.
 */
void
matrix_media_info_set_duration_ms (MatrixMediaInfo *self,
                                   gint64           duration_ms)
{
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (self));
  self->duration_ms = duration_ms;
}

/**
 * matrix_media_info_get_thumbnail_url:
 * @self: a #MatrixMediaInfo
 *
 * The thumbnail url the sender claims.
 *
 * Returns: (transfer none) (nullable): the content URI of the sender's
 *   thumbnail, a valid one
 */
const char *
matrix_media_info_get_thumbnail_url (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);
  return self->thumbnail_url;
}

/**
 * matrix_media_info_get_thumbnail_width:
 * @self: a #MatrixMediaInfo
 *
 * The thumbnail width the sender claims.
 *
 * Returns: the claimed width of the sender's thumbnail, or 0
 */
guint
matrix_media_info_get_thumbnail_width (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), 0);
  return self->thumbnail_width;
}

/**
 * matrix_media_info_get_thumbnail_height:
 * @self: a #MatrixMediaInfo
 *
 * The thumbnail height the sender claims.
 *
 * Returns: the claimed height of the sender's thumbnail, or 0
 */
guint
matrix_media_info_get_thumbnail_height (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), 0);
  return self->thumbnail_height;
}

/**
 * matrix_media_info_set_thumbnail:
 * @self: a #MatrixMediaInfo
 * @mxc_uri: (nullable): the uploaded thumbnail's content URI, or %NULL for none
 * @mimetype: (nullable): its MIME type
 * @size: its size in bytes, or -1
 * @width: its width in pixels, or 0
 * @height: its height in pixels, or 0
 *
 * Sets the `thumbnail_url` and `thumbnail_info` sent in `info`.
 */
void
matrix_media_info_set_thumbnail (MatrixMediaInfo *self,
                                 const char      *mxc_uri,
                                 const char      *mimetype,
                                 gint64           size,
                                 guint            width,
                                 guint            height)
{
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (self));
  g_return_if_fail (mxc_uri == NULL || matrix_mxc_uri_parse (mxc_uri, NULL, NULL));

  g_free (self->thumbnail_url);
  self->thumbnail_url = g_strdup (mxc_uri);
  g_free (self->thumbnail_mimetype);
  self->thumbnail_mimetype = g_strdup (mimetype);
  self->thumbnail_size = size;
  self->thumbnail_width = width;
  self->thumbnail_height = height;
}

/**
 * matrix_media_info_get_encrypted_file:
 * @self: a #MatrixMediaInfo
 *
 * The `EncryptedFile` of encrypted media (the content's `file`): what
 * matrix_media_download_encrypted_async() decrypts it with. Its `url` is
 * matrix_media_info_get_url().
 *
 * Returns: (transfer none) (nullable): the `EncryptedFile`, or %NULL when the
 *   media is not encrypted
 */
JsonObject *
matrix_media_info_get_encrypted_file (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);

  return self->encrypted_file;
}

/**
 * matrix_media_info_set_encrypted_file:
 * @self: a #MatrixMediaInfo
 * @encrypted_file: (nullable): the `EncryptedFile` of the uploaded
 *   ciphertext, from matrix_media_upload_encrypted_finish(), or %NULL
 *
 * Makes the media encrypted: matrix_media_info_to_content() sends `file`
 * instead of `url`, and the url becomes @encrypted_file's.
 */
void
matrix_media_info_set_encrypted_file (MatrixMediaInfo *self,
                                      JsonObject      *encrypted_file)
{
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (self));
  g_return_if_fail (encrypted_file == NULL || _matrix_encrypted_file_validate (encrypted_file,
                                                                               NULL));

  g_clear_pointer (&self->encrypted_file, json_object_unref);
  if (encrypted_file == NULL)
    return;
  self->encrypted_file = json_object_ref (encrypted_file);
  g_free (self->url);
  self->url = g_strdup (json_object_get_string_member (encrypted_file, "url"));
}

/**
 * matrix_media_info_get_thumbnail_encrypted_file:
 * @self: a #MatrixMediaInfo
 *
 * The `EncryptedFile` of the thumbnail of encrypted media
 * (`info.thumbnail_file`).
 *
 * Returns: (transfer none) (nullable): the `EncryptedFile`, or %NULL
 */
JsonObject *
matrix_media_info_get_thumbnail_encrypted_file (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);

  return self->thumbnail_encrypted_file;
}

/**
 * matrix_media_info_set_thumbnail_encrypted_file:
 * @self: a #MatrixMediaInfo
 * @encrypted_file: (nullable): the thumbnail's `EncryptedFile`, or %NULL
 *
 * Makes the thumbnail encrypted, after matrix_media_info_set_thumbnail():
 * `info.thumbnail_file` is sent instead of `info.thumbnail_url`, and the
 * thumbnail's url becomes @encrypted_file's.
 */
void
matrix_media_info_set_thumbnail_encrypted_file (MatrixMediaInfo *self,
                                                JsonObject      *encrypted_file)
{
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (self));
  g_return_if_fail (encrypted_file == NULL || _matrix_encrypted_file_validate (encrypted_file,
                                                                               NULL));

  g_clear_pointer (&self->thumbnail_encrypted_file, json_object_unref);
  if (encrypted_file == NULL)
    return;
  self->thumbnail_encrypted_file = json_object_ref (encrypted_file);
  g_free (self->thumbnail_url);
  self->thumbnail_url = g_strdup (json_object_get_string_member (encrypted_file, "url"));
}

/**
 * matrix_media_info_get_blurhash:
 * @self: a #MatrixMediaInfo
 *
 * The blurhash of the image (`info["xyz.amorgan.blurhash"]`, MSC2448), for
 * a placeholder while it loads: see matrix_blurhash_decode(). One that is
 * not well-formed is taken as absent.
 *
 * Returns: (nullable): the blurhash, or %NULL
 */
const char *
matrix_media_info_get_blurhash (MatrixMediaInfo *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_INFO (self), NULL);

  return self->blurhash;
}

/**
 * matrix_media_info_set_blurhash:
 * @self: a #MatrixMediaInfo
 * @blurhash: (nullable): a well-formed blurhash of the image, or %NULL
 *
 * Sets the blurhash sent in `info`.
 */
void
matrix_media_info_set_blurhash (MatrixMediaInfo *self,
                                const char      *blurhash)
{
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (self));
  g_return_if_fail (blurhash == NULL || matrix_blurhash_is_valid (blurhash));

  g_free (self->blurhash);
  self->blurhash = g_strdup (blurhash);
}

static void
matrix_media_info_finalize (GObject *object)
{
  MatrixMediaInfo *self = MATRIX_MEDIA_INFO (object);

  g_free (self->msgtype);
  g_free (self->body);
  g_free (self->url);
  g_free (self->filename);
  g_free (self->mimetype);
  g_free (self->thumbnail_url);
  g_free (self->thumbnail_mimetype);
  g_free (self->blurhash);
  g_clear_pointer (&self->encrypted_file, json_object_unref);
  g_clear_pointer (&self->thumbnail_encrypted_file, json_object_unref);

  G_OBJECT_CLASS (matrix_media_info_parent_class)->finalize (object);
}

static void
matrix_media_info_class_init (MatrixMediaInfoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = matrix_media_info_finalize;
}

static void
matrix_media_info_init (MatrixMediaInfo *self)
{
  self->size = -1;
  self->duration_ms = -1;
  self->thumbnail_size = -1;
}
