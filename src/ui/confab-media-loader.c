/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-media-loader"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-image-decoder.h"
#include "confab-media-loader.h"

/**
 * ConfabMediaLoader:
 *
 * The images of messages, one loader per #MatrixClient: a #MatrixMedia over
 * the disk cache in `$XDG_CACHE_HOME/confab/media` (its limit the
 * `media-cache-size` setting), and the decoded images in memory, the least
 * recently used dropped past %CONFAB_MEDIA_MEMORY_CACHE_BYTES.
 *
 * A row asks for an image at the size it shows it: the server's thumbnail
 * of that size, or when the server has none (an image type it does not
 * thumbnail, say) the file itself if it is not too large. Every image is
 * decoded off the main thread with the limits of confab-image-decoder.c.
 */
struct _ConfabMediaLoader
{
  GObject      parent_instance;

  MatrixMedia *media;
  GHashTable  *textures;   /* key → GdkTexture */
  GQueue       order;      /* keys, least recently used first (owned by textures) */
  guint64      memory_size;
};

G_DEFINE_FINAL_TYPE (ConfabMediaLoader, confab_media_loader, G_TYPE_OBJECT)

#define DEFAULT_CACHE_MB 500

/**
 * confab_media_settings:
 *
 * Run from a build folder without GSETTINGS_SCHEMA_DIR, the schema is
 * missing: the defaults are then used.
 *
 * Returns: (transfer none) (nullable): the application's settings
 */
GSettings *
confab_media_settings (void)
{
  static GSettings *settings;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
      GSettingsSchema *schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;

      if (schema != NULL && g_settings_schema_has_key (schema, "media-cache-size"))
        settings = g_settings_new_full (schema, NULL, NULL);
      g_clear_pointer (&schema, g_settings_schema_unref);
      g_once_init_leave (&initialized, 1);
    }

  return settings;
}

static guint64
cache_limit (void)
{
  GSettings *settings = confab_media_settings ();
  guint megabytes = settings ? g_settings_get_uint (settings, "media-cache-size") : DEFAULT_CACHE_MB;

  return (guint64) megabytes * 1000 * 1000;
}

static void
on_cache_size_changed (GSettings         *settings,
                       const char        *key,
                       ConfabMediaLoader *self)
{
  MatrixMediaCache *cache = matrix_media_get_cache (self->media);

  matrix_media_cache_set_max_size (cache, cache_limit ());
  matrix_media_cache_trim_async (cache, NULL, NULL, NULL);
}

/**
 * confab_media_loader_for_client:
 * @client: a #MatrixClient
 *
 * Returns: (transfer none): @client's loader, made on first use
 */
ConfabMediaLoader *
confab_media_loader_for_client (MatrixClient *client)
{
  ConfabMediaLoader *self;

  g_return_val_if_fail (MATRIX_IS_CLIENT (client), NULL);

  self = g_object_get_data (G_OBJECT (client), "confab-media-loader");
  if (self == NULL)
    {
      g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "confab", "media", NULL);
      g_autoptr(MatrixMediaCache) cache = matrix_media_cache_new (dir, cache_limit ());
      GSettings *settings = confab_media_settings ();

      self = g_object_new (CONFAB_TYPE_MEDIA_LOADER, NULL);
      /* The loader belongs to the client; its MatrixMedia only points back. */
      self->media = matrix_media_new (client, cache);
      g_object_set_data_full (G_OBJECT (client), "confab-media-loader", self, g_object_unref);
      if (settings != NULL)
        g_signal_connect_object (settings, "changed::media-cache-size",
                                 G_CALLBACK (on_cache_size_changed), self, 0);
    }

  return self;
}

/**
 * confab_media_loader_get_media:
 * @self: a #ConfabMediaLoader
 *
 * Returns: (transfer none): the media of the loader's client
 */
MatrixMedia *
confab_media_loader_get_media (ConfabMediaLoader *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_LOADER (self), NULL);

  return self->media;
}

/**
 * confab_media_loader_get_memory_size:
 * @self: a #ConfabMediaLoader
 *
 * Returns: the bytes of pixels of the images kept in memory
 */
