/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-client-gaps"

/* After downtime a sync's timeline is limited: the client fetches what it
 * left out, back to the stored events, before it emits and commits the
 * sync (matrix-client-gaps.c). */

#include "matrix.h"

#include "fake-homeserver.h"
#include "test-utils.h"

#define ROOM "%21room%3Aexample.org"
#define MESSAGES "/_matrix/client/v3/rooms/" ROOM "/messages"
#define MESSAGES_PATH "/_matrix/client/v3/rooms/!room:example.org/messages"

typedef struct {
  FakeHomeserver         *server;
  MatrixStore            *store;
  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = fake_homeserver_new ();
  f->store = logged_in_store_new ();
  f->client = matrix_client_new (fake_homeserver_get_url (f->server), f->store);
  f->tracker = matrix_room_state_tracker_new (f->client);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  matrix_client_stop_sync (f->client);
  iterate_for (20);
  g_assert_finalize_object (f->tracker);
  g_assert_finalize_object (f->client);
  g_assert_finalize_object (f->store);
  g_assert_cmpuint (fake_homeserver_get_n_unmatched (f->server), ==, 0);
  g_assert_finalize_object (f->server);
}

static char *
message (guint n)
{
  return g_strdup_printf ("{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
                          " \"event_id\": \"$m%u\", \"origin_server_ts\": %u,"
                          " \"content\": {\"msgtype\": \"m.text\", \"body\": \"%u\"}}",
                          n, 1000 + n, n);
}

/* Messages @from down to @to (newest first, as /messages gives them), or
 * up (oldest first, as a sync does), joined with commas. */
static char *
messages (guint from,
          guint to)
{
  GString *out = g_string_new (NULL);
  int step = from > to ? -1 : 1;

  for (int n = from;; n += step)
    {
      g_autofree char *one = message (n);

      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, one);
      if (n == (int) to)
        break;
    }
  return g_string_free (out, FALSE);
}

static char *
room_sync (const char *next_batch,
           const char *state_events,
           const char *timeline_events,
           gboolean    limited,
           const char *prev_batch)
{
  return g_strdup_printf ("{\"next_batch\": \"%s\", \"rooms\": {\"join\": {\"!room:example.org\": {"
                          "\"state\": {\"events\": [%s]},"
                          "\"timeline\": {\"events\": [%s], \"limited\": %s, \"prev_batch\": \"%s\"}}}}}",
                          next_batch, state_events, timeline_events, limited ? "true" : "false",
                          prev_batch);
}

static const char create_event[] =
  "{\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
  " \"event_id\": \"$create\", \"origin_server_ts\": 1000, \"content\": {\"creator\": \"@bob:example.org\"}}";

/* The room with its creation and messages 1 to 3, stored. */
static void
sync_start (Fixture *f)
{
  g_autofree char *first = messages (1, 3);
  g_autofree char *timeline = g_strconcat (create_event, ", ", first, NULL);
  g_autofree char *body = room_sync ("t1", "", timeline, FALSE, "p0");

  sync_once (f->server, f->client, NULL, body);
}

/* The event ids the store holds for the room, in order. */
static char *
stored_ids (MatrixStore *store)
{
  g_autoptr(GPtrArray) events = matrix_store_get_timeline_events (store, "!room:example.org");
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? " " : "",
                            matrix_event_get_event_id (g_ptr_array_index (events, i)));
  return g_string_free (out, FALSE);
}

/* The timeline's rows: event ids, and gap:TOKEN for gaps. */
static char *
timeline_rows (Fixture *f)
{
  MatrixRoom *room = matrix_room_state_tracker_get_room (f->tracker, "!room:example.org");
  GListModel *model = G_LIST_MODEL (matrix_room_get_timeline (room));
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(MatrixTimelineItem) item = g_list_model_get_item (model, i);

      if (out->len > 0)
        g_string_append_c (out, ' ');
      if (matrix_timeline_item_get_kind (item) == MATRIX_TIMELINE_ITEM_GAP)
        g_string_append_printf (out, "gap:%s", matrix_timeline_item_get_gap_token (item));
      else
        g_string_append (out, matrix_event_get_event_id (matrix_timeline_item_get_event (item)));
    }
  return g_string_free (out, FALSE);
}

