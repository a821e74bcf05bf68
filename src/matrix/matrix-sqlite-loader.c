/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-sqlite-store"

/* Reading MatrixSqliteStore's file into memory, on the writer thread:
 * whole at open, or (lazy) the room list's part first and rooms on demand. */

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "matrix-json-private.h"
#include "matrix-room-private.h"
#include "matrix-secret-private.h"
#include "matrix-sqlite-store-private.h"

const char * const _matrix_sqlite_summary_strings[N_SUMMARY_STRINGS] = {
  "display_name", "topic", "avatar_url", "last_message", "inviter",
};

/* --- memory caches, main thread (or the writer while opening) ----------- */

void
_matrix_sqlite_store_cache_set_state (MatrixSqliteStore *self,
                 MatrixStateEvent  *event)
{
  _matrix_store_cache_set_state (self->cache, event);
}

gboolean
_matrix_sqlite_store_cache_add_event (MatrixSqliteStore *self,
                 const char        *room_id,
                 MatrixEvent       *event)
{
  return _matrix_store_cache_add_event (self->cache, room_id, event);
}

/* Keeps the newest timeline_limit events in memory, as on disk. */
void
_matrix_sqlite_store_cache_trim_timeline (MatrixSqliteStore *self,
                     const char        *room_id)
{
  _matrix_store_cache_trim_timeline (self->cache, room_id, self->timeline_limit);
}

/* --- opening, on the writer thread --------------------------------------- */

static JsonObject *
object_from_text (const char  *text,
                  GError     **error)
{
  if (text == NULL)
    {
      g_set_error_literal (error, MATRIX_SQLITE_STORE_ERROR, MATRIX_SQLITE_STORE_ERROR_FAILED,
                           "No JSON");
      return NULL;
    }

  return _matrix_json_parse_object (text, -1, error);
}

static MatrixEvent *
event_from_text (const char  *text,
                 GError     **error)
{
  if (text == NULL)
    {
      g_set_error_literal (error, MATRIX_SQLITE_STORE_ERROR, MATRIX_SQLITE_STORE_ERROR_FAILED,
                           "No JSON");
      return NULL;
    }

  return _matrix_event_new_from_text (text, -1, NULL, error);
}

/* Rows of events, parsed on several threads: parsing is most of the time a
 * large store takes to open. */
/* The chunks of a parse still running, and how the parsing thread waits
 * for the pool's. */
typedef struct {
  GMutex lock;
  GCond  cond;
  guint  running;
} ParseWait;

typedef struct {
  char        **room_ids;
  char        **texts;
  MatrixEvent **events;
  guint         first;
  guint         last;
  ParseWait    *wait;
} ParseChunk;

static void
parse_chunk (ParseChunk *chunk)
{
  for (guint i = chunk->first; i < chunk->last; i++)
    {
      g_autoptr(GError) error = NULL;

      chunk->events[i] = event_from_text (chunk->texts[i], &error);
      if (chunk->events[i] == NULL)
        g_warning ("Left out a stored event of %s: %s", chunk->room_ids[i], error->message);
    }
}

static void
parse_chunk_in_pool (gpointer data,
                     gpointer user_data)
{
  ParseChunk *chunk = data;

  parse_chunk (chunk);
  g_mutex_lock (&chunk->wait->lock);
  if (--chunk->wait->running == 0)
    g_cond_signal (&chunk->wait->cond);
  g_mutex_unlock (&chunk->wait->lock);
}

#define MAX_PARSE_THREADS 8

/* One pool for every store of the process, shared with GLib's other
 * non-exclusive pools: threads are made once and kept for the next open. */
static GThreadPool *
parse_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, g_thread_pool_new (parse_chunk_in_pool, NULL,
                                                 MAX_PARSE_THREADS - 1, FALSE, NULL));
  return pool;
}

/* Parses stored events, on the pool's threads as well as this one when
 * there are many: an event is parsed where it is made, and only handed
 * over once its chunk is done. */
