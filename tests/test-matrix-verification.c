/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cross-signing, devices and emoji verification (matrix-verification.c):
 * the request/response plumbing against the fake homeserver, with a real
 * crypto machine — the user-interactive auth retry, the device lists, and
 * what bad input (garbage verification events, unknown devices) does. */
#include <glib/gstdio.h>

#include "matrix-client-crypto-private.h"
#include "matrix-crypto-private.h"
#include "matrix-json-private.h"
#include "matrix-verification.h"
#include "test-utils.h"

#define ME "@alice:example.org"
#define MY_DEVICE "ABCDEFG"
#define TIMEOUT 30000

typedef struct {
  char           *dir;
  MatrixCrypto   *crypto;
  FakeHomeserver *server;
  MatrixStore    *store;
  MatrixClient   *client;
} Fixture;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("test-matrix-verification-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "crypto", NULL);
  _matrix_crypto_open_async (ME, MY_DEVICE, path, "pass", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  f->crypto = _matrix_crypto_open_finish (result, &error);
  g_assert_no_error (error);

  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/upload", 200,
                              "{\"one_time_key_counts\":{\"signed_curve25519\":50}}", TRUE);
  /* The server knows no cross-signing keys of the account yet. */
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/query", 200,
                              "{\"device_keys\":{},\"failures\":{}}", TRUE);
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  _matrix_client_set_crypto (f->client, f->crypto);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  matrix_client_stop_sync (f->client);
  _matrix_client_set_crypto (f->client, NULL);
  iterate_for (20);
  g_clear_object (&f->client);
  g_clear_object (&f->store);
  g_clear_object (&f->server);
  g_clear_object (&f->crypto);
  remove_tree (f->dir);
  g_free (f->dir);
}

static JsonObject *
request_body (FakeRequest *request)
{
  g_autoptr(GError) error = NULL;
  JsonObject *body = _matrix_json_parse_object (g_bytes_get_data (request->body, NULL),
                                                g_bytes_get_size (request->body), &error);

  g_assert_no_error (error);
  return body;
}

/* The requests to @path, in order. */
static GPtrArray *
requests_to (Fixture    *f,
             const char *method,
             const char *path)
{
  GPtrArray *all = fake_homeserver_get_requests (f->server);
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < all->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (all, i);

      if (g_str_equal (request->method, method) && g_str_equal (request->path, path))
        g_ptr_array_add (found, request);
    }
  return found;
}

static gboolean
bootstrap (Fixture     *f,
           const char  *password,
           GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_client_bootstrap_cross_signing_async (f->client, password, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  return matrix_client_bootstrap_cross_signing_finish (f->client, result, error);
}

static gboolean
session_verified (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean verified = FALSE;

  matrix_client_get_session_verified_async (f->client, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  g_assert_true (matrix_client_get_session_verified_finish (f->client, result, &verified,
                                                            &error));
  g_assert_no_error (error);
  return verified;
}

#define UIA_401 "{\"session\":\"S1\",\"flows\":[{\"stages\":[\"m.login.password\"]}],\"params\":{}}"

/* The signing keys upload answered 401 with a UIA session is sent again with
 * m.login.password, the user's id and password and that session; the
 * signatures follow, and the session is then cross-signed (verified). */
static void
test_bootstrap_uia (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uploads = NULL, signatures = NULL;
  g_autoptr(JsonObject) first = NULL, second = NULL;
  JsonObject *auth, *identifier;

  g_assert_false (session_verified (f));
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/device_signing/upload",
                              401, UIA_401, FALSE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/device_signing/upload",
                              200, "{}", FALSE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/signatures/upload",
                              200, "{\"failures\":{}}", FALSE);
  g_assert_true (bootstrap (f, "secret-pw", &error));
  g_assert_no_error (error);

  uploads = requests_to (f, "POST", "/_matrix/client/v3/keys/device_signing/upload");
  g_assert_cmpuint (uploads->len, ==, 2);
  first = request_body (g_ptr_array_index (uploads, 0));
  second = request_body (g_ptr_array_index (uploads, 1));
  g_assert_false (json_object_has_member (first, "auth"));
  g_assert_true (json_object_has_member (first, "master_key"));
  g_assert_true (json_object_has_member (first, "self_signing_key"));
  g_assert_true (json_object_has_member (first, "user_signing_key"));
  auth = json_object_get_object_member (second, "auth");
  g_assert_nonnull (auth);
  g_assert_cmpstr (json_object_get_string_member (auth, "type"), ==, "m.login.password");
  g_assert_cmpstr (json_object_get_string_member (auth, "session"), ==, "S1");
  g_assert_cmpstr (json_object_get_string_member (auth, "password"), ==, "secret-pw");
  identifier = json_object_get_object_member (auth, "identifier");
  g_assert_cmpstr (json_object_get_string_member (identifier, "user"), ==, ME);
  signatures = requests_to (f, "POST", "/_matrix/client/v3/keys/signatures/upload");
  g_assert_cmpuint (signatures->len, ==, 1);
  g_assert_true (session_verified (f));

  /* Once done, a second bootstrap sends nothing. */
  g_assert_true (bootstrap (f, "secret-pw", &error));
  g_assert_no_error (error);
  g_ptr_array_unref (uploads);
  uploads = requests_to (f, "POST", "/_matrix/client/v3/keys/device_signing/upload");
  g_assert_cmpuint (uploads->len, ==, 2);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
}

/* A wrong password: the second 401 carries M_FORBIDDEN, which is the error;
 * there is no third attempt, and the session stays unverified. */
static void
test_bootstrap_wrong_password (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uploads = NULL;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/device_signing/upload",
                              401, UIA_401, FALSE);
  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/device_signing/upload",
                              401, "{\"errcode\":\"M_FORBIDDEN\",\"error\":\"Invalid password\","
                              "\"session\":\"S1\",\"flows\":[{\"stages\":[\"m.login.password\"]}]}",
                              FALSE);
  g_assert_false (bootstrap (f, "wrong", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FORBIDDEN);
  uploads = requests_to (f, "POST", "/_matrix/client/v3/keys/device_signing/upload");
  g_assert_cmpuint (uploads->len, ==, 2);
  g_assert_false (session_verified (f));
}

