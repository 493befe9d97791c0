/*
 * epilogue.c — the float side of an int8 layer, shared by every kernel path so that all paths give
 * identical outputs: per-row activation quantization (dynamic or static scale, with standardisation
 * fused), dequantisation with bias and activation, the fused requantisation between layers, and
 * softmax.
 *
 * The bodies (epilogue_kernels.h) are compiled three times on x86-64 — baseline, AVX2 and AVX-512 —
 * and the widest one the CPU runs is used. FP contraction is off so every copy performs the same
 * IEEE operations and returns the same bits.
 */
#include <float.h>
#include <math.h>

#include "internal.h"

#if defined(__clang__)
#pragma clang fp contract(off)
/* The 8-lane vectors of the baseline copy are passed only between inlined static functions. */
#pragma clang diagnostic ignored "-Wpsabi"
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Channels per block of the group normalisation's vector loops (GCC/Clang vector extensions: one
 * AVX2 register, two SSE2 or NEON ones), whose operations are in epilogue_kernels.h. */
#define STARLING_I8_GN_LANES 8
typedef int32_t starling_i8_lanes_i32 __attribute__((vector_size(4 * STARLING_I8_GN_LANES)));
typedef uint32_t starling_i8_lanes_u32 __attribute__((vector_size(4 * STARLING_I8_GN_LANES)));
typedef float starling_i8_lanes_f32 __attribute__((vector_size(4 * STARLING_I8_GN_LANES)));

#define STARLING_I8_EPI(name) starling_i8_##name##_baseline
#include "epilogue_kernels.h"
#undef STARLING_I8_EPI

#if defined(__x86_64__) && defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#define STARLING_I8_EPI(name) starling_i8_##name##_avx2
#include "epilogue_kernels.h"
#undef STARLING_I8_EPI
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,avx512f,avx512bw,avx512vl"), min_vector_width(512))), apply_to = function)
#define STARLING_I8_EPI(name) starling_i8_##name##_avx512
#include "epilogue_kernels.h"
#undef STARLING_I8_EPI
#pragma clang attribute pop

/* 2: AVX-512 (F, BW, VL — implied by the AVX-512 VNNI path's check), 1: AVX2, 0: baseline. */
static int starling_i8_epilogue_level(void) {
  if (starling_i8_cpu_has(STARLING_I8_AVX512_VNNI)) return 2;
  if (starling_i8_cpu_has(STARLING_I8_AVX2)) return 1;
  return 0;
}

#define STARLING_I8_EPILOGUE_CALL(name, ...)          \
  switch (starling_i8_epilogue_level()) {             \
    case 2:                                           \
      starling_i8_##name##_avx512(__VA_ARGS__);       \
      return;                                         \
    case 1:                                           \
      starling_i8_##name##_avx2(__VA_ARGS__);         \
      return;                                         \
    default:                                          \
      starling_i8_##name##_baseline(__VA_ARGS__);     \
      return;                                         \
  }
#else
#define STARLING_I8_EPILOGUE_CALL(name, ...) starling_i8_##name##_baseline(__VA_ARGS__);
#endif

void starling_i8_quantize_rows(int m, int k, const float *x, const float *mean, const float *inv_std,
                               float static_scale, int8_t *q, float *scales) {
  STARLING_I8_EPILOGUE_CALL(quantize_rows, m, k, x, mean, inv_std, static_scale, q, scales)
}

void starling_i8_dequantize(int m, int n, const int32_t *acc, const float *row_scales,
                            const float *col_scales, const float *bias, starling_i8_activation act,
                            float *y) {
  STARLING_I8_EPILOGUE_CALL(dequantize, m, n, acc, row_scales, col_scales, bias, act, y)
}

void starling_i8_requantize(int m, int n, const int32_t *acc, const float *row_scales,
                            const float *col_scales, const float *bias, starling_i8_activation act,
                            float static_scale, float *row, int8_t *q, float *out_scales) {
  STARLING_I8_EPILOGUE_CALL(requantize, m, n, acc, row_scales, col_scales, bias, act, static_scale, row, q,
                            out_scales)
}

size_t starling_i8_group_normalize_scratch_size(int channels) {
  return (size_t)(channels > 0 ? channels : 0) * (sizeof(int64_t) + 4 * sizeof(float));
}

void starling_i8_group_normalize(int m, int positions, int channels, int groups, int taps, float epsilon,
                                 const int32_t *acc, const float *example_scales, const float *col_scales,
                                 const float *bias, const float *gamma, const float *beta, starling_i8_activation act,
                                 void *scratch, float *y) {
  STARLING_I8_EPILOGUE_CALL(group_normalize, m, positions, channels, groups, taps, epsilon, acc, example_scales,
                            col_scales, bias, gamma, beta, act, scratch, y)
}

void starling_i8_softmax_rows(int m, int n, float *z) { STARLING_I8_EPILOGUE_CALL(softmax_rows, m, n, z) }
