/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-media-cache"


#include <errno.h>
#include <utime.h>
#include <glib/gstdio.h>

#include "matrix-media-cache-private.h"

/**
 * MatrixMediaCache:
 *
 * A directory of downloaded media, bounded in bytes, least recently used
 * out first.
 *
 * Files are named by a hash of their key (never by anything a server
 * chose), enter the cache whole by a rename from a temporary file in the
 * same directory, and are touched on every use so the order survives a
 * restart (their modification time). The directory is read once, in a
 * worker thread, at the first operation; every operation that touches
 * the disk runs in a worker thread. The application chooses the
 * directory, e.g. `$XDG_CACHE_HOME/<app>/media`.
 */

#define TEMP_PREFIX "tmp-"

typedef struct {
  guint64 size;
  gint64  used;   /* µs; unique and increasing within a run */
} Entry;

struct _MatrixMediaCache
{
  GObject     parent_instance;

  char       *directory;
  guint64     max_size;

  GMutex      lock;     /* guards all below */
  gboolean    loaded;
  GHashTable *entries;  /* file name → Entry* */
  guint64     size;
  gint64      last_used;
};

G_DEFINE_FINAL_TYPE (MatrixMediaCache, matrix_media_cache, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_MAX_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
file_name_for_key (const char *key)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
}

static gint64
next_use (MatrixMediaCache *self,
          gint64            at)
{
  self->last_used = MAX (at, self->last_used + 1);
  return self->last_used;
}

/* Reads the directory: entries with their sizes and last uses; leftovers of
 * interrupted downloads are deleted. Called with the lock held. */
static gboolean
ensure_loaded_locked (MatrixMediaCache  *self,
                      GCancellable      *cancellable,
                      GError           **error)
{
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  if (self->loaded)
    return TRUE;

  if (g_mkdir_with_parents (self->directory, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not create %s: %s", self->directory, g_strerror (saved));
      return FALSE;
    }

  dir = g_file_new_for_path (self->directory);
  children = g_file_enumerate_children (dir,
                                        G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                        G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                        G_FILE_ATTRIBUTE_TIME_MODIFIED ","
                                        G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error);
  if (children == NULL)
    return FALSE;

  while ((info = g_file_enumerator_next_file (children, cancellable, NULL)) != NULL)
    {
      const char *name = g_file_info_get_name (info);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR)
        {
          if (g_str_has_prefix (name, TEMP_PREFIX))
            {
              g_autofree char *path = g_build_filename (self->directory, name, NULL);

              g_unlink (path);
            }
          else
            {
              Entry *entry = g_new0 (Entry, 1);
              guint64 seconds = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED);
              guint32 usec = g_file_info_get_attribute_uint32 (info,
                                                               G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC);

              entry->size = (guint64) g_file_info_get_size (info);
              entry->used = (gint64) MIN (seconds, (guint64) G_MAXINT32 * 1000) * G_USEC_PER_SEC + usec;
              self->last_used = MAX (self->last_used, entry->used);
              self->size += entry->size;
              g_hash_table_replace (self->entries, g_strdup (name), entry);
            }
        }
      g_object_unref (info);
    }

  self->loaded = TRUE;
  return TRUE;
}

static int
compare_by_use (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  GHashTable *entries = user_data;
  const Entry *ea = g_hash_table_lookup (entries, *(const char **) a);
  const Entry *eb = g_hash_table_lookup (entries, *(const char **) b);

  return ea->used < eb->used ? -1 : ea->used > eb->used ? 1 : 0;
}

/* Deletes the least recently used files until the cache fits, never @keep
 * (the file just added). Called with the lock held. */
static void
evict_locked (MatrixMediaCache *self,
              const char       *keep)
{
  g_autoptr(GPtrArray) names = NULL;
  GHashTableIter iter;
  gpointer name_p;

  if (self->size <= self->max_size)
    return;

  names = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &name_p, NULL))
    g_ptr_array_add (names, name_p);
  g_ptr_array_sort_with_data (names, compare_by_use, self->entries);

  for (guint i = 0; i < names->len && self->size > self->max_size; i++)
    {
      g_autofree char *name = g_strdup (g_ptr_array_index (names, i));
      Entry *entry = g_hash_table_lookup (self->entries, name);
      g_autofree char *path = NULL;

      if (g_strcmp0 (name, keep) == 0)
        continue;

      path = g_build_filename (self->directory, name, NULL);
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          g_debug ("Could not evict %s: %s", path, g_strerror (errno));
          continue;
        }
      self->size -= entry->size;
      g_hash_table_remove (self->entries, name);
    }
}

