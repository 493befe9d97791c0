/*
 * avx2.c — int8 GEMM with AVX2, exact: operands sign-extended to 16 bits and multiplied with
 * `vpmaddwd` (_mm256_madd_epi16: two 16×16 products summed into one int32, which cannot overflow
 * for int8 inputs). `vpmaddubsw` is never used: it saturates to int16.
 *
 * Weights are packed as int8 in 8-channel blocks with k in pairs and widened on load (half the
 * bytes of pre-widened weights: batch-1 inference streams the weights from L2); activations are
 * widened per tile into an int16 stack buffer, one k-chunk at a time, and each pair is broadcast.
 * A tile holds up to 4 rows × 2 blocks (16 channels) of accumulators.
 */
#if defined(__x86_64__)

#include <immintrin.h>

#include "internal.h"

#define STARLING_I8_AVX2_TARGET "avx2"
#define TILE_FN static inline __attribute__((always_inline, target(STARLING_I8_AVX2_TARGET)))
#define STARLING_I8_AVX2_KC 1024 /* activations widened per chunk: 4 rows × 2 KiB of stack */

TILE_FN void starling_i8_avx2_store(int32_t *c, __m256i value, int left) {
  if (left >= 8) {
    _mm256_storeu_si256((__m256i *)(void *)c, value);
  } else if (left > 0) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(left), lanes);
    _mm256_maskstore_epi32((int *)c, mask, value);
  }
}

TILE_FN void starling_i8_avx2_tile(const int MR, const int NB, int k, const int8_t *a, const int8_t *w,
                                   size_t pair_stride, int32_t *c, int ldc, int columns) {
  __m256i acc[4][2];
  for (int r = 0; r < MR; r++)
    for (int b = 0; b < NB; b++) acc[r][b] = _mm256_setzero_si256();
  int16_t wide[4][STARLING_I8_AVX2_KC] __attribute__((aligned(32)));
  for (int k0 = 0; k0 < k; k0 += STARLING_I8_AVX2_KC) {
    const int chunk = k - k0 < STARLING_I8_AVX2_KC ? k - k0 : STARLING_I8_AVX2_KC;
    const int pairs = (chunk + 1) / 2;
    for (int r = 0; r < MR; r++) {
      const int8_t *src = a + (size_t)r * k + k0;
      int e = 0;
      for (; e + 16 <= chunk; e += 16) {
        const __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(src + e));
        _mm256_store_si256((__m256i *)(void *)&wide[r][e], _mm256_cvtepi8_epi16(bytes));
      }
      for (; e < chunk; e++) wide[r][e] = src[e];
      if (chunk & 1) wide[r][chunk] = 0;
    }
    const int8_t *wp = w + (size_t)(k0 / 2) * pair_stride;
    for (int p = 0; p < pairs; p++) {
      __m256i av[4];
      for (int r = 0; r < MR; r++) {
        int32_t pair;
        memcpy(&pair, &wide[r][2 * p], sizeof pair);
        av[r] = _mm256_set1_epi32(pair);
      }
      for (int b = 0; b < NB; b++) {
        const __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(wp + (size_t)p * pair_stride + 16 * b));
        const __m256i wv = _mm256_cvtepi8_epi16(bytes);
        for (int r = 0; r < MR; r++) acc[r][b] = _mm256_add_epi32(acc[r][b], _mm256_madd_epi16(av[r], wv));
      }
    }
  }
  for (int r = 0; r < MR; r++)
    for (int b = 0; b < NB; b++) starling_i8_avx2_store(c + (size_t)r * ldc + 8 * b, acc[r][b], columns - 8 * b);
}

#define STARLING_I8_AVX2_CASE(MR, NB)                                                  \
  case (MR) * 8 + (NB):                                                                \
    starling_i8_avx2_tile(MR, NB, k, rows, w, stride, out, n, columns);                \
    break;

__attribute__((target(STARLING_I8_AVX2_TARGET)))
void starling_i8_gemm_avx2(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c) {
  const int8_t *weights = (const int8_t *)starling_i8_data(packed);
  const int blocks = starling_i8_ceil_div(n, 8), pairs = starling_i8_ceil_div(k, 2);
  for (int p0 = 0; p0 < blocks; p0 += 2) {
    const int nb = blocks - p0 < 2 ? blocks - p0 : 2;
    const int8_t *w = weights + (size_t)p0 * 16 * pairs;
    const size_t stride = (size_t)nb * 16;
    const int columns = n - 8 * p0;
    for (int i = 0; i < m; i += 4) {
      const int mr = m - i < 4 ? m - i : 4;
      const int8_t *rows = a + (size_t)i * k;
      int32_t *out = c + (size_t)i * n + 8 * p0;
      switch (mr * 8 + nb) {
        STARLING_I8_AVX2_CASE(1, 1) STARLING_I8_AVX2_CASE(1, 2)
        STARLING_I8_AVX2_CASE(2, 1) STARLING_I8_AVX2_CASE(2, 2)
        STARLING_I8_AVX2_CASE(3, 1) STARLING_I8_AVX2_CASE(3, 2)
        STARLING_I8_AVX2_CASE(4, 1) STARLING_I8_AVX2_CASE(4, 2)
        default:
          break;
      }
    }
  }
}

#else
typedef int starling_i8_not_x86_64; /* keeps the translation unit non-empty elsewhere */
#endif /* __x86_64__ */
