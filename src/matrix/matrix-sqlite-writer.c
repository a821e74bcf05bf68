/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-sqlite-store"

/* MatrixSqliteStore's writer thread: opening, commits (one transaction
 * per sync, rows gathered and written in key order), lazy loads. */

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "matrix-json-private.h"
#include "matrix-room-private.h"
#include "matrix-secret-private.h"
#include "matrix-sqlite-store-private.h"

#define ROW "(?, ?, ?, ?)"
#define ROWS_8 ROW ", " ROW ", " ROW ", " ROW ", " ROW ", " ROW ", " ROW ", " ROW
#define ROWS_64 ROWS_8 ", " ROWS_8 ", " ROWS_8 ", " ROWS_8 ", " \
                ROWS_8 ", " ROWS_8 ", " ROWS_8 ", " ROWS_8

#define SET_STATE "INSERT OR REPLACE INTO room_state (room_id, type, state_key, event) VALUES "
/* OR IGNORE: an event id the room already holds is stored once. */
#define ADD_EVENT "INSERT OR IGNORE INTO timeline_events (room_id, position, event_id, event) " \
                  "VALUES "

static const char * const statements[N_STMTS] = {
  [STMT_SET_VALUE] = "INSERT OR REPLACE INTO session_values (key, value) VALUES (?1, ?2)",
  [STMT_DELETE_VALUE] = "DELETE FROM session_values WHERE key = ?1",
  [STMT_SET_STATE] = SET_STATE ROW,
  [STMT_SET_STATE_8] = SET_STATE ROWS_8,
  [STMT_SET_STATE_64] = SET_STATE ROWS_64,
  [STMT_ADD_EVENT] = ADD_EVENT ROW,
  [STMT_ADD_EVENT_8] = ADD_EVENT ROWS_8,
  [STMT_ADD_EVENT_64] = ADD_EVENT ROWS_64,
  [STMT_REPLACE_EVENT] = "UPDATE timeline_events SET event = ?3 WHERE room_id = ?1 AND event_id = ?2",
  [STMT_LAST_POSITION] = "SELECT IFNULL(MAX(position), 0) FROM timeline_events WHERE room_id = ?1",
  [STMT_TRIM_TIMELINE] = "DELETE FROM timeline_events WHERE room_id = ?1 AND position <= "
                         "(SELECT MAX(position) FROM timeline_events WHERE room_id = ?1) - ?2",
  [STMT_SET_ROOM_DATA] = "INSERT OR REPLACE INTO rooms (room_id, data) VALUES (?1, ?2)",
  [STMT_FORGET_STATE] = "DELETE FROM room_state WHERE room_id = ?1",
  [STMT_FORGET_TIMELINE] = "DELETE FROM timeline_events WHERE room_id = ?1",
  [STMT_FORGET_ROOM_DATA] = "DELETE FROM rooms WHERE room_id = ?1",
  [STMT_FORGET_PENDING_SENDS] = "DELETE FROM pending_sends WHERE room_id = ?1",
  [STMT_FORGET_SUMMARY] = "DELETE FROM room_summaries WHERE room_id = ?1",
  [STMT_SET_SUMMARY] = "INSERT OR REPLACE INTO room_summaries (room_id, format, last_activity, "
                       "display_name, topic, avatar_url, last_message, inviter) "
                       "VALUES (?1, " SUMMARY_FORMAT_SQL ", ?2, ?3, ?4, ?5, ?6, ?7)",
  [STMT_SET_SYNC_TOKEN] = "INSERT OR REPLACE INTO sync_token (id, next_batch) VALUES (1, ?1)",
  [STMT_SET_PENDING_SEND] = "INSERT OR REPLACE INTO pending_sends (room_id, txn_id, send) "
                            "VALUES (?1, ?2, ?3)",
  [STMT_DELETE_PENDING_SEND] = "DELETE FROM pending_sends WHERE room_id = ?1 AND txn_id = ?2",
};

/* --- committing, on the writer thread ------------------------------------ */

/* A row a commit writes into room_state or timeline_events. */
typedef struct {
  Op         *op;
  /* A state row's key (with the op's room id), looked up once for sorting. */
  const char *type;
  const char *state_key;
  gint64      position;  /* of a timeline row, in its room */
  guint       order;     /* of the op in the commit */
} Row;

