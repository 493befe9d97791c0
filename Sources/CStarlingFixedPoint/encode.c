/*
 * encode.c — the fixed-point encoding loop, without branches: the floor comes from adding and
 * taking away 2^52 (exact for positions in [0, 2^32)), the whole part from the low 32 bits of the
 * floor plus 2^52. On x86-64 it is compiled for AVX-512, AVX2 and the baseline, chosen at load time
 * (target_clones); every version gives the same words, which are the Swift definition's.
 * scripts/fixed_point_check.c builds each on its own (STARLING_FIXED_POINT_SINGLE_TARGET) to check it.
 */
#include <string.h>

#include "starling_fixed_point.h"

#if defined(__x86_64__) && defined(__linux__) && !defined(STARLING_FIXED_POINT_SINGLE_TARGET)
#define STARLING_FIXED_POINT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define STARLING_FIXED_POINT_CLONES
#endif

STARLING_FIXED_POINT_CLONES
void starling_fixed_point_encode(const float *values, size_t count, float weight, const uint32_t *uniforms,
                                 double range, double scale, double top, uint32_t *words) {
  const double magic = 0x1p52;
  for (size_t index = 0; index < count; index++) {
    const float product = weight * values[index];
    double clipped = product != product ? 0.0 : (double)product;
    clipped = clipped < -range ? -range : clipped;
    clipped = clipped > range ? range : clipped;
    double position = (clipped + range) * scale;
    position = top < position ? top : position;
    const double nearest = (position + magic) - magic;
    const double floor = nearest > position ? nearest - 1.0 : nearest;
    const double shifted = floor + magic;
    uint64_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    words[index] = (uint32_t)bits + ((double)uniforms[index] * 0x1p-32 < position - floor ? 1u : 0u);
  }
}
