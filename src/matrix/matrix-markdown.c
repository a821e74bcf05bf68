/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-markdown"

#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "matrix-markdown.h"

/* Whether the document is only text in paragraphs, line breaks included:
 * what the plain body says as well. */
static gboolean
is_plain (cmark_node *document)
{
  cmark_iter *iter = cmark_iter_new (document);
  cmark_event_type event;
  gboolean plain = TRUE;

  while (plain && (event = cmark_iter_next (iter)) != CMARK_EVENT_DONE)
    {
      cmark_node *node = cmark_iter_get_node (iter);

      switch (cmark_node_get_type (node))
        {
        case CMARK_NODE_DOCUMENT:
        case CMARK_NODE_PARAGRAPH:
        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
          break;

        case CMARK_NODE_TEXT:
          /* "1\. not a list", "\*": an escape is formatting of a kind, but
           * the plain body already shows what the writer meant. */
          break;

        default:
          plain = FALSE;
          break;
        }
    }
  cmark_iter_free (iter);

  return plain;
}

/**
 * matrix_markdown_to_html:
 * @markdown: what the user wrote, as CommonMark
 *
 * Renders a message written in CommonMark as the HTML of a
 * `formatted_body`, with cmark. A newline is a line break, as in chat.
 * Raw HTML in the text is left out (cmark's safe mode), not passed on.
 *
 * Returns: (transfer full) (nullable): the HTML, or %NULL if the text has
 *   no formatting (only paragraphs of text): such a message is sent with
 *   its plain body alone
 */
char *
matrix_markdown_to_html (const char *markdown)
{
  cmark_node *document;
  char *rendered;
  char *html = NULL;

  g_return_val_if_fail (markdown != NULL, NULL);

  document = cmark_parse_document (markdown, strlen (markdown), CMARK_OPT_DEFAULT);
  if (document == NULL)
    return NULL;

  if (!is_plain (document))
    {
      rendered = cmark_render_html (document, CMARK_OPT_HARDBREAKS);
      html = g_strdup (g_strchomp (rendered));
      free (rendered);
    }
  cmark_node_free (document);

  return html;
}
