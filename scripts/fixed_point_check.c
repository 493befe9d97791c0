/*
 * fixed_point_check.c — checks the vectorised fixed-point encoding (Sources/CStarlingFixedPoint)
 * against its definition, written out one value at a time with a truncating conversion: edge
 * values (±c, just beyond, NaN, ±∞, the smallest and largest floats) and 100,000 random ones, for
 * three ranges and bit widths, with weights 1 and 0.75. The script builds it once for each x86-64
 * level (baseline, AVX2, AVX-512) and for aarch64, so every version the library can load is run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "starling_fixed_point.h"

#define COUNT 100017

static uint64_t state = 0x9E3779B97F4A7C15u;

static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

static uint32_t definition(float value, float weight, uint32_t uniform, double range, double scale, double top) {
  const float product = weight * value;
  const double clipped = isnan(product) ? 0.0 : fmin(fmax((double)product, -range), range);
  const double position = fmin((clipped + range) * scale, top);
  const int64_t whole = (int64_t)position;
  return (uint32_t)whole + ((double)uniform * 0x1p-32 < position - (double)whole ? 1u : 0u);
}

int main(void) {
  static float values[COUNT];
  static uint32_t uniforms[COUNT], words[COUNT];
  const float edges[] = {0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 2.0000002f, -2.0000002f, NAN, INFINITY, -INFINITY,
                         1e-45f, -1e-45f, 3.4028235e38f, 1e-7f, 0.5f, -0.5f, 1.9999999f};
  const size_t edge_count = sizeof edges / sizeof edges[0];
  const struct { int bits; double range; } codecs[] = {{24, 2.0}, {31, 1.0}, {20, 0.5}};
  const float weights[] = {1.0f, 0.75f};
  size_t mismatches = 0;
  for (size_t codec = 0; codec < 3; codec++) {
    const double range = codecs[codec].range, top = (double)((UINT64_C(1) << codecs[codec].bits) - 1);
    const double scale = top / (2 * range);
    for (size_t w = 0; w < 2; w++) {
      for (size_t index = 0; index < COUNT; index++) {
        values[index] = index < edge_count ? edges[index] : (float)((double)(next() % 5000001) / 1e6 - 2.5);
        uniforms[index] = (uint32_t)next();
      }
      starling_fixed_point_encode(values, COUNT, weights[w], uniforms, range, scale, top, words);
      for (size_t index = 0; index < COUNT; index++) {
        if (words[index] != definition(values[index], weights[w], uniforms[index], range, scale, top)) mismatches++;
      }
    }
  }
  printf("%zu of %d words differ from the definition\n", mismatches, 6 * COUNT);
  return mismatches == 0 ? 0 : 1;
}