static MatrixEvent **
parse_events (GPtrArray *room_ids,
              GPtrArray *texts)
{
  guint n = texts->len;
  guint n_chunks = CLAMP (g_get_num_processors (), 1, MAX_PARSE_THREADS);
  MatrixEvent **events = g_new0 (MatrixEvent *, n + 1);
  ParseChunk chunks[MAX_PARSE_THREADS];
  ParseWait wait;

  if (n < 1000)
    n_chunks = 1;

  g_mutex_init (&wait.lock);
  g_cond_init (&wait.cond);
  wait.running = n_chunks - 1;

  for (guint t = 0; t < n_chunks; t++)
    {
      chunks[t] = (ParseChunk) {
        (char **) room_ids->pdata, (char **) texts->pdata, events,
        (guint) ((guint64) n * t / n_chunks), (guint) ((guint64) n * (t + 1) / n_chunks),
        &wait,
      };
      /* A chunk no thread could be made for is parsed here. */
      if (t > 0 && !g_thread_pool_push (parse_pool (), &chunks[t], NULL))
        parse_chunk_in_pool (&chunks[t], NULL);
    }
  parse_chunk (&chunks[0]);

  g_mutex_lock (&wait.lock);
  while (wait.running > 0)
    g_cond_wait (&wait.cond, &wait.lock);
  g_mutex_unlock (&wait.lock);
  g_mutex_clear (&wait.lock);
  g_cond_clear (&wait.cond);

  return events;
}

static int
load_events (MatrixSqliteStore  *self,
             sqlite3            *db,
             const char         *query,
             gboolean            timeline,
             GError            **error)
{
  g_autoptr(GPtrArray) room_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree MatrixEvent **events = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 t0 = g_get_monotonic_time ();
  int rc;

  rc = sqlite3_prepare_v2 (db, query, -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (room_ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      g_ptr_array_add (texts, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
      rc = SQLITE_OK;
    }
  if (rc == SQLITE_DONE)
    rc = SQLITE_OK;
  if (rc != SQLITE_OK)
    _matrix_sqlite_set_error (db, rc, query, error);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_OK)
    return rc;

  events = parse_events (room_ids, texts);
  for (guint i = 0; i < texts->len; i++)
    {
      if (events[i] == NULL)
        continue;
      if (timeline)
        _matrix_sqlite_store_cache_add_event (self, g_ptr_array_index (room_ids, i), events[i]);
      else if (MATRIX_IS_STATE_EVENT (events[i]))
        _matrix_sqlite_store_cache_set_state (self, MATRIX_STATE_EVENT (events[i]));
      g_object_unref (events[i]);
    }
  g_debug ("Loaded %u rows of %s in %.1f ms", texts->len, timeline ? "timeline" : "state",
           (g_get_monotonic_time () - t0) / 1000.0);

  return SQLITE_OK;
}

static void
room_rows_free (RoomRows *rows)
{
  g_free (rows->room_id);
  g_ptr_array_unref (rows->state);
  g_ptr_array_unref (rows->timeline);
  g_free (rows);
}

static const char * const room_queries[] = {
  "SELECT event FROM room_state WHERE room_id = ?1",
  "SELECT event FROM timeline_events WHERE room_id = ?1 ORDER BY position",
};

/* Reads all the state and cached timeline of @room_ids. Writer thread. */
GPtrArray *
_matrix_sqlite_read_rooms (sqlite3     *db,
            GPtrArray   *room_ids,
            GError     **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) room_rows_free);
  g_autoptr(GPtrArray) row_rooms = g_ptr_array_new ();   /* borrowed from room_ids */
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) owners = g_array_new (FALSE, FALSE, sizeof (guint));  /* room × 2 + timeline */
  g_autofree MatrixEvent **events = NULL;
  sqlite3_stmt *stmts[G_N_ELEMENTS (room_queries)] = { NULL, };
  int rc = SQLITE_OK;

  for (guint q = 0; q < G_N_ELEMENTS (room_queries) && rc == SQLITE_OK; q++)
    rc = sqlite3_prepare_v2 (db, room_queries[q], -1, &stmts[q], NULL);

  for (guint r = 0; r < room_ids->len && rc == SQLITE_OK; r++)
    for (guint q = 0; q < G_N_ELEMENTS (room_queries) && rc == SQLITE_OK; q++)
      {
        guint owner = r * 2 + q;

        _matrix_sqlite_bind_text (stmts[q], 1, g_ptr_array_index (room_ids, r));
        while ((rc = sqlite3_step (stmts[q])) == SQLITE_ROW)
          {
            g_ptr_array_add (row_rooms, g_ptr_array_index (room_ids, r));
            g_ptr_array_add (texts, g_strdup ((const char *) sqlite3_column_text (stmts[q], 0)));
            g_array_append_val (owners, owner);
          }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset (stmts[q]);
      }

  if (rc != SQLITE_OK)
    _matrix_sqlite_set_error (db, rc, "Could not read rooms", error);
  for (guint q = 0; q < G_N_ELEMENTS (room_queries); q++)
    sqlite3_finalize (stmts[q]);
  if (rc != SQLITE_OK)
    return NULL;

  for (guint r = 0; r < room_ids->len; r++)
    {
      RoomRows *room = g_new0 (RoomRows, 1);

      room->room_id = g_strdup (g_ptr_array_index (room_ids, r));
      room->state = g_ptr_array_new_with_free_func (g_object_unref);
      room->timeline = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (rows, room);
    }

  events = parse_events (row_rooms, texts);
  for (guint i = 0; i < texts->len; i++)
    {
      guint owner = g_array_index (owners, guint, i);
      RoomRows *room = g_ptr_array_index (rows, owner / 2);

      if (events[i] == NULL)
        continue;
      if (owner % 2 == 1)
        g_ptr_array_add (room->timeline, events[i]);
      else if (MATRIX_IS_STATE_EVENT (events[i]))
        g_ptr_array_add (room->state, events[i]);
      else
        g_object_unref (events[i]);
    }

  return g_steal_pointer (&rows);
}

