/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-confab-conversation"

#include "confab-composer.h"
#include "confab-event-row.h"
#include "confab-event-row-actions.h"
#include "confab-read-receipts.h"
#include "confab-room-row.h"
#include "confab-thread-window.h"
#include "confab-timeline-view.h"
#include "confab-window.h"
#include "ui-test-utils.h"
#include "ui-timeline-utils.h"

/* The message menu, the composer's reply and edit modes, and how a
 * conversation shows replies, edits, reactions, threads, mentions, typing
 * and read receipts: against the fake homeserver, checking the requests
 * the library sends for each action. The user is @alice:example.org. */

#define SYNC "/_matrix/client/v3/sync"
#define ROOM "!conv:example.org"
#define ROOM_PATH "/_matrix/client/v3/rooms/" ROOM

#define MEMBER(user, name) \
  "{\"type\":\"m.room.member\",\"state_key\":\"" user "\",\"sender\":\"" user "\"," \
  "\"event_id\":\"$m-" name "\",\"origin_server_ts\":1700000000000," \
  "\"content\":{\"membership\":\"join\",\"displayname\":\"" name "\"}}"
#define MESSAGE(id, sender, ts, body) \
  "{\"type\":\"m.room.message\",\"sender\":\"" sender "\",\"event_id\":\"" id "\"," \
  "\"origin_server_ts\":" ts ",\"content\":{\"msgtype\":\"m.text\",\"body\":\"" body "\"}}"
#define RELATED(id, type, sender, ts, content) \
  "{\"type\":\"" type "\",\"sender\":\"" sender "\",\"event_id\":\"" id "\"," \
  "\"origin_server_ts\":" ts ",\"content\":" content "}"
#define REACTION(id, sender, target, key) \
  RELATED (id, "m.reaction", sender, "1700000500000", \
           "{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":\"" target "\",\"key\":\"" key "\"}}")

#define LONG_BODY \
  "Yes, they look great. The part about the new timeline is what I was waiting for, " \
  "and the notes on search explain a lot more than the last ones did"

static const char *conversation_sync =
  "{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\"" ROOM "\":{"
  "  \"state\":{\"events\":["
  "    {\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"@alice:example.org\","
  "     \"event_id\":\"$create\",\"origin_server_ts\":1700000000000,\"content\":{}},"
  "    {\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@alice:example.org\","
  "     \"event_id\":\"$name\",\"origin_server_ts\":1700000000000,\"content\":{\"name\":\"Release Team\"}},"
  "    " MEMBER ("@alice:example.org", "Alice") "," MEMBER ("@bob:example.org", "Bob") ","
  "    " MEMBER ("@carol:example.org", "Carol") "," MEMBER ("@dave:example.org", "Dave") ","
  "    " MEMBER ("@erin:example.org", "Erin") "]},"
  "  \"timeline\":{\"limited\":false,\"events\":["
  "    " MESSAGE ("$m1", "@bob:example.org", "1700000100000", "Has anyone read the release notes?") ","
  "    " MESSAGE ("$m2", "@alice:example.org", "1700000200000", LONG_BODY) ","
  "    " RELATED ("$m3", "m.room.message", "@carol:example.org", "1700000300000",
                  "{\"msgtype\":\"m.text\",\"body\":\"Which part did you like best?\","
                  "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$m2\"}}}") ","
  "    " RELATED ("$m2-edit", "m.room.message", "@alice:example.org", "1700000350000",
                  "{\"msgtype\":\"m.text\",\"body\":\"* " LONG_BODY "!\","
                  "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"" LONG_BODY "!\"},"
                  "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$m2\"}}") ","
  "    " RELATED ("$m4", "m.room.message", "@bob:example.org", "1700000400000",
                  "{\"msgtype\":\"m.text\",\"body\":\"Alice, could you look at the build?\","
                  "\"format\":\"org.matrix.custom.html\",\"formatted_body\":\"<a href=\\\"https://matrix.to/#/"
                  "@alice:example.org\\\">Alice</a>, could you look at the build?\"}") ","
  "    " REACTION ("$r1", "@bob:example.org", "$m2", "👍") ","
  "    " REACTION ("$r2", "@carol:example.org", "$m2", "👍") ","
  "    " REACTION ("$r3", "@carol:example.org", "$m1", "🎉") ","
  "    " RELATED ("$t1", "m.room.message", "@carol:example.org", "1700000450000",
                  "{\"msgtype\":\"m.text\",\"body\":\"Reading them now\","
                  "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$m1\"}}") ","
  "    " RELATED ("$t2", "m.room.message", "@dave:example.org", "1700000460000",
                  "{\"msgtype\":\"m.text\",\"body\":\"Same here\","
                  "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$m1\"}}") "]},"
  "  \"ephemeral\":{\"events\":["
  "    {\"type\":\"m.typing\",\"content\":{\"user_ids\":[\"@bob:example.org\"]}},"
  "    {\"type\":\"m.receipt\",\"content\":{\"$m4\":{\"m.read\":{"
  "       \"@bob:example.org\":{\"ts\":1700000400001},\"@carol:example.org\":{\"ts\":1700000400002},"
  "       \"@dave:example.org\":{\"ts\":1700000400003},\"@erin:example.org\":{\"ts\":1700000400004}}}}}]},"
  "  \"unread_notifications\":{\"notification_count\":0,\"highlight_count\":1}}"
  "}}}";

