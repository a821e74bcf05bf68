/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-link"

#include <string.h>

#include "matrix-error.h"
#include "matrix-link.h"
#include "matrix-room-create.h"
#include "matrix-room-members.h"

/**
 * MatrixLink:
 *
 * A parsed link to a room, an event in a room or a user: a `matrix:` URI
 * (`matrix:r/room:example.org`, `matrix:roomid/abc:example.org/e/def`,
 * `matrix:u/alice:example.org?action=chat`) or a matrix.to link
 * (`https://matrix.to/#/#room:example.org`). Read with the getters;
 * everything in it was checked to be a well-formed id.
 */
struct _MatrixLink {
  gatomicrefcount ref_count;
  MatrixLinkKind kind;
  char *target;
  char *event_id;
  GStrv via;
  gboolean join;
};

G_DEFINE_BOXED_TYPE (MatrixLink, matrix_link, matrix_link_ref, matrix_link_unref)

#define MATRIX_TO_HTTPS "https://matrix.to/#/"
#define MATRIX_TO_HTTP "http://matrix.to/#/"
#define MAX_ID_LENGTH 255

static gboolean
printable (const char *text)
{
  for (const char *c = text; *c != '\0'; c++)
    if ((guchar) *c <= ' ' || *c == 0x7f)
      return FALSE;
  return g_utf8_validate (text, -1, NULL);
}

static gboolean
sigil_id_is_valid (const char *id,
                   char        sigil,
                   gboolean    needs_server)
{
  if (id == NULL || id[0] != sigil || id[1] == '\0' || strlen (id) > MAX_ID_LENGTH || !printable (id))
    return FALSE;
  if (needs_server)
    {
      const char *colon = strchr (id, ':');
      return colon != NULL && colon != id + 1 && colon[1] != '\0';
    }
  return TRUE;
}

static gboolean
id_is_valid (MatrixLinkKind  kind,
             const char     *id)
{
  switch (kind)
    {
    case MATRIX_LINK_ROOM_ID:
      return sigil_id_is_valid (id, '!', TRUE);
    case MATRIX_LINK_ROOM_ALIAS:
      return matrix_room_alias_is_valid (id);
    case MATRIX_LINK_USER:
      return matrix_user_id_is_valid (id);
    default:
      return FALSE;
    }
}

static MatrixLink *
link_new (MatrixLinkKind kind)
{
  MatrixLink *self = g_new0 (MatrixLink, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->kind = kind;
  return self;
}

/* ?via=a&via=b&action=join: unknown parameters are ignored, as the spec asks. */
static gboolean
parse_query (MatrixLink  *self,
             const char  *query)
{
  g_auto(GStrv) pairs = g_strsplit (query, "&", -1);
  g_autoptr(GStrvBuilder) via = g_strv_builder_new ();

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      char *equals = strchr (pairs[i], '=');
      g_autofree char *value = NULL;

      if (equals == NULL)
        continue;
      *equals = '\0';
      value = g_uri_unescape_string (equals + 1, NULL);
      if (value == NULL || !printable (value) || *value == '\0')
        return FALSE;
      if (g_str_equal (pairs[i], "via"))
        g_strv_builder_add (via, value);
      else if (g_str_equal (pairs[i], "action"))
        self->join = g_str_equal (value, "join");
    }
  self->via = g_strv_builder_end (via);
  return TRUE;
}

static MatrixLink *
finish (MatrixLink  *self,
        const char  *query,
        GError     **error)
{
  g_autoptr(MatrixLink) link = self;

  if (!id_is_valid (link->kind, link->target) ||
      (link->event_id != NULL && !sigil_id_is_valid (link->event_id, '$', FALSE)) ||
      (link->event_id != NULL && link->kind == MATRIX_LINK_USER) ||
      (query != NULL && !parse_query (link, query)))
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_LINK,
                   "Not a link to a Matrix room, event or user");
      return NULL;
    }
  if (link->via == NULL)
    link->via = g_new0 (char *, 1);
  return g_steal_pointer (&link);
}

static char *
unescape (const char *segment)
{
  char *text = g_uri_unescape_string (segment, NULL);

  /* A NUL byte (%00) or bad UTF-8 fails here or in the id checks. */
  return text;
}

/* matrix:[//authority/]r/alias:server[/e/event][?query] */
static MatrixLink *
parse_matrix_uri (const char  *uri,
                  GError     **error)
{
  g_autofree char *copy = g_strdup (uri + strlen ("matrix:"));
  g_auto(GStrv) segments = NULL;
  g_autofree char *id = NULL;
  char *query, *fragment;
  MatrixLink *self;
  char sigil;
  guint n, first = 0;

  if ((fragment = strchr (copy, '#')) != NULL)
    *fragment = '\0';
  if ((query = strchr (copy, '?')) != NULL)
    *query++ = '\0';
  segments = g_strsplit (copy, "/", -1);
  n = g_strv_length (segments);
  /* An authority (//host/) names no server the link needs: skipped. */
  if (n >= 3 && *segments[0] == '\0' && *segments[1] == '\0')
    first = 3;
  if (n - first != 2 && n - first != 4)
    goto bad;

  if (g_str_equal (segments[first], "r"))
    self = link_new (MATRIX_LINK_ROOM_ALIAS), sigil = '#';
  else if (g_str_equal (segments[first], "roomid"))
    self = link_new (MATRIX_LINK_ROOM_ID), sigil = '!';
  else if (g_str_equal (segments[first], "u"))
    self = link_new (MATRIX_LINK_USER), sigil = '@';
  else
    goto bad;

  id = unescape (segments[first + 1]);
  self->target = id != NULL ? g_strdup_printf ("%c%s", sigil, id) : NULL;
  if (n - first == 4)
    {
      g_autofree char *event = unescape (segments[first + 3]);

      if (!g_str_equal (segments[first + 2], "e") || event == NULL)
        {
          matrix_link_unref (self);
          goto bad;
        }
      self->event_id = g_strdup_printf ("$%s", event);
    }
  return finish (self, query, error);

bad:
  g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_LINK, "Not a link to a Matrix room, event or user");
  return NULL;
}