/* Puts a room read from disk into the cache, under what the cache has. */
void
_matrix_sqlite_store_merge_room (MatrixSqliteStore *self,
            RoomRows          *room)
{
  for (guint i = 0; i < room->state->len; i++)
    _matrix_store_cache_merge_state (self->cache, g_ptr_array_index (room->state, i));
  _matrix_store_cache_merge_older (self->cache, room->room_id, room->timeline);
  _matrix_store_cache_trim_timeline (self->cache, room->room_id, self->timeline_limit);
}

/* The state a room list reads: its name (with the alias), topic, avatar, and
 * what says what kind of room it is. */
#define LIST_STATE_TYPES "'m.room.name', 'm.room.canonical_alias', 'm.room.avatar', " \
                         "'m.room.topic', 'm.room.create', 'm.room.tombstone', 'm.room.join_rules'"

/* The distinct room ids of a table whose primary key starts with room_id,
 * one index seek per room (a DISTINCT would walk every row's entry). */
#define DISTINCT_ROOMS(table) \
  "WITH RECURSIVE ids (id) AS (" \
  "  SELECT MIN(room_id) FROM " table \
  "  UNION ALL" \
  "  SELECT (SELECT MIN(room_id) FROM " table " WHERE room_id > ids.id) FROM ids" \
  "  WHERE ids.id IS NOT NULL" \
  ") SELECT id FROM ids WHERE id IS NOT NULL"