typedef struct {
  FakeHomeserver *server;
  MatrixStore    *store;
  MatrixClient   *client;
  FakeClock      *clock;
  ConfabWindow   *window;
  guint           n_synced;
} Fixture;

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           Fixture      *f)
{
  f->n_synced++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  f->clock = fake_clock_new (f->client);
  g_signal_connect (f->client, "synced", G_CALLBACK (on_synced), f);
  fake_homeserver_queue_json (f->server, "POST", ROOM_PATH "/read_markers", 200, "{}", TRUE);

  f->window = confab_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 760);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  matrix_client_stop_sync (f->client);
  iterate_for (50);
  g_signal_handlers_disconnect_by_data (f->client, f);
  g_object_unref (f->client);
  g_object_unref (f->store);
  fake_clock_free (f->clock);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_object_unref (f->server);
}

static gboolean
synced_once (gpointer data)
{
  return ((Fixture *) data)->n_synced >= 1;
}

static void
open_conversation_with (Fixture    *f,
                        const char *sync)
{
  fake_homeserver_queue_json (f->server, "GET", SYNC "?timeout=30000", 200, sync, FALSE);
  fake_homeserver_queue_held (f->server, "GET", SYNC "?since=s1&timeout=30000", 200,
                              "application/json", "{\"next_batch\":\"s1\"}");
  confab_window_set_client (f->window, f->client);
  ui_wait_until (synced_once, f, 5000, "first sync");
  g_assert_true (confab_window_select_room (f->window, ROOM));
  ui_wait_frames (GTK_WIDGET (f->window), 4);
}

static void
open_conversation (Fixture *f)
{
  open_conversation_with (f, conversation_sync);
}

static GtkWidget *
template_child (gpointer    widget,
                GType       type,
                const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static GtkWidget *
row_for (Fixture    *f,
         const char *event_id)
{
  g_autoptr(GPtrArray) rows = ui_find_widgets (confab_window_get_timeline_view (f->window),
                                               CONFAB_TYPE_EVENT_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      MatrixTimelineItem *item = confab_event_row_get_item (rows->pdata[i]);

      if (item != NULL && g_strcmp0 (matrix_timeline_item_get_event_id (item), event_id) == 0)
        return rows->pdata[i];
    }
  g_error ("No row shows %s", event_id);
}

static GtkTextView *
composer_text_view (Fixture *f)
{
  return GTK_TEXT_VIEW (template_child (confab_window_get_composer (f->window),
                                        CONFAB_TYPE_COMPOSER, "text_view"));
}

static char *
composer_text (Fixture *f)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (composer_text_view (f));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* The composer's own key controller, as GTK would call it for the key. */
static gboolean
press_key (Fixture         *f,
           guint            keyval,
           GdkModifierType  state)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (composer_text_view (f)));
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller) &&
          gtk_event_controller_get_propagation_phase (controller) == GTK_PHASE_CAPTURE)
        {
          g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
          return handled;
        }
    }

  g_assert_not_reached ();
}

typedef struct {
  Fixture    *f;
  const char *method;
  const char *prefix;
} RequestWait;

static FakeRequest *
find_request (Fixture    *f,
              const char *method,
              const char *prefix)
{
  GPtrArray *requests = fake_homeserver_get_requests (f->server);

  for (guint i = requests->len; i > 0; i--)
    {
      FakeRequest *request = requests->pdata[i - 1];

      if (g_str_equal (request->method, method) && g_str_has_prefix (request->path, prefix))
        return request;
    }
  return NULL;
}

static gboolean
request_arrived (gpointer data)
{
  RequestWait *wait = data;

  return find_request (wait->f, wait->method, wait->prefix) != NULL;
}

/* Waits for the request and returns its body. */
static JsonObject *
wait_for_request (Fixture    *f,
                  const char *method,
                  const char *prefix)
{
  RequestWait wait = { f, method, prefix };
  JsonNode *body;
  JsonObject *object;

  ui_wait_until (request_arrived, &wait, 5000, prefix);
  body = fake_request_parse_json (find_request (f, method, prefix));
  g_assert_nonnull (body);
  object = json_object_ref (json_node_get_object (body));
  json_node_unref (body);

  return object;
}

static JsonObject *
member_object (JsonObject *object,
               const char *first,
               ...)
{
  va_list args;
  const char *name = first;

  va_start (args, first);
  while (name != NULL)
    {
      g_assert_true (json_object_has_member (object, name));
      object = json_object_get_object_member (object, name);
      name = va_arg (args, const char *);
    }
  va_end (args);

  return object;
}

/* The dialog just presented. */
static AdwMessageDialog *
ui_find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* (transfer none) */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }

  g_assert_not_reached ();
}

