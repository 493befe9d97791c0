/*
 * starling_x25519.h — X25519 (RFC 7748) of one private scalar with many public u-coordinates, eight
 * at a time: each 64-bit lane of a 512-bit register runs one Montgomery ladder, its field elements
 * in five 51-bit limbs multiplied with AVX-512 IFMA. A SecAgg+ client agrees with every neighbour
 * under one key, so its agreements share a scalar, and so the ladders' swaps.
 *
 * On a CPU without AVX-512 IFMA (and on other architectures) the functions return 0 and the caller
 * agrees one key at a time with its portable X25519 (swift-crypto), which gives the same secrets.
 */
#ifndef STARLING_X25519_H
#define STARLING_X25519_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether this CPU and OS run the batched path (1) or not (0). */
int starling_x25519_batch_runs(void);

/*
 * Secret i (bytes 32i … 32i + 31 of `secrets`) = X25519(scalar, point i of `points`, laid out
 * alike), for i < count: the scalar clamped and the points' top bits ignored, as RFC 7748 says.
 * Returns 1 when done, 0 when this CPU cannot run the batched path (then `secrets` is untouched).
 * A secret of all zeros (a point of small order) is returned as it is; the caller refuses it.
 */
int starling_x25519_batch(uint8_t *secrets, const uint8_t scalar[32], const uint8_t *points, size_t count);

#ifdef __cplusplus
}
#endif

#endif
