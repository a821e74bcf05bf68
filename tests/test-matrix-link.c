/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-link"

#include "matrix.h"

typedef struct {
  const char     *uri;
  MatrixLinkKind  kind;
  const char     *target;
  const char     *event_id;
  const char     *via;      /* comma-separated, or NULL for none */
  gboolean        join;
} Good;

static const Good good[] = {
  { "matrix:r/gnome:example.org", MATRIX_LINK_ROOM_ALIAS, "#gnome:example.org", NULL, NULL, FALSE },
  { "MATRIX:r/gnome:example.org", MATRIX_LINK_ROOM_ALIAS, "#gnome:example.org", NULL, NULL, FALSE },
  { "matrix:roomid/abc:example.org?via=example.org&via=other.org&action=join",
    MATRIX_LINK_ROOM_ID, "!abc:example.org", NULL, "example.org,other.org", TRUE },
  { "matrix:roomid/abc:example.org/e/ev1?via=example.org", MATRIX_LINK_ROOM_ID, "!abc:example.org",
    "$ev1", "example.org", FALSE },
  { "matrix:u/alice:example.org?action=chat", MATRIX_LINK_USER, "@alice:example.org", NULL, NULL, FALSE },
  { "matrix://example.org/u/alice:example.org", MATRIX_LINK_USER, "@alice:example.org", NULL, NULL, FALSE },
  { "matrix:r/caf%C3%A9:example.org", MATRIX_LINK_ROOM_ALIAS, "#café:example.org", NULL, NULL, FALSE },
  { "matrix:r/gnome:example.org?unknown=1&via=a.org", MATRIX_LINK_ROOM_ALIAS, "#gnome:example.org",
    NULL, "a.org", FALSE },
  { "https://matrix.to/#/#gnome:example.org", MATRIX_LINK_ROOM_ALIAS, "#gnome:example.org", NULL, NULL, FALSE },
  { "https://matrix.to/#/%23gnome%3Aexample.org", MATRIX_LINK_ROOM_ALIAS, "#gnome:example.org",
    NULL, NULL, FALSE },
  { "https://matrix.to/#/!abc:example.org/$ev1?via=example.org", MATRIX_LINK_ROOM_ID,
    "!abc:example.org", "$ev1", "example.org", FALSE },
  { "https://matrix.to/#/%21abc%3Aexample.org/%24ev1", MATRIX_LINK_ROOM_ID, "!abc:example.org",
    "$ev1", NULL, FALSE },
  { "https://matrix.to/#/@alice:example.org", MATRIX_LINK_USER, "@alice:example.org", NULL, NULL, FALSE },
  { "http://matrix.to/#/@alice:example.org", MATRIX_LINK_USER, "@alice:example.org", NULL, NULL, FALSE },
};

static const char *bad[] = {
  "",
  "matrix:",
  "matrix:x/gnome:example.org",
  "matrix:r/",
  "matrix:r/gnome",                            /* no server */
  "matrix:r/gno me:example.org",
  "matrix:r/gnome%00:example.org",
  "matrix:r/gnome%FF:example.org",
  "matrix:u/alice:example.org/e/ev1",          /* users have no events */
  "matrix:roomid/abc:example.org/x/ev1",
  "matrix:roomid/abc:example.org/e/",
  "matrix:roomid/abc:example.org/e/ev1/more",
  "matrix:r/gnome:example.org?via=",
  "https://matrix.to/#/",
  "https://matrix.to/#/gnome:example.org",
  "https://matrix.to/#/@alice",
  "https://matrix.to/#/!abc:example.org/$ev1/more",
  "https://matrix.to/#/!abc:example.org/ev1",
  "https://example.org/#/#gnome:example.org",
  "https://matrix.to.evil.org/#/#gnome:example.org",
  "mailto:alice@example.org",
};

static void
test_good_links (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MatrixLink) link = matrix_link_parse (good[i].uri, &error);
      g_auto(GStrv) via = good[i].via != NULL ? g_strsplit (good[i].via, ",", -1) : g_new0 (char *, 1);

      g_test_message ("%s", good[i].uri);
      g_assert_no_error (error);
      g_assert_nonnull (link);
      g_assert_cmpint (matrix_link_get_kind (link), ==, good[i].kind);
      g_assert_cmpstr (matrix_link_get_target (link), ==, good[i].target);
      g_assert_cmpstr (matrix_link_get_event_id (link), ==, good[i].event_id);
      g_assert_cmpstrv (matrix_link_get_via (link), via);
      g_assert_cmpint (matrix_link_get_join (link), ==, good[i].join);
    }
}

static void
test_bad_links (void)
{
  g_autofree char *huge = NULL;
  g_autoptr(GString) long_alias = g_string_new ("matrix:r/");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MatrixLink) link = matrix_link_parse (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (link);
      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_LINK);
    }
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (matrix_link_parse (NULL, &error));
    g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_LINK);
  }

  /* Ids longer than the spec allows, and absurdly long input. */
  for (guint i = 0; i < 300; i++)
    g_string_append_c (long_alias, 'a');
  g_string_append (long_alias, ":example.org");
  g_assert_null (matrix_link_parse (long_alias->str, NULL));
  huge = g_strnfill (100000, '/');
  g_assert_null (matrix_link_parse (huge, NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/link/parses-matrix-uris-and-matrix-to", test_good_links);
  g_test_add_func ("/matrix/link/refuses-malformed-links", test_bad_links);

  return g_test_run ();
}