guint64
confab_media_loader_get_memory_size (ConfabMediaLoader *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_LOADER (self), 0);

  return self->memory_size;
}

static char *
make_key (MatrixMediaInfo *info,
          guint            fit_size)
{
  return g_strdup_printf ("%u %s", fit_size, matrix_media_info_get_url (info));
}

static guint64
texture_bytes (GdkTexture *texture)
{
  return (guint64) gdk_texture_get_width (texture) * gdk_texture_get_height (texture) * 4;
}

static void
remember (ConfabMediaLoader *self,
          char              *key,
          GdkTexture        *texture)
{
  if (g_hash_table_contains (self->textures, key))
    {
      g_free (key);
      return;
    }

  g_hash_table_insert (self->textures, key, g_object_ref (texture));
  g_queue_push_tail (&self->order, key);
  self->memory_size += texture_bytes (texture);

  while (self->memory_size > CONFAB_MEDIA_MEMORY_CACHE_BYTES && self->order.length > 1)
    {
      char *oldest = g_queue_pop_head (&self->order);
      GdkTexture *old = g_hash_table_lookup (self->textures, oldest);

      self->memory_size -= texture_bytes (old);
      g_hash_table_remove (self->textures, oldest);
    }
}

/**
 * confab_media_loader_lookup_image:
 * @self: a #ConfabMediaLoader
 * @info: the media
 * @fit_size: the size it was loaded at
 *
 * Returns: (transfer none) (nullable): the image, if it is in memory
 */
GdkTexture *
confab_media_loader_lookup_image (ConfabMediaLoader *self,
                                  MatrixMediaInfo   *info,
                                  guint              fit_size)
{
  g_autofree char *key = NULL;
  GdkTexture *texture;
  GList *link;

  g_return_val_if_fail (CONFAB_IS_MEDIA_LOADER (self), NULL);

  key = make_key (info, fit_size);
  texture = g_hash_table_lookup (self->textures, key);
  if (texture != NULL)
    {
      /* Used now: to the back of the queue. */
      link = g_queue_find_custom (&self->order, key, (GCompareFunc) g_strcmp0);
      if (link != NULL)
        {
          gpointer owned = link->data;

          g_queue_delete_link (&self->order, link);
          g_queue_push_tail (&self->order, owned);
        }
    }
  return texture;
}

typedef struct {
  MatrixMediaInfo *info;
  guint            fit_size;
} Load;

static void
load_free (Load *load)
{
  g_object_unref (load->info);
  g_free (load);
}

