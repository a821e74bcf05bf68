/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-html"

#include <string.h>

#include "matrix-html.h"
#include "matrix-text.h"
#include "matrix-timeline-item.h"

/**
 * SECTION:matrix-html
 *
 * Turns the `formatted_body` of an `org.matrix.custom.html` message, written
 * by anyone, into GtkLabel markup (Pango markup plus `<a href>`) that is always well-formed and that can only
 * say what the spec lets a message say: the spec's allowed tags map to Pango
 * tags, every other tag is dropped (its text kept, except for the content of
 * `mx-reply`, `script` and `style`), every attribute but a link's target and
 * a validated colour is dropped, and all text is escaped. Images are never
 * fetched: they show as their alt text. Links show their real target next to
 * their text when the two differ, so a link cannot pretend to go elsewhere.
 *
 * It does not use an XML parser: HTML from the network is rarely well-formed,
 * and unclosed, misnested or stray tags must degrade to text, not fail.
 */

/* Deeper nesting than this is flattened: its tags are dropped, its text kept. */
#define MAX_DEPTH 32

typedef enum {
  BLOCK_NONE,
  BLOCK_PARAGRAPH,  /* starts and ends on a line of its own */
  BLOCK_LINE,       /* ends with a newline */
} BlockKind;

typedef struct {
  char      *name;         /* the HTML tag, lower case */
  char      *closer;       /* Pango closing markup, or NULL */
  BlockKind  block;
  gboolean   suppress;     /* drops its content */
  char      *href;         /* for links: the target, to show if the text differs */
  gsize      text_start;   /* for links: where the link's plain text starts */
  guint      list_counter; /* for <ol>: the next item number; 0 in <ul> */
} OpenTag;

typedef struct {
  GString *out;
  GString *plain;      /* the text alone, to compare link texts with targets */
  GArray  *stack;      /* OpenTag */
  guint    suppressed; /* open tags that drop their content */
} Converter;

static void
open_tag_clear (OpenTag *tag)
{
  g_free (tag->name);
  g_free (tag->closer);
  g_free (tag->href);
}

static const char * const void_tags[] = { "br", "hr", "img", "wbr", "input", "meta", "link", NULL };
static const char * const suppressed_tags[] = { "mx-reply", "script", "style", "head", "title",
                                                "template", NULL };
static const char * const link_schemes[] = { "https", "http", "ftp", "mailto", "magnet", "matrix",
                                             NULL };

static void
append_text (Converter  *conv,
             const char *text,
             gssize      length)
{
  const char *end = text + (length < 0 ? (gssize) strlen (text) : length);

  if (conv->suppressed > 0)
    return;

  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      switch (c)
        {
        case '<': g_string_append (conv->out, "&lt;"); break;
        case '>': g_string_append (conv->out, "&gt;"); break;
        case '&': g_string_append (conv->out, "&amp;"); break;
        case '"': g_string_append (conv->out, "&quot;"); break;
        case '\'': g_string_append (conv->out, "&apos;"); break;
        default:
          /* Control characters are not allowed in markup at all. */
          if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || (c >= 0x80 && c < 0xa0))
            continue;
          g_string_append_unichar (conv->out, c);
        }
      g_string_append_unichar (conv->plain, c);
    }
}

static void
ensure_line_start (Converter *conv)
{
  if (conv->suppressed == 0 && conv->out->len > 0 && conv->out->str[conv->out->len - 1] != '\n')
    {
      g_string_append_c (conv->out, '\n');
      g_string_append_c (conv->plain, '\n');
    }
}

static gboolean
is_hex_colour (const char *value)
{
  if (value == NULL || value[0] != '#' || strlen (value) != 7)
    return FALSE;
  for (guint i = 1; i < 7; i++)
    if (!g_ascii_isxdigit (value[i]))
      return FALSE;
  return TRUE;
}

/* How a mention of a user (a matrix.to link to a user id) is shown. */
#define PILL_ATTRIBUTES "weight=\"bold\" background=\"#3584e4\" bgalpha=\"22%\""