static void
lookup_in_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  MatrixMediaCache *self = source;
  g_autofree char *name = file_name_for_key (task_data);
  g_autofree char *path = g_build_filename (self->directory, name, NULL);
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  GError *error = NULL;
  Entry *entry;

  if (!ensure_loaded_locked (self, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  entry = g_hash_table_lookup (self->entries, name);
  if (entry == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      /* Removed behind the cache's back. */
      self->size -= entry->size;
      g_hash_table_remove (self->entries, name);
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  entry->used = next_use (self, g_get_real_time ());
  /* Best effort: the order only has to survive a restart roughly. */
  g_utime (path, &(struct utimbuf) { entry->used / G_USEC_PER_SEC, entry->used / G_USEC_PER_SEC });
  g_task_return_pointer (task, g_file_new_for_path (path), g_object_unref);
}

/**
 * matrix_media_cache_lookup_async:
 * @self: a #MatrixMediaCache
 * @key: what the file was stored under
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the file, if cached
 * @user_data: data for @callback
 *
 * Looks @key up, and counts it as used now.
 */
void
matrix_media_cache_lookup_async (MatrixMediaCache    *self,
                                 const char          *key,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MATRIX_IS_MEDIA_CACHE (self));
  g_return_if_fail (key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_media_cache_lookup_async);
  g_task_set_task_data (task, g_strdup (key), g_free);
  g_task_run_in_thread (task, lookup_in_thread);
}

/**
 * matrix_media_cache_lookup_finish:
 * @self: a #MatrixMediaCache
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_media_cache_lookup_async(). A key not in the cache is no
 * error: %NULL without @error set.
 *
 * Returns: (transfer full) (nullable): the cached file, or %NULL
 */
GFile *
matrix_media_cache_lookup_finish (MatrixMediaCache  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
trim_in_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  MatrixMediaCache *self = source;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  GError *error = NULL;

  if (!ensure_loaded_locked (self, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  evict_locked (self, NULL);
  g_task_return_boolean (task, TRUE);
}

/**
 * matrix_media_cache_trim_async:
 * @self: a #MatrixMediaCache
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the cache fits its limit
 * @user_data: data for @callback
 *
 * Evicts the least recently used files until the cache fits its maximum
 * size; e.g. after matrix_media_cache_set_max_size() lowered it. Adding a
 * file evicts by itself.
 */
void
matrix_media_cache_trim_async (MatrixMediaCache    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MATRIX_IS_MEDIA_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, matrix_media_cache_trim_async);
  g_task_run_in_thread (task, trim_in_thread);
}

/**
 * matrix_media_cache_trim_finish:
 * @self: a #MatrixMediaCache
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes matrix_media_cache_trim_async().
 *
 * Returns: %TRUE if the directory could be read
 */
gboolean
matrix_media_cache_trim_finish (MatrixMediaCache  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

GFile *
_matrix_media_cache_new_temp_file (MatrixMediaCache *self)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  name = g_strdup_printf (TEMP_PREFIX "%08x%08x.part", g_random_int (), g_random_int ());
  path = g_build_filename (self->directory, name, NULL);
  return g_file_new_for_path (path);
}

typedef struct {
  char  *key;
  GFile *temp;
} Commit;

static void
commit_free (Commit *commit)
{
  g_free (commit->key);
  g_clear_object (&commit->temp);
  g_free (commit);
}

static void
commit_in_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  MatrixMediaCache *self = source;
  Commit *commit = task_data;
  g_autofree char *name = file_name_for_key (commit->key);
  g_autofree char *path = g_build_filename (self->directory, name, NULL);
  g_autofree char *temp_path = g_file_get_path (commit->temp);
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  GError *error = NULL;
  GStatBuf st;
  Entry *entry;

  if (!ensure_loaded_locked (self, NULL, &error))
    {
      g_unlink (temp_path);
      g_task_return_error (task, error);
      return;
    }

  if (g_stat (temp_path, &st) != 0 || g_rename (temp_path, path) != 0)
    {
      int saved = errno;

      g_unlink (temp_path);
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               "Could not add %s to the cache: %s", name, g_strerror (saved));
      return;
    }

  entry = g_hash_table_lookup (self->entries, name);
  if (entry != NULL)
    self->size -= entry->size;
  else
    {
      entry = g_new0 (Entry, 1);
      g_hash_table_replace (self->entries, g_strdup (name), entry);
    }
  entry->size = (guint64) st.st_size;
  entry->used = next_use (self, g_get_real_time ());
  self->size += entry->size;

  evict_locked (self, name);
  g_task_return_pointer (task, g_file_new_for_path (path), g_object_unref);
}

