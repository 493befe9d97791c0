/*
 * pack.c — weight packing for every kernel path. Packing is plain data movement, so all layouts
 * are built here on any architecture; only the GEMMs need the instruction sets. See internal.h
 * for the layouts.
 */
#include <stdlib.h>

#include "internal.h"

/* Interleaves w into [panel][group][block][width ch][4]; real entries are XORed with `flip`
 * (0x80 turns int8 w into unsigned w + 128), padding is 0. */
static void pack_groups4(int n, int k, const int8_t *w, int width, int groups, uint8_t flip, uint8_t *dst) {
  const int blocks = starling_i8_ceil_div(n, width);
  size_t offset = 0;
  for (int p0 = 0; p0 < blocks; p0 += STARLING_I8_DP_PANEL) {
    const int nb = blocks - p0 < STARLING_I8_DP_PANEL ? blocks - p0 : STARLING_I8_DP_PANEL;
    for (int g = 0; g < groups; g++) {
      for (int b = 0; b < nb; b++) {
        for (int ch = 0; ch < width; ch++) {
          const int row = (p0 + b) * width + ch;
          for (int e = 0; e < 4; e++) {
            const int col = g * 4 + e;
            dst[offset++] = (row < n && col < k) ? (uint8_t)((uint8_t)w[(size_t)row * k + col] ^ flip) : 0;
          }
        }
      }
    }
  }
}

static void pack_avx2(int n, int k, const int8_t *w, int8_t *dst) {
  const int blocks = starling_i8_ceil_div(n, 8), pairs = starling_i8_ceil_div(k, 2);
  size_t offset = 0;
  for (int p0 = 0; p0 < blocks; p0 += 2) {
    const int nb = blocks - p0 < 2 ? blocks - p0 : 2;
    for (int pair = 0; pair < pairs; pair++) {
      for (int b = 0; b < nb; b++) {
        for (int ch = 0; ch < 8; ch++) {
          const int row = (p0 + b) * 8 + ch;
          for (int e = 0; e < 2; e++) {
            const int col = pair * 2 + e;
            dst[offset++] = (row < n && col < k) ? w[(size_t)row * k + col] : 0;
          }
        }
      }
    }
  }
}

static void pack_neon_rows(int n, int k, const int8_t *w, int8_t *dst) {
  const int rows = starling_i8_ceil_div(n, 4) * 4, cols = starling_i8_ceil_div(k, 16) * 16;
  memset(dst, 0, (size_t)rows * cols);
  for (int row = 0; row < n; row++) memcpy(dst + (size_t)row * cols, w + (size_t)row * k, (size_t)k);
}

static size_t data_size(starling_i8_path path, int n, int k) {
  switch (path) {
    case STARLING_I8_PORTABLE:
      return (size_t)n * k;
    case STARLING_I8_AVX2:
      return (size_t)starling_i8_ceil_div(n, 8) * 8 * starling_i8_ceil_div(k, 2) * 2;
    case STARLING_I8_AVX_VNNI:
    case STARLING_I8_AVX512_VNNI:
      return (size_t)starling_i8_ceil_div(n, 16) * 16 * starling_i8_ceil_div(k, 4) * 4;
    case STARLING_I8_NEON:
      return (size_t)starling_i8_ceil_div(n, 4) * 4 * starling_i8_ceil_div(k, 16) * 16;
    case STARLING_I8_NEON_DOTPROD:
      return (size_t)starling_i8_ceil_div(n, 4) * 4 * starling_i8_ceil_div(k, 16) * 16;
  }
  return 0;
}

size_t starling_i8_packed_size(starling_i8_path path, int n, int k) {
  return STARLING_I8_DATA_OFFSET + data_size(path, n, k);
}

void starling_i8_pack(starling_i8_path path, int n, int k, const int8_t *w, void *packed) {
  starling_i8_pack_header header = {STARLING_I8_PACK_MAGIC, (int32_t)path, n, k};
  memset(packed, 0, STARLING_I8_DATA_OFFSET);
  memcpy(packed, &header, sizeof header);
  uint8_t *data = (uint8_t *)packed + STARLING_I8_DATA_OFFSET;
  switch (path) {
    case STARLING_I8_PORTABLE:
      memcpy(data, w, (size_t)n * k);
      break;
    case STARLING_I8_AVX2:
      pack_avx2(n, k, w, (int8_t *)data);
      break;
    case STARLING_I8_AVX_VNNI:
    case STARLING_I8_AVX512_VNNI:
      pack_groups4(n, k, w, 16, starling_i8_ceil_div(k, 4), 0x80, data);
      break;
    case STARLING_I8_NEON:
      pack_neon_rows(n, k, w, (int8_t *)data);
      break;
    case STARLING_I8_NEON_DOTPROD:
      pack_groups4(n, k, w, 4, starling_i8_ceil_div(k, 16) * 4, 0, data);
      break;
  }
}
