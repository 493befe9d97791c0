/*
 * epilogue_kernels.h — bodies of the float epilogues, included once per instruction set by
 * epilogue.c with STARLING_I8_EPI(name) defined to give each copy its own names. Every copy runs
 * the same IEEE operations in the same order (no contraction into FMA), so all give identical bits;
 * only the vector width the compiler picks differs.
 *
 * Quantization follows Jacob et al. 2018 (symmetric, zero point 0): q = clamp(round(x / s), ±127).
 * Rounding is half-to-even via the 1.5·2^23 trick, exact for |v| ≤ 2^22, which clamping guarantees.
 */
static inline float STARLING_I8_EPI(round_even)(float v) {
  const float magic = 12582912.0f; /* 1.5 · 2^23 */
  return (v + magic) - magic;
}

static inline float STARLING_I8_EPI(clamp127)(float v) { return v < -127.0f ? -127.0f : (v > 127.0f ? 127.0f : v); }

/* Quantizes one row of already-transformed floats with `scale` (> 0). */
static void STARLING_I8_EPI(quantize_row)(int k, const float *restrict x, float scale, int8_t *restrict q) {
  const float inverse = 1.0f / scale;
  for (int j = 0; j < k; j++) q[j] = (int8_t)(int)STARLING_I8_EPI(round_even)(STARLING_I8_EPI(clamp127)(x[j] * inverse));
}

/* |x| as its IEEE bit pattern: for finite floats the unsigned order of these is the order of |x|,
 * so the max reduction runs on integers, which the compiler vectorises (a float max does not
 * vectorise without fast-math because of NaN semantics). */
static inline uint32_t STARLING_I8_EPI(magnitude_bits)(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof bits);
  return bits & 0x7FFFFFFFu;
}

/* The scale for the largest magnitude of a row, from its bits. A row that overflowed (±inf, or NaN
 * from inf − inf) is scaled as if its largest value were FLT_MAX, so the scale stays finite: its
 * infinite entries quantize to ±127 instead of every entry becoming inf · 0 = NaN. */
static inline float STARLING_I8_EPI(scale_from_bits)(uint32_t largest) {
  const uint32_t finite_max = 0x7F7FFFFFu; /* FLT_MAX */
  largest = largest > finite_max ? finite_max : largest;
  float magnitude;
  memcpy(&magnitude, &largest, sizeof magnitude);
  return magnitude > 0.0f ? magnitude / 127.0f : 1.0f;
}

static float STARLING_I8_EPI(dynamic_scale)(int k, const float *x) {
  uint32_t largest = 0;
  for (int j = 0; j < k; j++) {
    const uint32_t bits = STARLING_I8_EPI(magnitude_bits)(x[j]);
    largest = bits > largest ? bits : largest;
  }
  return STARLING_I8_EPI(scale_from_bits)(largest);
}

static void STARLING_I8_EPI(quantize_rows)(int m, int k, const float *x, const float *mean, const float *inv_std,
                               float static_scale, int8_t *q, float *scales) {
  for (int i = 0; i < m; i++) {
    const float *row = x + (size_t)i * k;
    int8_t *out = q + (size_t)i * k;
    if (mean != NULL && inv_std != NULL) {
      /* Standardise into the int8 row's space in two passes without scratch: scale first. */
      float scale = static_scale;
      if (!(scale > 0.0f)) {
        uint32_t largest = 0;
        for (int j = 0; j < k; j++) {
          const uint32_t bits = STARLING_I8_EPI(magnitude_bits)((row[j] - mean[j]) * inv_std[j]);
          largest = bits > largest ? bits : largest;
        }
        scale = STARLING_I8_EPI(scale_from_bits)(largest);
      }
      const float inverse = 1.0f / scale;
      for (int j = 0; j < k; j++) {
        const float v = (row[j] - mean[j]) * inv_std[j] * inverse;
        out[j] = (int8_t)(int)STARLING_I8_EPI(round_even)(STARLING_I8_EPI(clamp127)(v));
      }
      scales[i] = scale;
    } else {
      const float scale = static_scale > 0.0f ? static_scale : STARLING_I8_EPI(dynamic_scale)(k, row);
      STARLING_I8_EPI(quantize_row)(k, row, scale, out);
      scales[i] = scale;
    }
  }
}

