/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-sqlite-store"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "matrix-event-private.h"
#include "matrix-json-private.h"
#include "matrix-room-private.h"
#include "matrix-secret-private.h"
#include "matrix-sqlite-store.h"
#include "matrix-store-cache-private.h"

/**
 * MatrixSqliteStore:
 *
 * A #MatrixStore kept in an SQLite database (WAL mode) in a directory of its
 * own, with the access token in the Secret Service.
 *
 * Everything is loaded into memory when the store opens, so reads never wait
 * for the disk. Writes change the memory at once and are gathered until
 * matrix_store_commit_async(), which writes them and the new sync token in one
 * transaction on the store's writer thread: after a crash the database holds
 * either a response and its token, or neither.
 *
 * The access token never reaches the database: it goes to the Secret Service
 * or, where none answers, to a file only the user can read.
 */

#define DEFAULT_DATABASE_NAME "matrix.db"
#define SECRET_FILE_NAME "session-token"

/* Each migration takes the schema from its index to the next version; a
 * version 2 adds its SQL here and bumps MATRIX_SQLITE_STORE_SCHEMA_VERSION. */
static const char * const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE session_values ("
  "  key TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT NOT NULL"
  ");"
  "CREATE TABLE sync_token ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  next_batch TEXT NOT NULL"
  ");"
  "CREATE TABLE room_state ("
  "  room_id TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  state_key TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  PRIMARY KEY (room_id, type, state_key)"
  ");"
  "CREATE TABLE rooms ("
  "  room_id TEXT PRIMARY KEY NOT NULL,"
  "  data TEXT NOT NULL"
  ");"
  "CREATE TABLE timeline_events ("
  "  room_id TEXT NOT NULL,"
  "  position INTEGER NOT NULL,"
  "  event_id TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  PRIMARY KEY (room_id, position),"
  "  UNIQUE (room_id, event_id)"
  ");",
  /* 1 → 2: what the room list shows of each room, so that a lazy open reads
   * one row per room. Left empty here: a room gets its row when it is next
   * loaded, and is listed from its state and events until then. */
  "CREATE TABLE room_summaries ("
  "  room_id TEXT PRIMARY KEY NOT NULL,"
  "  format INTEGER NOT NULL,"
  "  display_name TEXT NOT NULL,"
  "  topic TEXT,"
  "  avatar_url TEXT,"
  "  last_message TEXT,"
  "  last_activity INTEGER NOT NULL,"
  "  inviter TEXT"
  ");",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == MATRIX_SQLITE_STORE_SCHEMA_VERSION);

/* The meaning of a room_summaries row: rows of another format are not used
 * (the room is listed from its state, and its row rewritten once loaded).
 * Bump it when what MatrixRoom shows in a list changes.
 * 2: last_activity is that of the newest event that bumps the room.
 * 3: members who left are named as they were called (prev_content).
 * 4: the preview shows a message's newest edit, never an edit itself. */
#define SUMMARY_FORMAT 4
#define SUMMARY_FORMAT_SQL G_STRINGIFY (SUMMARY_FORMAT)

/* The string members of a list summary, in the order of their columns. */
static const char * const summary_strings[] = {
  "display_name", "topic", "avatar_url", "last_message", "inviter",
};
#define N_SUMMARY_STRINGS G_N_ELEMENTS (summary_strings)

/* One write gathered between two commits. */
typedef enum {
  OP_SET_VALUE,
  OP_SET_STATE,
  OP_ADD_EVENT,
  OP_REPLACE_EVENT,
  OP_SET_ROOM_DATA,
  OP_FORGET_ROOM,
  OP_SET_SUMMARY,
} OpKind;

typedef struct {
  OpKind       kind;
  char        *room_id;    /* or the value's key */
  char        *text;       /* JSON, or the value; NULL removes a value */
  /* A state or timeline event, written out on the writer thread, which
   * reads it and nothing more: its text is made there into one reused
   * buffer rather than allocated per event on the main thread. The last
   * reference is always dropped on the main thread (see writer_thread()),
   * since an event's JSON is reference-counted without atomics. */
  MatrixEvent *event;
  /* OP_SET_SUMMARY: its strings (summary_strings) and its last activity,
   * taken out of the JSON on the main thread. */
  char        *summary[N_SUMMARY_STRINGS];
  gint64       last_activity;
} Op;

typedef enum {
  JOB_OPEN,
  JOB_COMMIT,
  JOB_LOAD,
  JOB_SECRET_FILE,
  JOB_BARRIER,
  JOB_QUIT,
} JobKind;

typedef struct {
  JobKind    kind;
  GTask     *task;
  GPtrArray *ops;     /* Op*, or the room ids (char*) of JOB_LOAD */
  char      *text;    /* next_batch, or the token for JOB_SECRET_FILE */
} Job;

/* The statements of a commit, prepared on the writer thread the first time
 * they are needed and kept for the connection's life: preparing them cost
 * more than a small sync's rows. */
enum {
  STMT_SET_VALUE,
  STMT_DELETE_VALUE,
  /* 1, 8 and 64 rows at a time, in this order: see write_rows(). */
  STMT_SET_STATE,
  STMT_SET_STATE_8,
  STMT_SET_STATE_64,
  STMT_ADD_EVENT,
  STMT_ADD_EVENT_8,
  STMT_ADD_EVENT_64,
  STMT_REPLACE_EVENT,
  STMT_LAST_POSITION,
  STMT_TRIM_TIMELINE,
  STMT_SET_ROOM_DATA,
  STMT_FORGET_STATE,
  STMT_FORGET_TIMELINE,
  STMT_FORGET_ROOM_DATA,
  STMT_FORGET_SUMMARY,
  STMT_SET_SUMMARY,
  STMT_SET_SYNC_TOKEN,
  N_STMTS
};

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
  [STMT_FORGET_SUMMARY] = "DELETE FROM room_summaries WHERE room_id = ?1",
  [STMT_SET_SUMMARY] = "INSERT OR REPLACE INTO room_summaries (room_id, format, last_activity, "
                       "display_name, topic, avatar_url, last_message, inviter) "
                       "VALUES (?1, " SUMMARY_FORMAT_SQL ", ?2, ?3, ?4, ?5, ?6, ?7)",
  [STMT_SET_SYNC_TOKEN] = "INSERT OR REPLACE INTO sync_token (id, next_batch) VALUES (1, ?1)",
};

/* What the writer thread owns. It outlives the store if the store's last
 * reference is dropped on that thread. */
typedef struct {
  GAsyncQueue *jobs;
  sqlite3     *db;
  char        *db_path;
  char        *secret_path;
  guint        timeline_limit;
  sqlite3_stmt *stmts[N_STMTS];
} Writer;

typedef enum {
  SECRET_UNKNOWN,
  SECRET_KEYRING,
  SECRET_FILE,
} SecretBackend;

struct _MatrixSqliteStore
{
  GObject        parent_instance;

  char          *directory;
  char          *database_name;
  char          *secret_schema;     /* NULL: the token is kept in a file, never the keyring */
  char          *db_path;
  char          *secret_path;
  char          *corrupt_file;
  guint          timeline_limit;
  char          *user_id_hint;      /* whose store it is, when the database does not say */
  char          *homeserver_hint;

  MatrixStoreCache *cache;  /* what reads answer from */
  gboolean       lazy;
  GHashTable    *partial_rooms;  /* room ids of which only the room list's part is loaded */
  GHashTable    *summaries;      /* room id → JsonObject: the list summary last read or written */

  GPtrArray     *pending;    /* Op*, since the last commit */

  GThread       *thread;
  Writer        *writer;

  /* Filled on the writer thread while opening, before anyone sees the store. */
  char          *file_token;

  SecretBackend  secret_backend;
  /* Opened without waiting for the keyring: the token comes later. */
  gboolean       token_later;
  gboolean       token_pending;
  gboolean       token_set_meanwhile;
  GPtrArray     *token_waiters; /* GTask*: matrix_sqlite_store_wait_for_token_async() */
  GQueue         secret_ops;    /* SecretOp*, in the order they were set */
  gboolean       secret_busy;
  GPtrArray     *flush_waiters; /* GTask*: flushes waiting for the secret queue */
};

typedef struct {
  char *user_id;
  char *homeserver;
  char *token;
} SecretOp;