/* Opens the row's menu, which enables what it offers for the row's item. */
static gboolean
offered (GtkWidget  *row,
         const char *name)
{
  confab_event_row_menu_popup (CONFAB_EVENT_ROW (row), 10, 10);

  return g_action_group_get_action_enabled (confab_event_row_menu_get_actions (CONFAB_EVENT_ROW (row)),
                                            name);
}

static const char *
row_label (GtkWidget  *row,
           const char *name)
{
  return gtk_label_get_text (GTK_LABEL (template_child (row, CONFAB_TYPE_EVENT_ROW, name)));
}

static gboolean
row_part_visible (GtkWidget  *row,
                  const char *name)
{
  return gtk_widget_get_visible (template_child (row, CONFAB_TYPE_EVENT_ROW, name));
}

/* The chips' labels under @row, in order. */
static GStrv
reaction_chips (GtkWidget *row)
{
  g_autoptr(GPtrArray) buttons = ui_find_widgets (template_child (row, CONFAB_TYPE_EVENT_ROW,
                                                                  "reaction_bar"),
                                                  GTK_TYPE_BUTTON);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < buttons->len; i++)
    g_strv_builder_add (builder, gtk_button_get_label (buttons->pdata[i]));

  return g_strv_builder_end (builder);
}

static GtkWidget *
reaction_chip (GtkWidget  *row,
               const char *label)
{
  g_autoptr(GPtrArray) buttons = ui_find_widgets (template_child (row, CONFAB_TYPE_EVENT_ROW,
                                                                  "reaction_bar"),
                                                  GTK_TYPE_BUTTON);

  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (buttons->pdata[i]), label) == 0)
      return buttons->pdata[i];

  return NULL;
}

static GPtrArray *
labels_under (GtkWidget *widget)
{
  return ui_find_widgets (widget, GTK_TYPE_LABEL);
}

static gboolean
has_label (GtkWidget  *widget,
           const char *text)
{
  g_autoptr(GPtrArray) labels = labels_under (widget);

  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (gtk_label_get_text (labels->pdata[i]), text) == 0)
      return TRUE;

  return FALSE;
}

/* Everything a conversation shows, as people have it, and a screenshot of it. */
static void
test_conversation_shown (Fixture       *f,
                         gconstpointer  data)
{
  GtkWidget *row, *quote, *composer;
  g_auto(GStrv) chips = NULL;
  g_autoptr(GPtrArray) avatars = NULL;
  g_autoptr(GPtrArray) room_rows = NULL;
  g_autofree char *png = NULL;

  open_conversation (f);

  /* The reply quotes who it answers and the start of what they wrote (as
   * edited), never all of it. */
  row = row_for (f, "$m3");
  quote = template_child (row, CONFAB_TYPE_EVENT_ROW, "reply_quote");
  g_assert_true (gtk_widget_get_visible (quote));
  g_assert_true (has_label (quote, "Alice"));
  g_assert_true (has_label (quote, "Yes, they look great. The part about the new timeline is what "
                                   "I was waiting for,…"));
  g_assert_cmpstr (row_label (row, "body_label"), ==, "Which part did you like best?");
  g_assert_false (row_part_visible (row, "edited_label"));

  /* The edit in place, marked; its reactions as chips, with who reacted. */
  row = row_for (f, "$m2");
  g_assert_cmpstr (row_label (row, "body_label"), ==, LONG_BODY "!");
  g_assert_true (row_part_visible (row, "edited_label"));
  g_assert_false (gtk_widget_get_visible (template_child (row, CONFAB_TYPE_EVENT_ROW, "reply_quote")));
  chips = reaction_chips (row);
  g_assert_cmpstrv (chips, ((const char *[]) { "👍 2", NULL }));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (reaction_chip (row, "👍 2")), ==,
                   "Bob, Carol reacted with 👍");
  g_assert_false (gtk_widget_has_css_class (reaction_chip (row, "👍 2"), "own"));
  g_assert_false (gtk_widget_has_css_class (row, "confab-mention"));

  /* The thread root counts its replies, with the newest; they are no rows. */
  row = row_for (f, "$m1");
  g_assert_true (row_part_visible (row, "thread_label"));
  g_assert_cmpstr (row_label (row, "thread_label"), ==, "2 replies · Dave: Same here");

  /* A message naming the user stands out; the room list counts mentions
   * apart from unread messages. */
  row = row_for (f, "$m4");
  g_assert_true (gtk_widget_has_css_class (row, "confab-mention"));
  room_rows = ui_find_widgets (GTK_WIDGET (f->window), CONFAB_TYPE_ROOM_ROW);
  g_assert_cmpuint (room_rows->len, ==, 1);
  g_assert_true (gtk_widget_get_visible (template_child (room_rows->pdata[0], CONFAB_TYPE_ROOM_ROW,
                                                         "mention_label")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (template_child (room_rows->pdata[0],
                                                                  CONFAB_TYPE_ROOM_ROW,
                                                                  "mention_label"))), ==, "@1");
  g_assert_false (gtk_widget_get_visible (template_child (room_rows->pdata[0], CONFAB_TYPE_ROOM_ROW,
                                                          "badge_label")));

  /* Four members read up to $m4: three circles and "+1". */
  g_assert_true (row_part_visible (row, "receipts_box"));
  avatars = ui_find_widgets (template_child (row, CONFAB_TYPE_EVENT_ROW, "receipts_box"),
                             ADW_TYPE_AVATAR);
  g_assert_cmpuint (avatars->len, ==, CONFAB_MAX_RECEIPT_AVATARS);
  g_assert_true (has_label (template_child (row, CONFAB_TYPE_EVENT_ROW, "receipts_box"), "+1"));
  g_assert_false (row_part_visible (row_for (f, "$m3"), "receipts_box"));

  /* Who is typing, under the timeline. */
  composer = confab_window_get_composer (f->window);
  g_assert_true (has_label (composer, "Bob is typing…"));

  png = ui_save_png (GTK_WIDGET (f->window), "conversation.png");
}

