/*
 * x86.c — the x86-64 mask paths: AES-NI on 128-bit registers, eight independent blocks in flight
 * to cover the instruction's latency; and VAES on 512-bit registers, four blocks a register and
 * four registers in flight. The keystream never leaves the registers: each block is added to (or
 * taken from) its four words as it is made. The round keys are wiped before returning.
 */
#include "internal.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#define STARLING_MASK_AESNI_TARGET "aes,sse4.1"
#define STARLING_MASK_VAES_TARGET "aes,sse4.1,avx512f,avx512bw,vaes"

/* One step of the AES-128 key schedule: `assist` is aeskeygenassist of the previous round key. */
__attribute__((target(STARLING_MASK_AESNI_TARGET))) static inline __m128i starling_mask_key_step(__m128i key,
                                                                                                   __m128i assist) {
  assist = _mm_shuffle_epi32(assist, 0xff);
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, assist);
}

#define STARLING_MASK_KEY(i, rcon) keys[i] = starling_mask_key_step(keys[i - 1], _mm_aeskeygenassist_si128(keys[i - 1], rcon))

/* The eleven round keys of AES-128. */
__attribute__((target(STARLING_MASK_AESNI_TARGET))) static void starling_mask_round_keys(const uint8_t seed[16],
                                                                                          __m128i keys[11]) {
  keys[0] = _mm_loadu_si128((const __m128i *)seed);
  STARLING_MASK_KEY(1, 0x01);
  STARLING_MASK_KEY(2, 0x02);
  STARLING_MASK_KEY(3, 0x04);
  STARLING_MASK_KEY(4, 0x08);
  STARLING_MASK_KEY(5, 0x10);
  STARLING_MASK_KEY(6, 0x20);
  STARLING_MASK_KEY(7, 0x40);
  STARLING_MASK_KEY(8, 0x80);
  STARLING_MASK_KEY(9, 0x1b);
  STARLING_MASK_KEY(10, 0x36);
}

/* Counter block i: 96 zero bits, then i big-endian. */
__attribute__((target(STARLING_MASK_AESNI_TARGET))) static inline __m128i starling_mask_counter(uint32_t block) {
  return _mm_set_epi32((int)__builtin_bswap32(block), 0, 0, 0);
}

__attribute__((target(STARLING_MASK_AESNI_TARGET))) static inline __m128i starling_mask_encrypt(__m128i state,
                                                                                                 const __m128i keys[11]) {
  state = _mm_xor_si128(state, keys[0]);
  for (int round = 1; round < 10; round++) state = _mm_aesenc_si128(state, keys[round]);
  return _mm_aesenclast_si128(state, keys[10]);
}

__attribute__((target(STARLING_MASK_AESNI_TARGET))) static inline __m128i starling_mask_combine(__m128i words,
                                                                                                 __m128i stream,
                                                                                                 int subtract) {
  return subtract ? _mm_sub_epi32(words, stream) : _mm_add_epi32(words, stream);
}

__attribute__((target(STARLING_MASK_AESNI_TARGET))) void starling_mask_aesni(const uint8_t seed[16], uint32_t *words,
                                                                               size_t count, int subtract,
                                                                               uint32_t first) {
  __m128i keys[11];
  starling_mask_round_keys(seed, keys);
  const size_t whole = count / 4;
  size_t block = first;
  for (; block + 8 <= whole; block += 8) {
    __m128i state[8];
    for (int lane = 0; lane < 8; lane++)
      state[lane] = _mm_xor_si128(starling_mask_counter((uint32_t)(block + lane)), keys[0]);
    for (int round = 1; round < 10; round++)
      for (int lane = 0; lane < 8; lane++) state[lane] = _mm_aesenc_si128(state[lane], keys[round]);
    for (int lane = 0; lane < 8; lane++) {
      __m128i *target = (__m128i *)(words + 4 * (block + lane));
      const __m128i stream = _mm_aesenclast_si128(state[lane], keys[10]);
      _mm_storeu_si128(target, starling_mask_combine(_mm_loadu_si128(target), stream, subtract));
    }
  }
  for (; block < whole; block++) {
    __m128i *target = (__m128i *)(words + 4 * block);
    const __m128i stream = starling_mask_encrypt(starling_mask_counter((uint32_t)block), keys);
    _mm_storeu_si128(target, starling_mask_combine(_mm_loadu_si128(target), stream, subtract));
  }
  if (count > 4 * whole) {
    uint32_t stream[4];
    _mm_storeu_si128((__m128i *)stream, starling_mask_encrypt(starling_mask_counter((uint32_t)whole), keys));
    starling_mask_combine_partial(words + 4 * whole, count - 4 * whole, stream, subtract);
    explicit_bzero(stream, sizeof stream);
  }
  explicit_bzero(keys, sizeof keys);
}

__attribute__((target(STARLING_MASK_VAES_TARGET))) void starling_mask_vaes(const uint8_t seed[16], uint32_t *words,
                                                                             size_t count, int subtract) {
  __m128i narrow[11];
  starling_mask_round_keys(seed, narrow);
  __m512i keys[11];
  for (int round = 0; round < 11; round++) keys[round] = _mm512_broadcast_i32x4(narrow[round]);
  /* Each 128-bit lane holds its block number in its last 32 bits, in the CPU's order; the shuffle
   * makes the counter block (zero bytes, then the number big-endian). */
  const __m512i to_counter = _mm512_broadcast_i32x4(
      _mm_set_epi8(12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
  const __m512i step = _mm512_broadcast_i32x4(_mm_set_epi32(16, 0, 0, 0));
  __m512i numbers[4];
  for (int reg = 0; reg < 4; reg++)
    numbers[reg] = _mm512_set_epi32(4 * reg + 3, 0, 0, 0, 4 * reg + 2, 0, 0, 0, 4 * reg + 1, 0, 0, 0, 4 * reg, 0, 0, 0);
  const size_t groups = count / 64;
  for (size_t group = 0; group < groups; group++) {
    __m512i state[4];
    for (int reg = 0; reg < 4; reg++) {
      state[reg] = _mm512_xor_si512(_mm512_shuffle_epi8(numbers[reg], to_counter), keys[0]);
      numbers[reg] = _mm512_add_epi32(numbers[reg], step);
    }
    for (int round = 1; round < 10; round++)
      for (int reg = 0; reg < 4; reg++) state[reg] = _mm512_aesenc_epi128(state[reg], keys[round]);
    for (int reg = 0; reg < 4; reg++) {
      uint32_t *target = words + 64 * group + 16 * reg;
      const __m512i stream = _mm512_aesenclast_epi128(state[reg], keys[10]);
      const __m512i current = _mm512_loadu_si512(target);
      _mm512_storeu_si512(target, subtract ? _mm512_sub_epi32(current, stream) : _mm512_add_epi32(current, stream));
    }
  }
  explicit_bzero(narrow, sizeof narrow);
  explicit_bzero(keys, sizeof keys);
  if (count > 64 * groups) starling_mask_aesni(seed, words, count, subtract, (uint32_t)(16 * groups));
}

#endif