static inline void STARLING_I8_EPI(activate)(int n, float *y, starling_i8_activation act) {
  switch (act) {
    case STARLING_I8_ACT_IDENTITY:
      break;
    case STARLING_I8_ACT_RELU:
      for (int j = 0; j < n; j++) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
      break;
    case STARLING_I8_ACT_SIGMOID:
      for (int j = 0; j < n; j++) y[j] = 1.0f / (1.0f + expf(-y[j]));
      break;
    case STARLING_I8_ACT_TANH:
      for (int j = 0; j < n; j++) y[j] = tanhf(y[j]);
      break;
    case STARLING_I8_ACT_RELU6:
      for (int j = 0; j < n; j++) y[j] = y[j] > 0.0f ? (y[j] < 6.0f ? y[j] : 6.0f) : 0.0f;
      break;
  }
}

/* acc · row_scale · col_scale + bias within ±FLT_MAX. The scale product is capped at FLT_MAX, so an
 * accumulator of 0 gives 0 rather than 0 · inf = NaN, and the sum saturates rather than overflowing:
 * finite inputs and weights keep every activation and logit finite, however large. */
static inline float STARLING_I8_EPI(dequantized)(int32_t acc, float row_scale, float col_scale, float bias) {
  float scale = row_scale * col_scale;
  scale = scale < FLT_MAX ? scale : FLT_MAX;
  const float v = (float)acc * scale + bias;
  return v < -FLT_MAX ? -FLT_MAX : (v > FLT_MAX ? FLT_MAX : v);
}

/* y = act(acc · row_scale · col_scales + bias) for one row. */
static inline void STARLING_I8_EPI(dequantize_row)(int n, const int32_t *restrict acc, float row_scale,
                                              const float *restrict col_scales, const float *restrict bias,
                                              starling_i8_activation act, float *restrict y) {
  if (act == STARLING_I8_ACT_RELU) {
    for (int j = 0; j < n; j++) {
      const float v = STARLING_I8_EPI(dequantized)(acc[j], row_scale, col_scales[j], bias[j]);
      y[j] = v > 0.0f ? v : 0.0f;
    }
    return;
  }
  for (int j = 0; j < n; j++) y[j] = STARLING_I8_EPI(dequantized)(acc[j], row_scale, col_scales[j], bias[j]);
  STARLING_I8_EPI(activate)(n, y, act);
}

static void STARLING_I8_EPI(dequantize)(int m, int n, const int32_t *acc, const float *row_scales,
                            const float *col_scales, const float *bias, starling_i8_activation act,
                            float *y) {
  for (int i = 0; i < m; i++) {
    STARLING_I8_EPI(dequantize_row)(n, acc + (size_t)i * n, row_scales[i], col_scales, bias, act, y + (size_t)i * n);
  }
}

static void STARLING_I8_EPI(requantize)(int m, int n, const int32_t *acc, const float *row_scales,
                            const float *col_scales, const float *bias, starling_i8_activation act,
                            float static_scale, float *row, int8_t *q, float *out_scales) {
  for (int i = 0; i < m; i++) {
    STARLING_I8_EPI(dequantize_row)(n, acc + (size_t)i * n, row_scales[i], col_scales, bias, act, row);
    const float scale = static_scale > 0.0f ? static_scale : STARLING_I8_EPI(dynamic_scale)(n, row);
    STARLING_I8_EPI(quantize_row)(n, row, scale, q + (size_t)i * n);
    out_scales[i] = scale;
  }
}

/* A double as a float within ±FLT_MAX. */
static inline float STARLING_I8_EPI(saturated)(double v) {
  return (float)(v < -FLT_MAX ? -FLT_MAX : (v > FLT_MAX ? FLT_MAX : v));
}

/* The normalised value of one accumulator: act(acc·slope + offset) within ±FLT_MAX. */
static inline float STARLING_I8_EPI(normalized)(int32_t acc, float slope, float offset, starling_i8_activation act) {
  float v = (float)acc * slope + offset;
  v = v < -FLT_MAX ? -FLT_MAX : (v > FLT_MAX ? FLT_MAX : v);
  switch (act) {
    case STARLING_I8_ACT_RELU:
      return v > 0.0f ? v : 0.0f;
    case STARLING_I8_ACT_RELU6:
      return v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
    case STARLING_I8_ACT_SIGMOID:
      return 1.0f / (1.0f + expf(-v));
    case STARLING_I8_ACT_TANH:
      return tanhf(v);
    case STARLING_I8_ACT_IDENTITY:
      break;
  }
  return v;
}

