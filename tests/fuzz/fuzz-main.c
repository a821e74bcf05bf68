/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The libFuzzer entry point; FUZZ_TARGET names the target function. */
#include <stdint.h>
#include <stddef.h>

#include "fuzz-targets.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  FUZZ_TARGET (data, size);
  return 0;
}
