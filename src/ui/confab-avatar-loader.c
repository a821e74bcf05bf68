/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-avatar-loader"

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "confab-avatar-loader.h"

/**
 * ConfabAvatarLoader:
 *
 * Room avatars for the room list, one loader per #MatrixClient.
 *
 * An image is asked for by content URI and size. The loader answers from
 * memory (the newest %MAX_CACHED textures), then from the disk cache in
 * `$XDG_CACHE_HOME/confab/thumbnails` (content URIs never change what they
 * name, so an entry never goes stale), then from the server. However many
 * rows ask for one image at once, it is read and downloaded once; an image
 * that could not be had is not asked for again in this session.
 *
 * The bytes come from the network, so they are decoded on a worker thread,
 * and only PNG and JPEG (what servers make thumbnails in) whose header,
 * read here before any decoder sees the bytes, gives at most
 * %CONFAB_AVATAR_MAX_IMAGE_SIDE pixels on a side: a decoder allocates the
 * whole image as soon as it has read the header, so a small file claiming
 * a huge image must never reach one.
 */
struct _ConfabAvatarLoader
{
  GObject       parent_instance;

  GWeakRef      client;
  GCancellable *cancellable;
  GHashTable   *textures;  /* key → GdkTexture */
  GQueue        order;     /* keys of textures, oldest first (owned by textures) */
  GHashTable   *pending;   /* key → GPtrArray of GTask waiting for it */
  GHashTable   *failed;    /* keys */
};

G_DEFINE_FINAL_TYPE (ConfabAvatarLoader, confab_avatar_loader, G_TYPE_OBJECT)

#define MAX_CACHED 256

typedef struct {
  ConfabAvatarLoader *self;
  char               *key;
  char               *mxc_uri;
  guint               pixels;
  GFile              *file;
  gboolean            from_disk;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_object_unref (fetch->self);
  g_free (fetch->key);
  g_free (fetch->mxc_uri);
  g_object_unref (fetch->file);
  g_free (fetch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_free)

static char *
make_key (const char *mxc_uri,
          guint       size)
{
  return g_strdup_printf ("%u %s", size, mxc_uri);
}

static GFile *
cache_file (const char *key)
{
  g_autofree char *name = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);

  return g_file_new_build_filename (g_get_user_cache_dir (), "confab", "thumbnails", name, NULL);
}

/* Answers every task waiting for @fetch's image, with @texture or @error. */
static void
finish_fetch (Fetch        *fetch,
              GdkTexture   *texture,
              const GError *error)
{
  g_autoptr(GPtrArray) tasks = NULL;
  g_autofree char *pending_key = NULL;
  ConfabAvatarLoader *self = fetch->self;

  g_hash_table_steal_extended (self->pending, fetch->key, (gpointer *) &pending_key, (gpointer *) &tasks);

  if (texture != NULL)
    {
      char *key = g_strdup (fetch->key);

      g_hash_table_insert (self->textures, key, g_object_ref (texture));
      g_queue_push_tail (&self->order, key);
      while (g_queue_get_length (&self->order) > MAX_CACHED)
        g_hash_table_remove (self->textures, g_queue_pop_head (&self->order));
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("No avatar for %s: %s", fetch->mxc_uri, error->message);
      g_hash_table_add (self->failed, g_strdup (fetch->key));
    }

  for (guint i = 0; tasks != NULL && i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (texture != NULL)
        g_task_return_pointer (task, g_object_ref (texture), g_object_unref);
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

/* --- Decoding, on a worker thread --------------------------------------------- */

static guint
read_be16 (const guint8 *p)
{
  return (p[0] << 8) | p[1];
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* The size a PNG or JPEG header gives, without decoding anything; FALSE for
 * anything else or a header cut short. */
static gboolean
measure_image (const guint8 *data,
               gsize         size,
               guint32      *width,
               guint32      *height)
{
  static const guint8 png_signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  /* PNG: the signature, then the IHDR chunk: length, "IHDR", width, height. */
  if (size >= 24 && memcmp (data, png_signature, sizeof png_signature) == 0)
    {
      if (memcmp (data + 12, "IHDR", 4) != 0)
        return FALSE;
      *width = read_be32 (data + 16);
      *height = read_be32 (data + 20);
      return TRUE;
    }

  /* JPEG: SOI, then segments (0xFF, marker, big-endian length) up to the
   * first start-of-frame, which holds the height and the width. */
  if (size >= 4 && data[0] == 0xff && data[1] == 0xd8)
    {
      gsize offset = 2;

      while (offset + 4 <= size)
        {
          guint8 marker;
          guint length;

          if (data[offset] != 0xff)
            return FALSE;
          marker = data[offset + 1];
          if (marker == 0xff)
            {
              offset++;   /* fill byte */
              continue;
            }
          length = read_be16 (data + offset + 2);
          if (length < 2)
            return FALSE;
          if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc)
            {
              if (offset + 9 > size)
                return FALSE;
              *height = read_be16 (data + offset + 5);
              *width = read_be16 (data + offset + 7);
              return TRUE;
            }
          offset += 2 + length;
        }
    }

  return FALSE;
}

static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  guint pixels = GPOINTER_TO_UINT (user_data);
  int side = MAX (width, height);

  if (side > 0 && (guint) side > pixels)
    gdk_pixbuf_loader_set_size (loader,
                                MAX (1, (int) ((gint64) width * pixels / side)),
                                MAX (1, (int) ((gint64) height * pixels / side)));
}

static GdkPixbuf *
decode (GBytes  *bytes,
        guint    pixels,
        GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  guint32 width, height;
  const guint8 *data;
  gsize size;
  GdkPixbuf *pixbuf;

  data = g_bytes_get_data (bytes, &size);
  if (!measure_image (data, size, &width, &height))
    {
      g_set_error_literal (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_UNKNOWN_TYPE,
                           "Not a PNG or JPEG image");
      return NULL;
    }
  if (width == 0 || height == 0 ||
      width > CONFAB_AVATAR_MAX_IMAGE_SIDE || height > CONFAB_AVATAR_MAX_IMAGE_SIDE)
    {
      g_set_error (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY,
                   "The image is %" G_GUINT32_FORMAT "x%" G_GUINT32_FORMAT " pixels, more than %u on a side",
                   width, height, CONFAB_AVATAR_MAX_IMAGE_SIDE);
      return NULL;
    }

  loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), GUINT_TO_POINTER (pixels));
  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, error))
    {
      gdk_pixbuf_loader_close (loader, NULL);
      return NULL;
    }
  if (!gdk_pixbuf_loader_close (loader, error))
    return NULL;

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error_literal (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_CORRUPT_IMAGE, "Not an image");
      return NULL;
    }

  return g_object_ref (pixbuf);
}

