/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-html"

#include <pango/pango.h>

#include "matrix.h"

/* GtkLabel markup is Pango markup plus <a href="…">, which GtkLabel takes
 * out before Pango sees it; do the same to check the rest. */
static char *
without_links (const char *markup)
{
  g_autoptr(GRegex) regex = g_regex_new ("<a href=\"[^\"<>]*\">|</a>", 0, 0, NULL);

  return g_regex_replace_literal (regex, markup, -1, 0, "", 0, NULL);
}

/* What the user sees: the markup must parse, and its text and attributes
 * are what the test states. */
static void
assert_renders (const char *html,
                const char *expected_markup)
{
  g_autofree char *markup = matrix_html_to_pango_markup (html, -1);
  g_autofree char *pango = without_links (markup);
  g_autoptr(GError) error = NULL;

  if (!pango_parse_markup (pango, -1, 0, NULL, NULL, NULL, &error))
    g_error ("Not valid Pango markup for %s:\n  %s\n  (%s)", html, markup, error->message);
  g_assert_cmpstr (markup, ==, expected_markup);
}

static char *
plain_text_of (const char *html)
{
  g_autofree char *markup = matrix_html_to_pango_markup (html, -1);
  g_autofree char *pango = without_links (markup);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_assert_true (pango_parse_markup (pango, -1, 0, NULL, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

static void
test_allowed_tags (void)
{
  assert_renders ("<b>bold</b> and <strong>strong</strong>", "<b>bold</b> and <b>strong</b>");
  assert_renders ("<i>it</i><em>em</em><u>u</u><del>d</del><s>s</s>",
                  "<i>it</i><i>em</i><u>u</u><s>d</s><s>s</s>");
  assert_renders ("x<sup>2</sup> H<sub>2</sub>O <code>a &lt; b</code>",
                  "x<sup>2</sup> H<sub>2</sub>O <tt>a &lt; b</tt>");
  assert_renders ("<p>one</p><p>two</p>", "one\ntwo");
  assert_renders ("line<br>break<br/>again", "line\nbreak\nagain");
  assert_renders ("<ul><li>a</li><li>b</li></ul>", "• a\n• b");
  assert_renders ("<ol start=\"3\"><li>c</li><li>d</li></ol>", "3. c\n4. d");
  assert_renders ("<h1>Title</h1>text", "<b>Title</b>\ntext");
  assert_renders ("<span data-mx-color=\"#ff0000\">red</span>",
                  "<span foreground=\"#ff0000\">red</span>");
  assert_renders ("<font color=\"#00ff00\" data-mx-bg-color=\"#000000\">g</font>",
                  "<span foreground=\"#00ff00\" background=\"#000000\">g</span>");
}

/* A matrix.to link to a user is a mention: a pill with the name alone. A
 * link to anything else there (a room, an event) stays a link. */
static void
test_mention_pills (void)
{
  assert_renders ("Hi <a href=\"https://matrix.to/#/@bob:example.org\">Bob</a>!",
                  "Hi <a href=\"https://matrix.to/#/@bob:example.org\"><span weight=\"bold\" "
                  "background=\"#3584e4\" bgalpha=\"22%\">Bob</span></a>!");
  assert_renders ("<a href=\"https://matrix.to/#/@bob:example.org/x\">Bob</a>",
                  "<a href=\"https://matrix.to/#/@bob:example.org/x\">Bob</a> "
                  "(https://matrix.to/#/@bob:example.org/x)");
  assert_renders ("<a href=\"https://matrix.to/#/@b&quot;ob:example.org\">Bob</a>",
                  "<a href=\"https://matrix.to/#/@b&quot;ob:example.org\">Bob</a> "
                  "(https://matrix.to/#/@b&quot;ob:example.org)");
}

static void
test_markdown_formatting (void)
{
  g_autofree char *bold = matrix_markdown_to_html ("**bold** and _it_");
  g_autofree char *list = matrix_markdown_to_html ("- one\n- two");
  g_autofree char *code = matrix_markdown_to_html ("`a < b`");
  g_autofree char *lines = matrix_markdown_to_html ("*a*\nb");
  g_autofree char *link = matrix_markdown_to_html ("[Bob](https://matrix.to/#/@bob:example.org)");

  g_assert_cmpstr (bold, ==, "<p><strong>bold</strong> and <em>it</em></p>");
  g_assert_cmpstr (list, ==, "<ul>\n<li>one</li>\n<li>two</li>\n</ul>");
  g_assert_cmpstr (code, ==, "<p><code>a &lt; b</code></p>");
  /* A new line in the composer is a line break, as in chat. */
  g_assert_cmpstr (lines, ==, "<p><em>a</em><br />\nb</p>");
  g_assert_cmpstr (link, ==, "<p><a href=\"https://matrix.to/#/@bob:example.org\">Bob</a></p>");
}

/* Text with no formatting is sent with its plain body only. */
static void
test_markdown_plain (void)
{
  g_assert_null (matrix_markdown_to_html ("Hello there"));
  g_assert_null (matrix_markdown_to_html ("two\nlines\n\nand a paragraph"));
  g_assert_null (matrix_markdown_to_html (""));
  g_assert_null (matrix_markdown_to_html ("a < b & c"));
}

static void
test_markdown_raw_html (void)
{
  g_autofree char *html = matrix_markdown_to_html ("**x** <script>alert(1)</script>");
  g_autofree char *markup = NULL;

  g_assert_null (strstr (html, "<script"));
  markup = matrix_html_to_pango_markup (html, -1);
  /* The tags are left out; what stood between them is text. */
  g_assert_cmpstr (markup, ==, "<b>x</b> alert(1)");
}

static void
test_links_show_target (void)
{
  assert_renders ("<a href=\"https://gnome.org\">https://gnome.org</a>",
                  "<a href=\"https://gnome.org\">https://gnome.org</a>");
  /* A link whose text claims another place shows where it really goes. */
  assert_renders ("<a href=\"https://evil.example\">https://bank.example</a>",
                  "<a href=\"https://evil.example\">https://bank.example</a> (https://evil.example)");
  assert_renders ("<a href=\"mailto:a@b.c\">a@b.c</a>", "<a href=\"mailto:a@b.c\">a@b.c</a>");
  /* Schemes outside the spec's list are not links. */
  assert_renders ("<a href=\"javascript:alert(1)\">click</a>", "click");
  assert_renders ("<a href=\"file:///etc/passwd\">f</a>", "f");
  assert_renders ("<a href='https://x.example/?a=1&amp;b=\"2\"'>q</a>",
                  "<a href=\"https://x.example/?a=1&amp;b=&quot;2&quot;\">q</a> "
                  "(https://x.example/?a=1&amp;b=&quot;2&quot;)");
}

static void
test_images_not_fetched (void)
{
  assert_renders ("<img src=\"mxc://evil.example/tracker\" alt=\"cat\">", "[cat]");
  assert_renders ("<img src=\"https://tracker.example/pixel.png\">", "[image]");
}

static void
test_attacks (void)
{
  g_autofree char *text = NULL;

  /* Raw Pango markup in the HTML is text, not markup. */
  assert_renders ("<span foreground=\"red\" size=\"100000\">spoof</span>", "spoof");
  assert_renders ("<span weight='bold' font_desc='Sans 200'>x</span>", "x");
  assert_renders ("<markup><span>x</span></markup>", "x");
  /* Attributes of allowed tags never pass through. */
  assert_renders ("<b onclick=\"x\" style=\"font-size:100px\">b</b>", "<b>b</b>");
  assert_renders ("<span data-mx-color=\"red\\\" size=\\\"9999\">c</span>", "c");
  assert_renders ("<span data-mx-color=\"#ff0000\" foreground=\"#00ff00\">c</span>",
                  "<span foreground=\"#ff0000\">c</span>");
  /* Dropped content. */
  assert_renders ("<script>alert(1)</script>safe", "safe");
  assert_renders ("<style>b{}</style><mx-reply><blockquote>quoted <b>old</b></blockquote></mx-reply>new",
                  "new");
  /* Broken HTML degrades to text, and the markup stays well-formed. */
  assert_renders ("<b>unclosed <i>both", "<b>unclosed <i>both</i></b>");
  assert_renders ("<b>mis<i>nested</b> tags</i>", "<b>mis<i>nested</i></b> tags");
  assert_renders ("stray </b></i> closers", "stray  closers");
  assert_renders ("a < b and c > d", "a &lt; b and c &gt; d");
  assert_renders ("1 <2 and <3", "1 &lt;2 and &lt;3");
  assert_renders ("<b", "");
  assert_renders ("<!-- hidden --><!DOCTYPE html>shown", "shown");
  /* Entities. */
  assert_renders ("&lt;b&gt;not bold&lt;/b&gt; &amp;amp; &#65;&#x42; &bogus; &#0; &#xD800;",
                  "&lt;b&gt;not bold&lt;/b&gt; &amp;amp; AB &amp;bogus; &amp;#0; \xef\xbf\xbd");
  /* Control characters, which markup does not allow. */
  assert_renders ("a\x01" "b\x1b" "c", "abc");
  /* Invalid UTF-8. */
  text = plain_text_of ("caf\xe9 <b>\xff</b>");
  g_assert_true (g_utf8_validate (text, -1, NULL));
}

static void
test_huge_nesting (void)
{
  g_autoptr(GString) html = g_string_new (NULL);
  g_autofree char *text = NULL;
  g_autofree char *markup = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append (html, "<b><i>");
  g_string_append (html, "deep");

  markup = matrix_html_to_pango_markup (html->str, -1);
  /* Nesting is capped, so the markup stays small and parses. */
  g_assert_cmpuint (strlen (markup), <, 1000);
  text = plain_text_of (html->str);
  g_assert_cmpstr (text, ==, "deep");
}

static void
test_event_body_markup (void)
{
  static const char *json[] = {
    "{\"room_id\":\"!r\",\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$1\","
    "\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\",\"body\":\"<b>not html</b> & co\"}}",
    "{\"room_id\":\"!r\",\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$2\","
    "\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\",\"body\":\"**hi**\","
    "\"format\":\"org.matrix.custom.html\",\"formatted_body\":\"<strong>hi</strong>\"}}",
    "{\"room_id\":\"!r\",\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$3\","
    "\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\",\"body\":\"<i>x</i>\","
    "\"format\":\"text/unknown\",\"formatted_body\":\"<i>x</i>\"}}",
    "{\"room_id\":\"!r\",\"type\":\"m.room.message\",\"sender\":\"@a:x\",\"event_id\":\"$4\","
    "\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\",\"body\":\"read https://example.org\"}}",
  };
  static const char *expected[] = {
    "&lt;b&gt;not html&lt;/b&gt; &amp; co",
    "<b>hi</b>",
    "&lt;i&gt;x&lt;/i&gt;",
    "read <a href=\"https://example.org\">https://example.org</a>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (json); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(MatrixEvent) event = NULL;
      g_autofree char *markup = NULL;

      g_assert_true (json_parser_load_from_data (parser, json[i], -1, NULL));
      event = matrix_event_new_from_json (NULL, json_node_get_object (json_parser_get_root (parser)), NULL);
      markup = matrix_event_dup_body_markup (event);
      g_assert_cmpstr (markup, ==, expected[i]);
    }
}

static MatrixEvent *
message_with_content (JsonObject *content)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "room_id", "!r");
  json_object_set_string_member (object, "type", "m.room.message");
  json_object_set_string_member (object, "sender", "@a:x");
  json_object_set_string_member (object, "event_id", "$e");
  json_object_set_int_member (object, "origin_server_ts", 1);
  json_object_set_object_member (object, "content", json_object_ref (content));
  return matrix_event_new_from_json (NULL, object, NULL);
}

/* A body larger than any event may be (a server that ignores the limit) is
 * cut for display; stacked marks are capped and an override ends with the
 * message, in a plain body and in a formatted one. */
static void
test_event_body_markup_bounded (void)
{
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(MatrixEvent) big = NULL;
  g_autoptr(MatrixEvent) hostile = NULL;
  g_autoptr(MatrixEvent) formatted = NULL;
  g_autofree char *text = g_strnfill (1024 * 1024, 'x');
  g_autofree char *markup = NULL;
  g_autofree char *hostile_markup = NULL;
  g_autofree char *formatted_markup = NULL;
  GString *zalgo = g_string_new ("\u202eab");

  for (guint i = 0; i < 200; i++)
    g_string_append (zalgo, "\u0301");

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", text);
  big = message_with_content (content);
  markup = matrix_event_dup_body_markup (big);
  /* Cut, and given a place to break every so many characters. */
  {
    g_auto(GStrv) words = g_strsplit (markup, "\u200B", -1);
    g_autofree char *joined = g_strjoinv ("", words);

    g_assert_cmpuint (strlen (joined), ==, MATRIX_TEXT_MAX_BODY_BYTES);
    g_assert_cmpuint (g_strv_length (words), ==, MATRIX_TEXT_MAX_BODY_BYTES / MATRIX_TEXT_MAX_RUN);
  }

  json_object_set_string_member (content, "body", zalgo->str);
  hostile = message_with_content (content);
  hostile_markup = matrix_event_dup_body_markup (hostile);
  g_assert_cmpuint (g_utf8_strlen (hostile_markup, -1), ==, 3 + MATRIX_TEXT_MAX_MARKS + 1);
  g_assert_true (g_str_has_suffix (hostile_markup, "\u202c"));

  json_object_set_string_member (content, "format", "org.matrix.custom.html");
  json_object_set_string_member (content, "formatted_body", "<b>\u202eevil</b>");
  formatted = message_with_content (content);
  formatted_markup = matrix_event_dup_body_markup (formatted);
  g_assert_cmpstr (formatted_markup, ==, "<b>\u202eevil</b>\u202c");
  g_string_free (zalgo, TRUE);
}

/* Plain text: escaped, its bare URLs links, and the markup always parses. */
static void
assert_linkified (const char *text,
                  const char *expected_markup)
{
  g_autofree char *markup = matrix_text_to_pango_markup (text, -1);
  g_autofree char *pango = without_links (markup);
  g_autoptr(GError) error = NULL;

  if (!pango_parse_markup (pango, -1, 0, NULL, NULL, NULL, &error))
    g_error ("Not valid Pango markup for %s:\n  %s\n  (%s)", text, markup, error->message);
  g_assert_cmpstr (markup, ==, expected_markup);
}

static void
test_linkify (void)
{
  assert_linkified ("no links here", "no links here");
  assert_linkified ("see https://example.org/a?b=c#d now",
                    "see <a href=\"https://example.org/a?b=c#d\">https://example.org/a?b=c#d</a> now");
  assert_linkified ("http://example.org", "<a href=\"http://example.org\">http://example.org</a>");
  assert_linkified ("HTTPS://EXAMPLE.ORG", "<a href=\"HTTPS://EXAMPLE.ORG\">HTTPS://EXAMPLE.ORG</a>");
  assert_linkified ("write to mailto:alice@example.org!",
                    "write to <a href=\"mailto:alice@example.org\">mailto:alice@example.org</a>!");
  /* Sentence punctuation and brackets around the URL stay outside it. */
  assert_linkified ("(at https://example.org/x.)",
                    "(at <a href=\"https://example.org/x\">https://example.org/x</a>.)");
  assert_linkified ("https://en.wikipedia.org/wiki/Foo_(bar), yes",
                    "<a href=\"https://en.wikipedia.org/wiki/Foo_(bar)\">"
                    "https://en.wikipedia.org/wiki/Foo_(bar)</a>, yes");
  assert_linkified ("*https://example.org*",
                    "*<a href=\"https://example.org\">https://example.org</a>*");
  /* & is escaped in the target and in the text. */
  assert_linkified ("https://example.org/?a=1&b=2",
                    "<a href=\"https://example.org/?a=1&amp;b=2\">https://example.org/?a=1&amp;b=2</a>");
  /* Not ASCII: shown as written, opened escaped. */
  assert_linkified ("https://de.wikipedia.org/wiki/Straße",
                    "<a href=\"https://de.wikipedia.org/wiki/Stra%C3%9Fe\">"
                    "https://de.wikipedia.org/wiki/Straße</a>");
  /* Two, and one inside a word is not one. */
  assert_linkified ("https://a.example https://b.example xhttps://c.example",
                    "<a href=\"https://a.example\">https://a.example</a> "
                    "<a href=\"https://b.example\">https://b.example</a> xhttps://c.example");
  /* Nothing to go to. */
  assert_linkified ("https:// and http://?x and mailto: and mailto:nobody",
                    "https:// and http://?x and mailto: and mailto:nobody");
  assert_linkified ("https://@/ https://-x.org", "https://@/ https://-x.org");
}

static void
test_linkify_attacks (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *markup = NULL;
  gint64 start;

  /* Only http, https and mailto. */
  assert_linkified ("javascript:alert(1) data:text/html,<b>x</b> file:///etc/passwd",
                    "javascript:alert(1) data:text/html,&lt;b&gt;x&lt;/b&gt; file:///etc/passwd");
  /* A URL cannot close the attribute or the tag it is put in. */
  assert_linkified ("https://a.example/\"onclick=\"x",
                    "<a href=\"https://a.example/\">https://a.example/</a>&quot;onclick=&quot;x");
  assert_linkified ("https://a.example/'><b>x</b>",
                    "<a href=\"https://a.example/\">https://a.example/</a>&apos;&gt;&lt;b&gt;x&lt;/b&gt;");
  assert_linkified ("https://a.example/<script>",
                    "<a href=\"https://a.example/\">https://a.example/</a>&lt;script&gt;");
  assert_linkified ("https://a.example/%22%3E", "<a href=\"https://a.example/%22%3E\">https://a.example/%22%3E</a>");
  /* A right-to-left override ends it: the link cannot show its text reversed. */
  assert_linkified ("https://a.example/\xe2\x80\xaegpj.exe",
                    "<a href=\"https://a.example/\">https://a.example/</a>\xe2\x80\xaegpj.exe");
  /* Controls are dropped, invalid UTF-8 replaced. */
  assert_linkified ("a\x01https://a.example\x1b", "a<a href=\"https://a.example\">https://a.example</a>");
  markup = matrix_text_to_pango_markup ("https://a.example/\xff\xfe", -1);
  g_assert_true (g_utf8_validate (markup, -1, NULL));
  g_clear_pointer (&markup, g_free);
  /* A host made of markup is no host. */
  assert_linkified ("https://<b>", "https://&lt;b&gt;");
  assert_linkified ("https://&amp;", "https://&amp;amp;");

  /* Text made of nothing but failed candidates is read once: fast. */
  for (guint i = 0; i < 20000; i++)
    g_string_append (text, "(https://");
  start = g_get_monotonic_time ();
  markup = matrix_text_to_pango_markup (text->str, -1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_null (strstr (markup, "<a "));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/html/allowed-tags", test_allowed_tags);
  g_test_add_func ("/matrix/html/mentions-as-pills", test_mention_pills);
  g_test_add_func ("/matrix/markdown/formatting-rendered", test_markdown_formatting);
  g_test_add_func ("/matrix/markdown/plain-text-has-no-html", test_markdown_plain);
  g_test_add_func ("/matrix/markdown/raw-html-left-out", test_markdown_raw_html);
  g_test_add_func ("/matrix/html/links-show-target", test_links_show_target);
  g_test_add_func ("/matrix/html/images-not-fetched", test_images_not_fetched);
  g_test_add_func ("/matrix/html/attacks", test_attacks);
  g_test_add_func ("/matrix/html/huge-nesting", test_huge_nesting);
  g_test_add_func ("/matrix/html/event-body-markup", test_event_body_markup);
  g_test_add_func ("/matrix/html/event-body-markup/bounded", test_event_body_markup_bounded);
  g_test_add_func ("/matrix/html/linkify/bare-urls", test_linkify);
  g_test_add_func ("/matrix/html/linkify/attacks", test_linkify_attacks);

  return g_test_run ();
}
