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