static gboolean
save_to_cache (Fetch         *fetch,
               GBytes        *bytes,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(GFile) folder = g_file_get_parent (fetch->file);
  g_autoptr(GError) local_error = NULL;

  if (!g_file_make_directory_with_parents (folder, cancellable, &local_error) &&
      !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return g_file_replace_contents (fetch->file, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, cancellable, error);
}

static void
decode_in_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  Fetch *fetch = g_object_get_data (G_OBJECT (task), "fetch");
  GBytes *bytes = task_data;
  GdkPixbuf *pixbuf;
  GError *error = NULL;

  pixbuf = decode (bytes, fetch->pixels, &error);
  if (pixbuf == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* What the server sent decodes: keep it for the next start. This is a
   * worker thread, so the blocking calls are fine; a failure only costs a
   * download next time. */
  if (!fetch->from_disk && !save_to_cache (fetch, bytes, cancellable, &error))
    {
      g_debug ("Could not cache the avatar %s: %s", fetch->mxc_uri, error->message);
      g_clear_error (&error);
    }

  g_task_return_pointer (task, pixbuf, g_object_unref);
}

static void
on_decoded (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Fetch) fetch = user_data;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  pixbuf = g_task_propagate_pointer (G_TASK (result), &error);
  if (pixbuf != NULL)
    texture = gdk_texture_new_for_pixbuf (pixbuf);
  finish_fetch (fetch, texture, error);
}

static void
decode_async (Fetch  *fetch,
              GBytes *bytes)
{
  g_autoptr(GTask) task = g_task_new (fetch->self, fetch->self->cancellable, on_decoded, fetch);

  g_task_set_source_tag (task, decode_async);
  g_task_set_task_data (task, g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
  g_object_set_data (G_OBJECT (task), "fetch", fetch);
  g_task_run_in_thread (task, decode_in_thread);
}

/* --- Disk, then network ------------------------------------------------------- */

static void
on_downloaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = matrix_client_get_thumbnail_finish (MATRIX_CLIENT (source), result, &error);
  if (bytes == NULL)
    {
      finish_fetch (fetch, NULL, error);
      fetch_free (fetch);
      return;
    }

  fetch->from_disk = FALSE;
  decode_async (fetch, bytes);
}

static void
on_disk_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);
  if (bytes != NULL)
    {
      fetch->from_disk = TRUE;
      decode_async (fetch, bytes);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      finish_fetch (fetch, NULL, error);
      fetch_free (fetch);
      return;
    }

  client = g_weak_ref_get (&fetch->self->client);
  if (client == NULL)
    {
      g_autoptr(GError) gone = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                    "The session has ended");
      finish_fetch (fetch, NULL, gone);
      fetch_free (fetch);
      return;
    }

  matrix_client_get_thumbnail_async (client, fetch->mxc_uri, fetch->pixels, fetch->pixels,
                                     fetch->self->cancellable, on_downloaded, fetch);
}

/* --- Public API ----------------------------------------------------------------- */

/**
 * confab_avatar_loader_for_client:
 * @client: a #MatrixClient
 *
 * Returns: (transfer none): @client's loader, made on first use and kept as
 *   long as @client
 */