/* A room a commit adds timeline events to. */
typedef struct {
  gint64      last;     /* its last position */
  /* When the file had no events of the room: the ids of those this commit
   * adds, which are all the file can already hold. */
  GHashTable *new_ids;
} GrownRoom;

static void
grown_room_free (GrownRoom *room)
{
  g_clear_pointer (&room->new_ids, g_hash_table_unref);
  g_free (room);
}

/* What one commit is writing. State rows, and the timeline rows of rooms
 * the file has no events of (all of an initial sync), are gathered and
 * written in key order, many rows to a statement: a statement then keeps
 * its cursors open from row to row, and each row goes next to the one
 * before, which costs SQLite about half as much as a statement per row in
 * the order the sync gave them. */
typedef struct {
  sqlite3_stmt **stmts;
  GHashTable    *grown_rooms;  /* room id → GrownRoom */
  GArray        *state;        /* Row */
  GArray        *timeline;     /* Row */
  GString       *scratch;
} Commit;

static gboolean
last_position (sqlite3_stmt  *stmt,
               const char    *room_id,
               gint64        *out,
               GError       **error)
{
  int rc;

  _matrix_sqlite_bind_text (stmt, 1, room_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    return _matrix_sqlite_set_error (sqlite3_db_handle (stmt), rc, sqlite3_sql (stmt), error);
  return TRUE;
}

/* A room's last position is looked up once per commit and counted on from
 * there, rather than by a subquery for every row. */
static GrownRoom *
grown_room (Commit      *commit,
            const char  *room_id,
            GError     **error)
{
  GrownRoom *room = g_hash_table_lookup (commit->grown_rooms, room_id);

  if (room != NULL)
    return room;

  room = g_new0 (GrownRoom, 1);
  if (!last_position (commit->stmts[STMT_LAST_POSITION], room_id, &room->last, error))
    {
      grown_room_free (room);
      return NULL;
    }
  if (room->last == 0)
    room->new_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (commit->grown_rooms, (gpointer) room_id, room);
  return room;
}

static void
bind_event_text (sqlite3_stmt *stmt,
                 int           index,
                 MatrixEvent  *event,
                 GString      *scratch)
{
  g_string_truncate (scratch, 0);
  _matrix_event_append_json (event, scratch);
  sqlite3_bind_text (stmt, index, scratch->str, scratch->len, SQLITE_STATIC);
}

static int
compare_state_keys (const Row *a,
                    const Row *b)
{
  int cmp;

  if ((cmp = strcmp (a->op->room_id, b->op->room_id)) != 0 ||
      (cmp = strcmp (a->type, b->type)) != 0)
    return cmp;
  return strcmp (a->state_key, b->state_key);
}

static int
compare_state_rows (gconstpointer a,
                    gconstpointer b)
{
  const Row *row_a = a, *row_b = b;
  int cmp = compare_state_keys (row_a, row_b);

  if (cmp != 0)
    return cmp;
  return row_a->order < row_b->order ? -1 : row_a->order > row_b->order;
}

static int
compare_timeline_rows (gconstpointer a,
                       gconstpointer b)
{
  const Row *row_a = a, *row_b = b;
  int cmp = strcmp (row_a->op->room_id, row_b->op->room_id);

  if (cmp != 0)
    return cmp;
  return row_a->position < row_b->position ? -1 : row_a->position > row_b->position;
}

/* Leaves out, of sorted state rows, those a later row of the same key
 * replaces. */
static void
drop_replaced (GArray *rows)
{
  guint kept = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = &g_array_index (rows, Row, i);

      if (i + 1 < rows->len && compare_state_keys (row, row + 1) == 0)
        continue;
      g_array_index (rows, Row, kept++) = *row;
    }
  g_array_set_size (rows, kept);
}

/* How many rows each of a table's statements takes (ROW, ROWS_8, ROWS_64),
 * in the order of the enum. */
static const guint rows_per_statement[] = { 1, 8, 64 };
#define MAX_ROWS_PER_STATEMENT 64

/* Writes @rows into room_state or timeline_events, in key order, through
 * the statements from @first (for 1, 8 and 64 rows), and empties it. */
