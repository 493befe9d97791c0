/*
 * starling_fixed_point.h — SecAgg+'s fixed-point encoding of a device's update as one loop the
 * compiler keeps in vector registers: every device encodes its whole update (100,000 values at
 * P = 100k) once a round, and the same loop in Swift, with its checked conversion and branches,
 * ran one value at a time.
 */
#ifndef STARLING_FIXED_POINT_H
#define STARLING_FIXED_POINT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * words[i] = the ring element of weight × values[i] (the product in float): clipped to
 * [−range, range] (NaN as 0), mapped onto [0, top] by (v + range) × scale, and rounded up when
 * uniforms[i] / 2^32 falls below the fractional part, down otherwise. `top` is below 2^32.
 */
void starling_fixed_point_encode(const float *values, size_t count, float weight, const uint32_t *uniforms,
                                 double range, double scale, double top, uint32_t *words);

#ifdef __cplusplus
}
#endif

#endif
