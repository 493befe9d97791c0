/*
 * internal.h — what the kernel files share but the public API hides: the packed-weight header,
 * per-path layout geometry and the per-path GEMM entry points called by dispatch.c.
 */
#ifndef STARLING_INT8_INTERNAL_H
#define STARLING_INT8_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "starling_int8.h"

/* Every packed buffer starts with this header, then data at STARLING_I8_DATA_OFFSET. */
typedef struct {
  uint32_t magic;
  int32_t path;
  int32_t n;
  int32_t k;
} starling_i8_pack_header;

#define STARLING_I8_PACK_MAGIC 0x38493853u /* "S8I8" little-endian */
#define STARLING_I8_DATA_OFFSET 64

/*
 * Layouts (all zero-padded; padded weights are 0 so padded activations never matter):
 *  portable     w[n][k] as given.
 *  avx2         int8, 8-channel blocks, k in pairs: panel of 2 blocks, [pair][block][8 ch][2].
 *  avx_vnni,    unsigned w + 128 (padding 0) in 16-channel blocks, k in groups of 4: panel of 4
 *  avx512_vnni  blocks, [group][block][16 ch][4]. The same bytes serve both: a 64-byte block is
 *               two 32-byte AVX-VNNI halves.
 *  neon         int8 rows [ceil(n/4)·4][ceil(k/16)·16].
 *  neon_dotprod int8 4-channel blocks, k in groups of 4, groups padded to a multiple of 4
 *               (16 bytes of k): panel of 4 blocks, [group][block][4 ch][4].
 */
#define STARLING_I8_DP_PANEL 4

static inline int starling_i8_ceil_div(int a, int b) { return (a + b - 1) / b; }

static inline const starling_i8_pack_header *starling_i8_header(const void *packed) {
  return (const starling_i8_pack_header *)packed;
}

static inline const uint8_t *starling_i8_data(const void *packed) {
  return (const uint8_t *)packed + STARLING_I8_DATA_OFFSET;
}

/* Loads 4 consecutive int8 values (fewer than 4 available: the rest read as 0). */
static inline uint32_t starling_i8_load4(const int8_t *p, int available) {
  uint32_t value = 0;
  memcpy(&value, p, available >= 4 ? 4 : (size_t)available);
  return value;
}

/* Per-path GEMMs: same contract as starling_i8_gemm, header already validated. */
void starling_i8_gemm_portable(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c);
#if defined(__x86_64__)
void starling_i8_gemm_avx2(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c);
void starling_i8_gemm_avx_vnni(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c);
void starling_i8_gemm_avx512_vnni(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c);
#endif
#if defined(__aarch64__)
void starling_i8_gemm_neon(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c);
void starling_i8_gemm_neon_dotprod(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c);
#endif

/* Depthwise kernels over one output position's channels, multiplier 1: acc[c] = Σ_taps a_tap[c]·w_tap[c]
 * for the `taps` in-bounds kernel positions whose activation and weight rows are given. */
void starling_i8_depthwise_position_portable(int channels, int taps, const int8_t *const *a, const int8_t *const *w,
                                             int32_t *acc);
#if defined(__x86_64__)
void starling_i8_depthwise_position_avx2(int channels, int taps, const int8_t *const *a, const int8_t *const *w,
                                         int32_t *acc);
#endif
#if defined(__aarch64__)
void starling_i8_depthwise_position_neon(int channels, int taps, const int8_t *const *a, const int8_t *const *w,
                                         int32_t *acc);
#endif

/* CPU feature detection (cpu_features.c), computed once, thread-safe. */
int starling_i8_cpu_has(starling_i8_path path);

#endif /* STARLING_INT8_INTERNAL_H */
