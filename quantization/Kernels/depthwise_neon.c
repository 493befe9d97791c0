/*
 * depthwise_neon.c — one output position of an int8 depthwise convolution with AArch64 Advanced
 * SIMD, exact: 8 channels widened to int16 (`sxtl`) and multiply-accumulated into two int32 halves
 * (`smlal`, `smlal2`) over the taps; leftover channels as the portable loop does them.
 */
#if defined(__aarch64__)

#include <arm_neon.h>

#include "internal.h"

void starling_i8_depthwise_position_neon(int channels, int taps, const int8_t *const *a, const int8_t *const *w,
                                         int32_t *acc) {
  int c = 0;
  for (; c + 8 <= channels; c += 8) {
    int32x4_t low = vdupq_n_s32(0);
    int32x4_t high = vdupq_n_s32(0);
    for (int t = 0; t < taps; t++) {
      const int16x8_t x = vmovl_s8(vld1_s8(a[t] + c));
      const int16x8_t k = vmovl_s8(vld1_s8(w[t] + c));
      low = vmlal_s16(low, vget_low_s16(x), vget_low_s16(k));
      high = vmlal_high_s16(high, x, k);
    }
    vst1q_s32(acc + c, low);
    vst1q_s32(acc + c + 4, high);
  }
  for (; c < channels; c++) {
    int32_t sum = 0;
    for (int t = 0; t < taps; t++) sum += (int32_t)a[t][c] * (int32_t)w[t][c];
    acc[c] = sum;
  }
}

#endif
