/*
 * armv8.c — the aarch64 mask path: the Armv8 cryptography extension's AESE and AESMC, four
 * independent blocks in flight, each block added to (or taken from) its four words as it is
 * made. The key schedule's S-box comes from AESE too (on a state of four equal columns ShiftRows
 * changes nothing), so no table is indexed by the seed. The round keys are wiped before returning.
 */
#if defined(__aarch64__)

#include <arm_neon.h>
#include <string.h>

#include "internal.h"

#define STARLING_MASK_ARMV8_TARGET "aes"
#define STARLING_MASK_FN static inline __attribute__((always_inline, target(STARLING_MASK_ARMV8_TARGET)))

/* SubWord of the key schedule: the S-box applied to each byte of `word`. */
STARLING_MASK_FN uint32_t starling_mask_sub_word(uint32_t word) {
  const uint8x16_t state = vaeseq_u8(vreinterpretq_u8_u32(vdupq_n_u32(word)), vdupq_n_u8(0));
  return vgetq_lane_u32(vreinterpretq_u32_u8(state), 0);
}

/* The eleven round keys of AES-128, as the words of FIPS 197's schedule read little-endian. */
STARLING_MASK_FN void starling_mask_round_keys(const uint8_t seed[16], uint8x16_t keys[11]) {
  static const uint8_t rcon[10] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36};
  uint32_t schedule[44];
  memcpy(schedule, seed, 16);
  for (int index = 4; index < 44; index++) {
    uint32_t word = schedule[index - 1];
    if (index % 4 == 0) word = starling_mask_sub_word((word >> 8) | (word << 24)) ^ rcon[index / 4 - 1];
    schedule[index] = schedule[index - 4] ^ word;
  }
  for (int round = 0; round < 11; round++) keys[round] = vreinterpretq_u8_u32(vld1q_u32(schedule + 4 * round));
  explicit_bzero(schedule, sizeof schedule);
}

/* Counter block i: 96 zero bits, then i big-endian. */
STARLING_MASK_FN uint8x16_t starling_mask_counter(uint32_t block) {
  return vreinterpretq_u8_u32(vsetq_lane_u32(__builtin_bswap32(block), vdupq_n_u32(0), 3));
}

STARLING_MASK_FN uint8x16_t starling_mask_encrypt(uint8x16_t state, const uint8x16_t keys[11]) {
  for (int round = 0; round < 9; round++) state = vaesmcq_u8(vaeseq_u8(state, keys[round]));
  return veorq_u8(vaeseq_u8(state, keys[9]), keys[10]);
}

STARLING_MASK_FN uint32x4_t starling_mask_combine(uint32x4_t words, uint8x16_t stream, int subtract) {
  const uint32x4_t mask = vreinterpretq_u32_u8(stream);
  return subtract ? vsubq_u32(words, mask) : vaddq_u32(words, mask);
}

__attribute__((target(STARLING_MASK_ARMV8_TARGET))) void starling_mask_armv8(const uint8_t seed[16], uint32_t *words,
                                                                              size_t count, int subtract) {
  uint8x16_t keys[11];
  starling_mask_round_keys(seed, keys);
  const size_t whole = count / 4;
  size_t block = 0;
  for (; block + 4 <= whole; block += 4) {
    uint8x16_t state[4];
    for (int lane = 0; lane < 4; lane++) state[lane] = starling_mask_counter((uint32_t)(block + lane));
    for (int round = 0; round < 9; round++)
      for (int lane = 0; lane < 4; lane++) state[lane] = vaesmcq_u8(vaeseq_u8(state[lane], keys[round]));
    for (int lane = 0; lane < 4; lane++) {
      uint32_t *target = words + 4 * (block + lane);
      const uint8x16_t stream = veorq_u8(vaeseq_u8(state[lane], keys[9]), keys[10]);
      vst1q_u32(target, starling_mask_combine(vld1q_u32(target), stream, subtract));
    }
  }
  for (; block < whole; block++) {
    uint32_t *target = words + 4 * block;
    const uint8x16_t stream = starling_mask_encrypt(starling_mask_counter((uint32_t)block), keys);
    vst1q_u32(target, starling_mask_combine(vld1q_u32(target), stream, subtract));
  }
  if (count > 4 * whole) {
    uint32_t stream[4];
    vst1q_u32(stream, vreinterpretq_u32_u8(starling_mask_encrypt(starling_mask_counter((uint32_t)whole), keys)));
    starling_mask_combine_partial(words + 4 * whole, count - 4 * whole, stream, subtract);
    explicit_bzero(stream, sizeof stream);
  }
  explicit_bzero(keys, sizeof keys);
}

#endif
