/*
 * avx512_vnni.c — int8 GEMM with AVX-512 VNNI (`vpdpbusd` on 512-bit registers).
 *
 * Weights are packed in 16-channel blocks with k in groups of 4 (one zmm = 16 channels × 4 k), so
 * one `dpbusd` adds 4 products into each of 16 int32 lanes for a broadcast group of 4 activations.
 * `dpbusd` multiplies unsigned by signed bytes: the packed weights are unsigned w + 128 and the
 * activations stay signed, broadcast straight from memory; 128·Σ_k a[m][k] (one `dpbusd` of ones
 * per 64 activations) is subtracted at the end. Exact int32, no saturation (`vpdpbusd`, not
 * `vpdpbusds`). A tile holds up to 4 rows × 4 blocks (64 channels) of accumulators; a single row
 * splits k over two accumulator sets to hide the instruction's latency.
 */
#if defined(__x86_64__)

#include <immintrin.h>

#include "internal.h"

#define STARLING_I8_AVX512_TARGET "avx2,avx512f,avx512bw,avx512vl,avx512vnni"
#define TILE_FN static inline __attribute__((always_inline, target(STARLING_I8_AVX512_TARGET)))

/* Σ_k a[k] of one activation row: `dpbusd` of all-ones (unsigned) with the row (signed). */
TILE_FN int32_t starling_i8_avx512_row_sum(const int8_t *a, int k) {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i sum = _mm512_setzero_si512();
  int e = 0;
  for (; e + 64 <= k; e += 64) sum = _mm512_dpbusd_epi32(sum, ones, _mm512_loadu_si512((const void *)(a + e)));
  if (e < k) {
    const __mmask64 mask = (__mmask64)(~0ULL >> (64 - (k - e)));
    sum = _mm512_dpbusd_epi32(sum, ones, _mm512_maskz_loadu_epi8(mask, (const void *)(a + e)));
  }
  return _mm512_reduce_add_epi32(sum);
}

/* Broadcasts activations k..k+3 of a row (fewer available: the rest read as 0). */
TILE_FN __m512i starling_i8_avx512_bcast(const int8_t *p, int available) {
  if (available >= 4) {
    int32_t group;
    memcpy(&group, p, sizeof group);
    return _mm512_set1_epi32(group);
  }
  return _mm512_set1_epi32((int32_t)starling_i8_load4(p, available));
}

TILE_FN void starling_i8_avx512_tile(const int MR, const int NB, const int SPLIT, int k,
                                     const int8_t *a, const uint8_t *w, size_t group_stride,
                                     int32_t *c, int ldc, int columns) {
  __m512i acc[2][4][4];
  for (int s = 0; s < SPLIT; s++)
    for (int r = 0; r < MR; r++)
      for (int b = 0; b < NB; b++) acc[s][r][b] = _mm512_setzero_si512();
  const int full = k / 4, groups = (k + 3) / 4;
  int g = 0;
  for (; g + SPLIT <= full; g += SPLIT) {
    for (int s = 0; s < SPLIT; s++) {
      const uint8_t *wg = w + (size_t)(g + s) * group_stride;
      __m512i av[4];
      for (int r = 0; r < MR; r++) av[r] = starling_i8_avx512_bcast(a + (size_t)r * k + 4 * (g + s), 4);
      for (int b = 0; b < NB; b++) {
        const __m512i wv = _mm512_loadu_si512((const void *)(wg + 64 * b));
        for (int r = 0; r < MR; r++) acc[s][r][b] = _mm512_dpbusd_epi32(acc[s][r][b], wv, av[r]);
      }
    }
  }
  for (; g < groups; g++) {
    const uint8_t *wg = w + (size_t)g * group_stride;
    __m512i av[4];
    for (int r = 0; r < MR; r++) av[r] = starling_i8_avx512_bcast(a + (size_t)r * k + 4 * g, k - 4 * g);
    for (int b = 0; b < NB; b++) {
      const __m512i wv = _mm512_loadu_si512((const void *)(wg + 64 * b));
      for (int r = 0; r < MR; r++) acc[0][r][b] = _mm512_dpbusd_epi32(acc[0][r][b], wv, av[r]);
    }
  }
  for (int r = 0; r < MR; r++) {
    const __m512i correction = _mm512_set1_epi32(128 * starling_i8_avx512_row_sum(a + (size_t)r * k, k));
    for (int b = 0; b < NB; b++) {
      const int left = columns - 16 * b;
      const __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
      __m512i sum = acc[0][r][b];
      if (SPLIT == 2) sum = _mm512_add_epi32(sum, acc[1][r][b]);
      _mm512_mask_storeu_epi32((void *)(c + (size_t)r * ldc + 16 * b), mask, _mm512_sub_epi32(sum, correction));
    }
  }
}

#define STARLING_I8_AVX512_CASE(MR, NB)                                                         \
  case (MR) * 8 + (NB):                                                                         \
    starling_i8_avx512_tile(MR, NB, (MR) == 1 ? 2 : 1, k, rows, w, stride, out, n, columns); \
    break;

__attribute__((target(STARLING_I8_AVX512_TARGET)))
void starling_i8_gemm_avx512_vnni(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c) {
  const uint8_t *weights = starling_i8_data(packed);
  const int blocks = starling_i8_ceil_div(n, 16), groups = starling_i8_ceil_div(k, 4);
  for (int p0 = 0; p0 < blocks; p0 += STARLING_I8_DP_PANEL) {
    const int nb = blocks - p0 < STARLING_I8_DP_PANEL ? blocks - p0 : STARLING_I8_DP_PANEL;
    const uint8_t *w = weights + (size_t)p0 * 64 * groups;
    const size_t stride = (size_t)nb * 64;
    const int columns = n - 16 * p0;
    for (int i = 0; i < m; i += 4) {
      const int mr = m - i < 4 ? m - i : 4;
      const int8_t *rows = a + (size_t)i * k;
      int32_t *out = c + (size_t)i * n + 16 * p0;
      switch (mr * 8 + nb) {
        STARLING_I8_AVX512_CASE(1, 1) STARLING_I8_AVX512_CASE(1, 2)
        STARLING_I8_AVX512_CASE(1, 3) STARLING_I8_AVX512_CASE(1, 4)
        STARLING_I8_AVX512_CASE(2, 1) STARLING_I8_AVX512_CASE(2, 2)
        STARLING_I8_AVX512_CASE(2, 3) STARLING_I8_AVX512_CASE(2, 4)
        STARLING_I8_AVX512_CASE(3, 1) STARLING_I8_AVX512_CASE(3, 2)
        STARLING_I8_AVX512_CASE(3, 3) STARLING_I8_AVX512_CASE(3, 4)
        STARLING_I8_AVX512_CASE(4, 1) STARLING_I8_AVX512_CASE(4, 2)
        STARLING_I8_AVX512_CASE(4, 3) STARLING_I8_AVX512_CASE(4, 4)
        default:
          break;
      }
    }
  }
}

#else
typedef int starling_i8_not_x86_64; /* keeps the translation unit non-empty elsewhere */
#endif /* __x86_64__ */