static void
queue_page (Fixture    *f,
            const char *from,
            guint       newest,
            guint       oldest,
            const char *end)
{
  g_autofree char *path = g_strconcat (MESSAGES "?dir=b&from=", from, "&limit=100", NULL);
  g_autofree char *chunk = messages (newest, oldest);
  g_autofree char *body = NULL;

  if (end != NULL)
    body = g_strdup_printf ("{\"chunk\": [%s], \"start\": \"%s\", \"end\": \"%s\"}", chunk, from, end);
  else
    body = g_strdup_printf ("{\"chunk\": [%s], \"start\": \"%s\"}", chunk, from);
  fake_homeserver_queue_json (f->server, "GET", path, 200, body, FALSE);
}

/* 30 messages were sent while the client was away; the sync brings the
 * last 10, limited. Two pages of /messages bring the other 20 back to $m3,
 * and everything is stored in order and shown without a gap, before the
 * sync token that covers them is committed. */
static void
test_fills_to_stored (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *last = messages (24, 33);
  g_autofree char *body = room_sync ("t2", "", last, TRUE, "p23");
  g_autofree char *stored = NULL;
  g_autofree char *rows = NULL;
  g_autoptr(GString) expected = g_string_new ("$create");

  sync_start (f);
  /* The first page is cut short of the stored events; the second reaches $m3. */
  queue_page (f, "p23", 23, 14, "p13");
  {
    g_autofree char *older = messages (13, 1);
    g_autofree char *page = g_strdup_printf ("{\"chunk\": [%s], \"start\": \"p13\", \"end\": \"p0\"}", older);

    fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p13&limit=100", 200, page, FALSE);
  }
  sync_once (f->server, f->client, "t1", body);

  for (guint n = 1; n <= 33; n++)
    g_string_append_printf (expected, " $m%u", n);
  stored = stored_ids (f->store);
  g_assert_cmpstr (stored, ==, expected->str);
  rows = timeline_rows (f);
  g_assert_cmpstr (rows, ==, expected->str);
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", MESSAGES_PATH), ==, 2);
  g_assert_cmpstr (matrix_store_get_sync_token (f->store), ==, "t2");
}

/* Downtime longer than the budget: what the pages bring is kept, with a gap
 * before it from the last page's end, to load on demand. */
static void
test_budget_leaves_gap (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *last = messages (600, 601);
  g_autofree char *body = room_sync ("t2", "", last, TRUE, "q0");
  g_autofree char *rows = NULL;
  g_autofree char *stored = NULL;
  GString *expected = g_string_new ("$create $m1 $m2 $m3 gap:q5");

  sync_start (f);
  for (guint page = 0; page < 5; page++)
    {
      g_autofree char *from = g_strdup_printf ("q%u", page);
      g_autofree char *end = g_strdup_printf ("q%u", page + 1);

      queue_page (f, from, 599 - page * 100, 500 - page * 100, end);
    }
  sync_once (f->server, f->client, "t1", body);

  for (guint n = 100; n <= 601; n++)
    g_string_append_printf (expected, " $m%u", n);
  rows = timeline_rows (f);
  g_assert_cmpstr (rows, ==, expected->str);
  g_string_free (expected, TRUE);

  /* Stored, and the gap too, so a restart shows it where it is. */
  stored = stored_ids (f->store);
  g_assert_true (g_str_has_prefix (stored, "$create $m1 $m2 $m3 $m100 $m101 "));
  g_assert_true (g_str_has_suffix (stored, " $m599 $m600 $m601"));
  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", MESSAGES_PATH), ==, 5);
}

/* A failed /messages never fails the sync: the gap stays as the sync gave
 * it, and the token is committed. */
static void
test_failure_keeps_gap (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *last = messages (9, 10);
  g_autofree char *body = room_sync ("t2", "", last, TRUE, "p8");
  g_autofree char *rows = NULL;

  sync_start (f);
  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p8&limit=100", 500,
                              "{\"errcode\": \"M_UNKNOWN\", \"error\": \"down\"}", FALSE);
  sync_once (f->server, f->client, "t1", body);

  rows = timeline_rows (f);
  g_assert_cmpstr (rows, ==, "$create $m1 $m2 $m3 gap:p8 $m9 $m10");
  g_assert_cmpstr (matrix_store_get_sync_token (f->store), ==, "t2");
}