ConfabAvatarLoader *
confab_avatar_loader_for_client (MatrixClient *client)
{
  ConfabAvatarLoader *self;

  g_return_val_if_fail (MATRIX_IS_CLIENT (client), NULL);

  self = g_object_get_data (G_OBJECT (client), "confab-avatar-loader");
  if (self == NULL)
    {
      self = g_object_new (CONFAB_TYPE_AVATAR_LOADER, NULL);
      g_weak_ref_set (&self->client, client);
      g_object_set_data_full (G_OBJECT (client), "confab-avatar-loader", self, g_object_unref);
    }

  return self;
}

/**
 * confab_avatar_loader_cancel_for_client:
 * @client: a #MatrixClient
 *
 * Stops every load of @client's loader, if it has one: for a client being
 * dropped, whose downloads would otherwise keep it (and its store) alive
 * until they end.
 */
void
confab_avatar_loader_cancel_for_client (MatrixClient *client)
{
  ConfabAvatarLoader *self;

  g_return_if_fail (MATRIX_IS_CLIENT (client));

  self = g_object_get_data (G_OBJECT (client), "confab-avatar-loader");
  if (self == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

/**
 * confab_avatar_loader_lookup:
 * @self: a #ConfabAvatarLoader
 * @mxc_uri: the image's content URI
 * @size: the size it is shown at, in application pixels
 *
 * Returns: (transfer none) (nullable): the image if it is in memory already
 */
GdkPaintable *
confab_avatar_loader_lookup (ConfabAvatarLoader *self,
                             const char         *mxc_uri,
                             guint               size)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (CONFAB_IS_AVATAR_LOADER (self), NULL);
  g_return_val_if_fail (mxc_uri != NULL, NULL);

  key = make_key (mxc_uri, size);
  return g_hash_table_lookup (self->textures, key);
}

/**
 * confab_avatar_loader_load_async:
 * @self: a #ConfabAvatarLoader
 * @mxc_uri: the image's content URI
 * @size: the size it is shown at, in application pixels (the image is
 *   fetched at twice that, for high-density screens)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the image, or an error
 * @user_data: data for @callback
 */
void
confab_avatar_loader_load_async (ConfabAvatarLoader  *self,
                                 const char          *mxc_uri,
                                 guint                size,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *key = NULL;
  GdkTexture *texture;
  GPtrArray *waiting;
  Fetch *fetch;

  g_return_if_fail (CONFAB_IS_AVATAR_LOADER (self));
  g_return_if_fail (mxc_uri != NULL);
  g_return_if_fail (size > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_avatar_loader_load_async);
  key = make_key (mxc_uri, size);

  texture = g_hash_table_lookup (self->textures, key);
  if (texture != NULL)
    {
      g_task_return_pointer (task, g_object_ref (texture), g_object_unref);
      return;
    }

  if (g_hash_table_contains (self->failed, key) || !matrix_mxc_uri_parse (mxc_uri, NULL, NULL))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No image for %s", mxc_uri);
      return;
    }

  waiting = g_hash_table_lookup (self->pending, key);
  if (waiting != NULL)
    {
      g_ptr_array_add (waiting, g_steal_pointer (&task));
      return;
    }

  waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (waiting, g_steal_pointer (&task));
  g_hash_table_insert (self->pending, g_strdup (key), waiting);

  fetch = g_new0 (Fetch, 1);
  fetch->self = g_object_ref (self);
  fetch->key = g_steal_pointer (&key);
  fetch->mxc_uri = g_strdup (mxc_uri);
  fetch->pixels = size * 2;
  fetch->file = cache_file (fetch->key);
  g_file_load_bytes_async (fetch->file, self->cancellable, on_disk_read, fetch);
}

/**
 * confab_avatar_loader_load_finish:
 * @self: a #ConfabAvatarLoader
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the image
 */
GdkPaintable *
confab_avatar_loader_load_finish (ConfabAvatarLoader  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- GObject -------------------------------------------------------------------- */

static void
confab_avatar_loader_dispose (GObject *object)
{
  ConfabAvatarLoader *self = CONFAB_AVATAR_LOADER (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (confab_avatar_loader_parent_class)->dispose (object);
}

static void
confab_avatar_loader_finalize (GObject *object)
{
  ConfabAvatarLoader *self = CONFAB_AVATAR_LOADER (object);

  g_weak_ref_clear (&self->client);
  g_clear_object (&self->cancellable);
  g_queue_clear (&self->order);
  g_clear_pointer (&self->textures, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->failed, g_hash_table_unref);

  G_OBJECT_CLASS (confab_avatar_loader_parent_class)->finalize (object);
}

static void
confab_avatar_loader_class_init (ConfabAvatarLoaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_avatar_loader_dispose;
  object_class->finalize = confab_avatar_loader_finalize;
}

static void
confab_avatar_loader_init (ConfabAvatarLoader *self)
{
  g_weak_ref_init (&self->client, NULL);
  self->cancellable = g_cancellable_new ();
  self->textures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
  self->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
