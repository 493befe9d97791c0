/*
 * starling_mask.h — SecAgg+ mask expansion in one pass: the AES-128 counter-mode keystream of a
 * seed, read as little-endian 32-bit words, added to (or taken from) a vector of ring elements
 * without a keystream buffer. Counter block i is 96 zero bits followed by i as a big-endian 32-bit
 * number, so word 4i + j of the mask is word j of AES-128(seed, block i).
 *
 * Paths: VAES with AVX-512 and AES-NI on x86-64, the Armv8 cryptography extension on aarch64. On a
 * CPU with none of them the functions return 0 and the caller expands the mask with its portable
 * AES (swift-crypto), which gives the same mask.
 */
#ifndef STARLING_MASK_H
#define STARLING_MASK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which path starling_mask_apply takes on this CPU. */
typedef enum {
  STARLING_MASK_NONE = 0,   /* no AES instructions: the caller's portable path */
  STARLING_MASK_AESNI = 1,  /* x86-64 AES-NI, eight blocks at a time */
  STARLING_MASK_VAES = 2,   /* x86-64 VAES on 512-bit registers, sixteen blocks at a time */
  STARLING_MASK_ARMV8 = 3,  /* aarch64 AESE/AESMC */
} starling_mask_path;

/* Whether this CPU and OS can run `path` (1) or not (0), detected once. */
int starling_mask_path_runs(starling_mask_path path);

/* The fastest path this CPU and OS can run. */
starling_mask_path starling_mask_best_path(void);

/*
 * Adds (subtract == 0) or subtracts the mask of `seed` (16 bytes) to the `count` words at `words`,
 * on the best path. Returns 1 when done, 0 when no path can run here or `count` needs more than
 * 2^32 counter blocks (then `words` is untouched).
 */
int starling_mask_apply(const uint8_t seed[16], uint32_t *words, size_t count, int subtract);

/* The same on a given path, for tests: 0 when this CPU cannot run `path`. */
int starling_mask_apply_on(starling_mask_path path, const uint8_t seed[16], uint32_t *words, size_t count,
                           int subtract);

#ifdef __cplusplus
}
#endif

#endif