/**
 * matrix_sqlite_store_error_quark:
 *
 * The error domain of #MatrixSqliteStore, %MATRIX_SQLITE_STORE_ERROR.
 *
 * Returns: the domain's quark
 */
G_DEFINE_QUARK (matrix-sqlite-store-error-quark, matrix_sqlite_store_error)

static void matrix_sqlite_store_iface_init (MatrixStoreInterface *iface);
static void matrix_sqlite_store_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MatrixSqliteStore, matrix_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MATRIX_TYPE_STORE,
                                                      matrix_sqlite_store_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE,
                                                      matrix_sqlite_store_initable_iface_init))

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_TIMELINE_LIMIT,
  PROP_CORRUPT_FILE,
  PROP_USER_ID,
  PROP_HOMESERVER,
  PROP_LAZY,
  PROP_TOKEN_LATER,
  PROP_TOKEN_PENDING,
  PROP_DATABASE_NAME,
  PROP_SECRET_SCHEMA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
op_free (Op *op)
{
  g_free (op->room_id);
  g_free (op->text);
  g_clear_object (&op->event);
  for (guint i = 0; i < N_SUMMARY_STRINGS; i++)
    g_free (op->summary[i]);
  g_free (op);
}

static Op *
op_new (OpKind       kind,
        const char  *room_id,
        char        *text,
        MatrixEvent *event)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->room_id = g_strdup (room_id);
  op->text = text;
  op->event = event != NULL ? g_object_ref (event) : NULL;
  return op;
}

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_pointer (&job->ops, g_ptr_array_unref);
  g_free (job->text);
  g_free (job);
}

static void
job_push (Writer     *writer,
          JobKind     kind,
          GTask      *task,
          GPtrArray  *ops,
          const char *text)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->task = task;
  job->ops = ops;
  job->text = g_strdup (text);
  g_async_queue_push (writer->jobs, job);
}

static void
secret_op_free (SecretOp *op)
{
  g_free (op->user_id);
  g_free (op->homeserver);
  g_free (op->token);
  g_free (op);
}

/* --- SQLite helpers, writer thread only ---------------------------------- */

static gboolean
set_sqlite_error (sqlite3     *db,
                  int          rc,
                  const char  *what,
                  GError     **error)
{
  g_set_error (error, MATRIX_SQLITE_STORE_ERROR, MATRIX_SQLITE_STORE_ERROR_FAILED,
               "%s: %s", what, db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return set_sqlite_error (db, rc, sql, error);
  return TRUE;
}

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (db, rc, sql, error);
      return NULL;
    }
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

/* Runs a statement that returns no rows, and resets it for the next use. */
static gboolean
step_done (sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (sqlite3_db_handle (stmt), rc, sqlite3_sql (stmt), error);
  return TRUE;
}

static gboolean
is_corruption (int rc)
{
  rc &= 0xff;
  return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

static gboolean
read_user_version (sqlite3  *db,
                   int      *version,
                   int      *rc_out)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *version = sqlite3_column_int (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (stmt);
  *rc_out = rc;
  return rc == SQLITE_OK;
}

/* What a lazy store reads whole when it opens. */
static const char * const list_tables[] = {
  "session_values", "sync_token", "rooms", "room_summaries", NULL
};

/* Returns FALSE when the file is damaged; the message says how. With
 * @tables, only those are checked (a table that does not exist yet passes). */
static gboolean
check_integrity (sqlite3            *db,
                 const char * const *tables,
                 char              **problem)
{
  /* quick_check finds damaged pages and b-trees, which is what a crash or a
   * truncated file leaves, in linear time; integrity_check also
   * cross-checks every index and takes several times as long. */
  for (guint i = 0; tables == NULL || tables[i] != NULL; i++)
    {
      g_autofree char *sql = tables != NULL ? g_strdup_printf ("PRAGMA quick_check(%s)", tables[i])
                                            : g_strdup ("PRAGMA quick_check(1)");
      sqlite3_stmt *stmt = NULL;
      int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
      gboolean ok = FALSE;

      if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *result = (const char *) sqlite3_column_text (stmt, 0);

          ok = g_strcmp0 (result, "ok") == 0;
          if (!ok)
            *problem = g_strdup (result);
        }
      else if (tables != NULL && rc == SQLITE_ERROR)
        ok = TRUE;  /* no such table: a new database */
      else
        *problem = g_strdup (sqlite3_errmsg (db));

      sqlite3_finalize (stmt);
      if (!ok)
        return FALSE;
      if (tables == NULL)
        break;
    }
  return TRUE;
}