/* Every room with rows in any table; one UNION would sort every row. */
static GPtrArray *
list_rooms (sqlite3 *db,
            int     *rc)
{
  static const char * const queries[] = {
    "SELECT room_id FROM rooms",
    DISTINCT_ROOMS ("room_state"),
    DISTINCT_ROOMS ("timeline_events"),
  };
  GPtrArray *room_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  *rc = SQLITE_OK;
  for (guint q = 0; q < G_N_ELEMENTS (queries) && *rc == SQLITE_OK; q++)
    {
      sqlite3_stmt *stmt = NULL;

      *rc = sqlite3_prepare_v2 (db, queries[q], -1, &stmt, NULL);
      while (*rc == SQLITE_OK && (*rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *room_id = (const char *) sqlite3_column_text (stmt, 0);

          *rc = SQLITE_OK;
          if (room_id == NULL || g_hash_table_contains (seen, room_id))
            continue;
          g_ptr_array_add (room_ids, g_strdup (room_id));
          g_hash_table_add (seen, g_ptr_array_index (room_ids, room_ids->len - 1));
        }
      if (*rc == SQLITE_DONE)
        *rc = SQLITE_OK;
      sqlite3_finalize (stmt);
    }
  return room_ids;
}

static JsonObject *
dup_state_content (MatrixSqliteStore *self,
                   const char        *room_id,
                   const char        *event_type)
{
  g_autoptr(MatrixStateEvent) event = _matrix_store_cache_get_state (self->cache, room_id,
                                                                     event_type, "");

  return event != NULL ? json_object_ref (matrix_event_get_content (MATRIX_EVENT (event))) : NULL;
}

/* The members a room list needs of a room (the list state being loaded), or
 * NULL when its name may be made from all its members: then it is read
 * whole. By MatrixRoom's own rules (matrix-room.c): its state's name, else
 * the summary's heroes with its member counts, else everyone. */
static GPtrArray *
list_members_needed (MatrixSqliteStore *self,
                     const char        *room_id,
                     const char        *own_id)
{
  JsonObject *data = g_hash_table_lookup (self->cache->room_data, room_id);
  g_autoptr(JsonObject) name_content = NULL;
  g_autoptr(JsonObject) alias_content = NULL;
  g_autofree char *state_name = NULL;
  JsonObject *summary = NULL;
  GPtrArray *heroes;
  const char *membership = NULL;
  gint64 joined, invited;

  if (data == NULL)
    return NULL;
  /* Invites keep their state in the room data; left rooms are not listed. */
  if (_matrix_json_get_string (data, NULL, "membership", FALSE, &membership, NULL) &&
      membership != NULL && !g_str_equal (membership, "join"))
    return g_ptr_array_new_with_free_func (g_free);

  name_content = dup_state_content (self, room_id, "m.room.name");
  alias_content = dup_state_content (self, room_id, "m.room.canonical_alias");
  state_name = _matrix_room_state_name (name_content, alias_content);
  if (state_name != NULL)
    return g_ptr_array_new_with_free_func (g_free);

  if (!_matrix_json_get_object (data, NULL, "summary", FALSE, &summary, NULL))
    summary = NULL;
  heroes = _matrix_room_summary_heroes (summary, own_id);
  if (heroes != NULL && !_matrix_room_summary_counts (summary, &joined, &invited))
    g_clear_pointer (&heroes, g_ptr_array_unref);
  return heroes;
}

/* Reads the newest events of a room back to its newest message, which the
 * room list shows by MatrixRoom's own rule (an edit is no such message: what
 * it edits is further back, and the edits read on the way apply to it);
 * returns that message's sender. A message bumps its room, so what is read
 * holds the event the room's place in the list comes from. */
static char *
load_newest_events (MatrixSqliteStore *self,
                    sqlite3_stmt      *stmt,
                    const char        *room_id)
{
  g_autoptr(GPtrArray) newest = g_ptr_array_new_with_free_func (g_object_unref);
  char *sender = NULL;

  _matrix_sqlite_bind_text (stmt, 1, room_id);
  while (sender == NULL && sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(GError) error = NULL;
      MatrixEvent *event = event_from_text ((const char *) sqlite3_column_text (stmt, 0), &error);

      if (event == NULL)
        {
          g_warning ("Left out a stored event of %s: %s", room_id, error->message);
          continue;
        }
      g_ptr_array_add (newest, event);
      if (_matrix_room_event_is_preview (event))
        sender = g_strdup (matrix_event_get_sender (event));
    }
  sqlite3_reset (stmt);

  for (guint i = newest->len; i > 0; i--)
    _matrix_sqlite_store_cache_add_event (self, room_id, g_ptr_array_index (newest, i - 1));
  return sender;
}

/* The list summaries of the current format, which are all a lazy open reads
 * of their rooms. No JSON is parsed: the columns are the summary. */
static int
load_summaries (MatrixSqliteStore  *self,
                sqlite3            *db,
                GError            **error)
{
  static const char query[] =
    "SELECT room_id, last_activity, display_name, topic, avatar_url, last_message, inviter "
    "FROM room_summaries WHERE format = " SUMMARY_FORMAT_SQL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, query, -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *room_id = (const char *) sqlite3_column_text (stmt, 0);
      JsonObject *summary;

      rc = SQLITE_OK;
      /* NOT NULL in the schema; a damaged row is listed the long way. */
      if (room_id == NULL || sqlite3_column_type (stmt, 2) != SQLITE_TEXT ||
          sqlite3_column_type (stmt, 1) != SQLITE_INTEGER)
        continue;

      summary = json_object_new ();
      json_object_set_int_member (summary, "last_activity", sqlite3_column_int64 (stmt, 1));
      for (guint i = 0; i < N_SUMMARY_STRINGS; i++)
        {
          const char *value = (const char *) sqlite3_column_text (stmt, 2 + i);

          if (value != NULL)
            json_object_set_string_member (summary, _matrix_sqlite_summary_strings[i], value);
        }
      g_hash_table_insert (self->summaries, g_strdup (room_id), summary);
    }
  if (rc == SQLITE_DONE)
    rc = SQLITE_OK;
  if (rc != SQLITE_OK)
    _matrix_sqlite_set_error (db, rc, query, error);
  sqlite3_finalize (stmt);
  return rc;
}

