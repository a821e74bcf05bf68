/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-fuzz-regressions"

/* Replays the fuzzers' seed corpus and every input that once found a bug
 * (tests/fuzz/regressions/) through the same targets, in the normal build:
 * what the fuzzer found stays fixed. */

#include "fuzz-targets.h"

typedef void (*FuzzTarget) (const guint8 *data, gsize size);

typedef struct {
  const char *dir;
  FuzzTarget  target;
} Replay;

static void
replay_dir (gconstpointer data)
{
  const Replay *replay = data;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fuzz", replay->dir, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_str_has_prefix (name, "."))
        continue;
      g_assert_true (g_file_get_contents (file, &contents, &length, NULL));
      g_test_message ("%s", file);
      replay->target ((const guint8 *) contents, length);
      n++;
    }

  /* An empty folder would make this test pass by doing nothing. */
  g_assert_cmpuint (n, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  static const Replay replays[] = {
    { "corpus/sync", confab_fuzz_sync },
    { "regressions/sync", confab_fuzz_sync },
    { "corpus/html", confab_fuzz_html },
    { "regressions/html", confab_fuzz_html },
    { "corpus/json", confab_fuzz_json },
    { "regressions/json", confab_fuzz_json },
    { "corpus/text", confab_fuzz_text },
    { "regressions/text", confab_fuzz_text },
    { "corpus/crypto", confab_fuzz_crypto },
    { "regressions/crypto", confab_fuzz_crypto },
  };

  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/fuzz/sync/corpus", &replays[0], replay_dir);
  g_test_add_data_func ("/fuzz/sync/regressions", &replays[1], replay_dir);
  g_test_add_data_func ("/fuzz/html/corpus", &replays[2], replay_dir);
  g_test_add_data_func ("/fuzz/html/regressions", &replays[3], replay_dir);
  g_test_add_data_func ("/fuzz/json/corpus", &replays[4], replay_dir);
  g_test_add_data_func ("/fuzz/json/regressions", &replays[5], replay_dir);
  g_test_add_data_func ("/fuzz/text/corpus", &replays[6], replay_dir);
  g_test_add_data_func ("/fuzz/text/regressions", &replays[7], replay_dir);
  g_test_add_data_func ("/fuzz/crypto/corpus", &replays[8], replay_dir);
  g_test_add_data_func ("/fuzz/crypto/regressions", &replays[9], replay_dir);

  return g_test_run ();
}