/* Vector helpers for the group normalisation's blocks; selects are bitwise, so they keep the exact
 * semantics of the scalar ternaries they stand for. */
static inline starling_i8_lanes_i32 STARLING_I8_EPI(lanes_i32_splat)(int32_t value) {
  return (starling_i8_lanes_i32){0} + value;
}
static inline starling_i8_lanes_f32 STARLING_I8_EPI(lanes_f32_splat)(float value) {
  return (starling_i8_lanes_f32){0} + value;
}
static inline starling_i8_lanes_i32 STARLING_I8_EPI(lanes_i32_load)(const int32_t *source) {
  starling_i8_lanes_i32 value;
  memcpy(&value, source, sizeof value);
  return value;
}
static inline starling_i8_lanes_f32 STARLING_I8_EPI(lanes_f32_select)(starling_i8_lanes_i32 mask, starling_i8_lanes_f32 yes,
                                                                 starling_i8_lanes_f32 no) {
  return (starling_i8_lanes_f32)(((starling_i8_lanes_i32)yes & mask) | ((starling_i8_lanes_i32)no & ~mask));
}

/* One block of `width` (at most STARLING_I8_GN_LANES) channels of a map whose rows are `channels`
 * apart: each channel's exact Σacc, in int32 over runs of `run` positions (which cannot overflow),
 * then in int64. Per channel the sums run in position order. */
static inline void STARLING_I8_EPI(channel_sums)(int width, int positions, int channels, int run, const int32_t *map,
                                                 int64_t *sums) {
  for (int j = 0; j < width; j++) sums[j] = 0;
  for (int p0 = 0; p0 < positions; p0 += run) {
    const int end = positions - p0 < run ? positions : p0 + run;
    for (int j = 0; j < width; j++) {
      uint32_t partial = 0;
      for (int p = p0; p < end; p++) partial += (uint32_t)map[(size_t)p * channels + j]; /* wraps: defined */
      sums[j] += (int32_t)partial;
    }
  }
}

/* channel_sums for a block of exactly STARLING_I8_GN_LANES channels, in vector registers. */
static inline void STARLING_I8_EPI(channel_sums_block)(int positions, int channels, int run, const int32_t *map,
                                                       int64_t *sums) {
  for (int j = 0; j < STARLING_I8_GN_LANES; j++) sums[j] = 0;
  for (int p0 = 0; p0 < positions; p0 += run) {
    const int end = positions - p0 < run ? positions : p0 + run;
    starling_i8_lanes_u32 partial = (starling_i8_lanes_u32)STARLING_I8_EPI(lanes_i32_splat)(0);
    for (int p = p0; p < end; p++) {
      partial += (starling_i8_lanes_u32)STARLING_I8_EPI(lanes_i32_load)(map + (size_t)p * channels);
    }
    for (int j = 0; j < STARLING_I8_GN_LANES; j++) sums[j] += (int32_t)partial[j];
  }
}

/* Σ(acc − centre)² in float for one block of channels, in position order. */
static inline void STARLING_I8_EPI(channel_spread)(int width, int positions, int channels, const int32_t *map,
                                                   const float *centre, float *spread) {
  for (int j = 0; j < width; j++) {
    float total = 0.0f;
    for (int p = 0; p < positions; p++) {
      const float d = (float)map[(size_t)p * channels + j] - centre[j];
      total += d * d;
    }
    spread[j] = total;
  }
}

static inline void STARLING_I8_EPI(channel_spread_block)(int positions, int channels, const int32_t *map,
                                                         const float *centre, float *spread) {
  starling_i8_lanes_f32 middle, total = STARLING_I8_EPI(lanes_f32_splat)(0.0f);
  memcpy(&middle, centre, sizeof middle);
  for (int p = 0; p < positions; p++) {
    const starling_i8_lanes_f32 d =
        __builtin_convertvector(STARLING_I8_EPI(lanes_i32_load)(map + (size_t)p * channels), starling_i8_lanes_f32) - middle;
    total += d * d;
  }
  memcpy(spread, &total, sizeof total);
}

/* The normalised values of one block of `width` channels. */
static inline void STARLING_I8_EPI(normalized_channels)(starling_i8_activation act, int width, int positions,
                                                        int channels, const int32_t *map, const float *slope,
                                                        const float *offset, float *y) {
  for (int p = 0; p < positions; p++) {
    for (int j = 0; j < width; j++) {
      const size_t index = (size_t)p * channels + j;
      y[index] = STARLING_I8_EPI(normalized)(map[index], slope[j], offset[j], act);
    }
  }
}