/* Reply from the menu: the composer says so, and the message sent is a
 * reply to it (m.in_reply_to, its sender mentioned). */
static void
test_menu_reply (Fixture       *f,
                 gconstpointer  data)
{
  GtkWidget *composer, *row;
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *png = NULL;
  JsonArray *user_ids;

  open_conversation (f);
  composer = confab_window_get_composer (f->window);
  row = row_for (f, "$m3");
  g_assert_true (offered (row, "reply"));
  g_assert_true (offered (row, "react"));
  g_assert_false (offered (row, "edit"));
  g_assert_false (offered (row, "delete"));
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  png = ui_save_png (GTK_WIDGET (f->window), "message-menu.png");

  gtk_widget_activate_action (row, "message.reply", NULL);
  g_assert_true (ui_child_visible (composer, CONFAB_TYPE_COMPOSER, "mode_box"));
  g_assert_cmpstr (ui_child_label (composer, CONFAB_TYPE_COMPOSER, "mode_label"), ==, "Replying to Carol");

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer_text_view (f)), "The timeline", -1);
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\":\"$reply\"}", FALSE);
  g_assert_true (press_key (f, GDK_KEY_Return, 0));
  g_assert_false (ui_child_visible (composer, CONFAB_TYPE_COMPOSER, "mode_box"));

  body = wait_for_request (f, "PUT", ROOM_PATH "/send/m.room.message/");
  g_assert_cmpstr (json_object_get_string_member (body, "body"), ==, "The timeline");
  g_assert_cmpstr (json_object_get_string_member (member_object (body, "m.relates_to", "m.in_reply_to", NULL),
                                                  "event_id"), ==, "$m3");
  user_ids = json_object_get_array_member (member_object (body, "m.mentions", NULL), "user_ids");
  g_assert_cmpuint (json_array_get_length (user_ids), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (user_ids, 0), ==, "@carol:example.org");
}

/* Edit from the menu, only for the user's own messages: the composer
 * holds the text, and what is sent replaces it (m.new_content). */
static void
test_menu_edit (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *composer, *row;
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *text = NULL;
  JsonObject *relates_to;

  open_conversation (f);
  composer = confab_window_get_composer (f->window);
  g_assert_false (offered (row_for (f, "$m1"), "edit"));
  row = row_for (f, "$m2");
  g_assert_true (offered (row, "edit"));

  gtk_widget_activate_action (row, "message.edit", NULL);
  g_assert_cmpstr (ui_child_label (composer, CONFAB_TYPE_COMPOSER, "mode_label"), ==, "Editing");
  text = composer_text (f);
  g_assert_cmpstr (text, ==, LONG_BODY "!");

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer_text_view (f)), "They look great", -1);
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\":\"$edit2\"}", FALSE);
  g_assert_true (press_key (f, GDK_KEY_Return, 0));

  body = wait_for_request (f, "PUT", ROOM_PATH "/send/m.room.message/");
  g_assert_cmpstr (json_object_get_string_member (body, "body"), ==, "* They look great");
  g_assert_cmpstr (json_object_get_string_member (member_object (body, "m.new_content", NULL), "body"),
                   ==, "They look great");
  relates_to = member_object (body, "m.relates_to", NULL);
  g_assert_cmpstr (json_object_get_string_member (relates_to, "rel_type"), ==, "m.replace");
  g_assert_cmpstr (json_object_get_string_member (relates_to, "event_id"), ==, "$m2");
  g_assert_false (ui_child_visible (composer, CONFAB_TYPE_COMPOSER, "mode_box"));
}

static gboolean
chip_is_own (gpointer data)
{
  GtkWidget *row = data;
  GtkWidget *chip = reaction_chip (row, "👍 3");

  return chip != NULL && gtk_widget_has_css_class (chip, "own") &&
         matrix_timeline_item_get_event_id (confab_event_row_get_item (CONFAB_EVENT_ROW (row))) != NULL;
}

typedef struct {
  GtkWidget  *row;
  const char *key;
} OwnReaction;

