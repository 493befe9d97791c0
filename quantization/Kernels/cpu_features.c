/*
 * cpu_features.c — which kernel paths the CPU and OS can run, detected once (pthread_once) and
 * cached: the only global mutable state of the target.
 *
 * x86-64: CPUID feature bits plus OSXSAVE/XGETBV, so a vector path is used only when the OS saves
 * the YMM (AVX2, AVX-VNNI) or ZMM/opmask (AVX-512) state. aarch64: getauxval(AT_HWCAP) for ASIMD
 * and ASIMDDP (dot product).
 */
#include <pthread.h>

#include "internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#endif

static pthread_once_t starling_i8_cpu_once = PTHREAD_ONCE_INIT;
static int starling_i8_cpu_paths[STARLING_I8_PATH_COUNT];

#if defined(__x86_64__)
static uint64_t starling_i8_xgetbv0(void) {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((uint64_t)edx << 32) | eax;
}
#endif

static void starling_i8_detect(void) {
  starling_i8_cpu_paths[STARLING_I8_PORTABLE] = 1;
#if defined(__x86_64__)
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return;
  const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
  if (!osxsave || !avx) return;
  const uint64_t xcr0 = starling_i8_xgetbv0();
  const int ymm_state = (xcr0 & 0x6) == 0x6;    /* SSE and AVX state */
  const int zmm_state = (xcr0 & 0xE6) == 0xE6;  /* plus opmask, ZMM_Hi256, Hi16_ZMM */
  if (!ymm_state || __get_cpuid_max(0, NULL) < 7) return;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const int avx2 = (ebx >> 5) & 1;
  const int avx512f = (ebx >> 16) & 1, avx512bw = (ebx >> 30) & 1, avx512vl = (ebx >> 31) & 1;
  const int avx512vnni = (ecx >> 11) & 1;
  __cpuid_count(7, 1, eax, ebx, ecx, edx);
  const int avxvnni = (eax >> 4) & 1;
  starling_i8_cpu_paths[STARLING_I8_AVX2] = avx2;
  starling_i8_cpu_paths[STARLING_I8_AVX_VNNI] = avx2 && avxvnni;
  starling_i8_cpu_paths[STARLING_I8_AVX512_VNNI] =
      avx2 && zmm_state && avx512f && avx512bw && avx512vl && avx512vnni;
#elif defined(__aarch64__)
#if defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  starling_i8_cpu_paths[STARLING_I8_NEON] = (hwcap & HWCAP_ASIMD) != 0;
  starling_i8_cpu_paths[STARLING_I8_NEON_DOTPROD] = (hwcap & HWCAP_ASIMD) && (hwcap & HWCAP_ASIMDDP);
#else
  starling_i8_cpu_paths[STARLING_I8_NEON] = 1; /* Advanced SIMD is mandatory on AArch64 */
#endif
#endif
}

int starling_i8_cpu_has(starling_i8_path path) {
  if ((int)path < 0 || (int)path >= STARLING_I8_PATH_COUNT) return 0;
  pthread_once(&starling_i8_cpu_once, starling_i8_detect);
  return starling_i8_cpu_paths[path];
}