static gboolean
migrate (sqlite3     *db,
         int          version,
         GError     **error)
{
  for (int v = version; v < MATRIX_SQLITE_STORE_SCHEMA_VERSION; v++)
    {
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", v + 1);

      if (!exec_sql (db, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (!exec_sql (db, migrations[v], error) || !exec_sql (db, set_version, error))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          g_prefix_error (error, "Could not migrate the store to version %d: ", v + 1);
          return FALSE;
        }
      if (!exec_sql (db, "COMMIT", error))
        return FALSE;
    }
  return TRUE;
}

/* --- memory caches, main thread (or the writer while opening) ----------- */

static void
cache_set_state (MatrixSqliteStore *self,
                 MatrixStateEvent  *event)
{
  _matrix_store_cache_set_state (self->cache, event);
}

static gboolean
cache_add_event (MatrixSqliteStore *self,
                 const char        *room_id,
                 MatrixEvent       *event)
{
  return _matrix_store_cache_add_event (self->cache, room_id, event);
}

/* Keeps the newest timeline_limit events in memory, as on disk. */
static void
cache_trim_timeline (MatrixSqliteStore *self,
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
typedef struct {
  char        **room_ids;
  char        **texts;
  MatrixEvent **events;
  guint         first;
  guint         last;
} ParseChunk;

static gpointer
parse_chunk (gpointer data)
{
  ParseChunk *chunk = data;

  for (guint i = chunk->first; i < chunk->last; i++)
    {
      g_autoptr(GError) error = NULL;

      chunk->events[i] = event_from_text (chunk->texts[i], &error);
      if (chunk->events[i] == NULL)
        g_warning ("Left out a stored event of %s: %s", chunk->room_ids[i], error->message);
    }
  return NULL;
}

static MatrixEvent **
parse_events (GPtrArray *room_ids,
              GPtrArray *texts)
{
  guint n = texts->len;
  guint n_threads = CLAMP (g_get_num_processors (), 1, 8);
  MatrixEvent **events = g_new0 (MatrixEvent *, n + 1);
  ParseChunk chunks[8];
  GThread *threads[8] = { NULL, };

  if (n < 1000)
    n_threads = 1;

  for (guint t = 0; t < n_threads; t++)
    {
      chunks[t] = (ParseChunk) {
        (char **) room_ids->pdata, (char **) texts->pdata, events,
        (guint) ((guint64) n * t / n_threads), (guint) ((guint64) n * (t + 1) / n_threads),
      };
      if (t > 0)
        threads[t] = g_thread_new ("matrix-sqlite-load", parse_chunk, &chunks[t]);
    }
  parse_chunk (&chunks[0]);
  for (guint t = 1; t < n_threads; t++)
    g_thread_join (threads[t]);

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
    set_sqlite_error (db, rc, query, error);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_OK)
    return rc;

  events = parse_events (room_ids, texts);
  for (guint i = 0; i < texts->len; i++)
    {
      if (events[i] == NULL)
        continue;
      if (timeline)
        cache_add_event (self, g_ptr_array_index (room_ids, i), events[i]);
      else if (MATRIX_IS_STATE_EVENT (events[i]))
        cache_set_state (self, MATRIX_STATE_EVENT (events[i]));
      g_object_unref (events[i]);
    }
  g_debug ("Loaded %u rows of %s in %.1f ms", texts->len, timeline ? "timeline" : "state",
           (g_get_monotonic_time () - t0) / 1000.0);

  return SQLITE_OK;
}

/* One room's rows, parsed: what a load hands to the main thread. */
typedef struct {
  char      *room_id;
  GPtrArray *state;      /* MatrixStateEvent */
  GPtrArray *timeline;   /* MatrixEvent, oldest first */
} RoomRows;

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
static GPtrArray *
read_rooms (sqlite3     *db,
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

        bind_text (stmts[q], 1, g_ptr_array_index (room_ids, r));
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
    set_sqlite_error (db, rc, "Could not read rooms", error);
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
static void
merge_room (MatrixSqliteStore *self,
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

static gboolean
has_state_string (MatrixSqliteStore *self,
                  const char        *room_id,
                  const char        *event_type,
                  const char        *member)
{
  g_autoptr(MatrixStateEvent) event = _matrix_store_cache_get_state (self->cache, room_id,
                                                                     event_type, "");
  const char *value;

  if (event == NULL)
    return FALSE;
  value = matrix_event_get_content_string (MATRIX_EVENT (event), member);
  return value != NULL && *value != '\0';
}

/* The members a room list needs of a room (the list state being loaded), or
 * NULL when its name may be made from all its members: then it is read
 * whole. As MatrixRoom names rooms: by m.room.name, else the canonical
 * alias, else the summary's heroes with its member counts, else everyone. */
static GPtrArray *
list_members_needed (MatrixSqliteStore *self,
                     const char        *room_id,
                     const char        *own_id)
{
  JsonObject *data = g_hash_table_lookup (self->cache->room_data, room_id);
  JsonObject *summary = NULL;
  JsonArray *heroes = NULL;
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func (g_free);
  const char *membership = NULL;
  gint64 count;

  if (data == NULL)
    return NULL;
  /* Invites keep their state in the room data; left rooms are not listed. */
  if (_matrix_json_get_string (data, NULL, "membership", FALSE, &membership, NULL) &&
      membership != NULL && !g_str_equal (membership, "join"))
    return g_steal_pointer (&members);

  if (has_state_string (self, room_id, "m.room.name", "name") ||
      has_state_string (self, room_id, "m.room.canonical_alias", "alias"))
    return g_steal_pointer (&members);

  if (!_matrix_json_get_object (data, NULL, "summary", FALSE, &summary, NULL) || summary == NULL ||
      !_matrix_json_get_array (summary, NULL, "m.heroes", FALSE, &heroes, NULL) || heroes == NULL ||
      !_matrix_json_get_int (summary, NULL, "m.joined_member_count", FALSE, &count, NULL) ||
      !_matrix_json_get_int (summary, NULL, "m.invited_member_count", FALSE, &count, NULL))
    return NULL;

  for (guint i = 0; i < json_array_get_length (heroes) && members->len < 5; i++)
    {
      JsonNode *node = json_array_get_element (heroes, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          g_strcmp0 (json_node_get_string (node), own_id) == 0)
        continue;
      g_ptr_array_add (members, g_strdup (json_node_get_string (node)));
    }

  return members->len > 0 ? g_steal_pointer (&members) : NULL;
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

  bind_text (stmt, 1, room_id);
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
    cache_add_event (self, room_id, g_ptr_array_index (newest, i - 1));
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
            json_object_set_string_member (summary, summary_strings[i], value);
        }
      g_hash_table_insert (self->summaries, g_strdup (room_id), summary);
    }
  if (rc == SQLITE_DONE)
    rc = SQLITE_OK;
  if (rc != SQLITE_OK)
    set_sqlite_error (db, rc, query, error);
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
      bind_text (stmt, 1, room_id);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          g_ptr_array_add (row_rooms, (gpointer) room_id);
          g_ptr_array_add (texts, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
        }
      rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
      sqlite3_reset (stmt);
    }
  if (rc != SQLITE_OK)
    set_sqlite_error (db, rc, query, error);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_OK)
    return rc;

  events = parse_events (row_rooms, texts);
  for (guint i = 0; i < texts->len; i++)
    {
      if (events[i] != NULL && MATRIX_IS_STATE_EVENT (events[i]))
        cache_set_state (self, MATRIX_STATE_EVENT (events[i]));
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
    set_sqlite_error (db, rc, "Could not list the rooms", error);
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
          bind_text (member_stmt, 1, room_id);
          bind_text (member_stmt, 2, g_ptr_array_index (needed, i));
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
    set_sqlite_error (db, rc, "Could not read the newest events", error);
  sqlite3_finalize (newest_stmt);
  sqlite3_finalize (member_stmt);
  if (rc != SQLITE_OK)
    return rc;

  members = parse_events (member_rooms, member_texts);
  for (guint i = 0; i < member_texts->len; i++)
    {
      if (members[i] != NULL && MATRIX_IS_STATE_EVENT (members[i]))
        cache_set_state (self, MATRIX_STATE_EVENT (members[i]));
      g_clear_object (&members[i]);
    }

  if (whole->len > 0)
    {
      g_autoptr(GPtrArray) rows = read_rooms (db, whole, error);

      if (rows == NULL)
        return sqlite3_errcode (db);
      for (guint i = 0; i < rows->len; i++)
        merge_room (self, g_ptr_array_index (rows, i));
    }

  g_debug ("Loaded the room list's part of %u rooms (%u from their summary), all of %u",
           room_ids->len - whole->len, g_hash_table_size (self->summaries), whole->len);
  return SQLITE_OK;
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
        set_sqlite_error (db, rc, queries[q], error);
      sqlite3_finalize (stmt);
    }

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
      set_sqlite_error (db, rc, writer->db_path, error);
      sqlite3_close (db);
      return is_corruption (rc) ? OPEN_CORRUPT : OPEN_FAILED;
    }
  sqlite3_extended_result_codes (db, TRUE);
  sqlite3_busy_timeout (db, 5000);

  /* The version is read before anything writes, so that a database of a
   * newer matrix-glib is left exactly as it was. */
  if (!read_user_version (db, &version, &rc))
    {
      set_sqlite_error (db, rc, "Could not read the schema version", error);
      sqlite3_close (db);
      return is_corruption (rc) ? OPEN_CORRUPT : OPEN_FAILED;
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

  if (!check_integrity (db, self->lazy && !unclean ? list_tables : NULL, &problem))
    {
      g_set_error (error, MATRIX_SQLITE_STORE_ERROR, MATRIX_SQLITE_STORE_ERROR_FAILED,
                   "The store %s is damaged: %s", writer->db_path, problem);
      sqlite3_close (db);
      return OPEN_CORRUPT;
    }

  /* FULL makes each commit durable across a power cut, not only a crash. */
  if (!exec_sql (db, "PRAGMA journal_mode = WAL", error) ||
      !exec_sql (db, "PRAGMA synchronous = FULL", error) ||
      !migrate (db, version, error))
    {
      rc = sqlite3_extended_errcode (db);
      sqlite3_close (db);
      return is_corruption (rc) ? OPEN_CORRUPT : OPEN_FAILED;
    }

  g_debug ("Checked and migrated in %.1f ms", (g_get_monotonic_time () - started) / 1000.0);
  rc = load_caches (self, db, error);
  g_debug ("Loaded in %.1f ms", (g_get_monotonic_time () - started) / 1000.0);
  if (rc != SQLITE_OK)
    {
      sqlite3_close (db);
      clear_caches (self);
      return is_corruption (rc) ? OPEN_CORRUPT : OPEN_FAILED;
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

static gboolean
writer_open (MatrixSqliteStore  *self,
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

  bind_text (stmt, 1, room_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    return set_sqlite_error (sqlite3_db_handle (stmt), rc, sqlite3_sql (stmt), error);
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

          bind_text (stmt, column, todo[r].op->room_id);
          if (timeline)
            {
              sqlite3_bind_int64 (stmt, column + 1, todo[r].position);
              bind_text (stmt, column + 2, matrix_event_get_event_id (todo[r].op->event));
            }
          else
            {
              bind_text (stmt, column + 1, todo[r].type);
              bind_text (stmt, column + 2, todo[r].state_key);
            }
          sqlite3_bind_text (stmt, column + 3, commit->scratch->str + start, ends[r] - start,
                             SQLITE_STATIC);
        }

      if (!step_done (stmt, error))
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
  bind_text (stmt, 1, op->room_id);
  sqlite3_bind_int64 (stmt, 2, room->last + 1);
  bind_text (stmt, 3, event_id);
  bind_event_text (stmt, 4, op->event, commit->scratch);
  if (!step_done (stmt, error))
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
      bind_text (stmt, 1, op->room_id);
      if (op->text != NULL)
        bind_text (stmt, 2, op->text);
      return step_done (stmt, error);

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
      bind_text (stmt, 1, op->room_id);
      bind_text (stmt, 2, matrix_event_get_event_id (op->event));
      bind_event_text (stmt, 3, op->event, commit->scratch);
      return step_done (stmt, error);

    case OP_SET_ROOM_DATA:
      stmt = stmts[STMT_SET_ROOM_DATA];
      bind_text (stmt, 1, op->room_id);
      bind_text (stmt, 2, op->text);
      return step_done (stmt, error);

    case OP_FORGET_ROOM:
      if (!write_gathered (commit, error))
        return FALSE;
      for (int s = STMT_FORGET_STATE; s <= STMT_FORGET_SUMMARY; s++)
        {
          bind_text (stmts[s], 1, op->room_id);
          if (!step_done (stmts[s], error))
            return FALSE;
        }
      /* Events added after this count from an empty room again. */
      g_hash_table_remove (commit->grown_rooms, op->room_id);
      return TRUE;

    case OP_SET_SUMMARY:
      stmt = stmts[STMT_SET_SUMMARY];
      bind_text (stmt, 1, op->room_id);
      sqlite3_bind_int64 (stmt, 2, op->last_activity);
      for (guint i = 0; i < N_SUMMARY_STRINGS; i++)
        if (op->summary[i] != NULL)
          bind_text (stmt, 3 + i, op->summary[i]);
        else
          sqlite3_bind_null (stmt, 3 + i);
      return step_done (stmt, error);

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
  gboolean ok = exec_sql (writer->db, "BEGIN IMMEDIATE", error);

  for (guint s = 0; ok && s < N_STMTS; s++)
    if (stmts[s] == NULL)
      ok = (stmts[s] = prepare (writer->db, statements[s], error)) != NULL;

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
          bind_text (stmts[STMT_TRIM_TIMELINE], 1, room_id);
          sqlite3_bind_int64 (stmts[STMT_TRIM_TIMELINE], 2, writer->timeline_limit);
          ok = step_done (stmts[STMT_TRIM_TIMELINE], error);
        }
    }

  /* The token goes in the same transaction as what it covers, last. */
  if (ok && next_batch != NULL)
    {
      bind_text (stmts[STMT_SET_SYNC_TOKEN], 1, next_batch);
      ok = step_done (stmts[STMT_SET_SYNC_TOKEN], error);
    }

  if (ok)
    ok = exec_sql (writer->db, "COMMIT", error);
  if (!ok && !sqlite3_get_autocommit (writer->db))
    sqlite3_exec (writer->db, "ROLLBACK", NULL, NULL, NULL);

  return ok;
}

