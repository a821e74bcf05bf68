/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-crypto"

/* The C↔Rust boundary of end-to-end encryption on hostile bytes. The first
 * byte picks the entry point, the rest is what a server or a sender could
 * put there:
 *
 *  0  an `m.room.encrypted` event to decrypt (forged, garbage, replayed);
 *  1  a sync's to-device events (`to_device_events`, from unknown devices);
 *  2  a `/keys/query` response (an attacker-controlled device list);
 *  3  a `/keys/claim` response;
 *  4  an `EncryptedFile` to decrypt a small file with (mxc_attachment_*).
 *
 * One machine (its store in a temporary folder) serves every input, as one
 * would in the app. Whatever happens, nothing may crash, and a call either
 * succeeds or reports an error: never neither. */

#include <glib/gstdio.h>

#include "matrix-crypto-capi.h"
#include "matrix-crypto-private.h"
#include "matrix-json-private.h"

#include "fuzz-targets.h"

static MatrixCrypto *machine;

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static MatrixCrypto *
get_machine (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  if (machine != NULL)
    return machine;
  dir = g_dir_make_tmp ("confab-fuzz-crypto-XXXXXX", NULL);
  g_assert_nonnull (dir);
  _matrix_crypto_open_async ("@fuzz:example.org", "FUZZDEVICE", dir, "fuzz", NULL,
                             store_result, &result);
  machine = _matrix_crypto_open_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  /* The store stays for the process: libFuzzer never returns. */
  return machine;
}

static void
fuzz_decrypt (JsonObject *event)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) plain = NULL;

  _matrix_crypto_decrypt_async (get_machine (), "!room:example.org", event, NULL, store_result,
                                &result);
  plain = _matrix_crypto_decrypt_finish (machine, wait_result (&result), &error);
  /* Nothing forged decrypts: no session was ever shared with this machine. */
  g_assert_null (plain);
  g_assert_nonnull (error);
}

static void
fuzz_sync_changes (JsonNode *events)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(JsonObject) out = NULL;

  json_object_set_member (changes, "to_device_events", json_node_copy (events));
  _matrix_crypto_receive_sync_changes_async (get_machine (), changes, NULL, store_result,
                                             &result);
  out = _matrix_crypto_receive_sync_changes_finish (machine, wait_result (&result), &error);
  g_assert_true ((out == NULL) != (error == NULL));
}

static void
fuzz_response (const char *type,
               const char *body)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  _matrix_crypto_mark_request_as_sent_async (get_machine (), "fuzz-request", type, body, NULL,
                                             store_result, &result);
  ok = _matrix_crypto_mark_request_as_sent_finish (machine, wait_result (&result), &error);
  g_assert_true (ok == (error == NULL));
}

static void
fuzz_attachment (const char *json)
{
  static const char ciphertext[] = "sixteen bytes...and some more";
  g_autofree char *dir = g_dir_make_tmp ("confab-fuzz-attachment-XXXXXX", NULL);
  g_autofree char *in = g_build_filename (dir, "in", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  char *message = NULL;
  MxcStatus status;

  g_assert_true (g_file_set_contents (in, ciphertext, sizeof ciphertext - 1, NULL));
  status = mxc_attachment_decrypt_file (json, in, out, &message);
  if (status == MXC_OK)
    g_assert_null (message);
  else
    {
      g_assert_nonnull (message);
      /* A failure leaves no plaintext behind. */
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
  mxc_string_free (message);
  g_unlink (out);
  g_unlink (in);
  g_rmdir (dir);
}

void
confab_fuzz_crypto (const guint8 *data,
                    gsize         size)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (size < 1)
    return;
  text = g_strndup ((const char *) data + 1, size - 1);
  if (!g_utf8_validate (text, -1, NULL))
    return;

  switch (data[0] % 5)
    {
    case 0:
      node = json_from_string (text, NULL);
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        fuzz_decrypt (json_node_get_object (node));
      break;
    case 1:
      node = json_from_string (text, NULL);
      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        fuzz_sync_changes (node);
      break;
    case 2:
      fuzz_response ("keys_query", text);
      break;
    case 3:
      fuzz_response ("keys_claim", text);
      break;
    default:
      fuzz_attachment (text);
      break;
    }
}
