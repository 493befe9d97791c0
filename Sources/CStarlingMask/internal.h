/*
 * internal.h — the paths of the mask kernels, each in the file of its architecture.
 */
#ifndef STARLING_MASK_INTERNAL_H
#define STARLING_MASK_INTERNAL_H

#include "starling_mask.h"

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