static gboolean
own_reaction_sent (gpointer data)
{
  OwnReaction *own = data;
  GListModel *reactions = matrix_timeline_item_get_reactions (confab_event_row_get_item (CONFAB_EVENT_ROW (own->row)));

  for (guint i = 0; i < g_list_model_get_n_items (reactions); i++)
    {
      g_autoptr(MatrixReaction) reaction = g_list_model_get_item (reactions, i);

      if (g_str_equal (matrix_reaction_get_key (reaction), own->key))
        return matrix_reaction_get_own_event_id (reaction) != NULL;
    }
  return FALSE;
}

/* A quick reaction from the menu is sent as an annotation and shown as
 * the user's at once; a click on the chip takes it back (a redaction of
 * the reaction event). */
static void
test_menu_react_and_take_back (Fixture       *f,
                               gconstpointer  data)
{
  GtkWidget *row;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) redaction = NULL;
  JsonObject *relates_to;
  OwnReaction own;

  open_conversation (f);
  row = row_for (f, "$m2");
  g_assert_true (offered (row, "react"));
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.reaction/*", 200,
                              "{\"event_id\":\"$mine\"}", FALSE);
  gtk_widget_activate_action (row, "message.react", "s", "👍");
  ui_wait_until (chip_is_own, row, 5000, "own reaction shown");

  body = wait_for_request (f, "PUT", ROOM_PATH "/send/m.reaction/");
  relates_to = member_object (body, "m.relates_to", NULL);
  g_assert_cmpstr (json_object_get_string_member (relates_to, "rel_type"), ==, "m.annotation");
  g_assert_cmpstr (json_object_get_string_member (relates_to, "event_id"), ==, "$m2");
  g_assert_cmpstr (json_object_get_string_member (relates_to, "key"), ==, "👍");
  own = (OwnReaction) { row, "👍" };
  ui_wait_until (own_reaction_sent, &own, 5000, "reaction sent");

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/redact/%24mine/*", 200,
                              "{\"event_id\":\"$unreact\"}", FALSE);
  g_signal_emit_by_name (reaction_chip (row, "👍 3"), "clicked");
  redaction = wait_for_request (f, "PUT", ROOM_PATH "/redact/$mine/");
  g_assert_cmpuint (json_object_get_size (redaction), ==, 0);
}

/* Delete asks first: cancelling sends nothing; deleting sends the
 * redaction with the reason given. */
static void
test_menu_delete_asks_first (Fixture       *f,
                             gconstpointer  data)
{
  GtkWidget *row;
  AdwMessageDialog *dialog;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GPtrArray) entries = NULL;

  open_conversation (f);
  g_assert_false (offered (row_for (f, "$m1"), "delete"));
  row = row_for (f, "$m2");
  g_assert_true (offered (row, "delete"));

  gtk_widget_activate_action (row, "message.delete", NULL);
  dialog = ui_find_message_dialog ();
  adw_message_dialog_response (dialog, "cancel");
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  g_assert_null (find_request (f, "PUT", ROOM_PATH "/redact/"));

  gtk_widget_activate_action (row, "message.delete", NULL);
  dialog = ui_find_message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Delete Message?");
  entries = ui_find_widgets (GTK_WIDGET (dialog), GTK_TYPE_ENTRY);
  g_assert_cmpuint (entries->len, ==, 1);
  gtk_editable_set_text (GTK_EDITABLE (entries->pdata[0]), "Wrong room");
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/redact/%24m2/*", 200,
                              "{\"event_id\":\"$gone\"}", FALSE);
  adw_message_dialog_response (dialog, "delete");

  body = wait_for_request (f, "PUT", ROOM_PATH "/redact/$m2/");
  g_assert_cmpstr (json_object_get_string_member (body, "reason"), ==, "Wrong room");
  g_assert_cmpuint (json_object_get_size (body), ==, 1);
}

typedef struct {
  char     *text;
  gboolean  done;
} ClipboardRead;

static void
on_clipboard_read (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClipboardRead *read = user_data;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  read->done = TRUE;
}

static gboolean
clipboard_read (gpointer data)
{
  return ((ClipboardRead *) data)->done;
}

static char *
clipboard_text (GtkWidget *widget)
{
  ClipboardRead read = { NULL, FALSE };

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, on_clipboard_read, &read);
  ui_wait_until (clipboard_read, &read, 5000, "clipboard read");
  return read.text;
}

/* Copy Text puts the message's text (as edited) in the clipboard; Copy
 * Link a matrix.to link to the event. */