static gboolean
write_rows (Commit   *commit,
            GArray   *rows,
            int       first,
            GError  **error)
{
  gboolean timeline = first == STMT_ADD_EVENT;
  gsize ends[MAX_ROWS_PER_STATEMENT];

  if (timeline)
    g_array_sort (rows, compare_timeline_rows);
  else
    {
      g_array_sort (rows, compare_state_rows);
      drop_replaced (rows);
    }

  for (guint i = 0; i < rows->len; )
    {
      guint size = G_N_ELEMENTS (rows_per_statement) - 1;
      Row *todo = &g_array_index (rows, Row, i);
      sqlite3_stmt *stmt;
      guint n;

      while (rows_per_statement[size] > rows->len - i)
        size--;
      n = rows_per_statement[size];
      stmt = commit->stmts[first + size];

      /* The texts are bound without a copy, so all of them are made
       * first: the buffer moves as it grows. */
      g_string_truncate (commit->scratch, 0);
      for (guint r = 0; r < n; r++)
        {
          _matrix_event_append_json (todo[r].op->event, commit->scratch);
          ends[r] = commit->scratch->len;
        }

      for (guint r = 0; r < n; r++)
        {
          gsize start = r > 0 ? ends[r - 1] : 0;
          int column = r * 4 + 1;

          _matrix_sqlite_bind_text (stmt, column, todo[r].op->room_id);
          if (timeline)
            {
              sqlite3_bind_int64 (stmt, column + 1, todo[r].position);
              _matrix_sqlite_bind_text (stmt, column + 2, matrix_event_get_event_id (todo[r].op->event));
            }
          else
            {
              _matrix_sqlite_bind_text (stmt, column + 1, todo[r].type);
              _matrix_sqlite_bind_text (stmt, column + 2, todo[r].state_key);
            }
          sqlite3_bind_text (stmt, column + 3, commit->scratch->str + start, ends[r] - start,
                             SQLITE_STATIC);
        }

      if (!_matrix_sqlite_step_done (stmt, error))
        return FALSE;
      i += n;
    }

  g_array_set_size (rows, 0);
  return TRUE;
}

/* Writes the rows gathered so far: before an op that must see them. */
static gboolean
write_gathered (Commit  *commit,
                GError **error)
{
  return write_rows (commit, commit->state, STMT_SET_STATE, error) &&
         write_rows (commit, commit->timeline, STMT_ADD_EVENT, error);
}

static gboolean
add_event (Commit  *commit,
           Op      *op,
           guint    order,
           GError **error)
{
  GrownRoom *room = grown_room (commit, op->room_id, error);
  const char *event_id = matrix_event_get_event_id (op->event);
  sqlite3_stmt *stmt;

  if (room == NULL)
    return FALSE;

  if (room->new_ids != NULL)
    {
      Row row = { op, NULL, NULL, 0, order };

      /* The room's rows so far are all in this commit: a copy of one is
       * known here, and left out without asking the file. */
      if (!g_hash_table_add (room->new_ids, (gpointer) event_id))
        return TRUE;
      row.position = ++room->last;
      g_array_append_val (commit->timeline, row);
      return TRUE;
    }

  stmt = commit->stmts[STMT_ADD_EVENT];
  _matrix_sqlite_bind_text (stmt, 1, op->room_id);
  sqlite3_bind_int64 (stmt, 2, room->last + 1);
  _matrix_sqlite_bind_text (stmt, 3, event_id);
  bind_event_text (stmt, 4, op->event, commit->scratch);
  if (!_matrix_sqlite_step_done (stmt, error))
    return FALSE;
  /* An ignored copy takes no position: trimming counts on none missing. */
  if (sqlite3_changes (sqlite3_db_handle (stmt)) > 0)
    room->last++;
  return TRUE;
}

