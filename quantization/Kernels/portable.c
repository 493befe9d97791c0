/*
 * portable.c — the reference int8 GEMM in plain C. Every vector path is tested against it for
 * bit-identical int32 results; it also runs wherever no vector path is available.
 */
#include "internal.h"

void starling_i8_gemm_portable(int m, int n, int k, const int8_t *a, const void *packed, int32_t *c) {
  const int8_t *w = (const int8_t *)starling_i8_data(packed);
  for (int i = 0; i < m; i++) {
    const int8_t *row = a + (size_t)i * k;
    for (int j = 0; j < n; j++) {
      const int8_t *channel = w + (size_t)j * k;
      int32_t sum = 0;
      for (int e = 0; e < k; e++) sum += (int32_t)row[e] * (int32_t)channel[e];
      c[(size_t)i * n + j] = sum;
    }
  }
}
