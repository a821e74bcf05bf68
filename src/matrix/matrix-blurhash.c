/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-blurhash"

#include <math.h>
#include <string.h>

#include "matrix-blurhash.h"
#include "matrix-error.h"

/**
 * SECTION:matrix-blurhash
 * @title: Blurhash
 * @short_description: the blurred preview a media message may carry
 *
 * An image message may carry a [blurhash](https://blurha.sh) of the image
 * (`info["xyz.amorgan.blurhash"]`, MSC2448): a short text of the image's
 * average colour and a few cosine components, enough to paint a blurred
 * placeholder of the right colours while the thumbnail loads.
 *
 * The text comes from the network: matrix_blurhash_decode() checks every
 * character and the length against the component counts before painting,
 * and paints at most %MATRIX_BLURHASH_MAX_SIZE pixels each way.
 */

/* The 83 characters of a blurhash's digits, in order. */
static const char digits[] =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

/* The value of @length base-83 digits at @text, or -1 for a character
 * that is none. */
static gint64
decode83 (const char *text,
          guint       length)
{
  gint64 value = 0;

  for (guint i = 0; i < length; i++)
    {
      const char *digit;

      if (text[i] == '\0' || (digit = strchr (digits, text[i])) == NULL)
        return -1;
      value = value * 83 + (digit - digits);
    }
  return value;
}

static gboolean
read_size (const char *blurhash,
           guint      *n_x,
           guint      *n_y)
{
  gint64 flag;
  gsize length;

  if (blurhash == NULL)
    return FALSE;
  length = strlen (blurhash);
  if (length < 6 || (flag = decode83 (blurhash, 1)) < 0)
    return FALSE;
  *n_x = (guint) (flag % 9) + 1;
  *n_y = (guint) (flag / 9) + 1;
  return length == 4 + 2 * (gsize) *n_x * *n_y && strspn (blurhash, digits) == length;
}

/**
 * matrix_blurhash_is_valid:
 * @blurhash: (nullable): a text from a message
 *
 * Whether @blurhash is a well-formed blurhash: only base-83 digits, and as
 * long as its size digit says.
 *
 * Returns: %TRUE if matrix_blurhash_decode() can paint it
 */
gboolean
matrix_blurhash_is_valid (const char *blurhash)
{
  guint n_x, n_y;

  return read_size (blurhash, &n_x, &n_y);
}

static double
srgb_to_linear (gint64 value)
{
  double v = (double) value / 255.0;

  return v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
}

static guint8
linear_to_srgb (double value)
{
  double v = CLAMP (value, 0.0, 1.0);
  double s = v <= 0.0031308 ? v * 12.92 : 1.055 * pow (v, 1.0 / 2.4) - 0.055;

  return (guint8) CLAMP ((int) (s * 255.0 + 0.5), 0, 255);
}

static double
sign_square (double value)
{
  return value < 0 ? -(value * value) : value * value;
}

/**
 * matrix_blurhash_decode:
 * @blurhash: a blurhash, from a message
 * @width: the width to paint, 1 to %MATRIX_BLURHASH_MAX_SIZE
 * @height: the height to paint, 1 to %MATRIX_BLURHASH_MAX_SIZE
 * @error: return location for a #GError
 *
 * Paints @blurhash: @width × @height pixels of 3 bytes each (red, green,
 * blue; rows of `width * 3` bytes, no padding), to scale up to the image's
 * size as its placeholder.
 *
 * Returns: (transfer full) (nullable): the pixels, or %NULL with
 *   %MATRIX_ERROR_INVALID_RESPONSE when @blurhash is not one
 */
GBytes *
matrix_blurhash_decode (const char  *blurhash,
                        guint        width,
                        guint        height,
                        GError     **error)
{
  g_autofree double *colors = NULL;
  g_autofree double *cos_x = NULL;
  g_autofree double *cos_y = NULL;
  guint8 *pixels;
  guint n_x, n_y;
  double maximum;

  g_return_val_if_fail (width >= 1 && width <= MATRIX_BLURHASH_MAX_SIZE, NULL);
  g_return_val_if_fail (height >= 1 && height <= MATRIX_BLURHASH_MAX_SIZE, NULL);

  if (!read_size (blurhash, &n_x, &n_y))
    {
      g_set_error_literal (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                           "Not a blurhash");
      return NULL;
    }

  /* The components, in linear light: the average colour first. */
  colors = g_new (double, (gsize) n_x * n_y * 3);
  maximum = (double) (decode83 (blurhash + 1, 1) + 1) / 166.0;
  {
    gint64 dc = decode83 (blurhash + 2, 4);

    colors[0] = srgb_to_linear (dc >> 16);
    colors[1] = srgb_to_linear ((dc >> 8) & 255);
    colors[2] = srgb_to_linear (dc & 255);
  }
  for (guint i = 1; i < n_x * n_y; i++)
    {
      gint64 ac = decode83 (blurhash + 4 + 2 * i, 2);

      colors[i * 3] = sign_square ((double) (ac / (19 * 19) - 9) / 9.0) * maximum;
      colors[i * 3 + 1] = sign_square ((double) ((ac / 19) % 19 - 9) / 9.0) * maximum;
      colors[i * 3 + 2] = sign_square ((double) (ac % 19 - 9) / 9.0) * maximum;
    }

  cos_x = g_new (double, (gsize) width * n_x);
  cos_y = g_new (double, (gsize) height * n_y);
  for (guint x = 0; x < width; x++)
    for (guint i = 0; i < n_x; i++)
      cos_x[x * n_x + i] = cos (G_PI * x * i / width);
  for (guint y = 0; y < height; y++)
    for (guint j = 0; j < n_y; j++)
      cos_y[y * n_y + j] = cos (G_PI * y * j / height);

  pixels = g_malloc ((gsize) width * height * 3);
  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      {
        double r = 0, g = 0, b = 0;
        guint8 *pixel = pixels + ((gsize) y * width + x) * 3;

        for (guint j = 0; j < n_y; j++)
          for (guint i = 0; i < n_x; i++)
            {
              double basis = cos_x[x * n_x + i] * cos_y[y * n_y + j];
              const double *color = colors + (j * n_x + i) * 3;

              r += color[0] * basis;
              g += color[1] * basis;
              b += color[2] * basis;
            }
        pixel[0] = linear_to_srgb (r);
        pixel[1] = linear_to_srgb (g);
        pixel[2] = linear_to_srgb (b);
      }

  return g_bytes_new_take (pixels, (gsize) width * height * 3);
}
