/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the parts of MatrixSqliteStore share: matrix-sqlite-store.c (the
 * GObject, the MatrixStore interface, opening), matrix-sqlite-schema.c (the
 * schema, its migrations and SQLite helpers), matrix-sqlite-loader.c (reading
 * the file into memory, whole or lazily), matrix-sqlite-writer.c (the writer
 * thread and its commits) and matrix-sqlite-token.c (the access token in the
 * keyring or a file). Not installed. */

#include <sqlite3.h>

#include "matrix-event-private.h"
#include "matrix-sqlite-store.h"
#include "matrix-store-cache-private.h"

G_BEGIN_DECLS

#define DEFAULT_DATABASE_NAME "matrix.db"
#define SECRET_FILE_NAME "session-token"

/* The meaning of a room_summaries row: rows of another format are not used
 * (the room is listed from its state, and its row rewritten once loaded).
 * Bump it when what MatrixRoom shows in a list changes.
 * 2: last_activity is that of the newest event that bumps the room.
 * 3: members who left are named as they were called (prev_content).
 * 4: the preview shows a message's newest edit, never an edit itself. */
#define SUMMARY_FORMAT 4
#define SUMMARY_FORMAT_SQL G_STRINGIFY (SUMMARY_FORMAT)

/* The string members of a list summary, in the order of their columns. */
#define N_SUMMARY_STRINGS 5
extern const char * const _matrix_sqlite_summary_strings[N_SUMMARY_STRINGS];

/* One write gathered between two commits. */
typedef enum {
  OP_SET_VALUE,
  OP_SET_STATE,
  OP_ADD_EVENT,
  OP_REPLACE_EVENT,
  OP_SET_ROOM_DATA,
  OP_FORGET_ROOM,
  OP_SET_SUMMARY,
  OP_SET_PENDING_SEND,
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
  char        *txn_id;     /* OP_SET_PENDING_SEND; text NULL removes it */
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
  STMT_FORGET_PENDING_SENDS,
  STMT_FORGET_SUMMARY,
  STMT_SET_SUMMARY,
  STMT_SET_SYNC_TOKEN,
  STMT_SET_PENDING_SEND,
  STMT_DELETE_PENDING_SEND,
  N_STMTS
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

/* One room's rows, parsed: what a load hands to the main thread. */
typedef struct {
  char      *room_id;
  GPtrArray *state;      /* MatrixStateEvent */
  GPtrArray *timeline;   /* MatrixEvent, oldest first */
} RoomRows;

/* matrix-sqlite-schema.c: SQLite helpers, writer thread only */
gboolean      _matrix_sqlite_set_error                 (sqlite3    *db,
                                                        int        rc,
                                                        const char *what,
                                                        GError     **error);
gboolean      _matrix_sqlite_exec                      (sqlite3    *db,
                                                        const char *sql,
                                                        GError     **error);
sqlite3_stmt *_matrix_sqlite_prepare                   (sqlite3    *db,
                                                        const char *sql,
                                                        GError     **error);
void          _matrix_sqlite_bind_text                 (sqlite3_stmt *stmt,
                                                        int          index,
                                                        const char   *text);
gboolean      _matrix_sqlite_step_done                 (sqlite3_stmt *stmt,
                                                        GError       **error);
/* What a lazy store reads whole when it opens (NULL-terminated). */
extern const char * const _matrix_sqlite_list_tables[];
gboolean      _matrix_sqlite_is_corruption             (int rc);
gboolean      _matrix_sqlite_read_user_version         (sqlite3 *db,
                                                        int     *version,
                                                        int     *rc_out);
gboolean      _matrix_sqlite_check_integrity           (sqlite3            *db,
                                                        const char * const *tables,
                                                        char               **problem);
gboolean      _matrix_sqlite_migrate                   (sqlite3 *db,
                                                        int     version,
                                                        GError  **error);

/* matrix-sqlite-store.c */
void          _matrix_sqlite_job_free                  (Job *job);
void          _matrix_sqlite_job_push                  (Writer     *writer,
                                                        JobKind    kind,
                                                        GTask      *task,
                                                        GPtrArray  *ops,
                                                        const char *text);
void          _matrix_sqlite_secret_op_free            (SecretOp *op);

/* matrix-sqlite-loader.c: reading the file, writer thread */
void          _matrix_sqlite_store_cache_set_state     (MatrixSqliteStore *self,
                                                        MatrixStateEvent  *event);
gboolean      _matrix_sqlite_store_cache_add_event     (MatrixSqliteStore *self,
                                                        const char        *room_id,
                                                        MatrixEvent       *event);
void          _matrix_sqlite_store_cache_trim_timeline (MatrixSqliteStore *self,
                                                        const char        *room_id);
GPtrArray    *_matrix_sqlite_read_rooms                (sqlite3   *db,
                                                        GPtrArray *room_ids,
                                                        GError    **error);
void          _matrix_sqlite_store_merge_room          (MatrixSqliteStore *self,
                                                        RoomRows          *room);
gboolean      _matrix_sqlite_store_writer_open         (MatrixSqliteStore *self,
                                                        Writer            *writer,
                                                        GError            **error);

/* matrix-sqlite-writer.c */
gpointer      _matrix_sqlite_writer_thread             (gpointer data);

/* matrix-sqlite-token.c: the access token, main thread */
void          _matrix_sqlite_note_no_keyring           (const GError *error);
void          _matrix_sqlite_store_secret_next         (MatrixSqliteStore *self);
void          _matrix_sqlite_store_queue_secret        (MatrixSqliteStore *self,
                                                        const char        *token);

G_END_DECLS