/* Garbage in a page: invalid events are left out, the rest is kept. */
static void
test_invalid_page (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *last = messages (6, 6);
  g_autofree char *body = room_sync ("t2", "", last, TRUE, "p5");
  g_autofree char *m5 = message (5);
  g_autofree char *m3 = message (3);
  g_autofree char *page = g_strdup_printf ("{\"chunk\": [%s, 42, {\"type\": 7}, %s], \"end\": \"p2\"}", m5, m3);
  g_autofree char *rows = NULL;

  sync_start (f);
  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p5&limit=100", 200, page, FALSE);
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING, "*messages.chunk[1]: not an object*");
  g_test_expect_message ("matrix-client", G_LOG_LEVEL_WARNING, "*messages.chunk[2]*");
  sync_once (f->server, f->client, "t1", body);
  g_test_assert_expected_messages ();
  rows = timeline_rows (f);
  g_assert_cmpstr (rows, ==, "$create $m1 $m2 $m3 $m5 $m6");
}

/* The sync's state block is the room's state at its timeline's start,
 * which state resolution may have settled on an older event than the last
 * one in the missed timeline (here name A over B). The missed timeline goes
 * out before the state block, so the room ends as the server says. */
static void
test_state_block_wins (Fixture       *f,
                       gconstpointer  data)
{
  static const char name_a[] =
    "{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
    " \"event_id\": \"$nameA\", \"origin_server_ts\": 1500, \"content\": {\"name\": \"A\"}}";
  static const char name_b[] =
    "{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
    " \"event_id\": \"$nameB\", \"origin_server_ts\": 1501, \"content\": {\"name\": \"B\"}}";
  g_autofree char *last = messages (9, 9);
  g_autofree char *body = room_sync ("t2", name_a, last, TRUE, "p8");
  g_autofree char *m3 = message (3);
  g_autofree char *page = g_strdup_printf ("{\"chunk\": [%s, %s, %s], \"end\": \"p2\"}", name_b, name_a, m3);
  g_autofree char *rows = NULL;
  MatrixRoom *room;

  sync_start (f);
  fake_homeserver_queue_json (f->server, "GET", MESSAGES "?dir=b&from=p8&limit=100", 200, page, FALSE);
  sync_once (f->server, f->client, "t1", body);

  room = matrix_room_state_tracker_get_room (f->tracker, "!room:example.org");
  g_assert_cmpstr (matrix_room_get_display_name (room), ==, "A");
  rows = timeline_rows (f);
  g_assert_cmpstr (rows, ==, "$create $m1 $m2 $m3 $nameA $nameB $m9");
}

/* A room the store holds nothing of, and a client told not to, fetch nothing. */
static void
test_nothing_to_connect (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *last = messages (9, 9);
  g_autofree char *body = room_sync ("t1", "", last, TRUE, "p8");
  g_autofree char *later = messages (12, 12);
  g_autofree char *body2 = room_sync ("t2", "", later, TRUE, "p11");
  g_autofree char *rows = NULL;

  sync_once (f->server, f->client, NULL, body);
  matrix_client_set_fill_gaps (f->client, FALSE);
  sync_once (f->server, f->client, "t1", body2);

  g_assert_cmpuint (fake_homeserver_count_requests (f->server, "GET", MESSAGES_PATH), ==, 0);
  rows = timeline_rows (f);
  g_assert_cmpstr (rows, ==, "gap:p8 $m9 gap:p11 $m12");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/matrix/client/gaps/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("filled-back-to-stored-events", test_fills_to_stored);
  ADD ("budget-leaves-a-gap-to-load", test_budget_leaves_gap);
  ADD ("failed-fill-keeps-gap-and-commits", test_failure_keeps_gap);
  ADD ("invalid-events-left-out", test_invalid_page);
  ADD ("state-block-wins-over-missed-state", test_state_block_wins);
  ADD ("nothing-stored-nothing-fetched", test_nothing_to_connect);
#undef ADD

  return g_test_run ();
}
