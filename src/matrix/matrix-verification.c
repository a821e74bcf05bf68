/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-verification"

#include <string.h>

#include "matrix-verification-private.h"
#include "matrix-client-crypto-private.h"
#include "matrix-client-private.h"
#include "matrix-error.h"
#include "matrix-json-private.h"

/**
 * SECTION:matrix-verification
 * @title: MatrixVerification
 * @short_description: Cross-signing, devices and emoji verification
 *
 * What end-to-end encryption knows of trust. A session bootstraps
 * cross-signing once (matrix_client_bootstrap_cross_signing_async(), with
 * the user's password for the server's user-interactive auth); devices are
 * listed with matrix_client_get_devices_async(); another device (of the
 * user or of someone else) is verified by comparing seven emoji on both
 * sides: a #MatrixVerification, started with
 * matrix_client_start_verification_async() or announced by
 * #MatrixClient::verification-request when the other side starts.
 *
 * The emoji verification is the to-device flow that starts with
 * `m.key.verification.start` (the one matrix-nio speaks); all of its
 * cryptography runs in the crypto machine, the library only carries the
 * messages.
 */

/* A server's error answer is small; more is not one. */
#define MAX_UIA_BODY (256 * 1024)

static guint verification_request_signal;

G_DEFINE_ENUM_TYPE (MatrixVerificationState, matrix_verification_state,
  G_DEFINE_ENUM_VALUE (MATRIX_VERIFICATION_STARTED, "started"),
  G_DEFINE_ENUM_VALUE (MATRIX_VERIFICATION_ACCEPTED, "accepted"),
  G_DEFINE_ENUM_VALUE (MATRIX_VERIFICATION_KEYS_EXCHANGED, "keys-exchanged"),
  G_DEFINE_ENUM_VALUE (MATRIX_VERIFICATION_CONFIRMED, "confirmed"),
  G_DEFINE_ENUM_VALUE (MATRIX_VERIFICATION_DONE, "done"),
  G_DEFINE_ENUM_VALUE (MATRIX_VERIFICATION_CANCELLED, "cancelled"))

/* --- MatrixDevice --------------------------------------------------------- */

/**
 * matrix_device_copy:
 * @device: a #MatrixDevice
 *
 * Copies a #MatrixDevice.
 *
 * Returns: (transfer full): a copy of @device
 */
MatrixDevice *
matrix_device_copy (const MatrixDevice *device)
{
  MatrixDevice *copy;

  g_return_val_if_fail (device != NULL, NULL);
  copy = g_new0 (MatrixDevice, 1);
  *copy = *device;
  copy->user_id = g_strdup (device->user_id);
  copy->device_id = g_strdup (device->device_id);
  copy->display_name = g_strdup (device->display_name);
  copy->ed25519 = g_strdup (device->ed25519);
  copy->last_seen_ip = g_strdup (device->last_seen_ip);
  return copy;
}

/**
 * matrix_device_free:
 * @device: (nullable): a #MatrixDevice
 *
 * Frees @device.
 */
void
matrix_device_free (MatrixDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->user_id);
  g_free (device->device_id);
  g_free (device->display_name);
  g_free (device->ed25519);
  g_free (device->last_seen_ip);
  g_free (device);
}

G_DEFINE_BOXED_TYPE (MatrixDevice, matrix_device, matrix_device_copy, matrix_device_free)

/* --- MatrixVerification --------------------------------------------------- */

/**
 * MatrixVerification:
 *
 * One emoji (SAS) verification with another device: its state, its seven
 * emoji once the keys are exchanged, and the user's answer.
 */
struct _MatrixVerification
{
  GObject parent_instance;

  GWeakRef                 client;
  MatrixVerificationState  state;
  char                    *flow_id;
  char                    *other_user_id;
  char                    *other_device_id;
  gboolean                 we_started;
  GStrv                    emoji;
  GStrv                    descriptions;
  char                    *cancel_reason;
};