static gpointer
writer_thread (gpointer data)
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
          if (writer_open (g_task_get_task_data (job->task), writer, &error))
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
              GPtrArray *rows = read_rooms (writer->db, job->ops, &error);

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
      job_free (job);
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

/* --- the access token ---------------------------------------------------- */

static void secret_next (MatrixSqliteStore *self);

static void
note_no_keyring (const GError *error)
{
  static gsize told = 0;

  if (g_once_init_enter (&told))
    {
      g_message ("No Secret Service (%s): keeping the access token in a file only you can read",
                 error->message);
      g_once_init_leave (&told, 1);
    }
}

/* Whether no Secret Service could be reached at all, as opposed to one
 * that answered with an error. */
static gboolean
secret_service_missing (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  return error->domain == G_DBUS_ERROR || error->domain == G_IO_ERROR ||
         error->domain == G_SPAWN_ERROR;
}

static void
on_secret_stored (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(MatrixSqliteStore) self = user_data;
  g_autoptr(GError) error = NULL;
  SecretOp *op = g_queue_pop_head (&self->secret_ops);

  self->secret_busy = FALSE;

  if (_matrix_secret_store_finish (result, &error))
    {
      self->secret_backend = SECRET_KEYRING;
      /* A token kept in a file while there was no keyring must not linger. */
      job_push (self->writer, JOB_SECRET_FILE, NULL, NULL, NULL);
    }
  else if (secret_service_missing (error))
    {
      note_no_keyring (error);
      self->secret_backend = SECRET_FILE;
      job_push (self->writer, JOB_SECRET_FILE, NULL, NULL, op->token);
    }
  else
    {
      /* A keyring that refused (locked, dismissed prompt...) is no reason
       * to write the token in plain text: it stays in memory only. */
      g_warning ("Could not save the access token in the keyring: %s", error->message);
    }

  secret_op_free (op);
  secret_next (self);
}

static void
on_barrier (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_return_boolean (task, TRUE);
}

static void
secret_next (MatrixSqliteStore *self)
{
  SecretOp *op;

  while (!self->secret_busy && (op = g_queue_peek_head (&self->secret_ops)) != NULL)
    {
      if (self->secret_backend == SECRET_FILE)
        {
          job_push (self->writer, JOB_SECRET_FILE, NULL, NULL, op->token);
          secret_op_free (g_queue_pop_head (&self->secret_ops));
          continue;
        }

      self->secret_busy = TRUE;
      _matrix_secret_store_async (self->secret_schema, op->user_id, op->homeserver, op->token,
                                  NULL, on_secret_stored, g_object_ref (self));
    }

  if (!self->secret_busy && self->flush_waiters->len > 0)
    {
      for (guint i = 0; i < self->flush_waiters->len; i++)
        job_push (self->writer, JOB_BARRIER,
                  g_task_new (NULL, NULL, on_barrier, g_ptr_array_index (self->flush_waiters, i)),
                  NULL, NULL);
      /* The jobs own the tasks now. */
      g_ptr_array_set_free_func (self->flush_waiters, NULL);
      g_ptr_array_set_size (self->flush_waiters, 0);
      g_ptr_array_set_free_func (self->flush_waiters, g_object_unref);
    }
}

static void
queue_secret (MatrixSqliteStore *self,
              const char        *token)
{
  SecretOp *op = g_new0 (SecretOp, 1);
  const char *user_id = g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_USER_ID);
  const char *homeserver = g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_HOMESERVER);

  op->user_id = g_strdup (user_id != NULL ? user_id : "");
  op->homeserver = g_strdup (homeserver != NULL ? homeserver : "");
  op->token = g_strdup (token);
  g_queue_push_tail (&self->secret_ops, op);
  secret_next (self);
}

/* --- MatrixStore ---------------------------------------------------------- */

static const char *
sqlite_get_value (MatrixStore *store,
                  const char  *key)
{
  return g_hash_table_lookup (MATRIX_SQLITE_STORE (store)->cache->values, key);
}

static void
sqlite_set_value (MatrixStore *store,
                  const char  *key,
                  const char  *value)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  if (!_matrix_store_cache_set_value (self->cache, key, value))
    return;

  if (g_str_equal (key, MATRIX_STORE_KEY_ACCESS_TOKEN))
    {
      /* Newer than whatever the keyring still has to say. */
      if (self->token_pending)
        self->token_set_meanwhile = TRUE;
      queue_secret (self, value);
    }
  else
    {
      /* Session values (user id, device, homeserver) are not covered by the
       * sync token: they are written at once, in a transaction of their own,
       * so a session survives a quit or crash before the first sync, and the
       * keyring entry, found by user id, can be found again. */
      GPtrArray *ops = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);

      g_ptr_array_add (ops, op_new (OP_SET_VALUE, key, g_strdup (value), NULL));
      job_push (self->writer, JOB_COMMIT, NULL, ops, NULL);
    }
}

static void
sqlite_set_state_event (MatrixStore      *store,
                        MatrixStateEvent *event)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  cache_set_state (self, event);
  g_ptr_array_add (self->pending,
                   op_new (OP_SET_STATE, matrix_event_get_room_id (MATRIX_EVENT (event)), NULL,
                           MATRIX_EVENT (event)));
}


static MatrixStateEvent *
sqlite_get_state_event (MatrixStore *store,
                        const char  *room_id,
                        const char  *event_type,
                        const char  *state_key)
{
  return _matrix_store_cache_get_state (MATRIX_SQLITE_STORE (store)->cache, room_id, event_type,
                                        state_key);
}

static GPtrArray *
sqlite_get_state_events (MatrixStore *store,
                         const char  *room_id,
                         const char  *event_type)
{
  return _matrix_store_cache_get_states (MATRIX_SQLITE_STORE (store)->cache, room_id, event_type);
}

