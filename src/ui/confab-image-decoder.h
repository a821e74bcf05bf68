/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What an image from the network may be, checked before a decoder
 * allocates anything: the decoded image takes width × height × 4 bytes. */
#define CONFAB_IMAGE_MAX_SIDE    8192
#define CONFAB_IMAGE_MAX_PIXELS  (32 * 1000 * 1000)
#define CONFAB_IMAGE_MAX_BYTES   (50 * 1024 * 1024)

#define CONFAB_IMAGE_ERROR (confab_image_error_quark ())

typedef enum {
  CONFAB_IMAGE_ERROR_EMPTY,
  CONFAB_IMAGE_ERROR_UNSUPPORTED,
  CONFAB_IMAGE_ERROR_TOO_LARGE,
  CONFAB_IMAGE_ERROR_CORRUPT,
} ConfabImageError;

GQuark      confab_image_error_quark   (void);

const char *confab_image_sniff         (const guint8        *data,
                                        gsize                size);
GdkTexture *confab_image_decode_file   (GFile               *file,
                                        guint                fit_size,
                                        GCancellable        *cancellable,
                                        GError             **error);
void        confab_image_decode_async  (GFile               *file,
                                        guint                fit_size,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
GdkTexture *confab_image_decode_finish (GAsyncResult        *result,
                                        GError             **error);

G_END_DECLS