static gboolean
apply_op (Commit  *commit,
          Op      *op,
          guint    order,
          GError **error)
{
  sqlite3_stmt **stmts = commit->stmts;
  sqlite3_stmt *stmt;

  switch (op->kind)
    {
    case OP_SET_VALUE:
      stmt = stmts[op->text != NULL ? STMT_SET_VALUE : STMT_DELETE_VALUE];
      _matrix_sqlite_bind_text (stmt, 1, op->room_id);
      if (op->text != NULL)
        _matrix_sqlite_bind_text (stmt, 2, op->text);
      return _matrix_sqlite_step_done (stmt, error);

    case OP_SET_STATE:
      {
        Row row = {
          op, matrix_event_get_event_type (op->event),
          matrix_state_event_get_state_key (MATRIX_STATE_EVENT (op->event)), 0, order,
        };

        g_array_append_val (commit->state, row);
        return TRUE;
      }

    case OP_ADD_EVENT:
      return add_event (commit, op, order, error);

    case OP_REPLACE_EVENT:
      if (!write_gathered (commit, error))
        return FALSE;
      stmt = stmts[STMT_REPLACE_EVENT];
      _matrix_sqlite_bind_text (stmt, 1, op->room_id);
      _matrix_sqlite_bind_text (stmt, 2, matrix_event_get_event_id (op->event));
      bind_event_text (stmt, 3, op->event, commit->scratch);
      return _matrix_sqlite_step_done (stmt, error);

    case OP_SET_ROOM_DATA:
      stmt = stmts[STMT_SET_ROOM_DATA];
      _matrix_sqlite_bind_text (stmt, 1, op->room_id);
      _matrix_sqlite_bind_text (stmt, 2, op->text);
      return _matrix_sqlite_step_done (stmt, error);

    case OP_FORGET_ROOM:
      if (!write_gathered (commit, error))
        return FALSE;
      for (int s = STMT_FORGET_STATE; s <= STMT_FORGET_SUMMARY; s++)
        {
          _matrix_sqlite_bind_text (stmts[s], 1, op->room_id);
          if (!_matrix_sqlite_step_done (stmts[s], error))
            return FALSE;
        }
      /* Events added after this count from an empty room again. */
      g_hash_table_remove (commit->grown_rooms, op->room_id);
      return TRUE;

    case OP_SET_SUMMARY:
      stmt = stmts[STMT_SET_SUMMARY];
      _matrix_sqlite_bind_text (stmt, 1, op->room_id);
      sqlite3_bind_int64 (stmt, 2, op->last_activity);
      for (guint i = 0; i < N_SUMMARY_STRINGS; i++)
        if (op->summary[i] != NULL)
          _matrix_sqlite_bind_text (stmt, 3 + i, op->summary[i]);
        else
          sqlite3_bind_null (stmt, 3 + i);
      return _matrix_sqlite_step_done (stmt, error);

    case OP_SET_PENDING_SEND:
      stmt = stmts[op->text != NULL ? STMT_SET_PENDING_SEND : STMT_DELETE_PENDING_SEND];
      _matrix_sqlite_bind_text (stmt, 1, op->room_id);
      _matrix_sqlite_bind_text (stmt, 2, op->txn_id);
      if (op->text != NULL)
        _matrix_sqlite_bind_text (stmt, 3, op->text);
      return _matrix_sqlite_step_done (stmt, error);

    default:
      g_assert_not_reached ();
    }
}

static gboolean
writer_commit (Writer      *writer,
               GPtrArray   *ops,
               const char  *next_batch,
               GError     **error)
{
  sqlite3_stmt **stmts = writer->stmts;
  g_autoptr(GHashTable) grown_rooms =
    g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) grown_room_free);
  g_autoptr(GArray) state = g_array_new (FALSE, FALSE, sizeof (Row));
  g_autoptr(GArray) timeline = g_array_new (FALSE, FALSE, sizeof (Row));
  g_autoptr(GString) scratch = g_string_sized_new (4096);
  Commit commit = { stmts, grown_rooms, state, timeline, scratch };
  gboolean ok = _matrix_sqlite_exec (writer->db, "BEGIN IMMEDIATE", error);

  for (guint s = 0; ok && s < N_STMTS; s++)
    if (stmts[s] == NULL)
      ok = (stmts[s] = _matrix_sqlite_prepare (writer->db, statements[s], error)) != NULL;

  for (guint i = 0; ok && i < ops->len; i++)
    ok = apply_op (&commit, g_ptr_array_index (ops, i), i, error);
  if (ok)
    ok = write_gathered (&commit, error);

  if (ok)
    {
      GHashTableIter iter;
      gpointer room_id;

      g_hash_table_iter_init (&iter, grown_rooms);
      while (ok && g_hash_table_iter_next (&iter, &room_id, NULL))
        {
          _matrix_sqlite_bind_text (stmts[STMT_TRIM_TIMELINE], 1, room_id);
          sqlite3_bind_int64 (stmts[STMT_TRIM_TIMELINE], 2, writer->timeline_limit);
          ok = _matrix_sqlite_step_done (stmts[STMT_TRIM_TIMELINE], error);
        }
    }

  /* The token goes in the same transaction as what it covers, last. */
  if (ok && next_batch != NULL)
    {
      _matrix_sqlite_bind_text (stmts[STMT_SET_SYNC_TOKEN], 1, next_batch);
      ok = _matrix_sqlite_step_done (stmts[STMT_SET_SYNC_TOKEN], error);
    }

  if (ok)
    ok = _matrix_sqlite_exec (writer->db, "COMMIT", error);
  if (!ok && !sqlite3_get_autocommit (writer->db))
    sqlite3_exec (writer->db, "ROLLBACK", NULL, NULL, NULL);

  return ok;
}

