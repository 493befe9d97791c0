/*
 * mask_check.c — checks every SecAgg+ mask path this CPU can run (Sources/CStarlingMask) against a
 * known answer: the mask of seed 00 01 … 0f over 1,031 words (sixteen 64-word groups, one whole
 * block and three words) added to a fixed vector, whose FNV-1a hash was taken from OpenSSL's
 * AES-128-CTR keystream (`openssl enc -aes-128-ctr -K 000102…0f -iv 0…0` over zeros). Taking the
 * mask away again must give the vector back. Prints the paths that ran; fails on any mismatch or
 * when no path ran where the CPU has AES instructions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "starling_mask.h"

#define WORDS 1031
#define EXPECTED_HASH UINT64_C(0x3a9bd291747ef567)

static void fill(uint32_t *words) {
  for (uint32_t index = 0; index < WORDS; index++) words[index] = index * 2654435761u;
}

static uint64_t fnv1a(const uint32_t *words) {
  uint64_t hash = UINT64_C(0xcbf29ce484222325);
  const uint8_t *bytes = (const uint8_t *)words;
  for (size_t index = 0; index < WORDS * sizeof(uint32_t); index++) {
    hash ^= bytes[index];
    hash *= UINT64_C(0x100000001b3);
  }
  return hash;
}

int main(void) {
  static const char *names[] = {"none", "AES-NI", "VAES", "Armv8 AES"};
  uint8_t seed[16];
  for (int index = 0; index < 16; index++) seed[index] = (uint8_t)index;
  int ran = 0, failed = 0;
  for (int path = STARLING_MASK_AESNI; path <= STARLING_MASK_ARMV8; path++) {
    uint32_t words[WORDS], original[WORDS];
    fill(words);
    fill(original);
    if (!starling_mask_apply_on((starling_mask_path)path, seed, words, WORDS, 0)) continue;
    ran++;
    const uint64_t hash = fnv1a(words);
    starling_mask_apply_on((starling_mask_path)path, seed, words, WORDS, 1);
    const int restored = memcmp(words, original, sizeof words) == 0;
    printf("%s: hash %016" PRIx64 "%s%s\n", names[path], hash, hash == EXPECTED_HASH ? "" : " (wrong)",
           restored ? "" : ", not restored by subtracting");
    if (hash != EXPECTED_HASH || !restored) failed = 1;
  }
  printf("best path: %s\n", names[starling_mask_best_path()]);
  if (ran == 0 && starling_mask_best_path() != STARLING_MASK_NONE) failed = 1;
  return failed;
}
