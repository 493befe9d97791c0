/*
 * depthwise.c — the int8 convolution helpers: im2col packing for convolutions that run on the
 * GEMM kernels, and depthwise convolution, whose per-position channel loop is the only part that
 * differs by path (depthwise_avx2.c, depthwise_neon.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* Walks every output position and gathers the in-bounds kernel taps' input rows (and, for the
 * depthwise kernel, weight rows); `visit` gets them with the output position's index. */
typedef void (*starling_i8_visit)(void *context, size_t position, int taps, const int8_t *const *inputs,
                                  const int *tap_indices);

static void starling_i8_each_position(int batch, const starling_i8_window *g, const int8_t *a, void *context,
                                      starling_i8_visit visit) {
  const int kernel = g->kernel_height * g->kernel_width;
  const int8_t **inputs = malloc(sizeof(const int8_t *) * (size_t)kernel);
  int *tap_indices = malloc(sizeof(int) * (size_t)kernel);
  if (inputs == NULL || tap_indices == NULL) {
    fprintf(stderr, "starling_i8: out of memory for %d kernel taps\n", kernel);
    abort();
  }
  const size_t map = (size_t)g->height * g->width * g->channels;
  size_t position = 0;
  for (int b = 0; b < batch; b++) {
    for (int oy = 0; oy < g->out_height; oy++) {
      for (int ox = 0; ox < g->out_width; ox++, position++) {
        int taps = 0;
        for (int ky = 0; ky < g->kernel_height; ky++) {
          const int iy = oy * g->stride_height - g->pad_top + ky * g->dilation_height;
          if (iy < 0 || iy >= g->height) continue;
          for (int kx = 0; kx < g->kernel_width; kx++) {
            const int ix = ox * g->stride_width - g->pad_left + kx * g->dilation_width;
            if (ix < 0 || ix >= g->width) continue;
            inputs[taps] = a + (size_t)b * map + ((size_t)iy * g->width + ix) * g->channels;
            tap_indices[taps] = ky * g->kernel_width + kx;
            taps++;
          }
        }
        visit(context, position, taps, inputs, tap_indices);
      }
    }
  }
  free(inputs);
  free(tap_indices);
}

/* n bytes from s to d: a kernel row of a few channels is a few bytes, which a libc memcpy call
 * costs more than moving them; longer runs go to memcpy. */
static inline void starling_i8_copy_bytes(int8_t *d, const int8_t *s, size_t n) {
  if (n > 32) {
    memcpy(d, s, n);
    return;
  }
  while (n >= 8) {
    uint64_t v;
    __builtin_memcpy(&v, s, 8);
    __builtin_memcpy(d, &v, 8);
    d += 8, s += 8, n -= 8;
  }
  if (n >= 4) {
    uint32_t v;
    __builtin_memcpy(&v, s, 4);
    __builtin_memcpy(d, &v, 4);
    d += 4, s += 4, n -= 4;
  }
  if (n >= 2) {
    uint16_t v;
    __builtin_memcpy(&v, s, 2);
    __builtin_memcpy(d, &v, 2);
    d += 2, s += 2, n -= 2;
  }
  if (n) *d = *s;
}

/* Zeroes `n` bytes: a kernel row's padded taps, usually none or a few bytes, where a call into libc
 * would cost more than the stores. */
static inline void starling_i8_zero_bytes(int8_t *d, size_t n) {
  if (n > 32) {
    memset(d, 0, n);
    return;
  }
  const uint64_t zero = 0;
  while (n >= 8) {
    __builtin_memcpy(d, &zero, 8);
    d += 8, n -= 8;
  }
  while (n) {
    *d++ = 0;
    n--;
  }
}

/* One kernel row of taps: `kernel_width` runs of `channels` bytes from input row `iy` (zeros where
 * a tap falls outside the input). With dilation 1 the taps inside the input are one contiguous run
 * of the channels-last input row, copied at once. */
static void starling_i8_im2col_kernel_row(const starling_i8_window *g, const int8_t *input_row, int ox,
                                          int8_t *row) {
  const size_t channels = (size_t)g->channels;
  const int first_x = ox * g->stride_width - g->pad_left;
  if (g->dilation_width == 1) {
    /* Taps start..<end are inside the input; the rest read padding. */
    int start = first_x < 0 ? -first_x : 0;
    if (start > g->kernel_width) start = g->kernel_width;
    int end = g->width - first_x;
    if (end > g->kernel_width) end = g->kernel_width;
    if (end < start) end = start;
    starling_i8_zero_bytes(row, (size_t)start * channels);
    if (end > start) {
      starling_i8_copy_bytes(row + (size_t)start * channels, input_row + (size_t)(first_x + start) * channels,
                             (size_t)(end - start) * channels);
    }
    starling_i8_zero_bytes(row + (size_t)end * channels, (size_t)(g->kernel_width - end) * channels);
    return;
  }
  for (int kx = 0; kx < g->kernel_width; kx++) {
    const int ix = first_x + kx * g->dilation_width;
    if (ix < 0 || ix >= g->width) {
      starling_i8_zero_bytes(row + (size_t)kx * channels, channels);
    } else {
      starling_i8_copy_bytes(row + (size_t)kx * channels, input_row + (size_t)ix * channels, channels);
    }
  }
}

