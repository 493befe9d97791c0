/*
 * dispatch.c — path names, run-time path choice (honouring env STARLING_I8_PATH) and the GEMM
 * entry point that validates a packed buffer and calls the path's kernel.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static const char *const starling_i8_names[STARLING_I8_PATH_COUNT] = {
    "portable", "avx2", "avx_vnni", "avx512_vnni", "neon", "neon_dotprod"};

const char *starling_i8_path_name(starling_i8_path path) {
  if ((int)path < 0 || (int)path >= STARLING_I8_PATH_COUNT) return "unknown";
  return starling_i8_names[path];
}

int starling_i8_path_supported(starling_i8_path path) { return starling_i8_cpu_has(path); }

starling_i8_path starling_i8_best_path(void) {
  const char *forced = getenv("STARLING_I8_PATH");
  if (forced != NULL) {
    for (int p = 0; p < STARLING_I8_PATH_COUNT; p++) {
      if (strcmp(forced, starling_i8_names[p]) == 0 && starling_i8_cpu_has((starling_i8_path)p)) {
        return (starling_i8_path)p;
      }
    }
  }
  static const starling_i8_path preference[] = {STARLING_I8_AVX512_VNNI, STARLING_I8_AVX_VNNI,
                                                STARLING_I8_AVX2, STARLING_I8_NEON_DOTPROD,
                                                STARLING_I8_NEON};
  for (size_t i = 0; i < sizeof preference / sizeof preference[0]; i++) {
    if (starling_i8_cpu_has(preference[i])) return preference[i];
  }
  return STARLING_I8_PORTABLE;
}

static void starling_i8_fail(const char *reason, starling_i8_path path) {
  fprintf(stderr, "starling_i8_gemm: %s (path %s)\n", reason, starling_i8_path_name(path));
  abort();
}

void starling_i8_gemm(starling_i8_path path, int m, int n, int k, const int8_t *a, const void *packed,
                      int32_t *c) {
  const starling_i8_pack_header *header = starling_i8_header(packed);
  if (header->magic != STARLING_I8_PACK_MAGIC || header->path != (int32_t)path || header->n != n ||
      header->k != k) {
    starling_i8_fail("weights were packed for another path or shape", path);
  }
  if (!starling_i8_cpu_has(path)) starling_i8_fail("this CPU cannot run this path", path);
  if (m <= 0) return;
  switch (path) {
    case STARLING_I8_PORTABLE:
      starling_i8_gemm_portable(m, n, k, a, packed, c);
      return;
#if defined(__x86_64__)
    case STARLING_I8_AVX2:
      starling_i8_gemm_avx2(m, n, k, a, packed, c);
      return;
    case STARLING_I8_AVX_VNNI:
      starling_i8_gemm_avx_vnni(m, n, k, a, packed, c);
      return;
    case STARLING_I8_AVX512_VNNI:
      starling_i8_gemm_avx512_vnni(m, n, k, a, packed, c);
      return;
#endif
#if defined(__aarch64__)
    case STARLING_I8_NEON:
      starling_i8_gemm_neon(m, n, k, a, packed, c);
      return;
    case STARLING_I8_NEON_DOTPROD:
      starling_i8_gemm_neon_dotprod(m, n, k, a, packed, c);
      return;
#endif
    default:
      break;
  }
  starling_i8_fail("this path is not compiled for this architecture", path);
}