/* normalized_channels for a block of exactly STARLING_I8_GN_LANES channels with ReLU, ReLU6 or no
 * activation, in vector registers: the operations of `normalized`, with selects for its branches. */
static inline __attribute__((always_inline)) void STARLING_I8_EPI(normalized_block)(
    starling_i8_activation act, int positions, int channels, const int32_t *map, const float *slope,
    const float *offset, float *y) {
  starling_i8_lanes_f32 a, b;
  memcpy(&a, slope, sizeof a);
  memcpy(&b, offset, sizeof b);
  const starling_i8_lanes_f32 zero = STARLING_I8_EPI(lanes_f32_splat)(0.0f), six = STARLING_I8_EPI(lanes_f32_splat)(6.0f);
  const starling_i8_lanes_f32 top = STARLING_I8_EPI(lanes_f32_splat)(FLT_MAX), bottom = STARLING_I8_EPI(lanes_f32_splat)(-FLT_MAX);
  for (int p = 0; p < positions; p++) {
    starling_i8_lanes_f32 v =
        __builtin_convertvector(STARLING_I8_EPI(lanes_i32_load)(map + (size_t)p * channels), starling_i8_lanes_f32) * a + b;
    v = STARLING_I8_EPI(lanes_f32_select)(v < bottom, bottom, STARLING_I8_EPI(lanes_f32_select)(v > top, top, v));
    if (act == STARLING_I8_ACT_RELU) v = STARLING_I8_EPI(lanes_f32_select)(v > zero, v, zero);
    if (act == STARLING_I8_ACT_RELU6)
      v = STARLING_I8_EPI(lanes_f32_select)(v > zero, STARLING_I8_EPI(lanes_f32_select)(v < six, v, six), zero);
    memcpy(y + (size_t)p * channels, &v, sizeof v);
  }
}

/* Per example, in blocks of STARLING_I8_GN_LANES channels: each channel's exact sum of
 * accumulators (channel_sums), then its spread Σ(acc − centre)² around its mean rounded to float
 * (channel_spread). Then in double: a channel's mean μ_c = s_c·ā_c + b_c and spread M_c =
 * s_c²·(Σ(acc − centre)² − P·(ā_c − centre)²), the group's mean of the μ_c and variance (Σ M_c +
 * P·Σ(μ_c − mean)²)/n, slope_c = gamma_c·s_c/σ and offset_c = gamma_c·(b_c − mean)/σ + beta_c; and
 * last the output, y = act(acc·slope_c + offset_c). A block's locals stay in vector registers;
 * channels left over after the last whole block run the same operations one by one. */