static GStrv
sqlite_get_room_ids (MatrixStore *store)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  g_auto(GStrv) cached = _matrix_store_cache_get_room_ids (self->cache);
  g_autoptr(GStrvBuilder) builder = NULL;
  g_autoptr(GHashTable) known = NULL;
  GHashTableIter iter;
  gpointer room_id;

  if (g_hash_table_size (self->partial_rooms) == 0)
    return g_steal_pointer (&cached);

  /* A partial room has room data, as a rule; should it not, it is still known. */
  builder = g_strv_builder_new ();
  known = g_hash_table_new (g_str_hash, g_str_equal);
  g_strv_builder_addv (builder, (const char **) cached);
  for (guint i = 0; cached[i] != NULL; i++)
    g_hash_table_add (known, cached[i]);
  g_hash_table_iter_init (&iter, self->partial_rooms);
  while (g_hash_table_iter_next (&iter, &room_id, NULL))
    if (!g_hash_table_contains (known, room_id))
      g_strv_builder_add (builder, room_id);
  return g_strv_builder_end (builder);
}

static void
sqlite_add_timeline_events (MatrixStore *store,
                            const char  *room_id,
                            GPtrArray   *events)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);

      if (cache_add_event (self, room_id, event))
        g_ptr_array_add (self->pending, op_new (OP_ADD_EVENT, room_id, NULL, event));
    }

  cache_trim_timeline (self, room_id);
}

/* The row is updated whether or not the room is in memory (a lazy store may
 * not have read its timeline yet). */
static void
sqlite_replace_timeline_event (MatrixStore *store,
                               const char  *room_id,
                               MatrixEvent *event)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  _matrix_store_cache_replace_event (self->cache, room_id, event);
  g_ptr_array_add (self->pending, op_new (OP_REPLACE_EVENT, room_id, NULL, event));
}

static GPtrArray *
sqlite_get_timeline_events (MatrixStore *store,
                            const char  *room_id)
{
  return _matrix_store_cache_get_timeline (MATRIX_SQLITE_STORE (store)->cache, room_id);
}

static void
sqlite_set_room_data (MatrixStore *store,
                      const char  *room_id,
                      JsonObject  *data)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), data);

  _matrix_store_cache_set_room_data (self->cache, room_id, data);
  g_ptr_array_add (self->pending,
                   op_new (OP_SET_ROOM_DATA, room_id, _matrix_json_to_string (node), NULL));
}

static JsonObject *
sqlite_get_room_data (MatrixStore *store,
                      const char  *room_id)
{
  return _matrix_store_cache_get_room_data (MATRIX_SQLITE_STORE (store)->cache, room_id);
}

static void
sqlite_forget_room (MatrixStore *store,
                    const char  *room_id)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);

  _matrix_store_cache_forget_room (self->cache, room_id);
  /* Its rows go with the next commit: a load in flight must not bring them back. */
  g_hash_table_remove (self->partial_rooms, room_id);
  g_hash_table_remove (self->summaries, room_id);
  g_ptr_array_add (self->pending, op_new (OP_FORGET_ROOM, room_id, NULL, NULL));
}

static void
sqlite_set_list_summary (MatrixStore *store,
                         const char  *room_id,
                         JsonObject  *summary)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  JsonObject *kept = g_hash_table_lookup (self->summaries, room_id);
  const char *display_name = NULL;
  gint64 last_activity = 0;
  Op *op;

  if (kept != NULL && json_object_equal (kept, summary))
    return;
  if (!_matrix_json_get_string (summary, NULL, "display_name", TRUE, &display_name, NULL) ||
      !_matrix_json_get_int (summary, NULL, "last_activity", FALSE, &last_activity, NULL))
    {
      g_critical ("A list summary of %s without a display name or last activity", room_id);
      return;
    }

  op = op_new (OP_SET_SUMMARY, room_id, NULL, NULL);
  op->last_activity = last_activity;
  for (guint i = 0; i < N_SUMMARY_STRINGS; i++)
    {
      const char *value = NULL;

      _matrix_json_get_string (summary, NULL, summary_strings[i], FALSE, &value, NULL);
      op->summary[i] = g_strdup (value);
    }
  g_ptr_array_add (self->pending, op);
  g_hash_table_insert (self->summaries, g_strdup (room_id), json_object_ref (summary));
}

static JsonObject *
sqlite_get_list_summary (MatrixStore *store,
                         const char  *room_id)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  JsonObject *summary;

  if (!g_hash_table_contains (self->partial_rooms, room_id))
    return NULL;
  summary = g_hash_table_lookup (self->summaries, room_id);
  return summary != NULL ? json_object_ref (summary) : NULL;
}

static gboolean
sqlite_is_room_loaded (MatrixStore *store,
                       const char  *room_id)
{
  return !g_hash_table_contains (MATRIX_SQLITE_STORE (store)->partial_rooms, room_id);
}

static void
on_rooms_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixSqliteStore *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) rows = NULL;
  GError *error = NULL;

  rows = g_task_propagate_pointer (G_TASK (result), &error);
  if (rows == NULL)
    {
      /* A room that cannot be read (a damaged page, which a lazy open does
       * not look for after a clean shutdown) must not hold the sync back
       * forever: it goes on with what is in memory, and this caller hears
       * why. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          GPtrArray *room_ids = g_task_get_task_data (G_TASK (result));

          g_warning ("Could not read rooms from the store, going on without: %s",
                     error->message);
          for (guint i = 0; i < room_ids->len; i++)
            if (g_hash_table_remove (self->partial_rooms, g_ptr_array_index (room_ids, i)))
              g_signal_emit_by_name (self, "room-loaded", g_ptr_array_index (room_ids, i));
        }
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      RoomRows *room = g_ptr_array_index (rows, i);

      /* Loaded meanwhile by another request, or forgotten. */
      if (!g_hash_table_contains (self->partial_rooms, room->room_id))
        continue;
      merge_room (self, room);
      g_hash_table_remove (self->partial_rooms, room->room_id);
      g_signal_emit_by_name (self, "room-loaded", room->room_id);
    }

  g_task_return_boolean (task, TRUE);
}

static void
sqlite_load_rooms_async (MatrixStore         *store,
                         const char * const  *room_ids,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GPtrArray *wanted = g_ptr_array_new_with_free_func (g_free);
  GTask *read_task;

  g_task_set_source_tag (task, sqlite_load_rooms_async);

  for (guint i = 0; room_ids[i] != NULL; i++)
    if (g_hash_table_contains (self->partial_rooms, room_ids[i]) &&
        !g_ptr_array_find_with_equal_func (wanted, room_ids[i], g_str_equal, NULL))
      g_ptr_array_add (wanted, g_strdup (room_ids[i]));

  if (wanted->len == 0 || g_task_return_error_if_cancelled (task))
    {
      g_ptr_array_unref (wanted);
      if (!g_task_had_error (task))
        g_task_return_boolean (task, TRUE);
      return;
    }

  /* Like the writer's other tasks, no source object: see init_async. */
  read_task = g_task_new (NULL, cancellable, on_rooms_read, g_steal_pointer (&task));
  g_task_set_source_tag (read_task, sqlite_load_rooms_async);
  g_task_set_task_data (read_task, g_ptr_array_ref (wanted), (GDestroyNotify) g_ptr_array_unref);
  job_push (self->writer, JOB_LOAD, read_task, wanted, NULL);
}

static gboolean
sqlite_load_rooms_finish (MatrixStore   *store,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  GTask     *task;         /* the caller's */
  GPtrArray *ops;          /* kept to be retried if the commit fails */
  char      *next_batch;
} CommitData;

static void
commit_data_free (CommitData *data)
{
  g_clear_object (&data->task);
  g_clear_pointer (&data->ops, g_ptr_array_unref);
  g_free (data->next_batch);
  g_free (data);
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CommitData *data = user_data;
  MatrixSqliteStore *self = g_task_get_source_object (data->task);
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_hash_table_insert (self->cache->values, g_strdup (MATRIX_STORE_KEY_SYNC_TOKEN),
                           g_strdup (data->next_batch));
      g_task_return_boolean (data->task, TRUE);
    }
  else
    {
      /* The memory already has these changes and will not hand them over
       * again, so they wait for the next commit instead of being lost. */
      g_ptr_array_extend_and_steal (data->ops, g_steal_pointer (&self->pending));
      self->pending = g_steal_pointer (&data->ops);
      g_task_return_error (data->task, error);
    }

  commit_data_free (data);
}

