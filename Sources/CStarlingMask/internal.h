/*
 * internal.h — the paths of the mask kernels, each in the file of its architecture.
 */
#ifndef STARLING_MASK_INTERNAL_H
#define STARLING_MASK_INTERNAL_H

#include "starling_mask.h"

/* The end of a vector that is not a whole number of blocks: adds (or takes away) the first `rest`
 * (at most 3) words of the keystream block `stream` to `words`. Shared by every path. */
static inline void starling_mask_combine_partial(uint32_t *words, size_t rest, const uint32_t stream[4],
                                                 int subtract) {
  for (size_t index = 0; index < rest; index++)
    words[index] = subtract ? words[index] - stream[index] : words[index] + stream[index];
}

/* The paths, each compiled on its architecture only; `count` needs at most 2^32 counter blocks
 * (checked by the caller). The VAES path does whole groups of sixteen blocks and hands the rest
 * to the AES-NI path from block `first`. */
#if defined(__x86_64__)
void starling_mask_aesni(const uint8_t seed[16], uint32_t *words, size_t count, int subtract, uint32_t first);
void starling_mask_vaes(const uint8_t seed[16], uint32_t *words, size_t count, int subtract);
#elif defined(__aarch64__)
void starling_mask_armv8(const uint8_t seed[16], uint32_t *words, size_t count, int subtract);
#endif

#endif