/* A UIA answer that asks for something other than a password (or a 401
 * that is garbage) is an error, not a loop. */
static void
test_bootstrap_uia_unsupported (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fake_homeserver_queue_json (f->server, "POST", "/_matrix/client/v3/keys/device_signing/upload",
                              401, "{\"session\":\"S1\",\"flows\":[{\"stages\":[\"m.login.sso\"]}]}",
                              FALSE);
  g_assert_false (bootstrap (f, "pw", &error));
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_FAILED);
  g_clear_error (&error);

  fake_homeserver_queue (f->server, "POST", "/_matrix/client/v3/keys/device_signing/upload",
                         401, "not json", FALSE);
  g_assert_false (bootstrap (f, "pw", &error));
  g_assert_nonnull (error);
}

static GPtrArray *
get_devices (Fixture     *f,
             const char  *user_id,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  matrix_client_get_devices_async (f->client, user_id, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  return matrix_client_get_devices_finish (f->client, result, error);
}

/* The own devices: the server's list, entries without an id (or of the
 * wrong types) skipped, names and last-seen kept, this session marked with
 * its Ed25519 fingerprint from the machine. */
static void
test_devices_own (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  gboolean seen_this = FALSE, seen_other = FALSE;

  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v3/devices", 200,
                              "{\"devices\":["
                              "{\"device_id\":\"" MY_DEVICE "\",\"display_name\":\"Confab\"},"
                              "{\"device_id\":\"OTHER\",\"display_name\":\"Phone\","
                              "\"last_seen_ts\":1700000000000,\"last_seen_ip\":\"10.0.0.1\"},"
                              "{\"display_name\":\"no id\"},"
                              "{\"device_id\":42},"
                              "\"garbage\","
                              "{\"device_id\":\"ODD\",\"display_name\":7,\"last_seen_ts\":\"x\"}"
                              "]}", FALSE);
  devices = get_devices (f, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, 3);
  for (guint i = 0; i < devices->len; i++)
    {
      MatrixDevice *device = g_ptr_array_index (devices, i);

      g_assert_cmpstr (device->user_id, ==, ME);
      if (g_str_equal (device->device_id, MY_DEVICE))
        {
          seen_this = TRUE;
          g_assert_true (device->is_this_device);
          g_assert_cmpstr (device->ed25519, ==, _matrix_crypto_get_ed25519_key (f->crypto));
        }
      else if (g_str_equal (device->device_id, "OTHER"))
        {
          seen_other = TRUE;
          g_assert_false (device->is_this_device);
          g_assert_false (device->verified);
          g_assert_cmpstr (device->display_name, ==, "Phone");
          g_assert_cmpint (device->last_seen_ts, ==, 1700000000000);
          g_assert_cmpstr (device->last_seen_ip, ==, "10.0.0.1");
          g_assert_null (device->ed25519);   /* no keys published */
        }
      else
        {
          g_assert_cmpstr (device->device_id, ==, "ODD");
          g_assert_cmpint (device->last_seen_ts, ==, 0);
        }
    }
  g_assert_true (seen_this && seen_other);

  /* Not a list: an error, no crash. */
  fake_homeserver_queue_json (f->server, "GET", "/_matrix/client/v3/devices", 200,
                              "{\"devices\":{\"a\":1}}", FALSE);
  g_ptr_array_unref (devices);
  devices = get_devices (f, NULL, &error);
  g_assert_null (devices);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
}

