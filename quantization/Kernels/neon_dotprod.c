/*
 * neon_dotprod.c — int8 GEMM with the AArch64 dot-product extension (`sdot`, vdotq_laneq_s32):
 * each instruction adds four signed 4-byte dot products into four int32 lanes, exact.
 *
 * Weights are packed in 4-channel blocks with k in groups of 4 (one q register = 4 channels × 4 k)
 * and k padded to 16; 16 bytes of activations are loaded per row and group L of them is selected
 * by lane. A tile holds up to 4 rows × 4 blocks (16 channels).
 */
#if defined(__aarch64__)

#include <arm_neon.h>

#include "internal.h"

#define STARLING_I8_DOTPROD_TARGET "dotprod"
#define TILE_FN static inline __attribute__((always_inline, target(STARLING_I8_DOTPROD_TARGET)))

TILE_FN int8x16_t starling_i8_dot_load16(const int8_t *p, int available) {
  if (available >= 16) return vld1q_s8(p);
  int8_t buffer[16] = {0};
  memcpy(buffer, p, (size_t)available);
  return vld1q_s8(buffer);
}

TILE_FN void starling_i8_dot_store(int32_t *c, int32x4_t value, int left) {
  if (left >= 4) {
    vst1q_s32(c, value);
    return;
  }
  int32_t lanes[4];
  vst1q_s32(lanes, value);
  for (int j = 0; j < left; j++) c[j] = lanes[j];
}

/* One group L (0…3) of the 16 loaded activation bytes against NB weight blocks. */
#define STARLING_I8_DOT_GROUP(L)                                                              \
  for (int b = 0; b < NB; b++) {                                                              \
    const int8x16_t wv = vld1q_s8(wg + (size_t)(L) * group_stride + 16 * b);                  \
    for (int r = 0; r < MR; r++) acc[r][b] = vdotq_laneq_s32(acc[r][b], wv, av[r], (L));       \
  }

TILE_FN void starling_i8_dot_tile(const int MR, const int NB, int k, const int8_t *a, const int8_t *w,
                                  size_t group_stride, int32_t *c, int ldc, int columns) {
  int32x4_t acc[4][4];
  for (int r = 0; r < MR; r++)
    for (int b = 0; b < NB; b++) acc[r][b] = vdupq_n_s32(0);
  for (int e = 0; e < k; e += 16) {
    int8x16_t av[4];
    for (int r = 0; r < MR; r++) av[r] = starling_i8_dot_load16(a + (size_t)r * k + e, k - e);
    const int8_t *wg = w + (size_t)(e / 4) * group_stride;
    STARLING_I8_DOT_GROUP(0)
    STARLING_I8_DOT_GROUP(1)
    STARLING_I8_DOT_GROUP(2)
    STARLING_I8_DOT_GROUP(3)
  }
  for (int r = 0; r < MR; r++)
    for (int b = 0; b < NB; b++) starling_i8_dot_store(c + (size_t)r * ldc + 4 * b, acc[r][b], columns - 4 * b);
}

#define STARLING_I8_DOT_CASE(MR, NB)                                                  \
  case (MR) * 8 + (NB):                                                               \
    starling_i8_dot_tile(MR, NB, k, rows, w, stride, out, n, columns);                \
    break;

__attribute__((target(STARLING_I8_DOTPROD_TARGET)))
void starling_i8_gemm_neon_dotprod(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c) {
  const int8_t *weights = (const int8_t *)starling_i8_data(packed);
  const int blocks = starling_i8_ceil_div(n, 4), groups = starling_i8_ceil_div(k, 16) * 4;
  for (int p0 = 0; p0 < blocks; p0 += STARLING_I8_DP_PANEL) {
    const int nb = blocks - p0 < STARLING_I8_DP_PANEL ? blocks - p0 : STARLING_I8_DP_PANEL;
    const int8_t *w = weights + (size_t)p0 * 16 * groups;
    const size_t stride = (size_t)nb * 16;
    const int columns = n - 4 * p0;
    for (int i = 0; i < m; i += 4) {
      const int mr = m - i < 4 ? m - i : 4;
      const int8_t *rows = a + (size_t)i * k;
      int32_t *out = c + (size_t)i * n + 4 * p0;
      switch (mr * 8 + nb) {
        STARLING_I8_DOT_CASE(1, 1) STARLING_I8_DOT_CASE(1, 2) STARLING_I8_DOT_CASE(1, 3)
        STARLING_I8_DOT_CASE(1, 4) STARLING_I8_DOT_CASE(2, 1) STARLING_I8_DOT_CASE(2, 2)
        STARLING_I8_DOT_CASE(2, 3) STARLING_I8_DOT_CASE(2, 4) STARLING_I8_DOT_CASE(3, 1)
        STARLING_I8_DOT_CASE(3, 2) STARLING_I8_DOT_CASE(3, 3) STARLING_I8_DOT_CASE(3, 4)
        STARLING_I8_DOT_CASE(4, 1) STARLING_I8_DOT_CASE(4, 2) STARLING_I8_DOT_CASE(4, 3)
        STARLING_I8_DOT_CASE(4, 4)
        default:
          break;
      }
    }
  }
}

#else
typedef int starling_i8_not_aarch64; /* keeps the translation unit non-empty elsewhere */
#endif /* __aarch64__ */
