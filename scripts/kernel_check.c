/*
 * kernel_check.c — cross-architecture check of the int8 kernels (CStarlingInt8): every supported path against the
 * portable one (bit-identical int32) on seeded random shapes (m, n, k in 1…300) and extreme
 * values, plus a hash of the float epilogue outputs to compare across architectures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "starling_int8.h"

static uint64_t state = 1337;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }

static int32_t *run(starling_i8_path p, int m, int n, int k, const int8_t *a, const int8_t *w) {
  void *packed = aligned_alloc(64, (starling_i8_packed_size(p, n, k) + 63) / 64 * 64);
  starling_i8_pack(p, n, k, w, packed);
  int32_t *c = malloc(sizeof(int32_t) * (size_t)(m * n + 1));
  starling_i8_gemm(p, m, n, k, a, packed, c);
  free(packed);
  return c;
}

int main(void) {
  int failures = 0, checks = 0;
  printf("best path: %s; supported:", starling_i8_path_name(starling_i8_best_path()));
  for (int p = 0; p < STARLING_I8_PATH_COUNT; p++) if (starling_i8_path_supported(p)) printf(" %s", starling_i8_path_name(p));
  printf("\n");
  for (int trial = 0; trial < 120; trial++) {
    int m = 1 + next() % 300, n = 1 + next() % 300, k = 1 + next() % 300;
    int extreme = trial % 10 == 9;
    if (trial < 4) { m = (int[]){1, 64, 7, 3}[trial]; n = (int[]){128, 128, 61, 17}[trial]; k = (int[]){784, 784, 293, 2053}[trial]; }
    int8_t *a = malloc((size_t)m * k), *w = malloc((size_t)n * k);
    for (int i = 0; i < m * k; i++) a[i] = extreme ? -128 : (int8_t)next();
    for (int i = 0; i < n * k; i++) w[i] = extreme ? (trial % 20 == 9 ? -128 : 127) : (int8_t)next();
    int32_t *ref = run(STARLING_I8_PORTABLE, m, n, k, a, w);
    for (int p = 1; p < STARLING_I8_PATH_COUNT; p++) {
      if (!starling_i8_path_supported(p)) continue;
      int32_t *c = run(p, m, n, k, a, w);
      checks++;
      if (memcmp(c, ref, sizeof(int32_t) * (size_t)m * n) != 0) {
        failures++;
        printf("MISMATCH %s m=%d n=%d k=%d\n", starling_i8_path_name(p), m, n, k);
      }
      free(c);
    }
    free(ref); free(a); free(w);
  }
  /* Epilogue hash: quantize → requantize → dequantize → softmax on fixed data. */
  enum { M = 13, K = 37, N = 11 };
  float x[M * K], scales[M], colscales[N], bias[N], row[N], y[M * N], mean[K], inv[K];
  int8_t q[M * K], q2[M * N];
  int32_t acc[M * N];
  for (int i = 0; i < M * K; i++) x[i] = (float)((int64_t)(next() % 20001) - 10000) / 997.0f;
  for (int j = 0; j < K; j++) { mean[j] = (float)(j % 5) * 0.25f; inv[j] = 1.0f / (1.0f + (float)(j % 3)); }
  for (int j = 0; j < N; j++) { colscales[j] = 0.001f * (float)(j + 1); bias[j] = 0.05f * (float)(j - 5); }
  for (int i = 0; i < M * N; i++) acc[i] = (int32_t)(next() % 40001) - 20000;
  uint64_t hash = 1469598103934665603ULL;
#define MIX(ptr, bytes) for (size_t b = 0; b < (bytes); b++) { hash ^= ((const unsigned char *)(ptr))[b]; hash *= 1099511628211ULL; }
  starling_i8_quantize_rows(M, K, x, mean, inv, 0.0f, q, scales); MIX(q, sizeof q); MIX(scales, sizeof scales);
  starling_i8_quantize_rows(M, K, x, NULL, NULL, 0.05f, q, scales); MIX(q, sizeof q);
  for (int act = 0; act < 4; act++) {
    starling_i8_requantize(M, N, acc, scales, colscales, bias, (starling_i8_activation)act, 0.0f, row, q2, scales); MIX(q2, sizeof q2); MIX(scales, sizeof scales);
    starling_i8_dequantize(M, N, acc, scales, colscales, bias, (starling_i8_activation)act, y); MIX(y, sizeof y);
  }
  starling_i8_softmax_rows(M, N, y); MIX(y, sizeof y);
  /* Rows that overflow: standardising ±3e38 leaves ±inf, and huge scales saturate at ±FLT_MAX. */
  for (int i = 0; i < M * K; i++) { x[i] = (i % 3 == 0 ? 3e38f : -3e38f) * (i % 2 == 0 ? 1.0f : -1.0f); }
  for (int j = 0; j < K; j++) { mean[j] = j % 2 == 0 ? -3e38f : 3e38f; inv[j] = 1.0f + (float)(j % 4); }
  for (int j = 0; j < N; j++) colscales[j] = j % 3 == 0 ? 1e30f : 1e-30f * (float)(j + 1);
  starling_i8_quantize_rows(M, K, x, mean, inv, 0.0f, q, scales); MIX(q, sizeof q); MIX(scales, sizeof scales);
  for (int act = 0; act < 4; act++) {
    starling_i8_requantize(M, N, acc, scales, colscales, bias, (starling_i8_activation)act, 0.0f, row, q2, scales); MIX(q2, sizeof q2); MIX(scales, sizeof scales);
    starling_i8_dequantize(M, N, acc, scales, colscales, bias, (starling_i8_activation)act, y); MIX(y, sizeof y);
  }
  starling_i8_softmax_rows(M, N, y); MIX(y, sizeof y);
  printf("epilogue hash %016llx\n", (unsigned long long)hash);
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures != 0;
}