/* The list state of the rooms without a summary: a room with one needs
 * nothing else before it is opened. The state table has no index on type,
 * so when most rooms need theirs one pass over it is cheaper than a lookup
 * per room; otherwise each room's rows are found by its key. */
static int
load_list_state (MatrixSqliteStore  *self,
                 sqlite3            *db,
                 GPtrArray          *room_ids,
                 GError            **error)
{
  static const char query[] =
    "SELECT event FROM room_state WHERE room_id = ?1 AND type IN (" LIST_STATE_TYPES ")";
  g_autoptr(GPtrArray) row_rooms = g_ptr_array_new ();   /* borrowed from room_ids */
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree MatrixEvent **events = NULL;
  sqlite3_stmt *stmt = NULL;
  guint n_summed = 0;
  int rc;

  for (guint r = 0; r < room_ids->len; r++)
    if (g_hash_table_contains (self->summaries, g_ptr_array_index (room_ids, r)))
      n_summed++;
  if (n_summed == room_ids->len)
    return SQLITE_OK;
  if (n_summed < room_ids->len / 2)
    return load_events (self, db, "SELECT room_id, event FROM room_state WHERE type IN ("
                        LIST_STATE_TYPES ") AND room_id NOT IN (SELECT room_id FROM "
                        "room_summaries WHERE format = " SUMMARY_FORMAT_SQL ")", FALSE, error);

  rc = sqlite3_prepare_v2 (db, query, -1, &stmt, NULL);
  for (guint r = 0; r < room_ids->len && rc == SQLITE_OK; r++)
    {
      const char *room_id = g_ptr_array_index (room_ids, r);

      if (g_hash_table_contains (self->summaries, room_id))
        continue;
      _matrix_sqlite_bind_text (stmt, 1, room_id);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          g_ptr_array_add (row_rooms, (gpointer) room_id);
          g_ptr_array_add (texts, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
        }
      rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
      sqlite3_reset (stmt);
    }
  if (rc != SQLITE_OK)
    _matrix_sqlite_set_error (db, rc, query, error);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_OK)
    return rc;

  events = parse_events (row_rooms, texts);
  for (guint i = 0; i < texts->len; i++)
    {
      if (events[i] != NULL && MATRIX_IS_STATE_EVENT (events[i]))
        _matrix_sqlite_store_cache_set_state (self, MATRIX_STATE_EVENT (events[i]));
      g_clear_object (&events[i]);
    }
  return SQLITE_OK;
}

/* What the room list needs of every room, and everything of the rooms whose
 * name may need all their members; the other rooms are partial until
 * matrix_store_load_rooms_async(). Writer thread, while opening. */