G_DEFINE_FINAL_TYPE (MatrixVerification, matrix_verification, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_FLOW_ID,
  PROP_OTHER_USER_ID,
  PROP_OTHER_DEVICE_ID,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
matrix_verification_finalize (GObject *object)
{
  MatrixVerification *self = MATRIX_VERIFICATION (object);

  g_weak_ref_clear (&self->client);
  g_free (self->flow_id);
  g_free (self->other_user_id);
  g_free (self->other_device_id);
  g_strfreev (self->emoji);
  g_strfreev (self->descriptions);
  g_free (self->cancel_reason);
  G_OBJECT_CLASS (matrix_verification_parent_class)->finalize (object);
}

static void
matrix_verification_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MatrixVerification *self = MATRIX_VERIFICATION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_FLOW_ID:
      g_value_set_string (value, self->flow_id);
      break;
    case PROP_OTHER_USER_ID:
      g_value_set_string (value, self->other_user_id);
      break;
    case PROP_OTHER_DEVICE_ID:
      g_value_set_string (value, self->other_device_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_verification_class_init (MatrixVerificationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = matrix_verification_finalize;
  object_class->get_property = matrix_verification_get_property;

  /**
   * MatrixVerification:state:
   *
   * Where the verification is; notified on every change.
   */
  props[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, MATRIX_TYPE_VERIFICATION_STATE,
                       MATRIX_VERIFICATION_STARTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixVerification:flow-id:
   *
   * The verification's `transaction_id`.
   */
  props[PROP_FLOW_ID] =
    g_param_spec_string ("flow-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixVerification:other-user-id:
   *
   * The user on the other side (the user themself for another of their
   * sessions).
   */
  props[PROP_OTHER_USER_ID] =
    g_param_spec_string ("other-user-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixVerification:other-device-id:
   *
   * The device on the other side.
   */
  props[PROP_OTHER_DEVICE_ID] =
    g_param_spec_string ("other-device-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
matrix_verification_init (MatrixVerification *self)
{
  g_weak_ref_init (&self->client, NULL);
}

/**
 * matrix_verification_get_state:
 * @self: a #MatrixVerification
 *
 * Gets the verification's state.
 *
 * Returns: where the verification is
 */
MatrixVerificationState
matrix_verification_get_state (MatrixVerification *self)
{
  g_return_val_if_fail (MATRIX_IS_VERIFICATION (self), MATRIX_VERIFICATION_CANCELLED);
  return self->state;
}

/**
 * matrix_verification_get_flow_id:
 * @self: a #MatrixVerification
 *
 * Gets the verification's flow id.
 *
 * Returns: the verification's `transaction_id`
 */
const char *
matrix_verification_get_flow_id (MatrixVerification *self)
{
  g_return_val_if_fail (MATRIX_IS_VERIFICATION (self), NULL);
  return self->flow_id;
}

/**
 * matrix_verification_get_other_user_id:
 * @self: a #MatrixVerification
 *
 * Gets the verification's other user id.
 *
 * Returns: the user on the other side
 */
const char *
matrix_verification_get_other_user_id (MatrixVerification *self)
{
  g_return_val_if_fail (MATRIX_IS_VERIFICATION (self), NULL);
  return self->other_user_id;
}

/**
 * matrix_verification_get_other_device_id:
 * @self: a #MatrixVerification
 *
 * Gets the verification's other device id.
 *
 * Returns: the device on the other side
 */
const char *
matrix_verification_get_other_device_id (MatrixVerification *self)
{
  g_return_val_if_fail (MATRIX_IS_VERIFICATION (self), NULL);
  return self->other_device_id;
}

/**
 * matrix_verification_get_we_started:
 * @self: a #MatrixVerification
 *
 * Whether this session started the verification; else it was asked, and
 * accepts with matrix_verification_accept_async().
 *
 * Returns: %TRUE when this session started it
 */
gboolean
matrix_verification_get_we_started (MatrixVerification *self)
{
  g_return_val_if_fail (MATRIX_IS_VERIFICATION (self), FALSE);
  return self->we_started;
}

/**
 * matrix_verification_get_emoji:
 * @self: a #MatrixVerification
 *
 * The seven emoji to compare with the other side's, from
 * %MATRIX_VERIFICATION_KEYS_EXCHANGED on.
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): seven
 *   emoji symbols, or %NULL before the keys are exchanged
 */
const char * const *
matrix_verification_get_emoji (MatrixVerification *self)
{
  g_return_val_if_fail (MATRIX_IS_VERIFICATION (self), NULL);
  return (const char * const *) self->emoji;
}

/**
 * matrix_verification_get_emoji_descriptions:
 * @self: a #MatrixVerification
 *
 * The English names of the emoji of matrix_verification_get_emoji() (the
 * spec's table, e.g. "Dog"), in the same order; an application translates
 * them for display.
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): seven
 *   names, or %NULL before the keys are exchanged
 */
const char * const *
matrix_verification_get_emoji_descriptions (MatrixVerification *self)
{
  g_return_val_if_fail (MATRIX_IS_VERIFICATION (self), NULL);
  return (const char * const *) self->descriptions;
}

/**
 * matrix_verification_get_cancel_reason:
 * @self: a #MatrixVerification
 *
 * Why the verification was cancelled: the spec's cancel code, e.g.
 * `m.mismatched_sas` or `m.user`.
 *
 * Returns: (nullable): the cancel code, or %NULL while it is not cancelled
 */
const char *
matrix_verification_get_cancel_reason (MatrixVerification *self)
{
  g_return_val_if_fail (MATRIX_IS_VERIFICATION (self), NULL);
  return self->cancel_reason;
}

static GHashTable *
client_verifications (MatrixClient *client)
{
  GHashTable *table = g_object_get_data (G_OBJECT (client), "matrix-verifications");

  if (table == NULL)
    {
      table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
      g_object_set_data_full (G_OBJECT (client), "matrix-verifications", table,
                              (GDestroyNotify) g_hash_table_unref);
    }
  return table;
}

static const struct {
  const char              *name;
  MatrixVerificationState  state;
} state_names[] = {
  { "created", MATRIX_VERIFICATION_STARTED },
  { "started", MATRIX_VERIFICATION_STARTED },
  { "accepted", MATRIX_VERIFICATION_ACCEPTED },
  { "keys_exchanged", MATRIX_VERIFICATION_KEYS_EXCHANGED },
  { "confirmed", MATRIX_VERIFICATION_CONFIRMED },
  { "done", MATRIX_VERIFICATION_DONE },
  { "cancelled", MATRIX_VERIFICATION_CANCELLED },
};

/* Takes the machine's {"flow_id", "state", "emoji"...} into @self. */
static gboolean
verification_apply (MatrixVerification  *self,
                    JsonObject          *sas,
                    GError             **error)
{
  const char *state_name, *flow_id, *user_id, *device_id;
  MatrixVerificationState state = MATRIX_VERIFICATION_CANCELLED;
  JsonArray *emoji = NULL;
  JsonObject *cancel = NULL;
  gboolean found = FALSE, we_started = FALSE;
  MatrixClient *client;

  if (!_matrix_json_get_string (sas, "verification", "state", TRUE, &state_name, error) ||
      !_matrix_json_get_string (sas, "verification", "flow_id", TRUE, &flow_id, error) ||
      !_matrix_json_get_string (sas, "verification", "user_id", TRUE, &user_id, error) ||
      !_matrix_json_get_string (sas, "verification", "device_id", TRUE, &device_id, error) ||
      !_matrix_json_get_bool (sas, "verification", "we_started", FALSE, &we_started, error) ||
      !_matrix_json_get_array (sas, "verification", "emoji", FALSE, &emoji, error) ||
      !_matrix_json_get_object (sas, "verification", "cancel", FALSE, &cancel, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_str_equal (state_name, state_names[i].name))
      {
        state = state_names[i].state;
        found = TRUE;
      }
  if (!found)
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                   "Unknown verification state %s", state_name);
      return FALSE;
    }

  if (self->flow_id == NULL)
    {
      self->flow_id = g_strdup (flow_id);
      self->other_user_id = g_strdup (user_id);
      self->other_device_id = g_strdup (device_id);
      self->we_started = we_started;
    }
  if (emoji != NULL && self->emoji == NULL && json_array_get_length (emoji) == 7)
    {
      GStrvBuilder *symbols = g_strv_builder_new ();
      GStrvBuilder *names = g_strv_builder_new ();
      gboolean ok = TRUE;

      for (guint i = 0; i < 7; i++)
        {
          JsonNode *node = json_array_get_element (emoji, i);
          const char *symbol, *description;

          if (!JSON_NODE_HOLDS_OBJECT (node) ||
              !_matrix_json_get_string (json_node_get_object (node), NULL, "symbol", TRUE,
                                        &symbol, NULL) ||
              !_matrix_json_get_string (json_node_get_object (node), NULL, "description", TRUE,
                                        &description, NULL))
            {
              ok = FALSE;
              break;
            }
          g_strv_builder_add (symbols, symbol);
          g_strv_builder_add (names, description);
        }
      if (ok)
        {
          self->emoji = g_strv_builder_end (symbols);
          self->descriptions = g_strv_builder_end (names);
        }
      g_strv_builder_unref (symbols);
      g_strv_builder_unref (names);
    }
  if (cancel != NULL && self->cancel_reason == NULL)
    {
      const char *code = NULL;

      _matrix_json_get_string (cancel, NULL, "code", FALSE, &code, NULL);
      self->cancel_reason = g_strdup (code != NULL ? code : "m.user");
    }

  /* Answers can arrive out of order: an act's answer comes back only once
   * its requests are sent, after the state a sync brought in the meantime
   * (our confirm's "confirmed" after the other side's MAC made it "done").
   * A SAS only moves forward, and one that ended stays ended. */
  if (self->state == MATRIX_VERIFICATION_DONE || self->state == MATRIX_VERIFICATION_CANCELLED ||
      (state != MATRIX_VERIFICATION_CANCELLED && state < self->state))
    state = self->state;
  if (state != self->state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
    }
  /* A verification that ended is no longer the client's to move on. */
  if ((state == MATRIX_VERIFICATION_DONE || state == MATRIX_VERIFICATION_CANCELLED) &&
      (client = g_weak_ref_get (&self->client)) != NULL)
    {
      g_hash_table_remove (client_verifications (client), self->flow_id);
      g_object_unref (client);
    }
  return TRUE;
}

static MatrixVerification *
verification_new (MatrixClient  *client,
                  JsonObject    *sas,
                  GError       **error)
{
  g_autoptr(MatrixVerification) self = g_object_new (MATRIX_TYPE_VERIFICATION, NULL);

  self->state = MATRIX_VERIFICATION_STARTED;
  g_weak_ref_set (&self->client, client);
  if (!verification_apply (self, sas, error))
    return NULL;
  if (self->state != MATRIX_VERIFICATION_DONE && self->state != MATRIX_VERIFICATION_CANCELLED)
    g_hash_table_replace (client_verifications (client), g_strdup (self->flow_id),
                          g_object_ref (self));
  return g_steal_pointer (&self);
}

/* --- user-interactive auth ------------------------------------------------ */

typedef struct {
  char       *method;
  char       *path;
  JsonObject *body;
  char       *password;
  guint       attempts;
  SoupMessage *message;
} Uia;

static void
uia_free (Uia *uia)
{
  g_free (uia->method);
  g_free (uia->path);
  g_clear_pointer (&uia->body, json_object_unref);
  if (uia->password != NULL)
    {
      memset (uia->password, 0, strlen (uia->password));
      g_free (uia->password);
    }
  g_clear_object (&uia->message);
  g_free (uia);
}

static void uia_send (GTask *task);

static void
on_uia_answer (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Uia *uia = g_task_get_task_data (task);
  MatrixClient *client = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  guint status;
  g_autoptr(JsonObject) answer = NULL;
  const char *session = NULL;
  JsonArray *flows = NULL;
  gboolean password_flow = FALSE;

  if (body == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  status = soup_message_get_status (uia->message);
  if (g_bytes_get_size (body) > MAX_UIA_BODY)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE,
                               "The server's answer is too large");
      return;
    }
  if (status >= 200 && status < 300)
    {
      answer = _matrix_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                          &error);
      if (answer == NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, g_steal_pointer (&answer),
                               (GDestroyNotify) json_object_unref);
      return;
    }

  /* A 401 with a UIA session and no errcode asks for auth; one that has an
   * errcode after our auth (M_FORBIDDEN) refused the password. */
  if (status == 401 && uia->attempts == 1 && uia->password != NULL &&
      (answer = _matrix_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                           NULL)) != NULL &&
      _matrix_json_get_string (answer, NULL, "session", TRUE, &session, NULL) &&
      _matrix_json_get_array (answer, NULL, "flows", TRUE, &flows, NULL))
    {
      for (guint i = 0; i < json_array_get_length (flows) && !password_flow; i++)
        {
          JsonNode *node = json_array_get_element (flows, i);
          JsonArray *stages = NULL;

          if (JSON_NODE_HOLDS_OBJECT (node) &&
              _matrix_json_get_array (json_node_get_object (node), NULL, "stages", TRUE, &stages,
                                      NULL) &&
              json_array_get_length (stages) == 1 &&
              JSON_NODE_HOLDS_VALUE (json_array_get_element (stages, 0)) &&
              g_strcmp0 (json_array_get_string_element (stages, 0), "m.login.password") == 0)
            password_flow = TRUE;
        }
      if (password_flow)
        {
          JsonObject *auth = json_object_new ();
          JsonObject *identifier = json_object_new ();

          json_object_set_string_member (identifier, "type", "m.id.user");
          json_object_set_string_member (identifier, "user",
                                         matrix_client_get_user_id (client));
          json_object_set_string_member (auth, "type", "m.login.password");
          json_object_set_object_member (auth, "identifier", identifier);
          json_object_set_string_member (auth, "password", uia->password);
          json_object_set_string_member (auth, "session", session);
          json_object_set_object_member (uia->body, "auth", auth);
          uia_send (g_steal_pointer (&task));
          return;
        }
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "The server asks for an authentication other than the password");
      return;
    }
  g_task_return_error (task, _matrix_client_error_from_response (
                               status, soup_message_get_response_headers (uia->message), body));
}

static void
uia_send (GTask *task)
{
  Uia *uia = g_task_get_task_data (task);
  MatrixClient *client = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GBytes) bytes = NULL;

  g_clear_object (&uia->message);
  uia->message = _matrix_client_new_message (client, uia->method, "/_matrix/client/", uia->path,
                                             NULL, TRUE, &error);
  if (uia->message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  _matrix_json_append_object (json, uia->body);
  bytes = g_bytes_new (json->str, json->len);
  soup_message_set_request_body_from_bytes (uia->message, "application/json", bytes);
  uia->attempts++;
  soup_session_send_and_read_async (_matrix_client_get_session (client), uia->message,
                                    G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_uia_answer, task);
}

void
_matrix_client_uia_request_async (MatrixClient        *client,
                                  const char          *method,
                                  const char          *path,
                                  JsonObject          *body,
                                  const char          *password,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task = g_task_new (client, cancellable, callback, user_data);
  Uia *uia = g_new0 (Uia, 1);

  g_task_set_source_tag (task, _matrix_client_uia_request_async);
  uia->method = g_strdup (method);
  uia->path = g_strdup (path);
  uia->body = body != NULL ? json_object_ref (body) : json_object_new ();
  uia->password = g_strdup (password);
  g_task_set_task_data (task, uia, (GDestroyNotify) uia_free);
  uia_send (task);
}

JsonObject *
_matrix_client_uia_request_finish (MatrixClient  *client,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- sending the machine's verification requests, in order ---------------- */

typedef struct {
  MatrixCrypto *crypto;
  JsonArray    *requests;
  guint         next;
  char         *password;
  JsonObject   *answer;   /* what the machine answered, for the finish */
} Sender;

static void
sender_free (Sender *sender)
{
  g_clear_object (&sender->crypto);
  g_clear_pointer (&sender->requests, json_array_unref);
  g_clear_pointer (&sender->answer, json_object_unref);
  if (sender->password != NULL)
    {
      memset (sender->password, 0, strlen (sender->password));
      g_free (sender->password);
    }
  g_free (sender);
}

static void sender_next (GTask *task);

static void
on_sender_marked (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!_matrix_crypto_mark_request_as_sent_finish (MATRIX_CRYPTO (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  sender_next (g_steal_pointer (&task));
}

static void
on_signing_marked (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) answer = _matrix_crypto_verification_finish (MATRIX_CRYPTO (source),
                                                                     result, &error);

  if (answer == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  sender_next (g_steal_pointer (&task));
}

static void
on_sender_sent (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Sender *sender = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) response = NULL;
  JsonObject *request = json_array_get_object_element (sender->requests, sender->next - 1);
  const char *type = json_object_get_string_member (request, "type");
  const char *id = json_object_get_string_member (request, "id");
  g_autoptr(GString) body = g_string_new (NULL);

  if (g_str_equal (type, "signing_keys_upload"))
    response = _matrix_client_uia_request_finish (MATRIX_CLIENT (source), result, &error);
  else
    response = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_str_equal (type, "signing_keys_upload"))
    {
      g_autoptr(JsonObject) command = json_object_new ();

      json_object_set_string_member (command, "op", "mark_signing_keys_uploaded");
      json_object_set_string_member (command, "request_id", id);
      GTask *owned = g_steal_pointer (&task);

      _matrix_crypto_verification_async (sender->crypto, command, g_task_get_cancellable (owned),
                                         on_signing_marked, owned);
      return;
    }
  _matrix_json_append_object (body, response);
  {
    GTask *owned = g_steal_pointer (&task);

    _matrix_crypto_mark_request_as_sent_async (sender->crypto, id, type, body->str,
                                               g_task_get_cancellable (owned), on_sender_marked,
                                               owned);
  }
}

static void
sender_next (GTask *task)
{
  Sender *sender = g_task_get_task_data (task);
  MatrixClient *client = g_task_get_source_object (task);

  while (sender->next < json_array_get_length (sender->requests))
    {
      JsonNode *node = json_array_get_element (sender->requests, sender->next++);
      JsonObject *request, *body = NULL;
      const char *type, *id, *event_type, *txn_id, *method = "POST";
      g_autofree char *path = NULL;
      g_autoptr(JsonNode) body_node = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (request = json_node_get_object (node), NULL, "type", TRUE,
                                    &type, NULL) ||
          !_matrix_json_get_string (request, NULL, "id", TRUE, &id, NULL) ||
          !_matrix_json_get_object (request, NULL, "body", TRUE, &body, NULL))
        continue;
      if (g_str_equal (type, "signing_keys_upload"))
        {
          _matrix_client_uia_request_async (client, "POST", "v3/keys/device_signing/upload", body,
                                            sender->password, g_task_get_cancellable (task),
                                            on_sender_sent, task);
          return;
        }
      if (g_str_equal (type, "keys_upload"))
        path = g_strdup ("v3/keys/upload");
      else if (g_str_equal (type, "signature_upload"))
        path = g_strdup ("v3/keys/signatures/upload");
      else if (g_str_equal (type, "to_device") &&
               _matrix_json_get_string (request, NULL, "event_type", TRUE, &event_type, NULL) &&
               _matrix_json_get_string (request, NULL, "txn_id", TRUE, &txn_id, NULL))
        {
          path = matrix_client_build_path ("v3", "sendToDevice", event_type, txn_id, NULL);
          method = "PUT";
        }
      else
        continue;   /* in-room verification: not spoken here */
      body_node = json_node_init_object (json_node_alloc (), body);
      (void) id;
      matrix_client_request_async (client, method, path, NULL, body_node,
                                   g_task_get_cancellable (task), on_sender_sent, task);
      return;
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* Sends @requests (the machine's, in order) and marks each sent. */
static void
send_in_order_async (MatrixClient        *client,
                     MatrixCrypto        *crypto,
                     JsonArray           *requests,
                     const char          *password,
                     JsonObject          *answer,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task = g_task_new (client, cancellable, callback, user_data);
  Sender *sender = g_new0 (Sender, 1);

  sender->crypto = g_object_ref (crypto);
  sender->requests = requests != NULL ? json_array_ref (requests) : json_array_new ();
  sender->password = g_strdup (password);
  sender->answer = answer != NULL ? json_object_ref (answer) : NULL;
  g_task_set_task_data (task, sender, (GDestroyNotify) sender_free);
  sender_next (task);
}

static JsonObject *
send_in_order_finish (GAsyncResult  *result,
                      GError       **error)
{
  Sender *sender = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return sender->answer != NULL ? json_object_ref (sender->answer) : json_object_new ();
}

static MatrixCrypto *
client_machine (MatrixClient  *client,
                GError       **error)
{
  MatrixCrypto *crypto = _matrix_client_get_crypto (client);

  if (crypto == NULL)
    g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                 "End-to-end encryption is not enabled for this session");
  return crypto;
}

/* Runs @command on the machine, sends the requests its answer lists, and
 * returns the answer. */
typedef struct {
  char *password;
} Run;

static void
run_free (Run *run)
{
  if (run->password != NULL)
    {
      memset (run->password, 0, strlen (run->password));
      g_free (run->password);
    }
  g_free (run);
}

static void
on_run_sent (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonObject *answer = send_in_order_finish (result, &error);

  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
}

static void
on_run_answer (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) answer = _matrix_crypto_verification_finish (MATRIX_CRYPTO (source),
                                                                     result, &error);
  JsonArray *requests = NULL;

  if (answer == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!_matrix_json_get_array (answer, "verification", "requests", FALSE, &requests, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  {
    GTask *owned = g_steal_pointer (&task);

    send_in_order_async (g_task_get_source_object (owned), MATRIX_CRYPTO (source), requests,
                         run->password, answer, g_task_get_cancellable (owned), on_run_sent,
                         owned);
  }
}

static void
run_async (MatrixClient        *client,
           JsonObject          *command,
           const char          *password,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  GTask *task = g_task_new (client, cancellable, callback, user_data);
  Run *run = g_new0 (Run, 1);
  GError *error = NULL;
  MatrixCrypto *crypto = client_machine (client, &error);

  run->password = g_strdup (password);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);
  if (crypto == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  _matrix_crypto_verification_async (crypto, command, cancellable, on_run_answer, task);
}

static JsonObject *
run_finish (GAsyncResult  *result,
            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonObject *
sas_command (const char *op,
             const char *user_id,
             const char *flow_id)
{
  JsonObject *command = json_object_new ();

  json_object_set_string_member (command, "op", op);
  json_object_set_string_member (command, "user_id", user_id);
  json_object_set_string_member (command, "flow_id", flow_id);
  return command;
}

/* --- acting on a verification --------------------------------------------- */

static void
on_acted (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixVerification *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(JsonObject) answer = run_finish (result, &error);
  JsonObject *sas = NULL;

  if (answer == NULL ||
      !_matrix_json_get_object (answer, "verification", "sas", TRUE, &sas, &error) ||
      !verification_apply (self, sas, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
act_async (MatrixVerification  *self,
           const char          *op,
           gpointer             source_tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(MatrixClient) client = g_weak_ref_get (&self->client);
  g_autoptr(JsonObject) command = NULL;

  g_task_set_source_tag (task, source_tag);
  if (client == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "The verification's client is gone");
      g_object_unref (task);
      return;
    }
  command = sas_command (op, self->other_user_id, self->flow_id);
  run_async (client, command, NULL, cancellable, on_acted, task);
}

/**
 * matrix_verification_accept_async:
 * @self: a #MatrixVerification the other side started
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the acceptance is sent
 * @user_data: data for @callback
 *
 * Accepts a verification the other side started: the keys are exchanged
 * next, and #MatrixVerification:state moves to
 * %MATRIX_VERIFICATION_KEYS_EXCHANGED when the emoji are known.
 */
void
matrix_verification_accept_async (MatrixVerification  *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (MATRIX_IS_VERIFICATION (self));
  act_async (self, "accept_sas", matrix_verification_accept_async, cancellable, callback,
             user_data);
}

/**
 * matrix_verification_accept_finish:
 * @self: a #MatrixVerification
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_verification_accept_async().
 *
 * Returns: whether the acceptance went out
 */
gboolean
matrix_verification_accept_finish (MatrixVerification  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_verification_confirm_async:
 * @self: a #MatrixVerification in %MATRIX_VERIFICATION_KEYS_EXCHANGED
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the confirmation is sent
 * @user_data: data for @callback
 *
 * Says the emoji match (the user compared them with the other side's): the
 * MAC goes to the other side, and the verification is done when theirs
 * arrives and checks out.
 */
void
matrix_verification_confirm_async (MatrixVerification  *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (MATRIX_IS_VERIFICATION (self));
  act_async (self, "confirm_sas", matrix_verification_confirm_async, cancellable, callback,
             user_data);
}

/**
 * matrix_verification_confirm_finish:
 * @self: a #MatrixVerification
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_verification_confirm_async().
 *
 * Returns: whether the confirmation went out
 */
gboolean
matrix_verification_confirm_finish (MatrixVerification  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_verification_cancel_async:
 * @self: a #MatrixVerification
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the cancellation is sent
 * @user_data: data for @callback
 *
 * Cancels the verification (`m.user`): what the user says when the emoji do
 * not match, or when they give up.
 */
void
matrix_verification_cancel_async (MatrixVerification  *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (MATRIX_IS_VERIFICATION (self));
  act_async (self, "cancel_sas", matrix_verification_cancel_async, cancellable, callback,
             user_data);
}

/**
 * matrix_verification_cancel_finish:
 * @self: a #MatrixVerification
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_verification_cancel_async().
 *
 * Returns: whether the cancellation went out
 */
gboolean
matrix_verification_cancel_finish (MatrixVerification  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- starting one --------------------------------------------------------- */

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) answer = run_finish (result, &error);
  JsonObject *sas = NULL;
  MatrixVerification *verification;

  if (answer == NULL ||
      !_matrix_json_get_object (answer, "verification", "sas", TRUE, &sas, &error) ||
      (verification = verification_new (MATRIX_CLIENT (source), sas, &error)) == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, verification, g_object_unref);
}

/**
 * matrix_client_start_verification_async:
 * @client: a #MatrixClient with end-to-end encryption
 * @user_id: the user whose device to verify (the client's own user for
 *   another of their sessions)
 * @device_id: the device to verify, one matrix_client_get_devices_async()
 *   lists
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the start is sent
 * @user_data: data for @callback
 *
 * Starts an emoji verification with a device (`m.key.verification.start`,
 * to-device). The other side accepts; then #MatrixVerification:state
 * reaches %MATRIX_VERIFICATION_KEYS_EXCHANGED and the emoji are there to
 * compare.
 */
void
matrix_client_start_verification_async (MatrixClient        *client,
                                        const char          *user_id,
                                        const char          *device_id,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GTask *task;
  g_autoptr(JsonObject) command = json_object_new ();

  g_return_if_fail (MATRIX_IS_CLIENT (client));
  g_return_if_fail (user_id != NULL && device_id != NULL);
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_start_verification_async);
  json_object_set_string_member (command, "op", "start_sas");
  json_object_set_string_member (command, "user_id", user_id);
  json_object_set_string_member (command, "device_id", device_id);
  run_async (client, command, NULL, cancellable, on_started, task);
}

/**
 * matrix_client_start_verification_finish:
 * @client: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_start_verification_async(); an unknown device
 * is an error.
 *
 * Returns: (transfer full): the verification, or %NULL with @error set
 */
MatrixVerification *
matrix_client_start_verification_finish (MatrixClient  *client,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- incoming ------------------------------------------------------------- */

typedef struct {
  MatrixClient *client;
  gboolean      is_new;
} Incoming;

static void
on_incoming_state (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Incoming *incoming = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = _matrix_crypto_verification_finish (MATRIX_CRYPTO (source),
                                                                     result, &error);
  JsonObject *sas = NULL;
  const char *flow_id = NULL;
  MatrixVerification *known;

  if (answer == NULL ||
      !_matrix_json_get_object (answer, "verification", "sas", TRUE, &sas, &error) ||
      !_matrix_json_get_string (sas, "verification", "flow_id", TRUE, &flow_id, &error))
    {
      /* Garbage, or a flow the machine refused: nothing to show. */
      g_debug ("No verification for a to-device event: %s", error->message);
    }
  else if ((known = g_hash_table_lookup (client_verifications (incoming->client), flow_id)))
    {
      if (!verification_apply (known, sas, &error))
        g_debug ("Bad verification state: %s", error->message);
    }
  else if (incoming->is_new)
    {
      g_autoptr(MatrixVerification) verification = verification_new (incoming->client, sas,
                                                                      &error);

      if (verification == NULL)
        g_debug ("Bad verification state: %s", error->message);
      else if (verification->state != MATRIX_VERIFICATION_CANCELLED)
        g_signal_emit (incoming->client, verification_request_signal, 0, verification);
    }
  g_object_unref (incoming->client);
  g_free (incoming);
}

void
_matrix_client_verification_handle_events (MatrixClient *client,
                                           JsonArray    *to_device_events)
{
  MatrixCrypto *crypto = _matrix_client_get_crypto (client);

  if (crypto == NULL || to_device_events == NULL)
    return;
  for (guint i = 0; i < json_array_get_length (to_device_events); i++)
    {
      JsonNode *node = json_array_get_element (to_device_events, i);
      JsonObject *event, *content = NULL;
      const char *type, *sender, *flow_id;
      g_autoptr(JsonObject) command = NULL;
      Incoming *incoming;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (event = json_node_get_object (node), NULL, "type", TRUE, &type,
                                    NULL) ||
          !g_str_has_prefix (type, "m.key.verification.") ||
          !_matrix_json_get_string (event, NULL, "sender", TRUE, &sender, NULL) ||
          !_matrix_json_get_object (event, NULL, "content", TRUE, &content, NULL) ||
          !_matrix_json_get_string (content, NULL, "transaction_id", TRUE, &flow_id, NULL) ||
          *flow_id == '\0')
        continue;
      if (!g_hash_table_contains (client_verifications (client), flow_id) &&
          !g_str_equal (type, "m.key.verification.start"))
        continue;

      incoming = g_new0 (Incoming, 1);
      incoming->client = g_object_ref (client);
      incoming->is_new = g_str_equal (type, "m.key.verification.start");
      command = sas_command ("sas", sender, flow_id);
      _matrix_crypto_verification_async (crypto, command, NULL, on_incoming_state, incoming);
    }
}

void
_matrix_client_verification_refresh (MatrixClient *client)
{
  MatrixCrypto *crypto = _matrix_client_get_crypto (client);
  GHashTable *table = g_object_get_data (G_OBJECT (client), "matrix-verifications");
  GHashTableIter iter;
  gpointer value;

  if (crypto == NULL || table == NULL)
    return;
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      MatrixVerification *verification = value;
      g_autoptr(JsonObject) command = sas_command ("sas", verification->other_user_id,
                                                   verification->flow_id);
      Incoming *incoming = g_new0 (Incoming, 1);

      incoming->client = g_object_ref (client);
      _matrix_crypto_verification_async (crypto, command, NULL, on_incoming_state, incoming);
    }
}

void
_matrix_client_verification_add_signals (GObjectClass *client_class)
{
  /**
   * MatrixClient::verification-request:
   * @client: the #MatrixClient
   * @verification: the #MatrixVerification the other side started
   *
   * Another device (of this user or of someone else) started an emoji
   * verification with this session. Accept it with
   * matrix_verification_accept_async(), or cancel it; keep a reference to
   * follow it.
   */
  verification_request_signal =
    g_signal_new ("verification-request", G_TYPE_FROM_CLASS (client_class), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, MATRIX_TYPE_VERIFICATION);
}

/* --- cross-signing -------------------------------------------------------- */

static void
on_bootstrapped (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) answer = run_finish (result, &error);

  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

typedef struct {
  char *password;
} Bootstrap;

static void
bootstrap_free (Bootstrap *bootstrap)
{
  if (bootstrap->password != NULL)
    {
      memset (bootstrap->password, 0, strlen (bootstrap->password));
      g_free (bootstrap->password);
    }
  g_free (bootstrap);
}

static void
on_own_identity (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Bootstrap *bootstrap = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) answer = _matrix_crypto_verification_finish (MATRIX_CRYPTO (source),
                                                                     result, &error);
  gboolean has_identity = FALSE;
  g_autoptr(JsonObject) command = NULL;

  if (answer == NULL ||
      !_matrix_json_get_bool (answer, "devices", "has_identity", TRUE, &has_identity, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (has_identity)
    {
      /* Another session made the account's keys: this one is verified from
       * there, not by replacing them (which would undo every trust). */
      g_task_return_boolean (task, TRUE);
      return;
    }
  command = json_object_new ();
  json_object_set_string_member (command, "op", "bootstrap_cross_signing");
  {
    GTask *owned = g_steal_pointer (&task);

    run_async (g_task_get_source_object (owned), command, bootstrap->password,
               g_task_get_cancellable (owned), on_bootstrapped, owned);
  }
}

static void
on_bootstrap_flushed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixClient *client = MATRIX_CLIENT (source);
  MatrixCrypto *crypto = _matrix_client_get_crypto (client);
  g_autoptr(JsonObject) command = json_object_new ();

  /* A flush that failed leaves the device lists as they were: the
   * identity check below is as good as the machine knows. */
  _matrix_client_crypto_flush_requests_finish (client, result, NULL);
  if (crypto == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "End-to-end encryption is not enabled for this session");
      return;
    }
  json_object_set_string_member (command, "op", "devices");
  json_object_set_string_member (command, "user_id", matrix_client_get_user_id (client));
  {
    GTask *owned = g_steal_pointer (&task);

    _matrix_crypto_verification_async (crypto, command, g_task_get_cancellable (owned),
                                       on_own_identity, owned);
  }
}

static void
on_bootstrap_status (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Bootstrap *bootstrap = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) answer = _matrix_crypto_verification_finish (MATRIX_CRYPTO (source),
                                                                     result, &error);
  gboolean has_master = FALSE, verified = FALSE;
  g_autoptr(JsonObject) command = NULL;
  const char *user_id = matrix_client_get_user_id (g_task_get_source_object (task));
  const char *users[] = { user_id, NULL };

  if (answer == NULL ||
      !_matrix_json_get_bool (answer, "status", "has_master", TRUE, &has_master, &error) ||
      !_matrix_json_get_bool (answer, "status", "verified", TRUE, &verified, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (verified)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (has_master)
    {
      /* Some of the keys, not all (an import...): uploaded again. */
      GTask *owned = g_steal_pointer (&task);

      command = json_object_new ();
      json_object_set_string_member (command, "op", "bootstrap_cross_signing");
      run_async (g_task_get_source_object (owned), command, bootstrap->password,
                 g_task_get_cancellable (owned), on_bootstrapped, owned);
      return;
    }
  /* Whether the account has keys already: the own user's keys, queried. */
  _matrix_crypto_update_tracked_users_async (MATRIX_CRYPTO (source), users, NULL, NULL, NULL);
  {
    GTask *owned = g_steal_pointer (&task);

    _matrix_client_crypto_flush_requests_async (g_task_get_source_object (owned),
                                                on_bootstrap_flushed, owned);
  }
}

/**
 * matrix_client_bootstrap_cross_signing_async:
 * @client: a #MatrixClient with end-to-end encryption
 * @password: (nullable): the user's password, for the server's
 *   user-interactive auth of the key upload (not kept)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Sets cross-signing up for the account, once: makes the master,
 * self-signing and user-signing keys (in the crypto machine), uploads their
 * public halves (`POST /keys/device_signing/upload`, with `m.login.password`
 * auth when the server asks) and signs this device with them. A session
 * that has done it already finishes at once; when another session made the
 * account's keys, nothing is replaced: verify this session from that one
 * (matrix_client_get_session_verified_async() says whether it is).
 */
void
matrix_client_bootstrap_cross_signing_async (MatrixClient        *client,
                                             const char          *password,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  GTask *task;
  Bootstrap *bootstrap;
  GError *error = NULL;
  MatrixCrypto *crypto;
  g_autoptr(JsonObject) command = json_object_new ();

  g_return_if_fail (MATRIX_IS_CLIENT (client));
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_bootstrap_cross_signing_async);
  bootstrap = g_new0 (Bootstrap, 1);
  bootstrap->password = g_strdup (password);
  g_task_set_task_data (task, bootstrap, (GDestroyNotify) bootstrap_free);
  if ((crypto = client_machine (client, &error)) == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  json_object_set_string_member (command, "op", "status");
  _matrix_crypto_verification_async (crypto, command, cancellable, on_bootstrap_status, task);
}

/**
 * matrix_client_bootstrap_cross_signing_finish:
 * @client: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_bootstrap_cross_signing_async(). A wrong
 * password fails with %MATRIX_ERROR_FORBIDDEN.
 *
 * Returns: %TRUE when cross-signing is set up, by this session or
 *   another one
 */
gboolean
matrix_client_bootstrap_cross_signing_finish (MatrixClient  *client,
                                              GAsyncResult  *result,
                                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_status (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) answer = _matrix_crypto_verification_finish (MATRIX_CRYPTO (source),
                                                                     result, &error);
  gboolean verified = FALSE;

  if (answer == NULL ||
      !_matrix_json_get_bool (answer, "status", "verified", TRUE, &verified, &error))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, verified);
}

/**
 * matrix_client_get_session_verified_async:
 * @client: a #MatrixClient with end-to-end encryption
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the answer
 * @user_data: data for @callback
 *
 * Asks whether this session is verified: signed by the account's
 * self-signing key that this session trusts (after a bootstrap here, or an
 * emoji verification with a verified session).
 */
void
matrix_client_get_session_verified_async (MatrixClient        *client,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GTask *task;
  GError *error = NULL;
  MatrixCrypto *crypto;
  g_autoptr(JsonObject) command = json_object_new ();

  g_return_if_fail (MATRIX_IS_CLIENT (client));
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_get_session_verified_async);
  if ((crypto = client_machine (client, &error)) == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  json_object_set_string_member (command, "op", "status");
  _matrix_crypto_verification_async (crypto, command, cancellable, on_status, task);
}

/**
 * matrix_client_get_session_verified_finish:
 * @client: a #MatrixClient
 * @result: the #GAsyncResult
 * @verified: (out): whether this session is verified
 * @error: return location for a #GError
 *
 * Finishes matrix_client_get_session_verified_async().
 *
 * Returns: %TRUE when @verified was set
 */
gboolean
matrix_client_get_session_verified_finish (MatrixClient  *client,
                                           GAsyncResult  *result,
                                           gboolean      *verified,
                                           GError       **error)
{
  GError *local = NULL;
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  value = g_task_propagate_int (G_TASK (result), &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (verified != NULL)
    *verified = value != 0;
  return TRUE;
}

/* --- devices -------------------------------------------------------------- */

typedef struct {
  char       *user_id;
  JsonObject *server;   /* GET /devices, own user only */
} Devices;

static void
devices_free (Devices *devices)
{
  g_free (devices->user_id);
  g_clear_pointer (&devices->server, json_object_unref);
  g_free (devices);
}

/* Parses GET /devices (@server, may be NULL) and the machine's devices
 * (@known) into MatrixDevices: the server's list is the truth for the own
 * user's sessions, the machine adds keys and trust. */
static GPtrArray *
merge_devices (const char  *user_id,
               JsonObject  *server,
               JsonObject  *known,
               GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) matrix_device_free);
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *server_list = NULL, *known_list = NULL;

  if (server != NULL &&
      !_matrix_json_get_array (server, "devices", "devices", TRUE, &server_list, error))
    return NULL;
  if (!_matrix_json_get_array (known, "devices", "devices", TRUE, &known_list, error))
    return NULL;

  for (guint i = 0; server_list != NULL && i < json_array_get_length (server_list); i++)
    {
      JsonNode *node = json_array_get_element (server_list, i);
      JsonObject *object;
      const char *device_id, *name = NULL, *ip = NULL;
      gint64 ts = 0;
      MatrixDevice *device;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (object = json_node_get_object (node), NULL, "device_id", TRUE,
                                    &device_id, NULL) ||
          g_hash_table_contains (index, device_id))
        continue;   /* an entry without an id is nothing to show */
      _matrix_json_get_string (object, NULL, "display_name", FALSE, &name, NULL);
      _matrix_json_get_string (object, NULL, "last_seen_ip", FALSE, &ip, NULL);
      if (!_matrix_json_get_int (object, NULL, "last_seen_ts", FALSE, &ts, NULL) || ts < 0)
        ts = 0;
      device = g_new0 (MatrixDevice, 1);
      device->user_id = g_strdup (user_id);
      device->device_id = g_strdup (device_id);
      device->display_name = g_strdup (name);
      device->last_seen_ip = g_strdup (ip);
      device->last_seen_ts = ts;
      g_hash_table_insert (index, device->device_id, device);
      g_ptr_array_add (list, device);
    }

  for (guint i = 0; i < json_array_get_length (known_list); i++)
    {
      JsonNode *node = json_array_get_element (known_list, i);
      JsonObject *object;
      const char *device_id, *name = NULL, *ed25519 = NULL;
      gboolean verified = FALSE, is_this = FALSE;
      MatrixDevice *device;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !_matrix_json_get_string (object = json_node_get_object (node), NULL, "device_id", TRUE,
                                    &device_id, NULL))
        continue;
      _matrix_json_get_string (object, NULL, "display_name", FALSE, &name, NULL);
      _matrix_json_get_string (object, NULL, "ed25519", FALSE, &ed25519, NULL);
      _matrix_json_get_bool (object, NULL, "verified", FALSE, &verified, NULL);
      _matrix_json_get_bool (object, NULL, "is_this_device", FALSE, &is_this, NULL);
      device = g_hash_table_lookup (index, device_id);
      if (device == NULL)
        {
          /* The own user's devices the server no longer lists are gone. */
          if (server_list != NULL)
            continue;
          device = g_new0 (MatrixDevice, 1);
          device->user_id = g_strdup (user_id);
          device->device_id = g_strdup (device_id);
          device->display_name = g_strdup (name);
          g_hash_table_insert (index, device->device_id, device);
          g_ptr_array_add (list, device);
        }
      g_free (device->ed25519);
      device->ed25519 = g_strdup (ed25519);
      device->verified = verified;
      device->is_this_device = is_this;
    }
  return g_steal_pointer (&list);
}

static void
on_known_devices (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Devices *devices = g_task_get_task_data (task);
  MatrixClient *client = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(JsonObject) answer = _matrix_crypto_verification_finish (MATRIX_CRYPTO (source),
                                                                     result, &error);
  GPtrArray *list;

  if (answer == NULL ||
      (list = merge_devices (devices->user_id, devices->server, answer, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* This session, when the server does not list it (yet). */
  if (devices->server != NULL)
    for (guint i = 0; i < list->len; i++)
      {
        MatrixDevice *device = g_ptr_array_index (list, i);

        if (g_strcmp0 (device->device_id, matrix_client_get_device_id (client)) == 0)
          device->is_this_device = TRUE;
      }
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
on_devices_flushed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Devices *devices = g_task_get_task_data (task);
  MatrixCrypto *crypto = _matrix_client_get_crypto (MATRIX_CLIENT (source));
  g_autoptr(JsonObject) command = json_object_new ();

  /* A failed query: the machine's list as it is. */
  _matrix_client_crypto_flush_requests_finish (MATRIX_CLIENT (source), result, NULL);
  if (crypto == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "End-to-end encryption is not enabled for this session");
      return;
    }
  json_object_set_string_member (command, "op", "devices");
  json_object_set_string_member (command, "user_id", devices->user_id);
  {
    GTask *owned = g_steal_pointer (&task);

    _matrix_crypto_verification_async (crypto, command, g_task_get_cancellable (owned),
                                       on_known_devices, owned);
  }
}

static void
on_tracked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!_matrix_crypto_update_tracked_users_finish (MATRIX_CRYPTO (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  {
    GTask *owned = g_steal_pointer (&task);

    _matrix_client_crypto_flush_requests_async (g_task_get_source_object (owned),
                                                on_devices_flushed, owned);
  }
}

static void
track_and_query (GTask *task)
{
  Devices *devices = g_task_get_task_data (task);
  MatrixCrypto *crypto = _matrix_client_get_crypto (g_task_get_source_object (task));
  const char *users[] = { devices->user_id, NULL };

  if (crypto == NULL)
    {
      g_task_return_new_error (task, MATRIX_ERROR, MATRIX_ERROR_FAILED,
                               "End-to-end encryption is not enabled for this session");
      g_object_unref (task);
      return;
    }
  _matrix_crypto_update_tracked_users_async (crypto, users, g_task_get_cancellable (task),
                                             on_tracked, task);
}

static void
on_server_devices (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Devices *devices = g_task_get_task_data (task);
  GError *error = NULL;

  devices->server = matrix_client_request_finish (MATRIX_CLIENT (source), result, &error);
  if (devices->server == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  track_and_query (g_steal_pointer (&task));
}

/**
 * matrix_client_get_devices_async:
 * @client: a #MatrixClient with end-to-end encryption
 * @user_id: (nullable): whose devices; %NULL for the client's own user
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the list
 * @user_data: data for @callback
 *
 * Lists a user's devices with their keys and whether this session trusts
 * them. For the own user the server's `GET /devices` is the list (with
 * names and when each was last seen), this session among them
 * (#MatrixDevice.is_this_device, with this session's fingerprint); for
 * another user the list is their published device keys.
 */
void
matrix_client_get_devices_async (MatrixClient        *client,
                                 const char          *user_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;
  Devices *devices;
  GError *error = NULL;

  g_return_if_fail (MATRIX_IS_CLIENT (client));
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_get_devices_async);
  devices = g_new0 (Devices, 1);
  devices->user_id = g_strdup (user_id != NULL ? user_id : matrix_client_get_user_id (client));
  g_task_set_task_data (task, devices, (GDestroyNotify) devices_free);
  if (client_machine (client, &error) == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (g_strcmp0 (devices->user_id, matrix_client_get_user_id (client)) == 0)
    matrix_client_request_async (client, "GET", "v3/devices", NULL, NULL, cancellable,
                                 on_server_devices, task);
  else
    track_and_query (task);
}

/**
 * matrix_client_get_devices_finish:
 * @client: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_get_devices_async().
 *
 * Returns: (transfer container) (element-type MatrixDevice): the devices,
 *   or %NULL with @error set
 */
GPtrArray *
matrix_client_get_devices_finish (MatrixClient  *client,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_device_deleted (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonObject) answer = _matrix_client_uia_request_finish (MATRIX_CLIENT (source),
                                                                    result, &error);

  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * matrix_client_delete_device_async:
 * @client: a #MatrixClient
 * @device_id: another session of the user's
 * @password: (nullable): the user's password, for the server's
 *   user-interactive auth (not kept)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Signs another session out: `DELETE /devices/{deviceId}`, with
 * `m.login.password` auth when the server asks. This session cannot be
 * deleted so: that is matrix_client_logout_async().
 */
void
matrix_client_delete_device_async (MatrixClient        *client,
                                   const char          *device_id,
                                   const char          *password,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  g_autofree char *path = NULL;

  g_return_if_fail (MATRIX_IS_CLIENT (client));
  g_return_if_fail (device_id != NULL);
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_client_delete_device_async);
  if (*device_id == '\0' || g_strcmp0 (device_id, matrix_client_get_device_id (client)) == 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Not another session's id: %s", device_id);
      g_object_unref (task);
      return;
    }
  path = matrix_client_build_path ("v3", "devices", device_id, NULL);
  _matrix_client_uia_request_async (client, "DELETE", path, NULL, password, cancellable,
                                    on_device_deleted, task);
}

/**
 * matrix_client_delete_device_finish:
 * @client: a #MatrixClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_client_delete_device_async(). A wrong password fails
 * with %MATRIX_ERROR_FORBIDDEN.
 *
 * Returns: %TRUE when the session was signed out
 */
gboolean
matrix_client_delete_device_finish (MatrixClient  *client,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