static gboolean
is_user_pill (const char *href)
{
  const char *user;

  if (href == NULL || !g_str_has_prefix (href, "https://matrix.to/#/@"))
    return FALSE;
  user = href + strlen ("https://matrix.to/#/");

  return strpbrk (user, "/?#\"<>&' ") == NULL && strchr (user, ':') != NULL;
}

static gboolean
is_allowed_link (const char *href)
{
  g_autofree char *scheme = href != NULL ? g_uri_parse_scheme (href) : NULL;
  g_autofree char *lower = scheme != NULL ? g_ascii_strdown (scheme, -1) : NULL;

  return lower != NULL && g_strv_contains (link_schemes, lower);
}

/* Decodes one character reference at *p (just past '&'). Returns FALSE, with
 * *p unchanged, when it is not one. */
static gboolean
decode_entity (const char **p,
               const char  *end,
               GString     *into)
{
  static const struct { const char *name; gunichar c; } named[] = {
    { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
    { "nbsp", 0xa0 }, { "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
    { "copy", 0xa9 }, { "reg", 0xae }, { "trade", 0x2122 },
  };
  const char *semicolon = memchr (*p, ';', MIN ((gsize) (end - *p), 12));
  g_autofree char *name = NULL;
  gunichar c = 0;

  if (semicolon == NULL || semicolon == *p)
    return FALSE;
  name = g_strndup (*p, semicolon - *p);

  if (name[0] == '#')
    {
      guint64 value;
      const char *digits = name + 1;
      guint base = 10;

      if (digits[0] == 'x' || digits[0] == 'X')
        {
          digits++;
          base = 16;
        }
      if (!g_ascii_string_to_unsigned (digits, base, 1, 0x10ffff, &value, NULL))
        return FALSE;
      c = (gunichar) value;
      if (!g_unichar_validate (c))
        c = 0xfffd;
    }
  else
    {
      for (guint i = 0; i < G_N_ELEMENTS (named); i++)
        if (g_str_equal (name, named[i].name))
          c = named[i].c;
      if (c == 0)
        return FALSE;
    }

  g_string_append_unichar (into, c);
  *p = semicolon + 1;
  return TRUE;
}

/* Text with character references decoded. */
static char *
decode_text (const char *text,
             gsize       length)
{
  GString *decoded = g_string_sized_new (length);
  const char *end = text + length;

  for (const char *p = text; p < end;)
    {
      if (*p == '&')
        {
          p++;
          if (!decode_entity (&p, end, decoded))
            g_string_append_c (decoded, '&');
          continue;
        }
      g_string_append_c (decoded, *p++);
    }

  return g_string_free (decoded, FALSE);
}

static void
append_decoded (Converter  *conv,
                const char *text,
                gsize       length)
{
  g_autofree char *decoded = decode_text (text, length);

  append_text (conv, decoded, -1);
}

static void
close_top (Converter *conv)
{
  OpenTag *tag = &g_array_index (conv->stack, OpenTag, conv->stack->len - 1);

  if (tag->suppress)
    conv->suppressed--;

  if (conv->suppressed == 0)
    {
      if (tag->closer != NULL)
        g_string_append (conv->out, tag->closer);

      if (tag->href != NULL)
        {
          g_autofree char *text = g_strstrip (g_strdup (conv->plain->str + tag->text_start));
          const char *target = tag->href;

          if (g_str_has_prefix (target, "mailto:"))
            target += strlen ("mailto:");
          if (!g_str_equal (text, target) && !g_str_equal (text, tag->href))
            {
              g_autofree char *shown = g_strdup_printf (" (%s)", tag->href);
              append_text (conv, shown, -1);
            }
        }

      if (tag->block == BLOCK_PARAGRAPH || tag->block == BLOCK_LINE)
        ensure_line_start (conv);
    }

  open_tag_clear (tag);
  g_array_set_size (conv->stack, conv->stack->len - 1);
}

static char *
get_attribute (GHashTable *attributes,
               const char *name)
{
  return g_strdup (g_hash_table_lookup (attributes, name));
}

static void
open_element (Converter  *conv,
              const char *name,
              GHashTable *attributes)
{
  OpenTag tag = { 0, };
  const char *opener = NULL;
  g_autofree char *dynamic_opener = NULL;

  if (g_str_equal (name, "br"))
    {
      append_text (conv, "\n", 1);
      return;
    }
  if (g_str_equal (name, "hr"))
    {
      ensure_line_start (conv);
      append_text (conv, "――――――――\n", -1);
      return;
    }
  if (g_str_equal (name, "img"))
    {
      g_autofree char *alt = get_attribute (attributes, "alt");
      g_autofree char *shown = g_strdup_printf ("[%s]", alt != NULL && *alt ? alt : "image");

      /* Never fetched: an mxc:// or any other URL stays unloaded. */
      append_text (conv, shown, -1);
      return;
    }
  if (g_strv_contains (void_tags, name))
    return;

  if (conv->stack->len >= MAX_DEPTH && !g_strv_contains (suppressed_tags, name))
    return;

  tag.name = g_strdup (name);

  if (g_strv_contains (suppressed_tags, name))
    tag.suppress = TRUE;
  else if (g_str_equal (name, "b") || g_str_equal (name, "strong"))
    opener = "<b>", tag.closer = g_strdup ("</b>");
  else if (g_str_equal (name, "i") || g_str_equal (name, "em") || g_str_equal (name, "cite"))
    opener = "<i>", tag.closer = g_strdup ("</i>");
  else if (g_str_equal (name, "u"))
    opener = "<u>", tag.closer = g_strdup ("</u>");
  else if (g_str_equal (name, "del") || g_str_equal (name, "strike") || g_str_equal (name, "s"))
    opener = "<s>", tag.closer = g_strdup ("</s>");
  else if (g_str_equal (name, "code"))
    opener = "<tt>", tag.closer = g_strdup ("</tt>");
  else if (g_str_equal (name, "pre"))
    opener = "<tt>", tag.closer = g_strdup ("</tt>"), tag.block = BLOCK_PARAGRAPH;
  else if (g_str_equal (name, "sup"))
    opener = "<sup>", tag.closer = g_strdup ("</sup>");
  else if (g_str_equal (name, "sub"))
    opener = "<sub>", tag.closer = g_strdup ("</sub>");
  else if (strlen (name) == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6')
    opener = "<b>", tag.closer = g_strdup ("</b>"), tag.block = BLOCK_PARAGRAPH;
  else if (g_str_equal (name, "blockquote"))
    opener = "<i>", tag.closer = g_strdup ("</i>"), tag.block = BLOCK_PARAGRAPH;
  else if (g_str_equal (name, "p") || g_str_equal (name, "div") || g_str_equal (name, "ul") ||
           g_str_equal (name, "table") || g_str_equal (name, "details"))
    tag.block = BLOCK_PARAGRAPH;
  else if (g_str_equal (name, "ol"))
    {
      g_autofree char *start = get_attribute (attributes, "start");
      guint64 first = 1;

      if (start != NULL)
        g_ascii_string_to_unsigned (start, 10, 0, 1000000, &first, NULL);
      tag.block = BLOCK_PARAGRAPH;
      tag.list_counter = (guint) first;
    }
  else if (g_str_equal (name, "tr") || g_str_equal (name, "caption") || g_str_equal (name, "summary"))
    tag.block = BLOCK_LINE;
  else if (g_str_equal (name, "li"))
    {
      OpenTag *list = NULL;

      for (guint i = conv->stack->len; i > 0; i--)
        {
          OpenTag *candidate = &g_array_index (conv->stack, OpenTag, i - 1);
          if (g_str_equal (candidate->name, "ol") || g_str_equal (candidate->name, "ul"))
            {
              list = candidate;
              break;
            }
        }
      ensure_line_start (conv);
      if (list != NULL && list->list_counter > 0)
        {
          g_autofree char *number = g_strdup_printf ("%u. ", list->list_counter++);
          append_text (conv, number, -1);
        }
      else
        append_text (conv, "• ", -1);
      tag.block = BLOCK_LINE;
    }
  else if (g_str_equal (name, "td") || g_str_equal (name, "th"))
    append_text (conv, " ", 1);
  else if (g_str_equal (name, "a"))
    {
      g_autofree char *href = get_attribute (attributes, "href");

      if (is_user_pill (href))
        {
          g_autofree char *escaped = g_markup_escape_text (href, -1);

          /* A mention: the user's name as a pill, not followed by the
           * link as another link with a different text would be. */
          dynamic_opener = g_strconcat ("<a href=\"", escaped, "\"><span " PILL_ATTRIBUTES ">", NULL);
          tag.closer = g_strdup ("</span></a>");
        }
      else if (is_allowed_link (href))
        {
          g_autofree char *escaped = g_markup_escape_text (href, -1);

          dynamic_opener = g_strdup_printf ("<a href=\"%s\">", escaped);
          tag.closer = g_strdup ("</a>");
          tag.href = g_steal_pointer (&href);
          tag.text_start = conv->plain->len;
        }
    }
  else if (g_str_equal (name, "span") || g_str_equal (name, "font"))
    {
      g_autofree char *colour = get_attribute (attributes, "data-mx-color");
      g_autofree char *background = get_attribute (attributes, "data-mx-bg-color");

      if (colour == NULL && g_str_equal (name, "font"))
        colour = get_attribute (attributes, "color");

      /* Only #rrggbb, never anything that could carry other attributes. */
      if (is_hex_colour (colour) || is_hex_colour (background))
        {
          dynamic_opener = g_strdup_printf ("<span%s%s%s%s%s%s>",
                                            is_hex_colour (colour) ? " foreground=\"" : "",
                                            is_hex_colour (colour) ? colour : "",
                                            is_hex_colour (colour) ? "\"" : "",
                                            is_hex_colour (background) ? " background=\"" : "",
                                            is_hex_colour (background) ? background : "",
                                            is_hex_colour (background) ? "\"" : "");
          tag.closer = g_strdup ("</span>");
        }
    }

  if (tag.block == BLOCK_PARAGRAPH)
    ensure_line_start (conv);

  if (conv->suppressed == 0)
    {
      if (dynamic_opener != NULL)
        g_string_append (conv->out, dynamic_opener);
      else if (opener != NULL)
        g_string_append (conv->out, opener);
    }

  if (tag.suppress)
    conv->suppressed++;

  g_array_append_val (conv->stack, tag);
}

static void
close_element (Converter  *conv,
               const char *name)
{
  /* Close the nearest open tag of that name and everything opened inside it;
   * a closing tag with nothing to close is ignored. */
  for (guint i = conv->stack->len; i > 0; i--)
    if (g_str_equal (g_array_index (conv->stack, OpenTag, i - 1).name, name))
      {
        while (conv->stack->len >= i)
          close_top (conv);
        return;
      }
}

/* Parses a tag starting at p (on '<'). Returns where parsing continues, or
 * NULL if this '<' does not start a tag and is to be taken as text. */
static const char *
parse_tag (Converter  *conv,
           const char *p,
           const char *end)
{
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *name = NULL;
  gboolean closing = FALSE, self_closing = FALSE;
  const char *start;

  p++;
  if (p < end && *p == '/')
    {
      closing = TRUE;
      p++;
    }

  start = p;
  while (p < end && (g_ascii_isalnum (*p) || *p == '-'))
    p++;
  if (p == start || !g_ascii_isalpha (*start))
    return NULL;
  name = g_ascii_strdown (start, p - start);

  attributes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while (p < end && *p != '>')
    {
      const char *attr_start;
      g_autofree char *attr_name = NULL;
      g_autofree char *value = NULL;

      if (g_ascii_isspace (*p))
        {
          p++;
          continue;
        }
      if (*p == '/')
        {
          self_closing = TRUE;
          p++;
          continue;
        }

      attr_start = p;
      while (p < end && !g_ascii_isspace (*p) && *p != '=' && *p != '>' && *p != '/')
        p++;
      if (p == attr_start)
        {
          p++;
          continue;
        }
      attr_name = g_ascii_strdown (attr_start, p - attr_start);

      while (p < end && g_ascii_isspace (*p))
        p++;
      if (p < end && *p == '=')
        {
          p++;
          while (p < end && g_ascii_isspace (*p))
            p++;
          if (p < end && (*p == '"' || *p == '\''))
            {
              char quote = *p++;
              const char *value_start = p;

              while (p < end && *p != quote)
                p++;
              value = decode_text (value_start, p - value_start);
              if (p < end)
                p++;
            }
          else
            {
              const char *value_start = p;

              while (p < end && !g_ascii_isspace (*p) && *p != '>')
                p++;
              value = decode_text (value_start, p - value_start);
            }
        }

      if (!g_hash_table_contains (attributes, attr_name))
        g_hash_table_insert (attributes, g_steal_pointer (&attr_name),
                             value != NULL ? g_steal_pointer (&value) : g_strdup (""));
    }

  /* An unterminated tag at the very end is dropped. */
  if (p >= end)
    return end;

  if (closing)
    close_element (conv, name);
  else
    {
      open_element (conv, name, attributes);
      if (self_closing && !g_strv_contains (void_tags, name))
        close_element (conv, name);
    }

  return p + 1;
}

/**
 * matrix_html_to_pango_markup:
 * @html: `formatted_body` HTML, from anyone
 * @length: its length in bytes, or -1 if nul-terminated
 *
 * Turns the HTML of a message's `formatted_body` into Pango markup for a
 * label: only the tags the spec allows, links showing where they really lead,
 * no image fetched, nesting capped. Anything else is dropped or escaped.
 *
 * Returns: (transfer full): well-formed Pango markup saying only what the
 *   spec's allowed HTML can say
 */
char *
matrix_html_to_pango_markup (const char *html,
                             gssize      length)
{
  g_autofree char *valid = NULL;
  const char *p, *end;
  Converter conv;

  g_return_val_if_fail (html != NULL || length == 0, NULL);

  valid = g_utf8_make_valid (html != NULL ? html : "", length);
  p = valid;
  end = valid + strlen (valid);

  conv.out = g_string_new (NULL);
  conv.plain = g_string_new (NULL);
  conv.stack = g_array_new (FALSE, TRUE, sizeof (OpenTag));
  conv.suppressed = 0;

  while (p < end)
    {
      const char *next;

      if (*p == '<')
        {
          if (end - p >= 4 && strncmp (p, "<!--", 4) == 0)
            {
              const char *close = g_strstr_len (p + 4, end - p - 4, "-->");
              p = close != NULL ? close + 3 : end;
              continue;
            }
          if (end - p >= 2 && (p[1] == '!' || p[1] == '?'))
            {
              const char *close = memchr (p, '>', end - p);
              p = close != NULL ? close + 1 : end;
              continue;
            }

          next = parse_tag (&conv, p, end);
          if (next != NULL)
            {
              p = next;
              continue;
            }
          append_text (&conv, "<", 1);
          p++;
          continue;
        }

      next = p;
      while (next < end && *next != '<')
        next++;
      append_decoded (&conv, p, next - p);
      p = next;
    }

  while (conv.stack->len > 0)
    close_top (&conv);

  /* Trailing newlines come from closing blocks, not from the message. */
  while (conv.out->len > 0 && conv.out->str[conv.out->len - 1] == '\n')
    g_string_truncate (conv.out, conv.out->len - 1);

  g_array_unref (conv.stack);
  g_string_free (conv.plain, TRUE);
  return g_string_free (conv.out, FALSE);
}

/* --- plain text ------------------------------------------------------------- */

/* The schemes a bare URL in plain text may have: fewer than a link in HTML
 * may, since here the sender did not even write a link. */
static const char * const bare_link_prefixes[] = { "https://", "http://", "mailto:", NULL };

/* Where a bare URL stops: at white space, at what no URL holds unescaped
 * (<, >, ", `), and at controls and invisible formatting characters (a
 * right-to-left override inside a link would show its text reversed). */
static gboolean
ends_bare_link (gunichar c)
{
  GUnicodeType type = g_unichar_type (c);

  return g_unichar_isspace (c) || type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT ||
         type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR ||
         c == '<' || c == '>' || c == '"' || c == '`';
}

static guint
count_char (const char *start,
            const char *end,
            char        c)
{
  guint n = 0;

  for (const char *p = start; p < end; p++)
    n += *p == c;
  return n;
}

/* Sentence punctuation after a URL is not part of it, nor a closing
 * bracket that closes something opened before the URL. */
static const char *
trim_bare_link (const char *start,
                const char *end)
{
  while (end > start)
    {
      char last = end[-1];

      if (strchr (".,;:!?'*", last) != NULL)
        end--;
      else if (last == ')' && count_char (start, end, ')') > count_char (start, end, '('))
        end--;
      else if (last == ']' && count_char (start, end, ']') > count_char (start, end, '['))
        end--;
      else if (last == '}' && count_char (start, end, '}') > count_char (start, end, '{'))
        end--;
      else
        break;
    }
  return end;
}

/* Whether @url (a candidate that starts with one of bare_link_prefixes)
 * names something: a host for http(s), an address for mailto. */
static gboolean
is_bare_link (const char *url)
{
  const char *rest;
  const char *host, *host_end, *at;

  if (!is_allowed_link (url))
    return FALSE;

  if (g_ascii_strncasecmp (url, "mailto:", strlen ("mailto:")) == 0)
    {
      rest = url + strlen ("mailto:");
      at = strchr (rest, '@');
      return at != NULL && at > rest && at[1] != '\0' && at[1] != '?';
    }

  rest = strstr (url, "://") + 3;
  host_end = rest + strcspn (rest, "/?#");
  host = rest;
  /* user:password@host */
  for (const char *p = rest; p < host_end; p++)
    if (*p == '@')
      host = p + 1;
  if (host == host_end)
    return FALSE;

  for (const char *p = host; p < host_end; p++)
    if (!(g_ascii_isalnum (*p) || (guchar) *p >= 0x80 || strchr ("-._:[]", *p) != NULL))
      return FALSE;
  return g_ascii_isalnum (*host) || (guchar) *host >= 0x80 || *host == '[';
}

/* Whether a bare link starts at @p (where one may start); it ends at
 * *link_end. *scanned is where the candidate ran to: no link starts before
 * it, so that text made of candidates is read once, not once a candidate. */
static gboolean
find_bare_link (const char  *p,
                const char  *end,
                const char **link_end,
                const char **scanned)
{
  const char *stop = p;
  g_autofree char *url = NULL;
  gboolean prefixed = FALSE;

  *scanned = p;
  for (guint i = 0; bare_link_prefixes[i] != NULL && !prefixed; i++)
    {
      gsize length = strlen (bare_link_prefixes[i]);

      prefixed = (gsize) (end - p) > length &&
                 g_ascii_strncasecmp (p, bare_link_prefixes[i], length) == 0;
    }
  if (!prefixed)
    return FALSE;

  while (stop < end && !ends_bare_link (g_utf8_get_char (stop)))
    stop = g_utf8_next_char (stop);
  *scanned = stop;
  stop = trim_bare_link (p, stop);

  url = g_strndup (p, stop - p);
  if (!is_bare_link (url))
    return FALSE;

  *link_end = stop;
  return TRUE;
}

static void
append_bare_link (Converter  *conv,
                  const char *url,
                  gsize       length)
{
  g_autofree char *text = g_strndup (url, length);
  /* What GTK opens: ASCII only, with what was already escaped kept so. */
  g_autofree char *target = g_uri_escape_string (text, G_URI_RESERVED_CHARS_GENERIC_DELIMITERS
                                                       G_URI_RESERVED_CHARS_SUBCOMPONENT_DELIMITERS
                                                       "%", FALSE);
  g_autofree char *escaped = g_markup_escape_text (target, -1);

  g_string_append_printf (conv->out, "<a href=\"%s\">", escaped);
  append_text (conv, text, -1);
  g_string_append (conv->out, "</a>");
}

/**
 * matrix_text_to_pango_markup:
 * @text: a plain-text message body, from anyone
 * @length: its length in bytes, or -1 if nul-terminated
 *
 * The text escaped for GtkLabel markup, with its bare `http://`, `https://`
 * and `mailto:` URLs made links (the sanitiser's schemes, fewer of them).
 * A URL starts after a non-alphanumeric character and stops at white
 * space, at `<`, `>`, `"` or a backtick, at a control or formatting
 * character, before trailing punctuation and before a closing bracket it
 * did not open; it needs a host (an address for `mailto:`). The link shows
 * the text as written and goes to it with anything but ASCII escaped.
 *
 * Returns: (transfer full): well-formed markup
 */
char *
matrix_text_to_pango_markup (const char *text,
                             gssize      length)
{
  Converter conv = { g_string_new (NULL), g_string_new (NULL), NULL, 0 };
  g_autofree char *valid = NULL;
  const char *p, *end, *plain_start;
  gunichar previous = 0;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  valid = g_utf8_make_valid (text != NULL ? text : "", length);
  p = plain_start = valid;
  end = valid + strlen (valid);

  while (p < end)
    {
      const char *link_end = NULL, *scanned = p;

      if (!g_unichar_isalnum (previous) && find_bare_link (p, end, &link_end, &scanned))
        {
          append_text (&conv, plain_start, p - plain_start);
          append_bare_link (&conv, p, link_end - p);
          p = plain_start = link_end;
        }
      else if (!g_unichar_isalnum (previous) && scanned > p)
        p = scanned;
      else
        p = g_utf8_next_char (p);
      previous = g_utf8_get_char (g_utf8_prev_char (p));
    }
  append_text (&conv, plain_start, end - plain_start);

  g_string_free (conv.plain, TRUE);
  return g_string_free (conv.out, FALSE);
}

/* A message's markup costs at most so much to lay out, whatever it holds:
 * its text cut at %MATRIX_TEXT_MAX_BODY_BYTES, and bounded as
 * matrix_text_bound() does (marks and joins capped, every bidirectional
 * control it opens closed at the end of its line) and its long words given
 * places to break (matrix_text_break_runs()). */
static char *
markup_of (const char *formatted,
           const char *body)
{
  g_autofree char *cut = NULL;
  g_autofree char *markup = NULL;
  g_autofree char *bounded = NULL;

  if (formatted == NULL && body == NULL)
    return NULL;

  cut = matrix_text_truncate_bytes (formatted != NULL ? formatted : body,
                                    MATRIX_TEXT_MAX_BODY_BYTES);
  if (formatted != NULL)
    markup = matrix_html_to_pango_markup (cut, -1);
  else
    markup = matrix_text_to_pango_markup (cut, -1);
  bounded = matrix_text_bound (markup, -1);
  return matrix_text_break_runs (bounded, TRUE);
}

/**
 * matrix_event_dup_body_markup:
 * @event: an `m.room.message` event
 *
 * The message's text as Pango markup: its sanitised `formatted_body` when it
 * has one in `org.matrix.custom.html`, else its `body`, escaped, with its
 * bare URLs as links (matrix_text_to_pango_markup()); at most
 * %MATRIX_TEXT_MAX_BODY_BYTES of it, bounded as matrix_text_bound() says.
 *
 * Returns: (transfer full) (nullable): markup, or %NULL if the event has no
 *   text body
 */
char *
matrix_event_dup_body_markup (MatrixEvent *event)
{
  const char *format, *formatted;

  g_return_val_if_fail (MATRIX_IS_EVENT (event), NULL);

  format = matrix_event_get_content_string (event, "format");
  formatted = matrix_event_get_content_string (event, "formatted_body");
  if (g_strcmp0 (format, "org.matrix.custom.html") != 0)
    formatted = NULL;

  return markup_of (formatted, matrix_event_get_content_string (event, "body"));
}

/**
 * matrix_timeline_item_dup_body_markup:
 * @item: a #MatrixTimelineItem
 *
 * What the message shows now as Pango markup, as
 * matrix_event_dup_body_markup() makes it, from
 * matrix_timeline_item_get_formatted_body() or matrix_timeline_item_get_body():
 * its newest edit, without a reply's fallback quote; a local echo's text.
 *
 * Returns: (transfer full) (nullable): markup, or %NULL if there is no text
 */
char *
matrix_timeline_item_dup_body_markup (MatrixTimelineItem *item)
{
  g_return_val_if_fail (MATRIX_IS_TIMELINE_ITEM (item), NULL);

  return markup_of (matrix_timeline_item_get_formatted_body (item),
                    matrix_timeline_item_get_body (item));
}