static int
load_room_lists (MatrixSqliteStore  *self,
                 sqlite3            *db,
                 GError            **error)
{
  const char *own_id = g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_USER_ID);
  g_autoptr(GPtrArray) room_ids = NULL;
  g_autoptr(GPtrArray) whole = g_ptr_array_new ();
  g_autoptr(GPtrArray) member_rooms = g_ptr_array_new ();
  g_autoptr(GPtrArray) member_texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree MatrixEvent **members = NULL;
  sqlite3_stmt *newest_stmt = NULL, *member_stmt = NULL;
  int rc;

  if (own_id == NULL)
    own_id = self->user_id_hint;

  room_ids = list_rooms (db, &rc);
  if (rc != SQLITE_OK)
    _matrix_sqlite_set_error (db, rc, "Could not list the rooms", error);
  else
    rc = load_summaries (self, db, error);
  if (rc == SQLITE_OK)
    rc = load_list_state (self, db, room_ids, error);
  if (rc != SQLITE_OK)
    return rc;

  rc = sqlite3_prepare_v2 (db, "SELECT event FROM timeline_events WHERE room_id = ?1 "
                           "ORDER BY position DESC", -1, &newest_stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2 (db, "SELECT event FROM room_state WHERE room_id = ?1 AND "
                             "type = 'm.room.member' AND state_key = ?2", -1, &member_stmt, NULL);

  for (guint r = 0; r < room_ids->len && rc == SQLITE_OK; r++)
    {
      const char *room_id = g_ptr_array_index (room_ids, r);
      g_autoptr(GPtrArray) needed = NULL;
      g_autofree char *sender = NULL;

      if (g_hash_table_contains (self->summaries, room_id))
        {
          g_hash_table_add (self->partial_rooms, g_strdup (room_id));
          continue;
        }

      needed = list_members_needed (self, room_id, own_id);
      if (needed == NULL)
        {
          g_ptr_array_add (whole, (gpointer) room_id);
          continue;
        }

      g_hash_table_add (self->partial_rooms, g_strdup (room_id));
      sender = load_newest_events (self, newest_stmt, room_id);
      if (sender != NULL && !g_ptr_array_find_with_equal_func (needed, sender, g_str_equal, NULL))
        g_ptr_array_add (needed, g_steal_pointer (&sender));

      for (guint i = 0; i < needed->len; i++)
        {
          _matrix_sqlite_bind_text (member_stmt, 1, room_id);
          _matrix_sqlite_bind_text (member_stmt, 2, g_ptr_array_index (needed, i));
          if (sqlite3_step (member_stmt) == SQLITE_ROW)
            {
              g_ptr_array_add (member_rooms, (gpointer) room_id);
              g_ptr_array_add (member_texts,
                               g_strdup ((const char *) sqlite3_column_text (member_stmt, 0)));
            }
          sqlite3_reset (member_stmt);
        }
    }
  if (rc != SQLITE_OK)
    _matrix_sqlite_set_error (db, rc, "Could not read the newest events", error);
  sqlite3_finalize (newest_stmt);
  sqlite3_finalize (member_stmt);
  if (rc != SQLITE_OK)
    return rc;

  members = parse_events (member_rooms, member_texts);
  for (guint i = 0; i < member_texts->len; i++)
    {
      if (members[i] != NULL && MATRIX_IS_STATE_EVENT (members[i]))
        _matrix_sqlite_store_cache_set_state (self, MATRIX_STATE_EVENT (members[i]));
      g_clear_object (&members[i]);
    }

  if (whole->len > 0)
    {
      g_autoptr(GPtrArray) rows = _matrix_sqlite_read_rooms (db, whole, error);

      if (rows == NULL)
        return sqlite3_errcode (db);
      for (guint i = 0; i < rows->len; i++)
        _matrix_sqlite_store_merge_room (self, g_ptr_array_index (rows, i));
    }

  g_debug ("Loaded the room list's part of %u rooms (%u from their summary), all of %u",
           room_ids->len - whole->len, g_hash_table_size (self->summaries), whole->len);
  return SQLITE_OK;
}

/* Few and small, and what a restart must send again: read whole at open,
 * lazy or not. */
