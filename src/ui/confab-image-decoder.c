/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-image-decoder"

#include "config.h"

#include <glib/gi18n.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "confab-image-decoder.h"

/*
 * Images from the network, decoded on a worker thread with limits checked
 * before any decoder allocates the image.
 *
 * The type is sniffed from the bytes, never taken from the event: PNG,
 * JPEG, GIF and WebP only; SVG (a document that may fetch and run things)
 * and every other format is refused. The size is read from the header by
 * this code first, for the formats whose headers it knows, and then again
 * by the decoder's own `size-prepared`, where an image over the limits is
 * given a size of 0×0: the loader then fails without allocating. The file
 * is fed in small chunks, so a refusal also stops the reading.
 */

#define CHUNK_SIZE 16384

G_DEFINE_QUARK (confab-image-error-quark, confab_image_error)

/**
 * confab_image_sniff:
 * @data: the first bytes of a file
 * @size: how many
 *
 * Returns: (nullable): the gdk-pixbuf loader name for what @data starts
 *   with ("png", "jpeg", "gif", "webp"), or %NULL for anything else
 */
const char *
confab_image_sniff (const guint8 *data,
                    gsize         size)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  if (size >= sizeof png && memcmp (data, png, sizeof png) == 0)
    return "png";
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    return "jpeg";
  if (size >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    return "gif";
  if (size >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "webp";
  return NULL;
}

static gboolean
within_limits (guint64 width,
               guint64 height)
{
  return width > 0 && height > 0 &&
         width <= CONFAB_IMAGE_MAX_SIDE && height <= CONFAB_IMAGE_MAX_SIDE &&
         width * height <= CONFAB_IMAGE_MAX_PIXELS;
}

static GError *
too_large (guint64 width,
           guint64 height)
{
  g_autofree char *w = g_strdup_printf ("%" G_GUINT64_FORMAT, width);
  g_autofree char *h = g_strdup_printf ("%" G_GUINT64_FORMAT, height);

  /* Translators: the image's width and height in pixels */
  return g_error_new (CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_TOO_LARGE,
                      _("The image is too large to show (%s × %s pixels)"), w, h);
}

/* The size a PNG or GIF header states; FALSE when this code does not know
 * the header (the decoder's check still comes). */
static gboolean
header_size (const char   *type,
             const guint8 *data,
             gsize         size,
             guint64      *width,
             guint64      *height)
{
  if (g_strcmp0 (type, "png") == 0 && size >= 24 && memcmp (data + 12, "IHDR", 4) == 0)
    {
      *width = ((guint32) data[16] << 24) | ((guint32) data[17] << 16) | (data[18] << 8) | data[19];
      *height = ((guint32) data[20] << 24) | ((guint32) data[21] << 16) | (data[22] << 8) | data[23];
      return TRUE;
    }
  if (g_strcmp0 (type, "gif") == 0 && size >= 10)
    {
      *width = data[6] | (data[7] << 8);
      *height = data[8] | (data[9] << 8);
      return TRUE;
    }
  return FALSE;
}

/* Decoders show what they have of a cut file without complaint; a file
 * that does not end as its format ends is refused as damaged. */
static gboolean
ends_complete (const char   *type,
               const guint8 *tail,
               gsize         tail_size,
               guint32       riff_size,
               guint64       file_size)
{
  static const guint8 iend[] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };

  if (g_strcmp0 (type, "png") == 0)
    return tail_size >= sizeof iend && memcmp (tail + tail_size - sizeof iend, iend, sizeof iend) == 0;
  if (g_strcmp0 (type, "jpeg") == 0)
    {
      /* The end-of-image marker, give or take padding after it. */
      for (gsize i = tail_size; i >= 2; i--)
        if (tail[i - 2] == 0xff && tail[i - 1] == 0xd9)
          return TRUE;
      return FALSE;
    }
  if (g_strcmp0 (type, "gif") == 0)
    return tail_size > 0 && tail[tail_size - 1] == 0x3b;
  if (g_strcmp0 (type, "webp") == 0)
    return (guint64) riff_size + 8 <= file_size;
  return FALSE;
}

#define TAIL_SIZE 32

typedef struct {
  guint    fit_size;
  gboolean refused;
  guint64  width;
  guint64  height;
} Prepare;

static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  Prepare *prepare = user_data;
  int side = MAX (width, height);

  prepare->width = (guint64) MAX (width, 0);
  prepare->height = (guint64) MAX (height, 0);
  if (!within_limits (prepare->width, prepare->height))
    {
      prepare->refused = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }

  if (prepare->fit_size > 0 && (guint) side > prepare->fit_size)
    gdk_pixbuf_loader_set_size (loader,
                                MAX (1, (int) ((gint64) width * prepare->fit_size / side)),
                                MAX (1, (int) ((gint64) height * prepare->fit_size / side)));
}

