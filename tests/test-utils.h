/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "matrix.h"
#include "fake-homeserver.h"

G_BEGIN_DECLS

/* One signal the client emitted, with its arguments. */
typedef struct {
  char      *name;
  char      *room_id;
  GPtrArray *events;
  gboolean   limited;
  char      *prev_batch;
  guint      delay;
} RecordedSignal;

typedef struct _SignalRecorder SignalRecorder;

/* Records the named signals of @client, in order, like the seed's subscriber
 * appending to `messages`. When a signal named in @stop_on arrives, the
 * recorder stops the sync loop from inside the handler, as the seed does. */
SignalRecorder *signal_recorder_new            (MatrixClient       *client,
                                                const char * const *names,
                                                const char * const *stop_on);
void            signal_recorder_free           (SignalRecorder     *self);
GPtrArray      *signal_recorder_get_signals    (SignalRecorder     *self);
/* Iterates the main context until the client stopped syncing; fails the test
 * after @timeout_ms. */
void            signal_recorder_wait_stopped   (SignalRecorder     *self,
                                                guint               timeout_ms);
/* Asserts the recorded signals equal @expected (RecordedSignal*), events
 * compared with matrix_event_equal(). */
void            signal_recorder_assert_equal   (SignalRecorder     *self,
                                                RecordedSignal    **expected,
                                                guint               n_expected);

RecordedSignal *expect_sync_failed             (guint               delay);
RecordedSignal *expect_sync_resumed            (void);
RecordedSignal *expect_room_state_updates      (const char         *room_id,
                                                GPtrArray          *events);
RecordedSignal *expect_room_timeline_updates   (const char         *room_id,
                                                GPtrArray          *events,
                                                gboolean            limited,
                                                const char         *prev_batch);
RecordedSignal *expect_left_room               (const char         *room_id);
void            recorded_signal_free           (RecordedSignal     *signal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignalRecorder, signal_recorder_free)

/* Builds a list of events from a JSON array text, with @room_id; asserts that
 * each one is valid. */
GPtrArray      *events_from_json               (const char         *room_id,
                                                const char         *json_array);

/* A fake clock for the sync loop's waits: records each delay (ms) and fires
 * at once, so backoff tests never sleep. */
typedef struct {
  GArray *delays_ms;
} FakeClock;

FakeClock      *fake_clock_new                 (MatrixClient       *client);
void            fake_clock_free                (FakeClock          *clock);

/* Iterates the thread-default main context until *flag is TRUE, or fails the
 * test after @timeout_ms. */
void            wait_for_flag                  (gboolean           *flag,
                                                guint               timeout_ms);
/* Iterates until @object's pointer at @location becomes non-NULL. */
void            wait_for_pointer               (gpointer           *location,
                                                guint               timeout_ms);
/* Iterates until *counter >= @n. */
void            wait_for_count                 (const guint        *counter,
                                                guint               n,
                                                guint               timeout_ms);
/* Drops the caller's reference to @object and iterates until it is
 * finalized (pending callbacks may still hold it); fails the test otherwise. */
void            unref_and_wait_finalized       (gpointer            object,
                                                guint               timeout_ms);
/* Iterates the thread-default main context until @check (@data) holds;
 * FALSE if @timeout_ms passed first. */
gboolean        test_iterate_until             (gboolean          (*check) (gpointer),
                                                gpointer            data,
                                                guint               timeout_ms);
/* Iterates the main context for @ms of wall time without failing: for tests
 * that assert something does NOT happen. */
void            iterate_for                    (guint               ms);

/* A GAsyncReadyCallback that keeps a reference to the result in
 * *(GAsyncResult **) user_data, to be waited for with wait_for_pointer(). */
void            store_result                   (GObject            *source,
                                                GAsyncResult       *result,
                                                gpointer            user_data);

/* Answers the client's next /sync (since @since; the initial sync when
 * %NULL) with @body, runs the loop until that response is committed, and
 * stops it there. @body must carry a next_batch. */
void            sync_once                      (FakeHomeserver     *server,
                                                MatrixClient       *client,
                                                const char         *since,
                                                const char         *body);

/* Records a GListModel's items-changed emissions as "pos,removed,added". */
typedef struct {
  GListModel *model;
  GPtrArray  *changes;
  gulong      handler;
} ItemsChangedRecorder;

ItemsChangedRecorder *items_changed_recorder_new   (GListModel           *model);
void                  items_changed_recorder_free  (ItemsChangedRecorder *self);
/* Asserts the recorded emissions, as a " " joined string, then forgets them. */
void                  items_changed_recorder_check (ItemsChangedRecorder *self,
                                                    const char           *expected);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ItemsChangedRecorder, items_changed_recorder_free)

/* A memory store holding a logged-in session, like the seed's test storage. */
MatrixStore    *logged_in_store_new            (void);
/* Puts a room's m.room.create (and with @encrypted its m.room.encryption)
 * into @store's state, so the client knows whether it may send there. */
void            store_add_room                 (MatrixStore        *store,
                                                const char         *room_id,
                                                gboolean            encrypted);

/* A gnome-keyring-daemon with an unlocked login keyring on the session bus
 * (a GTestDBus the test has put up), writing only to the test's HOME. */
GSubprocess    *test_keyring_start             (void);

/* Code built with AddressSanitizer (full stack unwinding on every
 * allocation) or run under valgrind (the test setup sets
 * CONFAB_TEST_UNDER_VALGRIND) runs ten to a hundred times slower than the
 * real build, by no fixed factor: a test's time budgets hold for the real
 * build only. A sanitised run still takes every step and asserts what is
 * shown, and prints the times it measured. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_TIME_BUDGETS_APPLY FALSE
#else
#define TEST_TIME_BUDGETS_APPLY (g_getenv ("CONFAB_TEST_UNDER_VALGRIND") == NULL)
#endif

G_END_DECLS