void
_matrix_media_cache_commit_async (MatrixMediaCache    *self,
                                  const char          *key,
                                  GFile               *temp,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Commit *commit = g_new0 (Commit, 1);

  commit->key = g_strdup (key);
  commit->temp = g_object_ref (temp);
  g_task_set_source_tag (task, _matrix_media_cache_commit_async);
  g_task_set_task_data (task, commit, (GDestroyNotify) commit_free);
  g_task_run_in_thread (task, commit_in_thread);
}

GFile *
_matrix_media_cache_commit_finish (MatrixMediaCache  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * matrix_media_cache_new:
 * @directory: the cache's directory; created when first needed
 * @max_size: the most bytes the cache holds
 *
 * A cache of media in @directory. Nothing is read until the first operation.
 *
 * Returns: (transfer full): a new #MatrixMediaCache
 */
MatrixMediaCache *
matrix_media_cache_new (const char *directory,
                        guint64     max_size)
{
  g_return_val_if_fail (directory != NULL, NULL);

  return g_object_new (MATRIX_TYPE_MEDIA_CACHE, "directory", directory, "max-size", max_size, NULL);
}

/**
 * matrix_media_cache_get_directory:
 * @self: a #MatrixMediaCache
 *
 * The directory the cache keeps its files in.
 *
 * Returns: (transfer none): the cache's directory
 */
const char *
matrix_media_cache_get_directory (MatrixMediaCache *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_CACHE (self), NULL);

  return self->directory;
}

/**
 * matrix_media_cache_get_max_size:
 * @self: a #MatrixMediaCache
 *
 * The limit of the cache, in bytes.
 *
 * Returns: the most bytes the cache holds
 */
guint64
matrix_media_cache_get_max_size (MatrixMediaCache *self)
{
  g_return_val_if_fail (MATRIX_IS_MEDIA_CACHE (self), 0);

  return self->max_size;
}

/**
 * matrix_media_cache_set_max_size:
 * @self: a #MatrixMediaCache
 * @max_size: the most bytes the cache may hold
 *
 * Sets the limit. Files over it are evicted when the next file is added, or
 * by matrix_media_cache_trim_async().
 */
void
matrix_media_cache_set_max_size (MatrixMediaCache *self,
                                 guint64           max_size)
{
  g_return_if_fail (MATRIX_IS_MEDIA_CACHE (self));

  g_mutex_lock (&self->lock);
  if (self->max_size == max_size)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->max_size = max_size;
  g_mutex_unlock (&self->lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_SIZE]);
}

/**
 * matrix_media_cache_get_size:
 * @self: a #MatrixMediaCache
 *
 * The bytes the cache holds, as far as it knows: 0 before its first
 * operation has read the directory.
 *
 * Returns: the size of the cached files, in bytes
 */
guint64
matrix_media_cache_get_size (MatrixMediaCache *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (MATRIX_IS_MEDIA_CACHE (self), 0);

  locker = g_mutex_locker_new (&self->lock);
  return self->size;
}

static void
matrix_media_cache_finalize (GObject *object)
{
  MatrixMediaCache *self = MATRIX_MEDIA_CACHE (object);

  g_free (self->directory);
  g_hash_table_unref (self->entries);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (matrix_media_cache_parent_class)->finalize (object);
}

static void
matrix_media_cache_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MatrixMediaCache *self = MATRIX_MEDIA_CACHE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;
    case PROP_MAX_SIZE:
      g_value_set_uint64 (value, matrix_media_cache_get_max_size (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_media_cache_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  MatrixMediaCache *self = MATRIX_MEDIA_CACHE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      self->directory = g_value_dup_string (value);
      break;
    case PROP_MAX_SIZE:
      matrix_media_cache_set_max_size (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
matrix_media_cache_class_init (MatrixMediaCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = matrix_media_cache_finalize;
  object_class->get_property = matrix_media_cache_get_property;
  object_class->set_property = matrix_media_cache_set_property;

  /**
   * MatrixMediaCache:directory:
   *
   * The directory the cache keeps its files in.
   */
  properties[PROP_DIRECTORY] =
    g_param_spec_string ("directory", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * MatrixMediaCache:max-size:
   *
   * The most bytes the cache holds.
   */
  properties[PROP_MAX_SIZE] =
    g_param_spec_uint64 ("max-size", NULL, NULL, 0, G_MAXUINT64, 500 * 1000 * 1000,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
matrix_media_cache_init (MatrixMediaCache *self)
{
  g_mutex_init (&self->lock);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->max_size = 500 * 1000 * 1000;
}