/**
 * confab_image_decode_file:
 * @file: a file from the network
 * @fit_size: the largest side wanted, in pixels (the image is scaled down to
 *   fit), or 0 for the image's own size
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Decodes @file, blocking: call it from a worker thread. Every refusal is a
 * %CONFAB_IMAGE_ERROR with a message to show.
 *
 * Returns: (transfer full) (nullable): the image
 */
GdkTexture *
confab_image_decode_file (GFile         *file,
                          guint          fit_size,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GFileInputStream) input = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *buffer = g_malloc (CHUNK_SIZE);
  Prepare prepare = { fit_size, FALSE, 0, 0 };
  const char *type = NULL;
  guint64 width, height;
  gssize n;
  gboolean first = TRUE;
  GdkPixbuf *pixbuf;
  guint8 tail[TAIL_SIZE];
  gsize tail_size = 0;
  guint32 riff_size = 0;
  guint64 file_size;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            cancellable, error);
  if (info == NULL)
    return NULL;
  if (g_file_info_get_size (info) == 0)
    {
      g_set_error_literal (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_EMPTY,
                           _("The image is empty"));
      return NULL;
    }
  file_size = (guint64) g_file_info_get_size (info);
  if (g_file_info_get_size (info) > CONFAB_IMAGE_MAX_BYTES)
    {
      g_set_error_literal (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_TOO_LARGE,
                           _("The image file is too large to show"));
      return NULL;
    }

  input = g_file_read (file, cancellable, error);
  if (input == NULL)
    return NULL;

  while ((n = g_input_stream_read (G_INPUT_STREAM (input), buffer, CHUNK_SIZE, cancellable,
                                   &local_error)) > 0)
    {
      if (first)
        {
          first = FALSE;
          type = confab_image_sniff (buffer, (gsize) n);
          if (type == NULL)
            {
              g_set_error_literal (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED,
                                   _("Not an image that can be shown"));
              return NULL;
            }
          if (header_size (type, buffer, (gsize) n, &width, &height) &&
              !within_limits (width, height))
            {
              g_propagate_error (error, too_large (width, height));
              return NULL;
            }
          loader = gdk_pixbuf_loader_new_with_type (type, &local_error);
          if (loader == NULL)
            {
              g_set_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED,
                           _("Images of this type cannot be shown (%s)"), type);
              return NULL;
            }
          g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &prepare);
          if (n >= 8)
            riff_size = buffer[4] | (buffer[5] << 8) | (buffer[6] << 16) | ((guint32) buffer[7] << 24);
        }

      if ((gsize) n >= TAIL_SIZE)
        {
          memcpy (tail, buffer + n - TAIL_SIZE, TAIL_SIZE);
          tail_size = TAIL_SIZE;
        }
      else
        {
          gsize keep = MIN (tail_size, TAIL_SIZE - (gsize) n);

          memmove (tail, tail + tail_size - keep, keep);
          memcpy (tail + keep, buffer, n);
          tail_size = keep + n;
        }

      if (!gdk_pixbuf_loader_write (loader, buffer, (gsize) n, &local_error) || prepare.refused)
        break;
    }

  if (loader == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error_literal (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_EMPTY,
                             _("The image is empty"));
      return NULL;
    }

  /* Closed in every case, so the loader does not complain of an unfinished
   * image when it is finalized. */
  if (!gdk_pixbuf_loader_close (loader, local_error == NULL ? &local_error : NULL) &&
      local_error == NULL)
    local_error = g_error_new_literal (CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_CORRUPT, "");

  if (prepare.refused)
    {
      g_propagate_error (error, too_large (prepare.width, prepare.height));
      return NULL;
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (local_error == NULL && !ends_complete (type, tail, tail_size, riff_size, file_size))
    local_error = g_error_new_literal (CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_CORRUPT, "cut short");
  if (local_error != NULL || pixbuf == NULL)
    {
      g_debug ("Could not decode: %s", local_error != NULL ? local_error->message : "no image");
      g_set_error_literal (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_CORRUPT,
                           _("The image is damaged"));
      return NULL;
    }

  return gdk_texture_new_for_pixbuf (pixbuf);
}

static void
decode_in_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GFile *file = task_data;
  guint fit_size = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "fit-size"));
  GError *error = NULL;
  GdkTexture *texture;

  texture = confab_image_decode_file (file, fit_size, cancellable, &error);
  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

/**
 * confab_image_decode_async:
 * @file: a file from the network
 * @fit_size: the largest side wanted, or 0
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the image, or why there is none
 * @user_data: data for @callback
 *
 * Runs confab_image_decode_file() on a worker thread.
 */
void
confab_image_decode_async (GFile               *file,
                           guint                fit_size,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, confab_image_decode_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_object_set_data (G_OBJECT (task), "fit-size", GUINT_TO_POINTER (fit_size));
  g_task_run_in_thread (task, decode_in_thread);
}

/**
 * confab_image_decode_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the image
 */
GdkTexture *
confab_image_decode_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