void starling_i8_im2col(int batch, const starling_i8_window *g, const int8_t *a, int8_t *rows) {
  const size_t channels = (size_t)g->channels;
  const size_t kernel_row = (size_t)g->kernel_width * channels;
  const size_t k = (size_t)g->kernel_height * kernel_row;
  const size_t map = (size_t)g->height * g->width * channels;
  const size_t step = (size_t)g->stride_width * channels;
  /* Output columns inner_first..<inner_end read no padding in width: their kernel rows are whole
   * runs of the input row (with dilation 1), copied without bounds arithmetic. */
  int inner_first = (g->pad_left + g->stride_width - 1) / g->stride_width;
  if (inner_first > g->out_width) inner_first = g->out_width;
  const int last_start = g->width - 1 - (g->kernel_width - 1) * g->dilation_width + g->pad_left;
  int inner_end = last_start < 0 ? 0 : last_start / g->stride_width + 1;
  if (inner_end > g->out_width) inner_end = g->out_width;
  if (inner_end < inner_first) inner_end = inner_first;
  if (g->dilation_width != 1) inner_first = inner_end = g->out_width;
  for (int b = 0; b < batch; b++) {
    for (int oy = 0; oy < g->out_height; oy++) {
      int8_t *line = rows + ((size_t)b * g->out_height + (size_t)oy) * g->out_width * k;
      for (int ky = 0; ky < g->kernel_height; ky++) {
        const int iy = oy * g->stride_height - g->pad_top + ky * g->dilation_height;
        int8_t *target = line + (size_t)ky * kernel_row;
        if (iy < 0 || iy >= g->height) {
          for (int ox = 0; ox < g->out_width; ox++) starling_i8_zero_bytes(target + (size_t)ox * k, kernel_row);
          continue;
        }
        const int8_t *input_row = a + (size_t)b * map + (size_t)iy * g->width * channels;
        for (int ox = 0; ox < inner_first; ox++) starling_i8_im2col_kernel_row(g, input_row, ox, target + (size_t)ox * k);
        if (inner_first < inner_end) {
          const int8_t *source = input_row + (size_t)(inner_first * g->stride_width - g->pad_left) * channels;
          for (int ox = inner_first; ox < inner_end; ox++, source += step) {
            starling_i8_copy_bytes(target + (size_t)ox * k, source, kernel_row);
          }
        }
        for (int ox = inner_end; ox < g->out_width; ox++) {
          starling_i8_im2col_kernel_row(g, input_row, ox, target + (size_t)ox * k);
        }
      }
    }
  }
}

void starling_i8_depthwise_position_portable(int channels, int taps, const int8_t *const *a, const int8_t *const *w,
                                             int32_t *acc) {
  for (int c = 0; c < channels; c++) {
    int32_t sum = 0;
    for (int t = 0; t < taps; t++) sum += (int32_t)a[t][c] * (int32_t)w[t][c];
    acc[c] = sum;
  }
}

typedef struct {
  const starling_i8_window *window;
  const int8_t *w;
  int32_t *acc;
  const int8_t **weights; /* one weight row per tap, kernel_height·kernel_width of them */
  void (*position)(int, int, const int8_t *const *, const int8_t *const *, int32_t *);
} starling_i8_depthwise_context;

static void starling_i8_depthwise_visit(void *context, size_t position, int taps, const int8_t *const *inputs,
                                        const int *tap_indices) {
  const starling_i8_depthwise_context *c = context;
  const int channels = c->window->channels;
  const int multiplier = c->window->multiplier;
  const int outputs = channels * multiplier;
  int32_t *acc = c->acc + position * (size_t)outputs;
  if (multiplier == 1) {
    for (int t = 0; t < taps; t++) c->weights[t] = c->w + (size_t)tap_indices[t] * outputs;
    c->position(channels, taps, inputs, c->weights, acc);
    return;
  }
  for (int channel = 0; channel < channels; channel++) {
    for (int m = 0; m < multiplier; m++) {
      const int o = channel * multiplier + m;
      int32_t sum = 0;
      for (int t = 0; t < taps; t++) sum += (int32_t)inputs[t][channel] * (int32_t)c->w[(size_t)tap_indices[t] * outputs + o];
      acc[o] = sum;
    }
  }
}

void starling_i8_depthwise(starling_i8_path path, int batch, const starling_i8_window *window, const int8_t *a,
                           const int8_t *w, int32_t *acc) {
  if (!starling_i8_cpu_has(path)) {
    fprintf(stderr, "starling_i8_depthwise: this CPU cannot run path %s\n", starling_i8_path_name(path));
    abort();
  }
  starling_i8_depthwise_context context = {window, w, acc, NULL, starling_i8_depthwise_position_portable};
#if defined(__x86_64__)
  if (path == STARLING_I8_AVX2 || path == STARLING_I8_AVX_VNNI || path == STARLING_I8_AVX512_VNNI) {
    context.position = starling_i8_depthwise_position_avx2;
  }
#endif
#if defined(__aarch64__)
  if (path == STARLING_I8_NEON || path == STARLING_I8_NEON_DOTPROD) context.position = starling_i8_depthwise_position_neon;
#endif
  context.weights = malloc(sizeof(const int8_t *) * (size_t)window->kernel_height * window->kernel_width);
  if (context.weights == NULL) {
    fprintf(stderr, "starling_i8_depthwise: out of memory\n");
    abort();
  }
  starling_i8_each_position(batch, window, a, &context, starling_i8_depthwise_visit);
  free(context.weights);
}