/* https://matrix.to/#/<id>[/<event id>][?query] */
static MatrixLink *
parse_matrix_to (const char  *fragment,
                 GError     **error)
{
  g_autofree char *copy = g_strdup (fragment);
  g_auto(GStrv) segments = NULL;
  g_autofree char *id = NULL;
  char *query;
  MatrixLink *self;
  guint n;

  if ((query = strchr (copy, '?')) != NULL)
    *query++ = '\0';
  segments = g_strsplit (copy, "/", -1);
  n = g_strv_length (segments);
  id = n == 1 || n == 2 ? unescape (segments[0]) : NULL;
  if (id == NULL)
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_LINK,
                   "Not a link to a Matrix room, event or user");
      return NULL;
    }
  switch (id[0])
    {
    case '!':
      self = link_new (MATRIX_LINK_ROOM_ID);
      break;
    case '#':
      self = link_new (MATRIX_LINK_ROOM_ALIAS);
      break;
    default:
      self = link_new (MATRIX_LINK_USER);
      break;
    }
  self->target = g_steal_pointer (&id);
  if (n == 2)
    self->event_id = unescape (segments[1]);
  return finish (self, query, error);
}

/**
 * matrix_link_parse:
 * @uri: a `matrix:` URI or a `https://matrix.to/#/…` link
 * @error: return location for a #GError
 *
 * Reads a link to a room (by id or alias), to an event in a room, or to a
 * user. Anything else, or ids that are not well-formed, fail with
 * %MATRIX_ERROR_INVALID_LINK.
 *
 * Returns: (transfer full) (nullable): the link, or %NULL
 */
MatrixLink *
matrix_link_parse (const char  *uri,
                   GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (uri != NULL && strlen (uri) <= 4096)
    {
      if (g_ascii_strncasecmp (uri, "matrix:", strlen ("matrix:")) == 0)
        return parse_matrix_uri (uri, error);
      if (g_str_has_prefix (uri, MATRIX_TO_HTTPS))
        return parse_matrix_to (uri + strlen (MATRIX_TO_HTTPS), error);
      if (g_str_has_prefix (uri, MATRIX_TO_HTTP))
        return parse_matrix_to (uri + strlen (MATRIX_TO_HTTP), error);
    }
  g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_LINK,
               "Not a matrix: URI or a matrix.to link");
  return NULL;
}

/**
 * matrix_link_ref:
 * @self: a #MatrixLink
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @self, with one more reference
 */
MatrixLink *
matrix_link_ref (MatrixLink *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * matrix_link_unref:
 * @self: (transfer full): a #MatrixLink
 *
 * Drops a reference.
 */
void
matrix_link_unref (MatrixLink *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->target);
  g_free (self->event_id);
  g_strfreev (self->via);
  g_free (self);
}

/**
 * matrix_link_get_kind:
 * @self: a #MatrixLink
 *
 * What the link points at: a room by id or alias, or a user.
 *
 * Returns: what the link points at
 */
MatrixLinkKind
matrix_link_get_kind (MatrixLink *self)
{
  g_return_val_if_fail (self != NULL, MATRIX_LINK_ROOM_ID);
  return self->kind;
}

/**
 * matrix_link_get_target:
 * @self: a #MatrixLink
 *
 * The room or user the link points at, with its sigil.
 *
 * Returns: the room id (`!…`), room alias (`#…`) or user id (`@…`)
 */
const char *
matrix_link_get_target (MatrixLink *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->target;
}

/**
 * matrix_link_get_event_id:
 * @self: a #MatrixLink
 *
 * The event a link to an event in a room points at.
 *
 * Returns: (nullable): the event id, or %NULL for a link to the room itself
 */
const char *
matrix_link_get_event_id (MatrixLink *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->event_id;
}

/**
 * matrix_link_get_via:
 * @self: a #MatrixLink
 *
 * The servers to join a room through (`via=`), for a room id the user's
 * server may not know.
 *
 * Returns: (transfer none) (array zero-terminated=1): the server names
 */
const char * const *
matrix_link_get_via (MatrixLink *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char * const *) self->via;
}

/**
 * matrix_link_get_join:
 * @self: a #MatrixLink
 *
 * Whether the link's `action=join` asks to join the room at once.
 *
 * Returns: whether the link asks to join the room (`action=join`)
 */
gboolean
matrix_link_get_join (MatrixLink *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->join;
}