static void
sqlite_commit_async (MatrixStore         *store,
                     const char          *next_batch,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (store);
  CommitData *data = g_new0 (CommitData, 1);
  GTask *write_task;

  data->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (data->task, sqlite_commit_async);
  /* Once the changes are written, the caller hears so, cancelled or not. */
  g_task_set_check_cancellable (data->task, FALSE);
  data->next_batch = g_strdup (next_batch);
  data->ops = g_ptr_array_ref (self->pending);

  g_ptr_array_unref (self->pending);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);

  write_task = g_task_new (NULL, NULL, on_written, data);
  g_task_set_source_tag (write_task, sqlite_commit_async);
  job_push (self->writer, JOB_COMMIT, write_task, g_ptr_array_ref (data->ops), next_batch);
}

static gboolean
sqlite_commit_finish (MatrixStore   *store,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
matrix_sqlite_store_iface_init (MatrixStoreInterface *iface)
{
  iface->get_value = sqlite_get_value;
  iface->set_value = sqlite_set_value;
  iface->set_state_event = sqlite_set_state_event;
  iface->get_state_event = sqlite_get_state_event;
  iface->get_state_events = sqlite_get_state_events;
  iface->get_room_ids = sqlite_get_room_ids;
  iface->add_timeline_events = sqlite_add_timeline_events;
  iface->replace_timeline_event = sqlite_replace_timeline_event;
  iface->get_timeline_events = sqlite_get_timeline_events;
  iface->set_room_data = sqlite_set_room_data;
  iface->get_room_data = sqlite_get_room_data;
  iface->forget_room = sqlite_forget_room;
  iface->commit_async = sqlite_commit_async;
  iface->commit_finish = sqlite_commit_finish;
  iface->is_room_loaded = sqlite_is_room_loaded;
  iface->load_rooms_async = sqlite_load_rooms_async;
  iface->load_rooms_finish = sqlite_load_rooms_finish;
  iface->set_list_summary = sqlite_set_list_summary;
  iface->get_list_summary = sqlite_get_list_summary;
}

/* --- GAsyncInitable ------------------------------------------------------- */

static void
wipe_token (char *token)
{
  if (token != NULL)
    memset (token, 0, strlen (token));
  g_free (token);
}

/* What the keyring said about the token: @token (transfer full) or
 * @error, and where the token lives from now on. */
static void
take_looked_up_token (MatrixSqliteStore *self,
                      char              *token,
                      const GError      *error)
{
  if (error != NULL)
    {
      note_no_keyring (error);
      self->secret_backend = SECRET_FILE;
    }
  else
    self->secret_backend = SECRET_KEYRING;

  /* A token set (a new sign-in) or removed (a logout) while the keyring
   * took its time is the one that holds. */
  if (self->token_set_meanwhile)
    {
      wipe_token (token);
      g_clear_pointer (&self->file_token, wipe_token);
      return;
    }

  if (token != NULL)
    g_hash_table_insert (self->cache->values, g_strdup (MATRIX_STORE_KEY_ACCESS_TOKEN),
                         g_steal_pointer (&token));
  else if (self->file_token != NULL)
    {
      g_hash_table_insert (self->cache->values, g_strdup (MATRIX_STORE_KEY_ACCESS_TOKEN),
                           g_strdup (self->file_token));
      /* Saved while there was no keyring; now there is one, so it moves
       * there, and the file goes. */
      if (self->secret_backend == SECRET_KEYRING)
        queue_secret (self, self->file_token);
    }
  g_clear_pointer (&self->file_token, wipe_token);
}

static void
on_token_looked_up (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixSqliteStore *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *token = _matrix_secret_lookup_finish (result, &error);

  take_looked_up_token (self, token, error);
  g_task_return_boolean (task, TRUE);
}

/* The lookup of a store that did not wait for it: it does not keep the
 * store alive (a keyring may take the whole D-Bus timeout to answer, and a
 * closed store is not kept open for that). */
static void
on_token_looked_up_later (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GWeakRef *ref = user_data;
  g_autoptr(MatrixSqliteStore) self = g_weak_ref_get (ref);
  g_autoptr(GPtrArray) waiters = NULL;
  g_autoptr(GError) error = NULL;
  char *token = _matrix_secret_lookup_finish (result, &error);

  g_weak_ref_clear (ref);
  g_free (ref);
  if (self == NULL)
    {
      wipe_token (token);
      return;
    }

  take_looked_up_token (self, token, error);
  self->token_pending = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN_PENDING]);

  waiters = g_steal_pointer (&self->token_waiters);
  self->token_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *waiter = g_ptr_array_index (waiters, i);
      GCancellable *cancellable = g_task_get_cancellable (waiter);
      gulong handler = GPOINTER_TO_SIZE (g_task_get_task_data (waiter));

      if (handler != 0)
        g_signal_handler_disconnect (cancellable, handler);
      g_task_return_boolean (waiter, TRUE);
    }
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MatrixSqliteStore *self = g_task_get_source_object (task);
  const char *user_id, *homeserver;
  GCancellable *cancellable;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* A new or reset database does not know whose it is: the caller may. Then
   * the token, filed in the keyring under the user, is found again. */
  if (g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_USER_ID) == NULL &&
      self->user_id_hint != NULL)
    {
      sqlite_set_value (MATRIX_STORE (self), MATRIX_STORE_KEY_USER_ID, self->user_id_hint);
      if (self->homeserver_hint != NULL)
        sqlite_set_value (MATRIX_STORE (self), MATRIX_STORE_KEY_HOMESERVER, self->homeserver_hint);
    }

  user_id = g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_USER_ID);
  homeserver = g_hash_table_lookup (self->cache->values, MATRIX_STORE_KEY_HOMESERVER);
  if (user_id == NULL)
    {
      /* No session: nothing to look up, and no keyring to wake up. */
      g_clear_pointer (&self->file_token, g_free);
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (self->secret_schema == NULL)
    {
      /* The application keeps its tokens out of the keyring. */
      if (self->file_token != NULL)
        g_hash_table_insert (self->cache->values, g_strdup (MATRIX_STORE_KEY_ACCESS_TOKEN),
                             g_steal_pointer (&self->file_token));
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (self->token_later)
    {
      GWeakRef *ref = g_new0 (GWeakRef, 1);

      /* Reading never waits for the keyring: the store is open now, and
       * the token follows (matrix_sqlite_store_wait_for_token_async()).
       * No cancellable, so that a lookup started ahead is taken over. */
      g_weak_ref_init (ref, self);
      self->token_pending = TRUE;
      _matrix_secret_lookup_async (self->secret_schema, user_id,
                                   homeserver != NULL ? homeserver : "", NULL,
                                   on_token_looked_up_later, ref);
      g_task_return_boolean (task, TRUE);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  _matrix_secret_lookup_async (self->secret_schema, user_id, homeserver != NULL ? homeserver : "",
                               cancellable, on_token_looked_up, g_steal_pointer (&task));
}

static void
matrix_sqlite_store_init_async (GAsyncInitable      *initable,
                                int                  io_priority,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (initable);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GTask *open_task;

  g_task_set_source_tag (task, matrix_sqlite_store_init_async);

  /* The writer's tasks have no source object: the writer thread may drop
   * its reference last, and must not hold the store's. */
  open_task = g_task_new (NULL, NULL, on_opened, task);
  g_task_set_source_tag (open_task, matrix_sqlite_store_init_async);
  g_task_set_task_data (open_task, self, NULL);
  job_push (self->writer, JOB_OPEN, open_task, NULL, NULL);
}

static gboolean
matrix_sqlite_store_init_finish (GAsyncInitable  *initable,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
matrix_sqlite_store_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = matrix_sqlite_store_init_async;
  iface->init_finish = matrix_sqlite_store_init_finish;
}

/* --- GObject -------------------------------------------------------------- */

static void
matrix_sqlite_store_constructed (GObject *object)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (object);
  Writer *writer = g_new0 (Writer, 1);

  G_OBJECT_CLASS (matrix_sqlite_store_parent_class)->constructed (object);

  g_assert (self->directory != NULL);
  if (self->database_name == NULL)
    self->database_name = g_strdup (DEFAULT_DATABASE_NAME);
  if (self->secret_schema == NULL)
    self->secret_backend = SECRET_FILE;
  self->db_path = g_build_filename (self->directory, self->database_name, NULL);
  self->secret_path = g_build_filename (self->directory, SECRET_FILE_NAME, NULL);

  writer->jobs = g_async_queue_new ();
  writer->db_path = g_strdup (self->db_path);
  writer->secret_path = g_strdup (self->secret_path);
  writer->timeline_limit = self->timeline_limit;
  self->writer = writer;
  self->thread = g_thread_new ("matrix-sqlite-store", writer_thread, writer);
}

static void
matrix_sqlite_store_finalize (GObject *object)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (object);

  /* The writer finishes what is queued (a token file, say), then closes
   * the database. If this runs on the writer thread itself, it exits on
   * its own after the job it is in. */
  job_push (self->writer, JOB_QUIT, NULL, NULL, NULL);
  self->writer = NULL;
  if (g_thread_self () == self->thread)
    g_thread_unref (self->thread);
  else
    g_thread_join (self->thread);

  g_queue_clear_full (&self->secret_ops, (GDestroyNotify) secret_op_free);
  g_clear_pointer (&self->flush_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->token_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->cache, _matrix_store_cache_free);
  g_clear_pointer (&self->partial_rooms, g_hash_table_unref);
  g_clear_pointer (&self->summaries, g_hash_table_unref);
  g_clear_pointer (&self->file_token, g_free);
  g_clear_pointer (&self->directory, g_free);
  g_clear_pointer (&self->database_name, g_free);
  g_clear_pointer (&self->secret_schema, g_free);
  g_clear_pointer (&self->user_id_hint, g_free);
  g_clear_pointer (&self->homeserver_hint, g_free);
  g_clear_pointer (&self->db_path, g_free);
  g_clear_pointer (&self->secret_path, g_free);
  g_clear_pointer (&self->corrupt_file, g_free);

  G_OBJECT_CLASS (matrix_sqlite_store_parent_class)->finalize (object);
}

