/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <json-glib/json-glib.h>

#include "matrix-blurhash.h"
#include "matrix-error.h"
#include "matrix-media-info.h"

static const guint8 *
pixel_at (GBytes *pixels,
          guint   width,
          guint   x,
          guint   y)
{
  return (const guint8 *) g_bytes_get_data (pixels, NULL) + ((gsize) y * width + x) * 3;
}

/* One component only: the average colour, the same everywhere, exact
 * through sRGB → linear light → sRGB. */
static void
test_average_colour_only (void)
{
  /* "0": 1×1 components, "0": no AC, then the colour in 4 base-83 digits. */
  struct { const char *hash; guint8 r, g, b; } cases[] = {
    { "00M^#v", 200, 30, 90 },
    { "00Eyb[", 128, 128, 128 },
    { "000000", 0, 0, 0 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) pixels = matrix_blurhash_decode (cases[c].hash, 7, 5, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (pixels), ==, 7 * 5 * 3);
      for (guint y = 0; y < 5; y++)
        for (guint x = 0; x < 7; x++)
          {
            const guint8 *p = pixel_at (pixels, 7, x, y);

            g_assert_cmpuint (p[0], ==, cases[c].r);
            g_assert_cmpuint (p[1], ==, cases[c].g);
            g_assert_cmpuint (p[2], ==, cases[c].b);
          }
    }
}

/* A horizontal component of red only, at the largest amplitude: red
 * falls from left to right around the grey average, green and blue stay. */
static void
test_horizontal_component (void)
{
  g_autoptr(GError) error = NULL;
  /* "1": 2×1 components; "~": the largest maximum; grey; AC (18, 9, 9). */
  g_autoptr(GBytes) pixels = matrix_blurhash_decode ("1~Eyb[|c", 16, 2, &error);
  const guint8 *left, *right;

  g_assert_no_error (error);
  left = pixel_at (pixels, 16, 0, 0);
  right = pixel_at (pixels, 16, 15, 1);
  g_assert_cmpuint (left[0], >, 128);
  g_assert_cmpuint (right[0], <, 128);
  g_assert_cmpuint (left[1], ==, 128);
  g_assert_cmpuint (right[1], ==, 128);
  g_assert_cmpuint (left[2], ==, 128);
  g_assert_cmpuint (right[2], ==, 128);
  /* The same in every row: the component has no vertical part. */
  g_assert_cmpmem (pixel_at (pixels, 16, 0, 0), 16 * 3, pixel_at (pixels, 16, 0, 1), 16 * 3);
}

/* blurha.sh's own example (4×3 components): painted, and its colours
 * average near its average colour (151, 150, 149). */
static void
test_real_hash (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pixels = matrix_blurhash_decode ("LEHV6nWB2yk8pyo0adR*.7kCMdnj", 32, 32,
                                                     &error);
  double sum[3] = { 0, 0, 0 };

  g_assert_no_error (error);
  g_assert_true (matrix_blurhash_is_valid ("LEHV6nWB2yk8pyo0adR*.7kCMdnj"));
  for (guint i = 0; i < 32 * 32; i++)
    for (guint c = 0; c < 3; c++)
      sum[c] += ((const guint8 *) g_bytes_get_data (pixels, NULL))[i * 3 + c];
  g_assert_cmpfloat_with_epsilon (sum[0] / 1024, 151, 30);
  g_assert_cmpfloat_with_epsilon (sum[1] / 1024, 150, 30);
  g_assert_cmpfloat_with_epsilon (sum[2] / 1024, 149, 30);
}

/* From the network: anything else is refused with an error, never read
 * past its end. */
static void
test_malformed (void)
{
  const char *bad[] = {
    "", "0", "00M^#", "00M^#v0", "10M^#v", "LEHV6nWB2yk8pyo0adR*.7kCMdn",
    "LEHV6nWB2yk8pyo0adR*.7kCMdnjj", "00M^#\"", "00M^ v", "00M^#\xc3\xa9",
    "~~~~~~~~~~~~~~~~~~~~",
  };

  g_assert_false (matrix_blurhash_is_valid (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) pixels = NULL;

      g_test_message ("%s", bad[i]);
      g_assert_false (matrix_blurhash_is_valid (bad[i]));
      pixels = matrix_blurhash_decode (bad[i], 4, 4, &error);
      g_assert_null (pixels);
      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
    }
}

/* A media message's blurhash (MSC2448's key) is read when well-formed,
 * taken as absent otherwise, and sent back in `info`. */
static void
test_media_info (void)
{
  const char *with = "{\"msgtype\":\"m.image\",\"body\":\"a.png\",\"url\":\"mxc://x/a\","
                     "\"info\":{\"w\":4,\"h\":3,\"xyz.amorgan.blurhash\":\"LEHV6nWB2yk8pyo0adR*.7kCMdnj\"}}";
  const char *broken = "{\"msgtype\":\"m.image\",\"body\":\"a.png\",\"url\":\"mxc://x/a\","
                       "\"info\":{\"xyz.amorgan.blurhash\":\"not one\"}}";
  const char *wrong_type = "{\"msgtype\":\"m.image\",\"body\":\"a.png\",\"url\":\"mxc://x/a\","
                           "\"info\":{\"xyz.amorgan.blurhash\":5}}";
  g_autoptr(JsonNode) a = json_from_string (with, NULL);
  g_autoptr(JsonNode) b = json_from_string (broken, NULL);
  g_autoptr(JsonNode) c = json_from_string (wrong_type, NULL);
  g_autoptr(MatrixMediaInfo) info = matrix_media_info_new_from_content ("m.room.message",
                                                                        json_node_get_object (a),
                                                                        NULL);
  g_autoptr(MatrixMediaInfo) info_broken = matrix_media_info_new_from_content ("m.room.message",
                                                                               json_node_get_object (b),
                                                                               NULL);
  g_autoptr(MatrixMediaInfo) info_wrong = matrix_media_info_new_from_content ("m.room.message",
                                                                              json_node_get_object (c),
                                                                              NULL);
  g_autoptr(JsonObject) content = NULL;

  g_assert_cmpstr (matrix_media_info_get_blurhash (info), ==, "LEHV6nWB2yk8pyo0adR*.7kCMdnj");
  g_assert_null (matrix_media_info_get_blurhash (info_broken));
  g_assert_null (matrix_media_info_get_blurhash (info_wrong));

  content = matrix_media_info_to_content (info);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (content, "info"),
                                                  "xyz.amorgan.blurhash"),
                   ==, "LEHV6nWB2yk8pyo0adR*.7kCMdnj");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/blurhash/average-colour-exact", test_average_colour_only);
  g_test_add_func ("/matrix/blurhash/horizontal-component", test_horizontal_component);
  g_test_add_func ("/matrix/blurhash/real-hash-painted", test_real_hash);
  g_test_add_func ("/matrix/blurhash/malformed-refused", test_malformed);
  g_test_add_func ("/matrix/blurhash/media-info-reads-and-sends", test_media_info);

  return g_test_run ();
}