/* Another user whose keys the server does not know: an empty list; an
 * unknown device cannot be verified. */
static void
test_unknown_device (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = get_devices (f, "@bob:example.org", &error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MatrixVerification) verification = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, 0);

  matrix_client_start_verification_async (f->client, "@bob:example.org", "NOPE", NULL,
                                          store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  verification = matrix_client_start_verification_finish (f->client, result, &error);
  g_assert_null (verification);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_clear_object (&result);

  /* Nor is a user id that is none. */
  matrix_client_start_verification_async (f->client, "not a user", "NOPE", NULL, store_result,
                                          &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  verification = matrix_client_start_verification_finish (f->client, result, &error);
  g_assert_null (verification);
  g_assert_nonnull (error);
}

static void
on_request (MatrixClient       *client,
            MatrixVerification *verification,
            gpointer            user_data)
{
  guint *count = user_data;

  (*count)++;
}

/* Verification events that are garbage or from devices nobody knows come
 * in a sync: no MatrixClient::verification-request, no crash; the sync goes
 * on. */
static void
test_malformed_events (Fixture       *f,
                       gconstpointer  data)
{
  guint requests = 0;
  gulong handler = g_signal_connect (f->client, "verification-request", G_CALLBACK (on_request),
                                     &requests);

  sync_once (f->server, f->client, NULL,
             "{\"next_batch\":\"t1\",\"to_device\":{\"events\":["
             "{\"type\":\"m.key.verification.start\",\"sender\":\"@eve:example.org\","
             "\"content\":{\"transaction_id\":\"T1\",\"from_device\":\"EVE\","
             "\"method\":\"m.sas.v1\",\"key_agreement_protocols\":[\"curve25519-hkdf-sha256\"],"
             "\"hashes\":[\"sha256\"],\"message_authentication_codes\":[\"hkdf-hmac-sha256.v2\"],"
             "\"short_authentication_string\":[\"emoji\"]}},"
             "{\"type\":\"m.key.verification.start\",\"sender\":\"@eve:example.org\","
             "\"content\":{\"transaction_id\":7}},"
             "{\"type\":\"m.key.verification.start\",\"sender\":\"@eve:example.org\","
             "\"content\":{\"transaction_id\":\"\"}},"
             "{\"type\":\"m.key.verification.key\",\"sender\":\"@eve:example.org\","
             "\"content\":{\"transaction_id\":\"T2\",\"key\":\"AAAA\"}},"
             "{\"type\":\"m.key.verification.cancel\",\"sender\":\"@eve:example.org\","
             "\"content\":{\"transaction_id\":\"T1\",\"code\":\"m.user\",\"reason\":\"x\"}}"
             "]},\"device_one_time_keys_count\":{\"signed_curve25519\":50}}");
  iterate_for (300);
  g_assert_cmpuint (requests, ==, 0);
  g_signal_handler_disconnect (f->client, handler);
}

/* Signing out another session: DELETE /devices/{id} answered 401 goes again
 * with the password; this session's own id is refused before any request. */
static void
test_delete_device (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) deletes = NULL;
  g_autoptr(JsonObject) body = NULL;

  fake_homeserver_queue_json (f->server, "DELETE", "/_matrix/client/v3/devices/OTHER", 401,
                              UIA_401, FALSE);
  fake_homeserver_queue_json (f->server, "DELETE", "/_matrix/client/v3/devices/OTHER", 200,
                              "{}", FALSE);
  matrix_client_delete_device_async (f->client, "OTHER", "pw", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  g_assert_true (matrix_client_delete_device_finish (f->client, result, &error));
  g_assert_no_error (error);
  deletes = requests_to (f, "DELETE", "/_matrix/client/v3/devices/OTHER");
  g_assert_cmpuint (deletes->len, ==, 2);
  body = request_body (g_ptr_array_index (deletes, 1));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (body, "auth"),
                                                  "session"), ==, "S1");
  g_clear_object (&result);

  matrix_client_delete_device_async (f->client, MY_DEVICE, "pw", NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, TIMEOUT);
  g_assert_false (matrix_client_delete_device_finish (f->client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/matrix/verification/bootstrap-uia-retry", test_bootstrap_uia);
  ADD ("/matrix/verification/bootstrap-wrong-password", test_bootstrap_wrong_password);
  ADD ("/matrix/verification/bootstrap-uia-unsupported", test_bootstrap_uia_unsupported);
  ADD ("/matrix/verification/devices-own-parsed", test_devices_own);
  ADD ("/matrix/verification/unknown-device", test_unknown_device);
  ADD ("/matrix/verification/malformed-events-ignored", test_malformed_events);
  ADD ("/matrix/verification/delete-device-uia", test_delete_device);
#undef ADD

  return g_test_run ();
}