static void
matrix_sqlite_store_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;

    case PROP_TIMELINE_LIMIT:
      g_value_set_uint (value, self->timeline_limit);
      break;

    case PROP_CORRUPT_FILE:
      g_value_set_string (value, self->corrupt_file);
      break;

    case PROP_USER_ID:
      g_value_set_string (value, self->user_id_hint);
      break;

    case PROP_HOMESERVER:
      g_value_set_string (value, self->homeserver_hint);
      break;

    case PROP_LAZY:
      g_value_set_boolean (value, self->lazy);
      break;

    case PROP_TOKEN_LATER:
      g_value_set_boolean (value, self->token_later);
      break;

    case PROP_TOKEN_PENDING:
      g_value_set_boolean (value, self->token_pending);
      break;

    case PROP_DATABASE_NAME:
      g_value_set_string (value, self->database_name);
      break;

    case PROP_SECRET_SCHEMA:
      g_value_set_string (value, self->secret_schema);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_sqlite_store_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  MatrixSqliteStore *self = MATRIX_SQLITE_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      self->directory = g_value_dup_string (value);
      break;

    case PROP_TIMELINE_LIMIT:
      self->timeline_limit = g_value_get_uint (value);
      break;

    case PROP_USER_ID:
      self->user_id_hint = g_value_dup_string (value);
      break;

    case PROP_HOMESERVER:
      self->homeserver_hint = g_value_dup_string (value);
      break;

    case PROP_LAZY:
      self->lazy = g_value_get_boolean (value);
      break;

    case PROP_TOKEN_LATER:
      self->token_later = g_value_get_boolean (value);
      break;

    case PROP_DATABASE_NAME:
      self->database_name = g_value_dup_string (value);
      break;

    case PROP_SECRET_SCHEMA:
      self->secret_schema = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_sqlite_store_class_init (MatrixSqliteStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = matrix_sqlite_store_constructed;
  object_class->finalize = matrix_sqlite_store_finalize;
  object_class->get_property = matrix_sqlite_store_get_property;
  object_class->set_property = matrix_sqlite_store_set_property;

  /**
   * MatrixSqliteStore:directory:
   *
   * The directory of the store's files, created when missing; such as one from
   * matrix_sqlite_store_default_dir().
   */
  properties[PROP_DIRECTORY] =
    g_param_spec_string ("directory", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:timeline-limit:
   *
   * How many of the newest timeline events the store keeps per room.
   */
  properties[PROP_TIMELINE_LIMIT] =
    g_param_spec_uint ("timeline-limit", NULL, NULL, 1, G_MAXUINT,
                       MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:corrupt-file:
   *
   * Where a damaged database was moved when the store opened, or %NULL: the
   * store then started empty, and the app may tell the user.
   */
  /**
   * MatrixSqliteStore:user-id:
   *
   * Whose store it is, for a database that does not say (a new one, or one set
   * aside as damaged): the access token filed for that user is then found
   * again. %NULL when not known.
   */
  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:homeserver:
   *
   * The homeserver of #MatrixSqliteStore:user-id's session, or %NULL.
   */
  properties[PROP_HOMESERVER] =
    g_param_spec_string ("homeserver", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:lazy:
   *
   * Whether opening reads only what a room list needs of each room; the rest
   * of a room comes with matrix_store_load_rooms_async().
   */
  properties[PROP_LAZY] =
    g_param_spec_boolean ("lazy", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CORRUPT_FILE] =
    g_param_spec_string ("corrupt-file", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:token-later:
   *
   * Whether opening is done once the database is read, without waiting for
   * the keyring to hand over the access token; see
   * #MatrixSqliteStore:token-pending.
   */
  properties[PROP_TOKEN_LATER] =
    g_param_spec_boolean ("token-later", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:token-pending:
   *
   * Whether the keyring has yet to answer for the access token of a store
   * opened with %MATRIX_SQLITE_STORE_OPEN_TOKEN_LATER; notified once it has,
   * and the token (if any) is then the store's
   * %MATRIX_STORE_KEY_ACCESS_TOKEN.
   */
  properties[PROP_TOKEN_PENDING] =
    g_param_spec_boolean ("token-pending", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:database-name:
   *
   * The name of the database file in #MatrixSqliteStore:directory, such as
   * `myapp.db`. %NULL (the default) is `matrix.db`. A damaged file is set
   * aside beside it as `NAME.corrupt-TIME`.
   */
  properties[PROP_DATABASE_NAME] =
    g_param_spec_string ("database-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * MatrixSqliteStore:secret-schema:
   *
   * The name of the Secret Service schema the access token is filed under
   * (with the attributes `user-id` and `homeserver`), such as
   * `org.example.MyApp.Session`: the application's own, so that two
   * programs signed in as the same user never share a token. Where no
   * Secret Service answers, the token goes to the file `session-token`
   * (mode 0600) in the store's directory instead.
   *
   * %NULL (the default) keeps the token in that file only, never in the
   * keyring: what a bot on a server wants.
   */
  properties[PROP_SECRET_SCHEMA] =
    g_param_spec_string ("secret-schema", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_sqlite_store_init (MatrixSqliteStore *self)
{
  self->cache = _matrix_store_cache_new ();
  self->partial_rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->summaries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) json_object_unref);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);
  self->flush_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->token_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->secret_ops);
}

/* --- public API ----------------------------------------------------------- */

/**
 * matrix_sqlite_store_default_dir:
 * @application: the application's folder in the user's data directory,
 *   such as `myapp`
 * @user_id: a Matrix user id, such as `@alice:example.org`
 *
 * A directory of the user's own for a store, `$XDG_DATA_HOME/APPLICATION/USER`,
 * with every character of the user id that could not safely be part of a
 * file name escaped as `%XX`.
 *
 * Returns: (transfer full) (type filename): the directory
 */
char *
matrix_sqlite_store_default_dir (const char *application,
                                 const char *user_id)
{
  g_autoptr(GString) escaped = g_string_new (NULL);

  g_return_val_if_fail (application != NULL && *application != '\0', NULL);
  g_return_val_if_fail (strchr (application, G_DIR_SEPARATOR) == NULL, NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  for (const char *p = user_id; *p != '\0'; p++)
    {
      guchar c = *p;

      if (g_ascii_isalnum (c) || c == '@' || c == ':' || c == '-' || c == '_' ||
          (c == '.' && p != user_id))
        g_string_append_c (escaped, c);
      else
        g_string_append_printf (escaped, "%%%02X", c);
    }

  return g_build_filename (g_get_user_data_dir (), application, escaped->str, NULL);
}

/**
 * matrix_sqlite_store_new_async:
 * @directory: where the database lives; created if missing
 * @timeline_limit: how many of the newest timeline events to keep per room,
 *   or 0 for %MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once everything is loaded
 * @user_data: data for @callback
 *
 * Opens the store on its own thread: checks the database, migrates it to the
 * current schema, loads it into memory, and looks the access token up.
 * A damaged database is moved aside (see #MatrixSqliteStore:corrupt-file) and
 * the store starts empty; one from a newer matrix-glib is refused, untouched.
 */
void
matrix_sqlite_store_new_async (const char          *directory,
                               guint                timeline_limit,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (directory != NULL);

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data,
                              "directory", directory,
                              "timeline-limit", timeline_limit > 0
                                ? timeline_limit : MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT,
                              NULL);
}

/**
 * matrix_sqlite_store_new_for_session_async:
 * @directory: the store's folder, e.g. from matrix_sqlite_store_default_dir()
 * @user_id: the user the store belongs to
 * @homeserver: (nullable): the homeserver of the session
 * @timeline_limit: events kept per room, or 0 for the default
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the store is open
 * @user_data: data for @callback
 *
 * Like matrix_sqlite_store_new_async(), for a session the caller knows: when
 * the database does not name its user (it is new, or was damaged and set
 * aside), the store takes these, so the access token kept in the keyring for
 * them is found and the session goes on.
 */
void
matrix_sqlite_store_new_for_session_async (const char          *directory,
                                           const char          *user_id,
                                           const char          *homeserver,
                                           guint                timeline_limit,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (directory != NULL);
  g_return_if_fail (user_id != NULL);

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data,
                              "directory", directory,
                              "user-id", user_id,
                              "homeserver", homeserver,
                              "timeline-limit", timeline_limit > 0
                                ? timeline_limit : MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT,
                              NULL);
}

/**
 * matrix_sqlite_store_new_lazy_async:
 * @directory: the store's folder, e.g. from matrix_sqlite_store_default_dir()
 * @user_id: the user the store belongs to
 * @homeserver: (nullable): the homeserver of the session
 * @timeline_limit: events kept per room, or 0 for the default
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the store is open
 * @user_data: data for @callback
 *
 * Like matrix_sqlite_store_new_for_session_async(), but reads only what a
 * room list shows of each joined room: its room data, its state but for the
 * members, our own and the heroes' m.room.member, and its newest events back
 * to the newest message. A room whose name may be made from all its members
 * is read whole. The rest of a room comes with
 * matrix_store_load_rooms_async(); see matrix_store_is_room_loaded().
 */
void
matrix_sqlite_store_new_lazy_async (const char          *directory,
                                    const char          *user_id,
                                    const char          *homeserver,
                                    guint                timeline_limit,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (directory != NULL);
  g_return_if_fail (user_id != NULL);

  g_async_initable_new_async (MATRIX_TYPE_SQLITE_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data,
                              "directory", directory,
                              "user-id", user_id,
                              "homeserver", homeserver,
                              "lazy", TRUE,
                              "timeline-limit", timeline_limit > 0
                                ? timeline_limit : MATRIX_SQLITE_STORE_DEFAULT_TIMELINE_LIMIT,
                              NULL);
}

/**
 * matrix_sqlite_store_new_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_sqlite_store_new_async() and the other constructors, or
 * g_async_initable_new_async() of a #MatrixSqliteStore.
 *
 * Returns: (transfer full) (nullable): the open store, or %NULL
 */
MatrixStore *
matrix_sqlite_store_new_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);

  return MATRIX_STORE (g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error));
}

/**
 * matrix_sqlite_store_get_directory:
 * @self: a #MatrixSqliteStore
 *
 * The directory the store keeps its files in.
 *
 * Returns: (transfer none): the store's directory
 */
const char *
matrix_sqlite_store_get_directory (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), NULL);

  return self->directory;
}

