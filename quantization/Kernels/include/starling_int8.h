/*
 * starling_int8.h — exact int8 matrix kernels and the float epilogues of Starling's int8 runtime.
 *
 * Every kernel path (portable C, AVX2, AVX-VNNI, AVX-512 VNNI, NEON, NEON dot product) returns the
 * same int32 results bit for bit: no saturating instruction is used, and VNNI's unsigned×signed
 * `dpbusd` runs on weights packed as unsigned w + 128 against signed activations, corrected by
 * 128·Σ_k a[m][k] per row (that way activations are broadcast straight from memory). Results are
 * exact while |Σ_k a·w| < 2^31 (and, on VNNI, Σ_k (w + 128)·a too), i.e. for k ≤ 65536.
 */
#ifndef STARLING_INT8_H
#define STARLING_INT8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel paths; which ones a machine runs is decided at run time from CPU features. */
typedef enum {
  STARLING_I8_PORTABLE = 0,
  STARLING_I8_AVX2 = 1,
  STARLING_I8_AVX_VNNI = 2,
  STARLING_I8_AVX512_VNNI = 3,
  STARLING_I8_NEON = 4,
  STARLING_I8_NEON_DOTPROD = 5
} starling_i8_path;

/* Number of paths (one past the last enumerator). */
#define STARLING_I8_PATH_COUNT 6

/* 1 when this build and CPU (including OS support for the vector state) can run `path`. */
int starling_i8_path_supported(starling_i8_path path);

/* The fastest supported path, or the one named by env STARLING_I8_PATH
 * (portable|avx2|avx_vnni|avx512_vnni|neon|neon_dotprod) when that one is supported. */
starling_i8_path starling_i8_best_path(void);

/* Lower-case name, as accepted by STARLING_I8_PATH; "unknown" for an invalid value. */
const char *starling_i8_path_name(starling_i8_path path);

/* Bytes needed to pack an [n][k] int8 weight matrix for `path` (n, k ≥ 1). */
size_t starling_i8_packed_size(starling_i8_path path, int n, int k);

/* Packs weights [n][k] (row = output channel) once for `path` into `packed`
 * (starling_i8_packed_size bytes; 64-byte alignment recommended, not required). */
void starling_i8_pack(starling_i8_path path, int n, int k, const int8_t *w, void *packed);

/* c[m][n] = Σ_k a[m][k]·w[n][k], exact int32. a is int8 row-major [m][k]; `packed` must have been
 * packed for the same path, n and k (checked; a mismatch aborts). m ≥ 0. */
void starling_i8_gemm(starling_i8_path path, int m, int n, int k, const int8_t *a, const void *packed,
                      int32_t *c);

/* ---- Convolutions over channels-last int8 maps ------------------------------------------------ */

/* The window of a convolution: input [batch][height][width][channels], output
 * [batch][out_height][out_width][channels·multiplier]. Output (oy, ox) reads input row
 * oy·stride_height − pad_top + ky·dilation_height and column ox·stride_width − pad_left +
 * kx·dilation_width; positions outside the input read 0. The caller checks the geometry (sizes ≥ 1,
 * out_height and out_width as the padding, stride and dilation give them). */
typedef struct {
  int height, width, channels, multiplier;
  int kernel_height, kernel_width, stride_height, stride_width;
  int pad_top, pad_left, dilation_height, dilation_width;
  int out_height, out_width;
} starling_i8_window;

/* Unfolds `batch` maps into one row per output position of kernel_height·kernel_width·channels
 * values in (ky, kx, channel) order, zeros where the window covers padding: the [m][k] activations
 * a convolution's weights, packed as [filters][k], multiply with starling_i8_gemm. */
void starling_i8_im2col(int batch, const starling_i8_window *window, const int8_t *a, int8_t *rows);

/* Depthwise convolution, exact int32: acc[b][oy][ox][c·M + m] = Σ_{ky,kx} a[b][iy][ix][c]·
 * w[ky][kx][c·M + m] (M = multiplier). Every path gives the portable path's results bit for bit:
 * AVX2 (also on the VNNI paths, whose dot products would sum neighbouring channels) and NEON (also
 * on neon_dotprod) widen 8 channels at a time and multiply-accumulate in int32; multipliers above 1
 * run the portable loop. */
void starling_i8_depthwise(starling_i8_path path, int batch, const starling_i8_window *window, const int8_t *a,
                           const int8_t *w, int32_t *acc);

/* ---- Float epilogues (identical on every path) ---------------------------------------------- */

/* Activation applied after dequantisation. */
typedef enum {
  STARLING_I8_ACT_IDENTITY = 0,
  STARLING_I8_ACT_RELU = 1,
  STARLING_I8_ACT_SIGMOID = 2,
  STARLING_I8_ACT_TANH = 3,
  STARLING_I8_ACT_RELU6 = 4
} starling_i8_activation;

/* Quantizes m rows of k floats to int8 symmetric per row, standardising first when `mean` and
 * `inv_std` are non-NULL (x' = (x − mean)·inv_std).
 * static_scale > 0: scale = static_scale for every row, values clamped to −127…127 (static).
 * static_scale ≤ 0: scale_r = max_j |x'_rj| / 127, or 1 for an all-zero row (dynamic).
 * q = round-half-even(x' / scale); scales[r] receives the scale used. */
void starling_i8_quantize_rows(int m, int k, const float *x, const float *mean, const float *inv_std,
                               float static_scale, int8_t *q, float *scales);

/* y[r][j] = act(acc[r][j]·row_scales[r]·col_scales[j] + bias[j]) for m rows of n outputs. */
void starling_i8_dequantize(int m, int n, const int32_t *acc, const float *row_scales,
                            const float *col_scales, const float *bias, starling_i8_activation act,
                            float *y);

/* Fused layer epilogue: dequantise, add bias, apply `act`, then requantise for the next layer as
 * starling_i8_quantize_rows does (static when static_scale > 0). `row` is n floats of scratch. */
void starling_i8_requantize(int m, int n, const int32_t *acc, const float *row_scales,
                            const float *col_scales, const float *bias, starling_i8_activation act,
                            float static_scale, float *row, int8_t *q, float *out_scales);

/* Group normalisation fused into a convolution's epilogue, for m examples of `positions` rows of
 * `channels` int32 accumulators each (channels-last), each accumulator a sum of `taps` int8
 * products. Each example's map x = acc·example_scale·col_scales[c] + bias[c] is normalised per
 * group of channels/groups channels, y = act(gamma[c]·(x − mean)/√(var + epsilon) + beta[c]),
 * without writing x: the statistics come from the channels' exact sums of accumulators and their
 * spreads, and each output is one multiply-add of its accumulator. `scratch` holds
 * starling_i8_group_normalize_scratch_size(channels) bytes, 8-byte aligned. */
size_t starling_i8_group_normalize_scratch_size(int channels);
void starling_i8_group_normalize(int m, int positions, int channels, int groups, int taps, float epsilon,
                                 const int32_t *acc, const float *example_scales, const float *col_scales,
                                 const float *bias, const float *gamma, const float *beta, starling_i8_activation act,
                                 void *scratch, float *y);

/* In-place numerically stable softmax of m rows of n floats. */
void starling_i8_softmax_rows(int m, int n, float *z);

#ifdef __cplusplus
}
#endif

#endif /* STARLING_INT8_H */
