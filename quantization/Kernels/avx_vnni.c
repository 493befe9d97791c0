/*
 * avx_vnni.c — int8 GEMM with AVX-VNNI (VEX-encoded `vpdpbusd` on 256-bit registers).
 *
 * Uses the AVX-512 VNNI packing (unsigned w + 128 in 16-channel blocks, k in groups of 4): each
 * 64-byte block is two ymm halves of 8 channels. Signed activations are broadcast from memory and
 * 128·Σ_k a[m][k] is subtracted at the end: exact int32. A tile holds up to 2 rows × 2 blocks
 * (32 channels, 4 ymm per row); a single row splits k over two accumulator sets.
 */
#if defined(__x86_64__)

#include <immintrin.h>

#include "internal.h"

#define STARLING_I8_AVXVNNI_TARGET "avx2,avxvnni"
#define TILE_FN static inline __attribute__((always_inline, target(STARLING_I8_AVXVNNI_TARGET)))

/* Σ_k a[k] of one activation row: `dpbusd` of all-ones (unsigned) with the row (signed). */
TILE_FN int32_t starling_i8_avxvnni_row_sum(const int8_t *a, int k) {
  const __m256i ones = _mm256_set1_epi8(1);
  __m256i sum = _mm256_setzero_si256();
  int e = 0;
  for (; e + 32 <= k; e += 32) {
    sum = _mm256_dpbusd_avx_epi32(sum, ones, _mm256_loadu_si256((const __m256i *)(const void *)(a + e)));
  }
  int32_t total = 0;
  for (; e < k; e++) total += a[e];
  const __m128i half = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
  const __m128i quarter = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0x4E));
  return total + _mm_cvtsi128_si32(_mm_add_epi32(quarter, _mm_shuffle_epi32(quarter, 0xB1)));
}

/* Broadcasts activations k..k+3 of a row (fewer available: the rest read as 0). */
TILE_FN __m256i starling_i8_avxvnni_bcast(const int8_t *p, int available) {
  if (available >= 4) {
    int32_t group;
    memcpy(&group, p, sizeof group);
    return _mm256_set1_epi32(group);
  }
  return _mm256_set1_epi32((int32_t)starling_i8_load4(p, available));
}

TILE_FN void starling_i8_avxvnni_store(int32_t *c, __m256i value, int left) {
  if (left >= 8) {
    _mm256_storeu_si256((__m256i *)(void *)c, value);
  } else if (left > 0) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(left), lanes);
    _mm256_maskstore_epi32((int *)c, mask, value);
  }
}

/* H = number of 8-channel halves (1…4) starting at the panel offset `w`. */
TILE_FN void starling_i8_avxvnni_tile(const int MR, const int H, const int SPLIT, int k, const int8_t *a,
                                      const uint8_t *w, size_t group_stride, int32_t *c, int ldc,
                                      int columns) {
  __m256i acc[2][2][4];
  for (int s = 0; s < SPLIT; s++)
    for (int r = 0; r < MR; r++)
      for (int h = 0; h < H; h++) acc[s][r][h] = _mm256_setzero_si256();
  const int full = k / 4, groups = (k + 3) / 4;
  int g = 0;
  for (; g + SPLIT <= full; g += SPLIT) {
    for (int s = 0; s < SPLIT; s++) {
      const uint8_t *wg = w + (size_t)(g + s) * group_stride;
      __m256i av[2];
      for (int r = 0; r < MR; r++) av[r] = starling_i8_avxvnni_bcast(a + (size_t)r * k + 4 * (g + s), 4);
      for (int h = 0; h < H; h++) {
        const __m256i wv = _mm256_loadu_si256((const __m256i *)(const void *)(wg + 32 * h));
        for (int r = 0; r < MR; r++) acc[s][r][h] = _mm256_dpbusd_avx_epi32(acc[s][r][h], wv, av[r]);
      }
    }
  }
  for (; g < groups; g++) {
    const uint8_t *wg = w + (size_t)g * group_stride;
    __m256i av[2];
    for (int r = 0; r < MR; r++) av[r] = starling_i8_avxvnni_bcast(a + (size_t)r * k + 4 * g, k - 4 * g);
    for (int h = 0; h < H; h++) {
      const __m256i wv = _mm256_loadu_si256((const __m256i *)(const void *)(wg + 32 * h));
      for (int r = 0; r < MR; r++) acc[0][r][h] = _mm256_dpbusd_avx_epi32(acc[0][r][h], wv, av[r]);
    }
  }
  for (int r = 0; r < MR; r++) {
    const __m256i correction = _mm256_set1_epi32(128 * starling_i8_avxvnni_row_sum(a + (size_t)r * k, k));
    for (int h = 0; h < H; h++) {
      __m256i sum = acc[0][r][h];
      if (SPLIT == 2) sum = _mm256_add_epi32(sum, acc[1][r][h]);
      starling_i8_avxvnni_store(c + (size_t)r * ldc + 8 * h, _mm256_sub_epi32(sum, correction), columns - 8 * h);
    }
  }
}

#define STARLING_I8_AVXVNNI_CASE(MR, H)                                                          \
  case (MR) * 8 + (H):                                                                           \
    starling_i8_avxvnni_tile(MR, H, (MR) == 1 ? 2 : 1, k, rows, w, stride, out, n, columns); \
    break;

__attribute__((target(STARLING_I8_AVXVNNI_TARGET)))
void starling_i8_gemm_avx_vnni(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c) {
  const uint8_t *weights = starling_i8_data(packed);
  const int blocks = starling_i8_ceil_div(n, 16), groups = starling_i8_ceil_div(k, 4);
  for (int p0 = 0; p0 < blocks; p0 += STARLING_I8_DP_PANEL) {
    const int nb = blocks - p0 < STARLING_I8_DP_PANEL ? blocks - p0 : STARLING_I8_DP_PANEL;
    const size_t stride = (size_t)nb * 64;
    /* Two blocks (4 halves) per tile; a half past the last channel is skipped. */
    for (int b0 = 0; b0 < nb; b0 += 2) {
      const int first = 16 * (p0 + b0);
      const int columns = n - first;
      const int halves = columns >= 32 ? 4 : starling_i8_ceil_div(columns, 8);
      const uint8_t *w = weights + (size_t)p0 * 64 * groups + 64 * b0;
      for (int i = 0; i < m; i += 2) {
        const int mr = m - i < 2 ? m - i : 2;
        const int8_t *rows = a + (size_t)i * k;
        int32_t *out = c + (size_t)i * n + first;
        switch (mr * 8 + halves) {
          STARLING_I8_AVXVNNI_CASE(1, 1) STARLING_I8_AVXVNNI_CASE(1, 2)
          STARLING_I8_AVXVNNI_CASE(1, 3) STARLING_I8_AVXVNNI_CASE(1, 4)
          STARLING_I8_AVXVNNI_CASE(2, 1) STARLING_I8_AVXVNNI_CASE(2, 2)
          STARLING_I8_AVXVNNI_CASE(2, 3) STARLING_I8_AVXVNNI_CASE(2, 4)
          default:
            break;
        }
      }
    }
  }
}

#else
typedef int starling_i8_not_x86_64; /* keeps the translation unit non-empty elsewhere */
#endif /* __x86_64__ */
