/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-error"

#include "matrix-error.h"

/* An extended error domain, so that callers can act on the server's errcode
 * and retry hint without parsing the message text. */
typedef struct {
  char    *errcode;
  guint    http_status;
  gint64   retry_after_ms;
  gboolean soft_logout;
} MatrixErrorPrivate;

static void
matrix_error_private_init (MatrixErrorPrivate *priv)
{
  priv->retry_after_ms = -1;
}

static void
matrix_error_private_copy (const MatrixErrorPrivate *src,
                           MatrixErrorPrivate       *dest)
{
  dest->errcode = g_strdup (src->errcode);
  dest->http_status = src->http_status;
  dest->retry_after_ms = src->retry_after_ms;
  dest->soft_logout = src->soft_logout;
}

static void
matrix_error_private_clear (MatrixErrorPrivate *priv)
{
  g_clear_pointer (&priv->errcode, g_free);
}

/**
 * matrix_error_quark:
 *
 * The error domain of the library's requests, %MATRIX_ERROR. Its errors
 * carry what the server said; see matrix_error_get_errcode().
 *
 * Returns: the domain's quark
 */
G_DEFINE_EXTENDED_ERROR (MatrixError, matrix_error)

/* Errors of other domains have no private part: asking is not a programming error. */
static MatrixErrorPrivate *
get_private (const GError *error)
{
  if (error == NULL || error->domain != MATRIX_ERROR)
    return NULL;

  return matrix_error_get_private (error);
}

static const struct {
  const char *errcode;
  MatrixError code;
} errcode_map[] = {
  { "M_FORBIDDEN", MATRIX_ERROR_FORBIDDEN },
  { "M_UNKNOWN_TOKEN", MATRIX_ERROR_UNKNOWN_TOKEN },
  { "M_MISSING_TOKEN", MATRIX_ERROR_MISSING_TOKEN },
  { "M_LIMIT_EXCEEDED", MATRIX_ERROR_LIMIT_EXCEEDED },
  { "M_NOT_FOUND", MATRIX_ERROR_NOT_FOUND },
  { "M_TOO_LARGE", MATRIX_ERROR_TOO_LARGE },
  { "M_ROOM_IN_USE", MATRIX_ERROR_ROOM_IN_USE },
};

/**
 * matrix_error_new_from_response:
 * @http_status: the HTTP status of the response
 * @errcode: (nullable): the Matrix `errcode`, or %NULL when the body had none
 * @message: (nullable): the server's `error` text, or a description
 * @retry_after_ms: the server's retry hint, or -1
 * @soft_logout: the `soft_logout` flag of an `M_UNKNOWN_TOKEN` response
 *
 * An error for a server's error response, with the extended data
 * matrix_error_get_errcode() and friends read. The code is the #MatrixError
 * that @errcode maps to.
 *
 * Returns: (transfer full): a new #GError in the %MATRIX_ERROR domain
 */
GError *
matrix_error_new_from_response (guint       http_status,
                                const char *errcode,
                                const char *message,
                                gint64      retry_after_ms,
                                gboolean    soft_logout)
{
  MatrixError code = errcode != NULL ? MATRIX_ERROR_SERVER : MATRIX_ERROR_HTTP;
  MatrixErrorPrivate *priv;
  GError *error;

  for (guint i = 0; errcode != NULL && i < G_N_ELEMENTS (errcode_map); i++)
    if (g_str_equal (errcode, errcode_map[i].errcode))
      code = errcode_map[i].code;

  if (errcode != NULL)
    error = g_error_new (MATRIX_ERROR, code, "%s (%s, HTTP %u)",
                         message != NULL ? message : "Server error", errcode, http_status);
  else
    error = g_error_new (MATRIX_ERROR, code, "%s (HTTP %u)",
                         message != NULL ? message : "Server error", http_status);

  priv = matrix_error_get_private (error);
  priv->errcode = g_strdup (errcode);
  priv->http_status = http_status;
  priv->retry_after_ms = retry_after_ms;
  priv->soft_logout = soft_logout;

  return error;
}

/**
 * matrix_error_get_errcode:
 * @error: a #GError
 *
 * The Matrix `errcode` of an error built from a server response.
 *
 * Returns: (nullable): the server's `errcode` (e.g. `M_FORBIDDEN`), or %NULL
 */
const char *
matrix_error_get_errcode (const GError *error)
{
  MatrixErrorPrivate *priv = get_private (error);

  return priv != NULL ? priv->errcode : NULL;
}

/**
 * matrix_error_get_http_status:
 * @error: a #GError
 *
 * The HTTP status of an error built from a server response.
 *
 * Returns: the HTTP status the error came with, or 0
 */
guint
matrix_error_get_http_status (const GError *error)
{
  MatrixErrorPrivate *priv = get_private (error);

  return priv != NULL ? priv->http_status : 0;
}

/**
 * matrix_error_get_retry_after_ms:
 * @error: a #GError
 *
 * How long a rate-limited server (`M_LIMIT_EXCEEDED`) asked the client to
 * wait.
 *
 * Returns: how long the server asked us to wait, in milliseconds, or -1
 */
gint64
matrix_error_get_retry_after_ms (const GError *error)
{
  MatrixErrorPrivate *priv = get_private (error);

  return priv != NULL ? priv->retry_after_ms : -1;
}

/**
 * matrix_error_get_soft_logout:
 * @error: a #GError
 *
 * Whether the server keeps the device of a session it ended.
 *
 * Returns: whether an `M_UNKNOWN_TOKEN` error was a soft logout
 */
gboolean
matrix_error_get_soft_logout (const GError *error)
{
  MatrixErrorPrivate *priv = get_private (error);

  return priv != NULL && priv->soft_logout;
}