static int
load_pending_sends (MatrixSqliteStore  *self,
                    sqlite3            *db,
                    GError            **error)
{
  static const char *query = "SELECT room_id, txn_id, send FROM pending_sends ORDER BY rowid";
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, query, -1, &stmt, NULL);

  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *room_id = (const char *) sqlite3_column_text (stmt, 0);
      const char *txn_id = (const char *) sqlite3_column_text (stmt, 1);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(JsonObject) send = object_from_text ((const char *) sqlite3_column_text (stmt, 2),
                                                     &local_error);

      rc = SQLITE_OK;
      if (send == NULL)
        g_warning ("Left out a stored send in %s: %s", room_id, local_error->message);
      else
        _matrix_store_cache_set_pending_send (self->cache, room_id, txn_id, send);
    }
  if (rc == SQLITE_DONE)
    rc = SQLITE_OK;
  if (rc != SQLITE_OK)
    _matrix_sqlite_set_error (db, rc, query, error);
  sqlite3_finalize (stmt);
  return rc;
}

static int
load_caches (MatrixSqliteStore  *self,
             sqlite3            *db,
             GError            **error)
{
  static const char * const queries[] = {
    "SELECT key, value FROM session_values",
    "SELECT 'sync_token', next_batch FROM sync_token",
    "SELECT room_id, data FROM rooms",
  };
  int rc = SQLITE_OK;

  for (guint q = 0; q < G_N_ELEMENTS (queries) && rc == SQLITE_OK; q++)
    {
      sqlite3_stmt *stmt = NULL;

      rc = sqlite3_prepare_v2 (db, queries[q], -1, &stmt, NULL);
      while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *first = (const char *) sqlite3_column_text (stmt, 0);
          const char *second = (const char *) sqlite3_column_text (stmt, 1);
          g_autoptr(GError) local_error = NULL;
          JsonObject *data;

          rc = SQLITE_OK;
          if (q < 2)
            {
              g_hash_table_insert (self->cache->values, g_strdup (first), g_strdup (second));
              continue;
            }

          data = object_from_text (second, &local_error);
          if (data == NULL)
            g_warning ("Left out the stored data of %s: %s", first, local_error->message);
          else
            g_hash_table_insert (self->cache->room_data, g_strdup (first), data);
        }
      if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
      if (rc != SQLITE_OK)
        _matrix_sqlite_set_error (db, rc, queries[q], error);
      sqlite3_finalize (stmt);
    }

  if (rc == SQLITE_OK)
    rc = load_pending_sends (self, db, error);

  if (rc == SQLITE_OK && self->lazy)
    return load_room_lists (self, db, error);

  if (rc == SQLITE_OK)
    rc = load_events (self, db, "SELECT room_id, event FROM room_state", FALSE, error);
  if (rc == SQLITE_OK)
    rc = load_events (self, db, "SELECT room_id, event FROM timeline_events "
                      "ORDER BY room_id, position", TRUE, error);

  return rc;
}

typedef enum {
  OPEN_OK,
  OPEN_CORRUPT,
  OPEN_FAILED,
} OpenResult;

static void
clear_caches (MatrixSqliteStore *self)
{
  _matrix_store_cache_clear (self->cache);
  g_hash_table_remove_all (self->partial_rooms);
  g_hash_table_remove_all (self->summaries);
}

