/*
 * kernel_check.c — cross-architecture check of the int8 kernels (CStarlingInt8): every supported path against the
 * portable one (bit-identical int32) on seeded random shapes (m, n, k in 1…300) and extreme
 * values; convolutions (im2col then GEMM, and depthwise) on every path against direct loops over
 * random windows with stride, padding, dilation and channel multipliers; plus a hash of the float
 * epilogue outputs to compare across architectures.
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

/* The input value at (b, iy, ix, c), 0 outside the map. */
static int32_t at(const starling_i8_window *g, const int8_t *a, int b, int iy, int ix, int c) {
  if (iy < 0 || iy >= g->height || ix < 0 || ix >= g->width) return 0;
  return a[(((size_t)b * g->height + iy) * g->width + ix) * g->channels + c];
}

/* Convolutions on random windows: every path's depthwise kernel and im2col + GEMM against direct loops. */
static void check_convolutions(int *checks, int *failures) {
  for (int trial = 0; trial < 60; trial++) {
    starling_i8_window g;
    g.height = 1 + next() % 12; g.width = 1 + next() % 12; g.channels = 1 + next() % 40;
    g.multiplier = trial % 4 == 3 ? 2 : 1;
    g.kernel_height = 1 + next() % 4; g.kernel_width = 1 + next() % 4;
    g.stride_height = 1 + next() % 3; g.stride_width = 1 + next() % 3;
    g.dilation_height = 1 + next() % 2; g.dilation_width = 1 + next() % 2;
    const int extent_h = g.dilation_height * (g.kernel_height - 1) + 1, extent_w = g.dilation_width * (g.kernel_width - 1) + 1;
    g.pad_top = next() % extent_h; g.pad_left = next() % extent_w;
    const int pad_bottom = next() % extent_h, pad_right = next() % extent_w;
    const int padded_h = g.height + g.pad_top + pad_bottom, padded_w = g.width + g.pad_left + pad_right;
    if (extent_h > padded_h || extent_w > padded_w) continue;
    g.out_height = (padded_h - extent_h) / g.stride_height + 1; g.out_width = (padded_w - extent_w) / g.stride_width + 1;
    const int batch = 1 + next() % 3, outputs = g.channels * g.multiplier, taps = g.kernel_height * g.kernel_width;
    const int filters = 1 + next() % 20, k = taps * g.channels, extreme = trial % 10 == 9;
    const size_t positions = (size_t)batch * g.out_height * g.out_width;
    int8_t *a = malloc((size_t)batch * g.height * g.width * g.channels);
    int8_t *dw = malloc((size_t)taps * outputs), *cw = malloc((size_t)filters * k), *rows = malloc(positions * k);
    int32_t *want_dw = malloc(sizeof(int32_t) * positions * outputs), *want_conv = malloc(sizeof(int32_t) * positions * filters);
    int32_t *got = malloc(sizeof(int32_t) * positions * (outputs > filters ? outputs : filters));
    for (size_t i = 0; i < (size_t)batch * g.height * g.width * g.channels; i++) a[i] = extreme ? -128 : (int8_t)next();
    for (int i = 0; i < taps * outputs; i++) dw[i] = extreme ? -128 : (int8_t)next();
    for (int i = 0; i < filters * k; i++) cw[i] = extreme ? -128 : (int8_t)next();
    size_t position = 0;
    for (int b = 0; b < batch; b++)
      for (int oy = 0; oy < g.out_height; oy++)
        for (int ox = 0; ox < g.out_width; ox++, position++) {
          for (int o = 0; o < outputs; o++) {
            int32_t sum = 0;
            for (int ky = 0; ky < g.kernel_height; ky++)
              for (int kx = 0; kx < g.kernel_width; kx++)
                sum += at(&g, a, b, oy * g.stride_height - g.pad_top + ky * g.dilation_height,
                          ox * g.stride_width - g.pad_left + kx * g.dilation_width, o / g.multiplier) *
                       dw[(ky * g.kernel_width + kx) * outputs + o];
            want_dw[position * outputs + o] = sum;
          }
          for (int f = 0; f < filters; f++) {
            int32_t sum = 0;
            for (int ky = 0; ky < g.kernel_height; ky++)
              for (int kx = 0; kx < g.kernel_width; kx++)
                for (int c = 0; c < g.channels; c++)
                  sum += at(&g, a, b, oy * g.stride_height - g.pad_top + ky * g.dilation_height,
                            ox * g.stride_width - g.pad_left + kx * g.dilation_width, c) *
                         cw[(size_t)f * k + (ky * g.kernel_width + kx) * g.channels + c];
            want_conv[position * filters + f] = sum;
          }
        }
    starling_i8_im2col(batch, &g, a, rows);
    for (int p = 0; p < STARLING_I8_PATH_COUNT; p++) {
      if (!starling_i8_path_supported(p)) continue;
      starling_i8_depthwise(p, batch, &g, a, dw, got);
      (*checks)++;
      if (memcmp(got, want_dw, sizeof(int32_t) * positions * outputs) != 0) {
        (*failures)++;
        printf("MISMATCH depthwise %s %dx%dx%d ×%d kernel %dx%d\n", starling_i8_path_name(p), g.height, g.width, g.channels,
               g.multiplier, g.kernel_height, g.kernel_width);
      }
      int32_t *conv = run(p, (int)positions, filters, k, rows, cw);
      (*checks)++;
      if (memcmp(conv, want_conv, sizeof(int32_t) * positions * filters) != 0) {
        (*failures)++;
        printf("MISMATCH im2col+gemm %s %dx%dx%d kernel %dx%d\n", starling_i8_path_name(p), g.height, g.width, g.channels,
               g.kernel_height, g.kernel_width);
      }
      free(conv);
    }
    free(a); free(dw); free(cw); free(rows); free(want_dw); free(want_conv); free(got);
  }
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
  check_convolutions(&checks, &failures);
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
  for (int act = 0; act <= STARLING_I8_ACT_RELU6; act++) {
    starling_i8_requantize(M, N, acc, scales, colscales, bias, (starling_i8_activation)act, 0.0f, row, q2, scales); MIX(q2, sizeof q2); MIX(scales, sizeof scales);
    starling_i8_dequantize(M, N, acc, scales, colscales, bias, (starling_i8_activation)act, y); MIX(y, sizeof y);
  }
  /* Group normalisation of 13 positions × 11 channels (a vector block and 3 single channels), as
   * one group and, for a second example, as 11, with short int32 runs for huge taps too. */
  {
    float gamma[N], beta[N], example_scales[2] = {0.01f, 0.003f};
    for (int j = 0; j < N; j++) { gamma[j] = 0.5f + 0.1f * (float)j; beta[j] = 0.02f * (float)(j - 4); }
    uint64_t scratch[64];
    for (int act = 0; act <= STARLING_I8_ACT_RELU6; act++) {
      starling_i8_group_normalize(1, M, N, 1, 37, 1e-5f, acc, example_scales, colscales, bias, gamma, beta,
                                  (starling_i8_activation)act, scratch, y);
      MIX(y, sizeof y);
      starling_i8_group_normalize(1, M, N, N, 1000000, 1e-5f, acc, example_scales + 1, colscales, bias, gamma, beta,
                                  (starling_i8_activation)act, scratch, y);
      MIX(y, sizeof y);
    }
  }
  starling_i8_softmax_rows(M, N, y); MIX(y, sizeof y);
  /* Rows that overflow: standardising ±3e38 leaves ±inf, and huge scales saturate at ±FLT_MAX. */
  for (int i = 0; i < M * K; i++) { x[i] = (i % 3 == 0 ? 3e38f : -3e38f) * (i % 2 == 0 ? 1.0f : -1.0f); }
  for (int j = 0; j < K; j++) { mean[j] = j % 2 == 0 ? -3e38f : 3e38f; inv[j] = 1.0f + (float)(j % 4); }
  for (int j = 0; j < N; j++) colscales[j] = j % 3 == 0 ? 1e30f : 1e-30f * (float)(j + 1);
  starling_i8_quantize_rows(M, K, x, mean, inv, 0.0f, q, scales); MIX(q, sizeof q); MIX(scales, sizeof scales);
  for (int act = 0; act <= STARLING_I8_ACT_RELU6; act++) {
    starling_i8_requantize(M, N, acc, scales, colscales, bias, (starling_i8_activation)act, 0.0f, row, q2, scales); MIX(q2, sizeof q2); MIX(scales, sizeof scales);
    starling_i8_dequantize(M, N, acc, scales, colscales, bias, (starling_i8_activation)act, y); MIX(y, sizeof y);
  }
  starling_i8_softmax_rows(M, N, y); MIX(y, sizeof y);
  printf("epilogue hash %016llx\n", (unsigned long long)hash);
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures != 0;
}