static void
test_menu_copies (Fixture       *f,
                  gconstpointer  data)
{
  GtkWidget *row;
  g_autofree char *text = NULL;
  g_autofree char *link = NULL;

  open_conversation (f);
  row = row_for (f, "$m2");
  g_assert_true (offered (row, "copy-text"));
  gtk_widget_activate_action (row, "message.copy-text", NULL);
  text = clipboard_text (row);
  g_assert_cmpstr (text, ==, LONG_BODY "!");

  g_assert_true (offered (row, "copy-link"));
  gtk_widget_activate_action (row, "message.copy-link", NULL);
  link = clipboard_text (row);
  g_assert_cmpstr (link, ==, "https://matrix.to/#/!conv:example.org/$m2");

  /* View Source shows the event's JSON. */
  g_assert_true (offered (row, "view-source"));
  gtk_widget_activate_action (row, "message.view-source", NULL);
  {
    AdwMessageDialog *dialog = ui_find_message_dialog ();
    g_autoptr(GPtrArray) labels = ui_find_widgets (GTK_WIDGET (dialog), GTK_TYPE_LABEL);
    gboolean found = FALSE;

    for (guint i = 0; i < labels->len; i++)
      found |= strstr (gtk_label_get_text (labels->pdata[i]), "\"event_id\" : \"$m2\"") != NULL;
    g_assert_true (found);
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
}

/* Up in an empty composer edits the user's last message; Escape leaves
 * edit mode (and its text) and reply mode. */
static void
test_composer_up_and_escape (Fixture       *f,
                             gconstpointer  data)
{
  GtkWidget *composer;
  g_autofree char *text = NULL;
  g_autofree char *left = NULL;
  g_autofree char *kept = NULL;

  open_conversation (f);
  composer = confab_window_get_composer (f->window);

  /* Not while something is written: Up moves the cursor then. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer_text_view (f)), "draft", -1);
  g_assert_false (press_key (f, GDK_KEY_Up, 0));
  g_assert_false (ui_child_visible (composer, CONFAB_TYPE_COMPOSER, "mode_box"));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer_text_view (f)), "", -1);

  g_assert_true (press_key (f, GDK_KEY_Up, 0));
  g_assert_true (ui_child_visible (composer, CONFAB_TYPE_COMPOSER, "mode_box"));
  g_assert_cmpstr (ui_child_label (composer, CONFAB_TYPE_COMPOSER, "mode_label"), ==, "Editing");
  text = composer_text (f);
  g_assert_cmpstr (text, ==, LONG_BODY "!");

  g_assert_true (press_key (f, GDK_KEY_Escape, 0));
  g_assert_false (ui_child_visible (composer, CONFAB_TYPE_COMPOSER, "mode_box"));
  left = composer_text (f);
  g_assert_cmpstr (left, ==, "");
  /* Nothing to cancel: Escape is not the composer's. */
  g_assert_false (press_key (f, GDK_KEY_Escape, 0));

  /* A reply keeps what was written when cancelled. */
  gtk_widget_activate_action (row_for (f, "$m1"), "message.reply", NULL);
  g_assert_cmpstr (ui_child_label (composer, CONFAB_TYPE_COMPOSER, "mode_label"), ==, "Replying to Bob");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer_text_view (f)), "Not yet", -1);
  g_assert_true (press_key (f, GDK_KEY_Escape, 0));
  g_assert_false (ui_child_visible (composer, CONFAB_TYPE_COMPOSER, "mode_box"));
  kept = composer_text (f);
  g_assert_cmpstr (kept, ==, "Not yet");
  g_assert_null (find_request (f, "PUT", ROOM_PATH "/send/"));
}

static void
type_text (Fixture    *f,
           const char *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (composer_text_view (f));
  GtkTextIter end;

  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, text, -1);
  gtk_text_buffer_end_user_action (buffer);
}

static guint
count_typing (Fixture *f)
{
  return fake_homeserver_count_requests (f->server, "PUT", ROOM_PATH "/typing/@alice:example.org");
}

static gboolean
n_typing_is (gpointer data)
{
  Fixture *f = data;

  return count_typing (f) == GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (f->window), "n"));
}

static void
wait_typing (Fixture *f,
             guint    n)
{
  g_object_set_data (G_OBJECT (f->window), "n", GUINT_TO_POINTER (n));
  ui_wait_until (n_typing_is, f, 5000, "typing request");
}

/* Typing tells the room once (not at each key), and emptying the
 * composer says the user stopped. */
static void
test_composer_sends_typing (Fixture       *f,
                            gconstpointer  data)
{
  GtkTextBuffer *buffer;
  g_autoptr(JsonObject) body = NULL;

  open_conversation (f);
  buffer = gtk_text_view_get_buffer (composer_text_view (f));
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/typing/@alice:example.org", 200, "{}", TRUE);

  type_text (f, "H");
  type_text (f, "i");
  wait_typing (f, 1);
  body = wait_for_request (f, "PUT", ROOM_PATH "/typing/");
  g_assert_true (json_object_get_boolean_member (body, "typing"));
  g_assert_cmpint (json_object_get_int_member (body, "timeout"), ==, 30000);
  g_clear_pointer (&body, json_object_unref);
  ui_wait_frames (GTK_WIDGET (f->window), 2);
  g_assert_cmpuint (count_typing (f), ==, 1);

  {
    GtkTextIter start, end;

    gtk_text_buffer_begin_user_action (buffer);
    gtk_text_buffer_get_bounds (buffer, &start, &end);
    gtk_text_buffer_delete (buffer, &start, &end);
    gtk_text_buffer_end_user_action (buffer);
  }
  wait_typing (f, 2);
  body = wait_for_request (f, "PUT", ROOM_PATH "/typing/");
  g_assert_false (json_object_get_boolean_member (body, "typing"));
}