/**
 * matrix_sqlite_store_get_database_path:
 * @self: a #MatrixSqliteStore
 *
 * The database file: #MatrixSqliteStore:database-name in the store's
 * directory.
 *
 * Returns: (transfer none): the SQLite file
 */
const char *
matrix_sqlite_store_get_database_path (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), NULL);

  return self->db_path;
}

/**
 * matrix_sqlite_store_get_corrupt_file:
 * @self: a #MatrixSqliteStore
 *
 * Where a damaged database was set aside when the store opened.
 *
 * Returns: (transfer none) (nullable): see #MatrixSqliteStore:corrupt-file
 */
const char *
matrix_sqlite_store_get_corrupt_file (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), NULL);

  return self->corrupt_file;
}

/**
 * matrix_sqlite_store_get_secret_in_keyring:
 * @self: a #MatrixSqliteStore
 *
 * Where the access token is kept; see #MatrixSqliteStore:secret-schema.
 *
 * Returns: whether the access token is known to be kept by the Secret
 *   Service, rather than in the fallback file
 */
gboolean
matrix_sqlite_store_get_secret_in_keyring (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), FALSE);

  return self->secret_backend == SECRET_KEYRING;
}

/**
 * matrix_sqlite_store_get_token_pending:
 * @self: a #MatrixSqliteStore
 *
 * Returns: see #MatrixSqliteStore:token-pending
 */
gboolean
matrix_sqlite_store_get_token_pending (MatrixSqliteStore *self)
{
  g_return_val_if_fail (MATRIX_IS_SQLITE_STORE (self), FALSE);

  return self->token_pending;
}

static void
on_token_wait_cancelled (GCancellable *cancellable,
                         GTask        *task)
{
  MatrixSqliteStore *self = g_task_get_source_object (task);
  guint index;

  if (!g_ptr_array_find (self->token_waiters, task, &index))
    return;

  g_signal_handler_disconnect (cancellable, GPOINTER_TO_SIZE (g_task_get_task_data (task)));
  g_ptr_array_steal_index (self->token_waiters, index);
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
}

/**
 * matrix_sqlite_store_wait_for_token_async:
 * @self: a #MatrixSqliteStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the keyring has answered
 * @user_data: data for @callback
 *
 * Waits until #MatrixSqliteStore:token-pending is %FALSE: at once for a
 * store that waited for the keyring when it opened. The token, if there is
 * one, is then the store's %MATRIX_STORE_KEY_ACCESS_TOKEN.
 */
void
matrix_sqlite_store_wait_for_token_async (MatrixSqliteStore   *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gulong handler = 0;

  g_return_if_fail (MATRIX_IS_SQLITE_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_sqlite_store_wait_for_token_async);

  if (!self->token_pending)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  if (cancellable != NULL)
    handler = g_signal_connect (cancellable, "cancelled", G_CALLBACK (on_token_wait_cancelled), task);
  g_task_set_task_data (task, GSIZE_TO_POINTER (handler), NULL);
  g_ptr_array_add (self->token_waiters, g_steal_pointer (&task));
}

/**
 * matrix_sqlite_store_wait_for_token_finish:
 * @self: a #MatrixSqliteStore
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE once the keyring has answered, %FALSE if cancelled
 */
gboolean
matrix_sqlite_store_wait_for_token_finish (MatrixSqliteStore  *self,
                                           GAsyncResult       *result,
                                           GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * matrix_sqlite_store_flush_async:
 * @self: a #MatrixSqliteStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once every access token set so far is saved
 * @user_data: data for @callback
 *
 * Waits until the access token changes made so far have reached the Secret
 * Service or the fallback file, and every commit started so far is written.
 * Changes not yet committed stay uncommitted.
 */
void
matrix_sqlite_store_flush_async (MatrixSqliteStore   *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (MATRIX_IS_SQLITE_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_sqlite_store_flush_async);
  g_ptr_array_add (self->flush_waiters, task);
  secret_next (self);
}

/**
 * matrix_sqlite_store_flush_finish:
 * @self: a #MatrixSqliteStore
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_sqlite_store_flush_async().
 *
 * Returns: %TRUE once flushed
 */
gboolean
matrix_sqlite_store_flush_finish (MatrixSqliteStore  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
