/*
 * dispatch.c — which mask path this CPU runs, detected once (pthread_once) and cached: the only
 * global mutable state of the target.
 *
 * x86-64: CPUID's AES-NI bit; VAES also needs AVX-512 (F and BW) and an OS that saves the ZMM and
 * opmask state (XGETBV). aarch64: getauxval(AT_HWCAP)'s AES bit.
 */
#include <pthread.h>

#include "internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_AES
#define HWCAP_AES (1UL << 3)
#endif
#endif

static pthread_once_t starling_mask_once = PTHREAD_ONCE_INIT;
static int starling_mask_runs[4];

static void starling_mask_detect(void) {
#if defined(__x86_64__)
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return;
  const int aesni = (ecx >> 25) & 1, osxsave = (ecx >> 27) & 1;
  starling_mask_runs[STARLING_MASK_AESNI] = aesni;
  if (!aesni || !osxsave || __get_cpuid_max(0, NULL) < 7) return;
  uint32_t xcr0_low, xcr0_high;
  __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
  const int zmm_state = (xcr0_low & 0xE6) == 0xE6; /* SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const int avx512f = (ebx >> 16) & 1, avx512bw = (ebx >> 30) & 1, vaes = (ecx >> 9) & 1;
  starling_mask_runs[STARLING_MASK_VAES] = zmm_state && avx512f && avx512bw && vaes;
#elif defined(__aarch64__) && defined(__linux__)
  starling_mask_runs[STARLING_MASK_ARMV8] = (getauxval(AT_HWCAP) & HWCAP_AES) != 0;
#endif
}

int starling_mask_path_runs(starling_mask_path path) {
  pthread_once(&starling_mask_once, starling_mask_detect);
  return path > STARLING_MASK_NONE && path <= STARLING_MASK_ARMV8 && starling_mask_runs[path];
}

starling_mask_path starling_mask_best_path(void) {
  if (starling_mask_path_runs(STARLING_MASK_VAES)) return STARLING_MASK_VAES;
  if (starling_mask_path_runs(STARLING_MASK_AESNI)) return STARLING_MASK_AESNI;
  if (starling_mask_path_runs(STARLING_MASK_ARMV8)) return STARLING_MASK_ARMV8;
  return STARLING_MASK_NONE;
}

int starling_mask_apply_on(starling_mask_path path, const uint8_t seed[16], uint32_t *words, size_t count,
                           int subtract) {
  /* Block i holds words 4i … 4i + 3; the last block index must fit the 32-bit counter. */
  if (!starling_mask_path_runs(path) || count / 4 > UINT32_MAX) return 0;
  if (count == 0) return 1;
  switch (path) {
#if defined(__x86_64__)
    case STARLING_MASK_VAES:
      starling_mask_vaes(seed, words, count, subtract);
      return 1;
    case STARLING_MASK_AESNI:
      starling_mask_aesni(seed, words, count, subtract, 0);
      return 1;
#elif defined(__aarch64__)
    case STARLING_MASK_ARMV8:
      starling_mask_armv8(seed, words, count, subtract);
      return 1;
#endif
    default:
      return 0;
  }
}

int starling_mask_apply(const uint8_t seed[16], uint32_t *words, size_t count, int subtract) {
  return starling_mask_apply_on(starling_mask_best_path(), seed, words, count, subtract);
}