static void
on_decoded (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMediaLoader *self = g_task_get_source_object (task);
  Load *load = g_task_get_task_data (task);
  GError *error = NULL;
  GdkTexture *texture;

  texture = confab_image_decode_finish (result, &error);
  if (texture == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (load->fit_size > 0)
    remember (self, make_key (load->info, load->fit_size), texture);
  g_task_return_pointer (task, texture, g_object_unref);
}

static void
on_original_downloaded (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);
  g_autoptr(GFile) file = NULL;
  GError *error = NULL;

  file = matrix_media_download_for_info_finish (MATRIX_MEDIA (source), result, &error);
  if (file == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  confab_image_decode_async (file, load->fit_size, g_task_get_cancellable (task), on_decoded,
                             g_object_ref (task));
}

static void
download_original (GTask *task)
{
  ConfabMediaLoader *self = g_task_get_source_object (task);
  Load *load = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (matrix_media_info_get_size (load->info) > CONFAB_MEDIA_MAX_IMAGE_DOWNLOAD)
    {
      g_task_return_new_error (task, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_TOO_LARGE,
                               _("The image file is too large to show"));
      g_object_unref (task);
      return;
    }

  matrix_media_download_for_info_async (self->media, load->info,
                                        CONFAB_MEDIA_MAX_IMAGE_DOWNLOAD, cancellable, NULL, NULL,
                                        on_original_downloaded, task);
}

static void
on_thumbnail_decoded (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMediaLoader *self = g_task_get_source_object (task);
  Load *load = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GdkTexture *texture;

  texture = confab_image_decode_finish (result, &error);
  if (texture != NULL)
    {
      remember (self, make_key (load->info, load->fit_size), texture);
      g_task_return_pointer (task, texture, g_object_unref);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("The thumbnail of %s does not decode (%s): the file itself is tried",
           matrix_media_info_get_url (load->info), error->message);
  download_original (g_steal_pointer (&task));
}

static void
on_thumbnail (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = matrix_media_get_thumbnail_for_info_finish (MATRIX_MEDIA (source), result, &error);
  if (file != NULL)
    {
      confab_image_decode_async (file, load->fit_size, g_task_get_cancellable (task),
                                 on_thumbnail_decoded, g_object_ref (task));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("No thumbnail of %s (%s): the file itself is tried",
           matrix_media_info_get_url (load->info), error->message);
  download_original (g_steal_pointer (&task));
}

/**
 * confab_media_loader_load_image_async:
 * @self: a #ConfabMediaLoader
 * @info: an image message's media
 * @fit_size: the largest side it is shown at, in pixels; 0 for the whole
 *   image at its own size (for the viewer, not kept in memory)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the image, or why there is none
 * @user_data: data for @callback
 */
void
confab_media_loader_load_image_async (ConfabMediaLoader   *self,
                                      MatrixMediaInfo     *info,
                                      guint                fit_size,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  Load *load;
  GdkTexture *texture;

  g_return_if_fail (CONFAB_IS_MEDIA_LOADER (self));
  g_return_if_fail (MATRIX_IS_MEDIA_INFO (info));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_media_loader_load_image_async);
  load = g_new0 (Load, 1);
  load->info = g_object_ref (info);
  load->fit_size = fit_size;
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);

  texture = fit_size > 0 ? confab_media_loader_lookup_image (self, info, fit_size) : NULL;
  if (texture != NULL)
    {
      g_task_return_pointer (task, g_object_ref (texture), g_object_unref);
      g_object_unref (task);
      return;
    }

  if (fit_size == 0)
    {
      download_original (task);
      return;
    }

  /* Twice the size, for high-density screens. */
  matrix_media_get_thumbnail_for_info_async (self->media, info,
                                             fit_size * 2, fit_size * 2, MATRIX_THUMBNAIL_SCALE,
                                             8 * 1024 * 1024, cancellable, on_thumbnail, task);
}

/**
 * confab_media_loader_load_image_finish:
 * @self: a #ConfabMediaLoader
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the image
 */
GdkTexture *
confab_media_loader_load_image_finish (ConfabMediaLoader  *self,
                                       GAsyncResult       *result,
                                       GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * confab_media_suggested_name:
 * @info: a file message's media
 *
 * A name to offer when saving: the sender's, without any folder part or
 * leading dot, never empty.
 *
 * Returns: (transfer full): the name
 */
char *
confab_media_suggested_name (MatrixMediaInfo *info)
{
  const char *name = matrix_media_info_get_filename (info);
  g_autofree char *base = NULL;
  GString *clean;

  if (name == NULL || *name == '\0')
    name = matrix_media_info_get_body (info);
  base = g_path_get_basename (name != NULL ? name : "");
  clean = g_string_new (NULL);
  for (const char *c = base; *c != '\0' && clean->len < 200; c = g_utf8_next_char (c))
    {
      gunichar ch = g_utf8_get_char_validated (c, -1);

      if (ch == (gunichar) -1 || ch == (gunichar) -2)
        break;
      if (ch == '/' || ch == '\\' || g_unichar_iscntrl (ch) || (clean->len == 0 && ch == '.'))
        continue;
      g_string_append_unichar (clean, ch);
    }
  if (clean->len == 0)
    g_string_append (clean, _("file"));
  return g_string_free (clean, FALSE);
}

static void
confab_media_loader_finalize (GObject *object)
{
  ConfabMediaLoader *self = CONFAB_MEDIA_LOADER (object);

  g_clear_object (&self->media);
  g_queue_clear (&self->order);
  g_hash_table_unref (self->textures);

  G_OBJECT_CLASS (confab_media_loader_parent_class)->finalize (object);
}

static void
confab_media_loader_class_init (ConfabMediaLoaderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = confab_media_loader_finalize;
}

static void
confab_media_loader_init (ConfabMediaLoader *self)
{
  self->textures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}
