/*
 * depthwise_avx2.c — one output position of an int8 depthwise convolution with AVX2, exact: 8
 * channels of activations and weights sign-extended to int32 (`vpmovsxbd`) and multiplied with
 * `vpmulld`, summed over the taps in int32; leftover channels as the portable loop does them.
 */
#if defined(__x86_64__)

#include <immintrin.h>

#include "internal.h"

__attribute__((target("avx2"))) void starling_i8_depthwise_position_avx2(int channels, int taps,
                                                                         const int8_t *const *a,
                                                                         const int8_t *const *w, int32_t *acc) {
  int c = 0;
  for (; c + 8 <= channels; c += 8) {
    __m256i sum = _mm256_setzero_si256();
    for (int t = 0; t < taps; t++) {
      const __m256i x = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(a[t] + c)));
      const __m256i k = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(w[t] + c)));
      sum = _mm256_add_epi32(sum, _mm256_mullo_epi32(x, k));
    }
    _mm256_storeu_si256((__m256i *)(void *)(acc + c), sum);
  }
  for (; c < channels; c++) {
    int32_t sum = 0;
    for (int t = 0; t < taps; t++) sum += (int32_t)a[t][c] * (int32_t)w[t][c];
    acc[c] = sum;
  }
}

#endif
