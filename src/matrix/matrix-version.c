/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "matrix-version.h"

/**
 * matrix_get_major_version:
 *
 * The major version of the library loaded at run time, which may be newer
 * than %MATRIX_MAJOR_VERSION, the one the program was compiled against.
 *
 * Returns: the major version, such as 0
 */
guint
matrix_get_major_version (void)
{
  return MATRIX_MAJOR_VERSION;
}

/**
 * matrix_get_minor_version:
 *
 * The minor version of the library loaded at run time.
 *
 * Returns: the minor version
 */
guint
matrix_get_minor_version (void)
{
  return MATRIX_MINOR_VERSION;
}

/**
 * matrix_get_micro_version:
 *
 * The micro version of the library loaded at run time.
 *
 * Returns: the micro version
 */
guint
matrix_get_micro_version (void)
{
  return MATRIX_MICRO_VERSION;
}