static gboolean
two_sends (gpointer data)
{
  Fixture *f = data;
  GPtrArray *requests = fake_homeserver_get_requests (f->server);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = requests->pdata[i];

      n += g_str_equal (request->method, "PUT") &&
           g_str_has_prefix (request->path, ROOM_PATH "/send/m.room.message/");
    }
  return n >= 2;
}

/* "@" and the start of a name lists the members it matches; Tab puts the
 * name in. The message mentions them (m.mentions, a pill in the formatted
 * body), and its Markdown is rendered; a message without formatting has no
 * formatted body. */
static void
test_composer_mentions_and_markdown (Fixture       *f,
                                     gconstpointer  data)
{
  GtkWidget *composer;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) plain = NULL;
  g_autofree char *text = NULL;
  JsonArray *user_ids;

  open_conversation (f);
  composer = confab_window_get_composer (f->window);
  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/typing/@alice:example.org", 200, "{}", TRUE);

  type_text (f, "@ca");
  g_assert_true (press_key (f, GDK_KEY_Tab, 0));
  text = composer_text (f);
  g_assert_cmpstr (text, ==, "Carol ");
  type_text (f, "please **look**");

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\":\"$md\"}", FALSE);
  g_assert_true (press_key (f, GDK_KEY_Return, 0));
  body = wait_for_request (f, "PUT", ROOM_PATH "/send/m.room.message/");
  g_assert_cmpstr (json_object_get_string_member (body, "body"), ==, "Carol please **look**");
  g_assert_cmpstr (json_object_get_string_member (body, "format"), ==, "org.matrix.custom.html");
  g_assert_cmpstr (json_object_get_string_member (body, "formatted_body"), ==,
                   "<p><a href=\"https://matrix.to/#/@carol:example.org\">Carol</a> please "
                   "<strong>look</strong></p>");
  user_ids = json_object_get_array_member (member_object (body, "m.mentions", NULL), "user_ids");
  g_assert_cmpuint (json_array_get_length (user_ids), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (user_ids, 0), ==, "@carol:example.org");
  (void) composer;

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\":\"$plain\"}", FALSE);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer_text_view (f)), "just text", -1);
  g_assert_true (press_key (f, GDK_KEY_Return, 0));
  ui_wait_until (two_sends, f, 5000, "second send");
  plain = wait_for_request (f, "PUT", ROOM_PATH "/send/m.room.message/");
  g_assert_cmpstr (json_object_get_string_member (plain, "body"), ==, "just text");
  g_assert_false (json_object_has_member (plain, "formatted_body"));
  g_assert_false (json_object_has_member (plain, "format"));
}

/* With the fully-read marker in the timeline, "New messages" is above the
 * first message from others after it ($m3; $m2 is the user's own), not
 * where the notification count alone would put it ($m4, the last one). */
static void
test_divider_at_fully_read_marker (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GString) sync = g_string_new (conversation_sync);
  GtkWidget *row;
  double top;

  g_assert_cmpuint (g_string_replace (sync, "\"notification_count\":0",
                                      "\"notification_count\":1", 1), ==, 1);
  g_assert_cmpuint (g_string_replace (sync, "\"ephemeral\":{",
                                      "\"account_data\":{\"events\":[{\"type\":\"m.fully_read\","
                                      "\"content\":{\"event_id\":\"$m1\"}}]},\"ephemeral\":{", 1), ==, 1);
  open_conversation_with (f, sync->str);

  row = ui_timeline_divider_row (f->window, &top);
  g_assert_nonnull (row);
  g_assert_cmpstr (matrix_timeline_item_get_event_id (confab_event_row_get_item (CONFAB_EVENT_ROW (row))),
                   ==, "$m3");
}

static gboolean
thread_window_open (gpointer data)
{
  ConfabThreadWindow **window = data;
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) toplevel = g_list_model_get_item (toplevels, i);

      if (CONFAB_IS_THREAD_WINDOW (toplevel))
        {
          *window = CONFAB_THREAD_WINDOW (toplevel);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
thread_has_four (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (confab_thread_window_get_thread (data))) == 4;
}

static gboolean
thread_has_five (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (confab_thread_window_get_thread (data))) == 5;
}

static FakeRequest *
thread_reply_request (Fixture *f)
{
  GPtrArray *requests = fake_homeserver_get_requests (f->server);

  for (guint i = 0; i < requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (requests, i);

      if (g_str_equal (request->method, "PUT") &&
          g_str_has_prefix (request->path, "/_matrix/client/v3/rooms/!conv:example.org/send/"))
        return request;
    }
  return NULL;
}

static gboolean
thread_reply_sent (gpointer data)
{
  return thread_reply_request (data) != NULL;
}

/* The thread summary opens the thread in a window of its own: the root,
 * the replies the timeline saw and the older one the server has; an answer
 * typed there goes into the thread (m.thread, the fallback to its newest). */
