/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-sqlite-store"

/* The schema of MatrixSqliteStore's file, its migrations, and the SQLite
 * helpers the writer thread uses. */

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "matrix-json-private.h"
#include "matrix-room-private.h"
#include "matrix-secret-private.h"
#include "matrix-sqlite-store-private.h"

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
  /* 2 → 3: sends that have not reached their room yet, written as they are
   * made (not with a sync's commit), so that a quit does not lose them. */
  "CREATE TABLE pending_sends ("
  "  room_id TEXT NOT NULL,"
  "  txn_id TEXT NOT NULL,"
  "  send TEXT NOT NULL,"
  "  PRIMARY KEY (room_id, txn_id)"
  ");",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == MATRIX_SQLITE_STORE_SCHEMA_VERSION);

/* --- SQLite helpers, writer thread only ---------------------------------- */

gboolean
_matrix_sqlite_set_error (sqlite3     *db,
                  int          rc,
                  const char  *what,
                  GError     **error)
{
  g_set_error (error, MATRIX_SQLITE_STORE_ERROR, MATRIX_SQLITE_STORE_ERROR_FAILED,
               "%s: %s", what, db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

gboolean
_matrix_sqlite_exec (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return _matrix_sqlite_set_error (db, rc, sql, error);
  return TRUE;
}

sqlite3_stmt *
_matrix_sqlite_prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      _matrix_sqlite_set_error (db, rc, sql, error);
      return NULL;
    }
  return stmt;
}

void
_matrix_sqlite_bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

/* Runs a statement that returns no rows, and resets it for the next use. */
gboolean
_matrix_sqlite_step_done (sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return _matrix_sqlite_set_error (sqlite3_db_handle (stmt), rc, sqlite3_sql (stmt), error);
  return TRUE;
}

gboolean
_matrix_sqlite_is_corruption (int rc)
{
  rc &= 0xff;
  return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

gboolean
_matrix_sqlite_read_user_version (sqlite3  *db,
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
const char * const _matrix_sqlite_list_tables[] = {
  "session_values", "sync_token", "rooms", "room_summaries", "pending_sends", NULL
};

/* Returns FALSE when the file is damaged; the message says how. With
 * @tables, only those are checked (a table that does not exist yet passes). */
gboolean
_matrix_sqlite_check_integrity (sqlite3            *db,
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

gboolean
_matrix_sqlite_migrate (sqlite3     *db,
         int          version,
         GError     **error)
{
  for (int v = version; v < MATRIX_SQLITE_STORE_SCHEMA_VERSION; v++)
    {
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", v + 1);

      if (!_matrix_sqlite_exec (db, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (!_matrix_sqlite_exec (db, migrations[v], error) || !_matrix_sqlite_exec (db, set_version, error))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          g_prefix_error (error, "Could not _matrix_sqlite_migrate the store to version %d: ", v + 1);
          return FALSE;
        }
      if (!_matrix_sqlite_exec (db, "COMMIT", error))
        return FALSE;
    }
  return TRUE;
}
