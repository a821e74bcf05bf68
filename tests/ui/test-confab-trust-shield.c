/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-trust-shield"

/* Shields on message rows: a decrypted message from a device that is not
 * verified (or not known) shows a warning icon with its tooltip; one from a
 * verified device, or a message that was never encrypted, shows none. The
 * room header's shield stays hidden for a room that is not encrypted. */

#include "confab-event-row.h"
#include "confab-trust-shield.h"
#include "matrix-client-crypto-private.h"
#include "matrix-timeline-private.h"
#include "ui-test-utils.h"

static MatrixEvent *
event_from (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  MatrixEvent *event;

  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  event = matrix_event_new_from_json ("!r:x", json_node_get_object (json_parser_get_root (parser)),
                                      &error);
  g_assert_no_error (error);
  return event;
}

#define ENCRYPTED \
  "{\"type\":\"m.room.encrypted\",\"sender\":\"@bob:x\",\"event_id\":\"$1\"," \
  "\"origin_server_ts\":1700000000000,\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\"," \
  "\"ciphertext\":\"AwgA\",\"session_id\":\"s\",\"sender_key\":\"k\",\"device_id\":\"D\"}}"
#define PLAIN \
  "{\"type\":\"m.room.message\",\"sender\":\"@bob:x\",\"event_id\":\"$1\"," \
  "\"origin_server_ts\":1700000000000,\"content\":{\"msgtype\":\"m.text\",\"body\":\"hello\"}}"

/* The row's shield image. */
static GtkWidget *
shield_of (GtkWidget *row)
{
  GObject *shield = gtk_widget_get_template_child (row, CONFAB_TYPE_EVENT_ROW, "shield_image");

  g_assert_true (GTK_IS_IMAGE (shield));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (shield), "confab-shield"));
  return GTK_WIDGET (shield);
}

static void
decrypt_as (MatrixTimelineItem *item,
            MatrixSenderTrust   trust)
{
  g_autoptr(MatrixEvent) plain = event_from (PLAIN);

  _matrix_decrypted_event_set_sender_trust (plain, trust);
  _matrix_timeline_item_set_decrypted (item, plain);
}

static void
test_row_shield_follows_sender_trust (void)
{
  g_autoptr(MatrixEvent) encrypted = event_from (ENCRYPTED);
  g_autoptr(MatrixTimelineItem) item = _matrix_timeline_item_new_event (encrypted);
  g_autoptr(MatrixEvent) plain = event_from (PLAIN);
  g_autoptr(MatrixTimelineItem) clear_item = _matrix_timeline_item_new_event (plain);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *row = confab_event_row_new ();
  GtkWidget *shield;

  gtk_window_set_child (GTK_WINDOW (window), row);
  gtk_window_present (GTK_WINDOW (window));
  shield = shield_of (row);

  decrypt_as (item, MATRIX_SENDER_TRUST_UNVERIFIED);
  g_assert_cmpint (matrix_timeline_item_get_sender_trust (item), ==,
                   MATRIX_SENDER_TRUST_UNVERIFIED);
  confab_event_row_set_item (CONFAB_EVENT_ROW (row), NULL, item, NULL);
  g_assert_true (gtk_widget_get_visible (shield));
  /* On screen, beside the message. */
  ui_wait_frames (window, 2);
  g_assert_true (gtk_widget_get_mapped (shield));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (shield), ==,
                   "Sent from a session that is not verified");

  /* The device is verified and the row decrypted again: the shield goes. */
  decrypt_as (item, MATRIX_SENDER_TRUST_VERIFIED);
  g_assert_false (gtk_widget_get_visible (shield));

  decrypt_as (item, MATRIX_SENDER_TRUST_UNKNOWN_DEVICE);
  g_assert_true (gtk_widget_get_visible (shield));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (shield), ==,
                   "Sent from an unknown or deleted session");

  /* A message that was never encrypted has no shield. */
  g_assert_cmpint (matrix_timeline_item_get_sender_trust (clear_item), ==,
                   MATRIX_SENDER_TRUST_NONE);
  confab_event_row_set_item (CONFAB_EVENT_ROW (row), NULL, clear_item, NULL);
  g_assert_false (gtk_widget_get_visible (shield));

  confab_event_row_set_item (CONFAB_EVENT_ROW (row), NULL, NULL, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_room_shield_hidden_without_room (void)
{
  GtkWidget *shield = g_object_ref_sink (confab_room_shield_new ());

  confab_room_shield_set_room (CONFAB_ROOM_SHIELD (shield), NULL);
  g_assert_false (gtk_widget_get_visible (shield));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (shield), ==,
                   "This room has members with sessions that are not verified");
  g_object_unref (shield);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add_func ("/confab/trust-shield/row-follows-sender-trust",
                   test_row_shield_follows_sender_trust);
  g_test_add_func ("/confab/trust-shield/room-hidden-without-room",
                   test_room_shield_hidden_without_room);
  return g_test_run ();
}
