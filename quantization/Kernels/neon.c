/*
 * neon.c — int8 GEMM with baseline AArch64 Advanced SIMD, exact: `smull`/`smull2` (vmull_s8)
 * widen 8 int8 products to int16 (|−128·−128| fits), `sadalp` (vpadalq_s16) adds adjacent pairs
 * into int32 accumulators. Weights are rows padded to 16 bytes of k; a tile holds up to 4 rows × 4
 * channels, reduced across lanes at the end.
 */
#if defined(__aarch64__)

#include <arm_neon.h>

#include "internal.h"

#define TILE_FN static inline __attribute__((always_inline))

TILE_FN int8x16_t starling_i8_neon_load16(const int8_t *p, int available) {
  if (available >= 16) return vld1q_s8(p);
  int8_t buffer[16] = {0};
  memcpy(buffer, p, (size_t)available);
  return vld1q_s8(buffer);
}

TILE_FN void starling_i8_neon_tile(const int MR, const int NR, int k, const int8_t *a, const int8_t *w,
                                   size_t ldw, int32_t *c, int ldc) {
  int32x4_t acc[4][4];
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < NR; j++) acc[r][j] = vdupq_n_s32(0);
  for (int e = 0; e < k; e += 16) {
    int8x16_t av[4];
    for (int r = 0; r < MR; r++) av[r] = starling_i8_neon_load16(a + (size_t)r * k + e, k - e);
    for (int j = 0; j < NR; j++) {
      const int8x16_t wv = vld1q_s8(w + (size_t)j * ldw + e);
      for (int r = 0; r < MR; r++) {
        acc[r][j] = vpadalq_s16(acc[r][j], vmull_s8(vget_low_s8(av[r]), vget_low_s8(wv)));
        acc[r][j] = vpadalq_s16(acc[r][j], vmull_high_s8(av[r], wv));
      }
    }
  }
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < NR; j++) c[(size_t)r * ldc + j] = vaddvq_s32(acc[r][j]);
}

#define STARLING_I8_NEON_CASE(MR, NR)                                  \
  case (MR) * 8 + (NR):                                                \
    starling_i8_neon_tile(MR, NR, k, rows, w, ldw, out, n);            \
    break;

void starling_i8_gemm_neon(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c) {
  const int8_t *weights = (const int8_t *)starling_i8_data(packed);
  const size_t ldw = (size_t)starling_i8_ceil_div(k, 16) * 16;
  for (int j0 = 0; j0 < n; j0 += 4) {
    const int nr = n - j0 < 4 ? n - j0 : 4;
    const int8_t *w = weights + (size_t)j0 * ldw;
    for (int i = 0; i < m; i += 4) {
      const int mr = m - i < 4 ? m - i : 4;
      const int8_t *rows = a + (size_t)i * k;
      int32_t *out = c + (size_t)i * n + j0;
      switch (mr * 8 + nr) {
        STARLING_I8_NEON_CASE(1, 1) STARLING_I8_NEON_CASE(1, 2) STARLING_I8_NEON_CASE(1, 3)
        STARLING_I8_NEON_CASE(1, 4) STARLING_I8_NEON_CASE(2, 1) STARLING_I8_NEON_CASE(2, 2)
        STARLING_I8_NEON_CASE(2, 3) STARLING_I8_NEON_CASE(2, 4) STARLING_I8_NEON_CASE(3, 1)
        STARLING_I8_NEON_CASE(3, 2) STARLING_I8_NEON_CASE(3, 3) STARLING_I8_NEON_CASE(3, 4)
        STARLING_I8_NEON_CASE(4, 1) STARLING_I8_NEON_CASE(4, 2) STARLING_I8_NEON_CASE(4, 3)
        STARLING_I8_NEON_CASE(4, 4)
        default:
          break;
      }
    }
  }
}

#else
typedef int starling_i8_not_aarch64; /* keeps the translation unit non-empty elsewhere */
#endif /* __aarch64__ */