static void
test_thread_window (Fixture       *f,
                    gconstpointer  data)
{
  ConfabThreadWindow *window = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(JsonNode) sent = NULL;
  g_autofree char *png = NULL;
  GtkWidget *row, *button;
  FakeRequest *request;
  JsonObject *relates_to;

  open_conversation (f);
  fake_homeserver_queue_json (f->server, "GET",
    "/_matrix/client/v1/rooms/%21conv%3Aexample.org/relations/%24m1/m.thread?dir=b&limit=50", 200,
    "{\"chunk\":["
    RELATED ("$t2", "m.room.message", "@dave:example.org", "1700000460000",
             "{\"msgtype\":\"m.text\",\"body\":\"Same here\","
             "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$m1\"}}") ","
    RELATED ("$t1", "m.room.message", "@carol:example.org", "1700000450000",
             "{\"msgtype\":\"m.text\",\"body\":\"Reading them now\","
             "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$m1\"}}") ","
    RELATED ("$t0", "m.room.message", "@erin:example.org", "1700000120000",
             "{\"msgtype\":\"m.text\",\"body\":\"Not yet, where are they?\","
             "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$m1\"}}") "]}", FALSE);

  row = row_for (f, "$m1");
  button = template_child (row, CONFAB_TYPE_EVENT_ROW, "thread_button");
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Open the thread");
  g_signal_emit_by_name (button, "clicked");
  ui_wait_until (thread_window_open, &window, 5000, "the thread's window");
  ui_wait_until (thread_has_four, window, 5000, "the thread read from the server");
  ui_wait_frames (GTK_WIDGET (window), 3);

  g_assert_true (has_label (GTK_WIDGET (window), "Has anyone read the release notes?"));
  g_assert_true (has_label (GTK_WIDGET (window), "Not yet, where are they?"));
  g_assert_true (has_label (GTK_WIDGET (window), "Erin"));
  g_assert_true (has_label (GTK_WIDGET (window), "Same here"));

  fake_homeserver_queue_json (f->server, "PUT", ROOM_PATH "/send/m.room.message/*", 200,
                              "{\"event_id\":\"$t3\"}", FALSE);
  entries = ui_find_widgets (GTK_WIDGET (window), GTK_TYPE_ENTRY);
  g_assert_cmpuint (entries->len, ==, 1);
  gtk_editable_set_text (GTK_EDITABLE (entries->pdata[0]), "Here they are");
  g_signal_emit_by_name (entries->pdata[0], "activate");
  ui_wait_until (thread_has_five, window, 5000, "our answer in the thread");
  ui_wait_until (thread_reply_sent, f, 5000, "the answer sent");
  request = thread_reply_request (f);
  sent = fake_request_parse_json (request);
  relates_to = json_object_get_object_member (json_node_get_object (sent), "m.relates_to");
  g_assert_cmpstr (json_object_get_string_member (relates_to, "rel_type"), ==, "m.thread");
  g_assert_cmpstr (json_object_get_string_member (relates_to, "event_id"), ==, "$m1");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (relates_to,
                                                                                  "m.in_reply_to"),
                                                  "event_id"), ==, "$t2");
  g_assert_true (has_label (GTK_WIDGET (window), "Here they are"));
  ui_wait_frames (GTK_WIDGET (window), 3);
  png = ui_save_png (GTK_WIDGET (window), "thread.png");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add ("/confab/conversation/shown", Fixture, NULL,
              fixture_setup, test_conversation_shown, fixture_teardown);
  g_test_add ("/confab/conversation/thread-window", Fixture, NULL,
              fixture_setup, test_thread_window, fixture_teardown);
  g_test_add ("/confab/conversation/divider-at-fully-read-marker", Fixture, NULL,
              fixture_setup, test_divider_at_fully_read_marker, fixture_teardown);
  g_test_add ("/confab/conversation/menu/reply", Fixture, NULL,
              fixture_setup, test_menu_reply, fixture_teardown);
  g_test_add ("/confab/conversation/menu/edit-own-only", Fixture, NULL,
              fixture_setup, test_menu_edit, fixture_teardown);
  g_test_add ("/confab/conversation/menu/react-and-take-back", Fixture, NULL,
              fixture_setup, test_menu_react_and_take_back, fixture_teardown);
  g_test_add ("/confab/conversation/menu/delete-asks-first", Fixture, NULL,
              fixture_setup, test_menu_delete_asks_first, fixture_teardown);
  g_test_add ("/confab/conversation/menu/copy-text-link-and-source", Fixture, NULL,
              fixture_setup, test_menu_copies, fixture_teardown);
  g_test_add ("/confab/conversation/composer/up-edits-escape-cancels", Fixture, NULL,
              fixture_setup, test_composer_up_and_escape, fixture_teardown);
  g_test_add ("/confab/conversation/composer/mentions-and-markdown", Fixture, NULL,
              fixture_setup, test_composer_mentions_and_markdown, fixture_teardown);
  g_test_add ("/confab/conversation/composer/sends-typing", Fixture, NULL,
              fixture_setup, test_composer_sends_typing, fixture_teardown);

  return g_test_run ();
}