static void STARLING_I8_EPI(group_normalize)(int m, int positions, int channels, int groups, int taps,
                                  float epsilon, const int32_t *acc, const float *example_scales,
                                  const float *col_scales, const float *bias, const float *gamma,
                                  const float *beta, starling_i8_activation act, void *scratch, float *y) {
  int64_t *sums = (int64_t *)scratch;
  float *centre = (float *)(sums + channels);
  float *spread = centre + channels;
  float *slope = spread + channels;
  float *offset = slope + channels;
  const int per_group = channels / groups;
  const int64_t largest_accumulator = (int64_t)(taps > 1 ? taps : 1) * 127 * 127;
  const int64_t run_length = INT32_MAX / largest_accumulator;
  const int run = run_length < 1 ? 1 : (run_length > positions ? positions : (int)run_length);
  const size_t size = (size_t)positions * channels;
  const int L = STARLING_I8_GN_LANES;
  for (int i = 0; i < m; i++) {
    const int32_t *map = acc + i * size;
    float *out = y + i * size;
    for (int c0 = 0; c0 < channels; c0 += L) {
      if (channels - c0 >= L) {
        STARLING_I8_EPI(channel_sums_block)(positions, channels, run, map + c0, sums + c0);
      } else {
        STARLING_I8_EPI(channel_sums)(channels - c0, positions, channels, run, map + c0, sums + c0);
      }
    }
    for (int c = 0; c < channels; c++) centre[c] = (float)((double)sums[c] / positions);
    for (int c0 = 0; c0 < channels; c0 += L) {
      if (channels - c0 >= L) {
        STARLING_I8_EPI(channel_spread_block)(positions, channels, map + c0, centre + c0, spread + c0);
      } else {
        STARLING_I8_EPI(channel_spread)(channels - c0, positions, channels, map + c0, centre + c0, spread + c0);
      }
    }
    const float example_scale = example_scales[i];
    for (int g = 0; g < groups; g++) {
      const int first = g * per_group, last = first + per_group;
      double means = 0.0, spreads = 0.0;
      for (int c = first; c < last; c++) {
        float s = example_scale * col_scales[c];
        s = s < FLT_MAX ? s : FLT_MAX;
        const double scale = s, average = (double)sums[c] / positions, off = average - centre[c];
        const double within = spread[c] - positions * off * off;
        means += scale * average + bias[c];
        spreads += scale * scale * (within > 0.0 ? within : 0.0);
      }
      const double mean = means / per_group;
      double between = 0.0;
      for (int c = first; c < last; c++) {
        float s = example_scale * col_scales[c];
        s = s < FLT_MAX ? s : FLT_MAX;
        const double deviation = (double)s * ((double)sums[c] / positions) + bias[c] - mean;
        between += deviation * deviation;
      }
      const double variance = (spreads + positions * between) / ((double)positions * per_group);
      const double inverse = 1.0 / sqrt(variance + (double)epsilon);
      for (int c = first; c < last; c++) {
        float s = example_scale * col_scales[c];
        s = s < FLT_MAX ? s : FLT_MAX;
        const double k = (double)gamma[c] * inverse;
        slope[c] = STARLING_I8_EPI(saturated)(k * s);
        offset[c] = STARLING_I8_EPI(saturated)(k * ((double)bias[c] - mean) + beta[c]);
      }
    }
    for (int c0 = 0; c0 < channels; c0 += L) {
      const int32_t *block = map + c0;
      if (channels - c0 < L || act == STARLING_I8_ACT_SIGMOID || act == STARLING_I8_ACT_TANH) {
        const int width = channels - c0 < L ? channels - c0 : L;
        STARLING_I8_EPI(normalized_channels)(act, width, positions, channels, block, slope + c0, offset + c0, out + c0);
      } else if (act == STARLING_I8_ACT_RELU) {
        STARLING_I8_EPI(normalized_block)(STARLING_I8_ACT_RELU, positions, channels, block, slope + c0, offset + c0,
                                          out + c0);
      } else if (act == STARLING_I8_ACT_RELU6) {
        STARLING_I8_EPI(normalized_block)(STARLING_I8_ACT_RELU6, positions, channels, block, slope + c0, offset + c0,
                                          out + c0);
      } else {
        STARLING_I8_EPI(normalized_block)(STARLING_I8_ACT_IDENTITY, positions, channels, block, slope + c0,
                                          offset + c0, out + c0);
      }
    }
  }
}

/* e^x for x ≤ 0 (softmax arguments), Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6
 * polynomial, 2^n by building the exponent bits. Relative error about 2e-7; elementwise, so the
 * compiler vectorises it (libm's expf is an opaque call). Arguments below −87 give ≈ 0. */
static inline float STARLING_I8_EPI(exp_nonpositive)(float x) {
  x = x < -87.0f ? -87.0f : (x > 0.0f ? 0.0f : x);
  const float n = STARLING_I8_EPI(round_even)(x * 1.44269504088896341f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * (r * r) + r + 1.0f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

/* Softmax per row: subtract each row's max, exponentiate the whole block at once (long vectors even
 * for 10 classes), then normalise each row. */
static void STARLING_I8_EPI(softmax_rows)(int m, int n, float *z) {
  for (int i = 0; i < m; i++) {
    float *row = z + (size_t)i * n;
    float largest = row[0];
    for (int j = 1; j < n; j++) largest = row[j] > largest ? row[j] : largest;
    for (int j = 0; j < n; j++) row[j] -= largest;
  }
  const size_t count = (size_t)m * n;
  for (size_t t = 0; t < count; t++) z[t] = STARLING_I8_EPI(exp_nonpositive)(z[t]);
  for (int i = 0; i < m; i++) {
    float *row = z + (size_t)i * n;
    float sum = 0.0f;
    for (int j = 0; j < n; j++) sum += row[j];
    const float inverse = 1.0f / sum;
    for (int j = 0; j < n; j++) row[j] *= inverse;
  }
}