static OpenResult
try_open (MatrixSqliteStore  *self,
          Writer             *writer,
          GError            **error)
{
  sqlite3 *db = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *wal_path = g_strconcat (writer->db_path, "-wal", NULL);
  gint64 started = g_get_monotonic_time ();
  /* SQLite folds the WAL into the file and removes it when the last
   * connection closes: one left means the store was not closed. */
  gboolean unclean = g_file_test (wal_path, G_FILE_TEST_EXISTS);
  int version = 0;
  int rc;

  rc = sqlite3_open_v2 (writer->db_path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      _matrix_sqlite_set_error (db, rc, writer->db_path, error);
      sqlite3_close (db);
      return _matrix_sqlite_is_corruption (rc) ? OPEN_CORRUPT : OPEN_FAILED;
    }
  sqlite3_extended_result_codes (db, TRUE);
  sqlite3_busy_timeout (db, 5000);

  /* The version is read before anything writes, so that a database of a
   * newer matrix-glib is left exactly as it was. */
  if (!_matrix_sqlite_read_user_version (db, &version, &rc))
    {
      _matrix_sqlite_set_error (db, rc, "Could not read the schema version", error);
      sqlite3_close (db);
      return _matrix_sqlite_is_corruption (rc) ? OPEN_CORRUPT : OPEN_FAILED;
    }

  if (version > MATRIX_SQLITE_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, MATRIX_SQLITE_STORE_ERROR, MATRIX_SQLITE_STORE_ERROR_FUTURE_VERSION,
                   "The store %s has schema version %d, written by a newer matrix-glib; this one "
                   "reads up to version %d",
                   writer->db_path, version, MATRIX_SQLITE_STORE_SCHEMA_VERSION);
      sqlite3_close (db);
      return OPEN_FAILED;
    }

  if (!_matrix_sqlite_check_integrity (db, self->lazy && !unclean ? _matrix_sqlite_list_tables : NULL, &problem))
    {
      g_set_error (error, MATRIX_SQLITE_STORE_ERROR, MATRIX_SQLITE_STORE_ERROR_FAILED,
                   "The store %s is damaged: %s", writer->db_path, problem);
      sqlite3_close (db);
      return OPEN_CORRUPT;
    }

  /* FULL makes each commit durable across a power cut, not only a crash. */
  if (!_matrix_sqlite_exec (db, "PRAGMA journal_mode = WAL", error) ||
      !_matrix_sqlite_exec (db, "PRAGMA synchronous = FULL", error) ||
      !_matrix_sqlite_migrate (db, version, error))
    {
      rc = sqlite3_extended_errcode (db);
      sqlite3_close (db);
      return _matrix_sqlite_is_corruption (rc) ? OPEN_CORRUPT : OPEN_FAILED;
    }

  g_debug ("Checked and migrated in %.1f ms", (g_get_monotonic_time () - started) / 1000.0);
  rc = load_caches (self, db, error);
  g_debug ("Loaded in %.1f ms", (g_get_monotonic_time () - started) / 1000.0);
  if (rc != SQLITE_OK)
    {
      sqlite3_close (db);
      clear_caches (self);
      return _matrix_sqlite_is_corruption (rc) ? OPEN_CORRUPT : OPEN_FAILED;
    }

  writer->db = db;
  return OPEN_OK;
}

/* Moves a damaged database (and its WAL) aside, so the store can start
 * afresh and the user still has the old file. */
static gboolean
move_aside (MatrixSqliteStore  *self,
            Writer             *writer,
            GError            **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  const char *suffixes[] = { "", "-wal", "-shm" };
  g_autofree char *target = g_strdup_printf ("%s.corrupt-%s", writer->db_path, stamp);

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (writer->db_path, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (target, suffixes[i], NULL);

      if (g_rename (from, to) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Could not move the damaged store %s aside: %s", from,
                       g_strerror (saved_errno));
          return FALSE;
        }
    }

  g_free (self->corrupt_file);
  self->corrupt_file = g_steal_pointer (&target);
  return TRUE;
}

gboolean
_matrix_sqlite_store_writer_open (MatrixSqliteStore  *self,
             Writer             *writer,
             GError            **error)
{
  g_autoptr(GError) open_error = NULL;
  g_autoptr(GError) file_error = NULL;
  OpenResult result;

  if (g_mkdir_with_parents (self->directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create %s: %s", self->directory, g_strerror (saved_errno));
      return FALSE;
    }

  result = try_open (self, writer, &open_error);
  if (result == OPEN_CORRUPT)
    {
      if (!move_aside (self, writer, error))
        return FALSE;
      /* A message, not a warning: the app recovers, and shows it from the
       * corrupt-file property. */
      g_message ("%s; moved it to %s and starting afresh", open_error->message,
                 self->corrupt_file);
      g_clear_error (&open_error);
      result = try_open (self, writer, &open_error);
    }

  if (result != OPEN_OK)
    {
      g_propagate_error (error, g_steal_pointer (&open_error));
      return FALSE;
    }

  self->file_token = _matrix_secret_file_read (writer->secret_path, &file_error);
  if (file_error != NULL)
    g_warning ("Could not read the session token file: %s", file_error->message);

  return TRUE;
}