gpointer
_matrix_sqlite_writer_thread (gpointer data)
{
  Writer *writer = data;
  gboolean quit = FALSE;

  while (!quit)
    {
      Job *job = g_async_queue_pop (writer->jobs);
      GError *error = NULL;

      switch (job->kind)
        {
        case JOB_OPEN:
          if (_matrix_sqlite_store_writer_open (g_task_get_task_data (job->task), writer, &error))
            g_task_return_boolean (job->task, TRUE);
          else
            g_task_return_error (job->task, error);
          break;

        case JOB_COMMIT:
          if (job->task == NULL)
            {
              /* A session value, written on its own: nobody waits for it. */
              if (writer->db == NULL || !writer_commit (writer, job->ops, NULL, &error))
                {
                  g_warning ("Could not save the session: %s",
                             error != NULL ? error->message : "the store is not open");
                  g_clear_error (&error);
                }
            }
          else
            {
              gboolean written = writer->db != NULL &&
                                 writer_commit (writer, job->ops, job->text, &error);

              /* The caller keeps the ops until it hears back: let go of them
               * first, so their events are released on its thread. */
              g_clear_pointer (&job->ops, g_ptr_array_unref);
              if (written)
                g_task_return_boolean (job->task, TRUE);
              else if (error != NULL)
                g_task_return_error (job->task, error);
              else
                g_task_return_new_error (job->task, MATRIX_SQLITE_STORE_ERROR,
                                         MATRIX_SQLITE_STORE_ERROR_FAILED,
                                         "The store is not open");
            }
          break;

        case JOB_LOAD:
          if (g_task_return_error_if_cancelled (job->task))
            break;
          if (writer->db == NULL)
            g_task_return_new_error (job->task, MATRIX_SQLITE_STORE_ERROR,
                                     MATRIX_SQLITE_STORE_ERROR_FAILED, "The store is not open");
          else
            {
              GPtrArray *rows = _matrix_sqlite_read_rooms (writer->db, job->ops, &error);

              if (rows != NULL)
                g_task_return_pointer (job->task, rows, (GDestroyNotify) g_ptr_array_unref);
              else
                g_task_return_error (job->task, error);
            }
          break;

        case JOB_SECRET_FILE:
          if (!_matrix_secret_file_write (writer->secret_path, job->text, &error))
            {
              g_warning ("Could not save the session token: %s", error->message);
              g_clear_error (&error);
            }
          break;

        case JOB_BARRIER:
          g_task_return_boolean (job->task, TRUE);
          break;

        case JOB_QUIT:
          quit = TRUE;
          break;

        default:
          g_assert_not_reached ();
        }

      /* May drop the store's last reference: see finalize. */
      _matrix_sqlite_job_free (job);
    }

  for (guint s = 0; s < N_STMTS; s++)
    sqlite3_finalize (writer->stmts[s]);
  g_clear_pointer (&writer->db, sqlite3_close);
  g_async_queue_unref (writer->jobs);
  g_free (writer->db_path);
  g_free (writer->secret_path);
  g_free (writer);
  return NULL;
}
