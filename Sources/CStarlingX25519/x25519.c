/*
 * x25519.c — eight X25519 ladders of one scalar in the eight 64-bit lanes of 512-bit registers.
 *
 * A field element mod p = 2^255 − 19 is five limbs of 51 bits. IFMA multiplies the low 52 bits of
 * two lanes and adds the low or the high 52 bits of the 104-bit product to an accumulator, so every
 * input of a product must be carried below 2^52 (fe8_carry leaves limbs below 2^51, limb 1 at most
 * 2^51): sums and differences are carried before they are multiplied. A product's high half lands
 * one 51-bit place up, doubled; columns from 2^255 on come back times 19.
 *
 * The ladder is RFC 7748's, with a constant-time conditional swap driven by the scalar's bits, the
 * same in every lane; the inversion is ref10's chain of 254 squarings and 11 products. The scalar's
 * copy is wiped before returning.
 */
#include <stdint.h>
#include <string.h>

#include "starling_x25519.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512ifma")))

typedef struct {
  __m512i v[5];
} fe8;

static const uint64_t MASK51 = (1ULL << 51) - 1;

/* 19x as 16x + 2x + x. */
TARGET static inline __m512i times19(__m512i x) {
  return _mm512_add_epi64(_mm512_add_epi64(_mm512_slli_epi64(x, 4), _mm512_slli_epi64(x, 1)), x);
}

/* Limbs below 2^51 but limb 1, at most 2^51: every input of a product must be carried so. */
TARGET static inline void fe8_carry(fe8 *a) {
  const __m512i mask = _mm512_set1_epi64((long long)MASK51);
  __m512i c;
  for (int i = 0; i < 4; i++) {
    c = _mm512_srli_epi64(a->v[i], 51);
    a->v[i] = _mm512_and_si512(a->v[i], mask);
    a->v[i + 1] = _mm512_add_epi64(a->v[i + 1], c);
  }
  c = _mm512_srli_epi64(a->v[4], 51);
  a->v[4] = _mm512_and_si512(a->v[4], mask);
  a->v[0] = _mm512_add_epi64(a->v[0], times19(c));
  c = _mm512_srli_epi64(a->v[0], 51);
  a->v[0] = _mm512_and_si512(a->v[0], mask);
  a->v[1] = _mm512_add_epi64(a->v[1], c);
}

/* r = the 9 columns of a product's low and high halves, reduced mod p and carried: column k
 * holds lo[k] + 2·hi[k − 1] (hi is the part from 2^52 on, one 51-bit place up and doubled), and
 * 2^255 ≡ 19. */
TARGET static inline void fe8_reduce(fe8 *r, const __m512i lo[9], const __m512i hi[9]) {
  __m512i t[10];
  t[0] = lo[0];
  for (int k = 1; k < 9; k++) t[k] = _mm512_add_epi64(lo[k], _mm512_slli_epi64(hi[k - 1], 1));
  t[9] = _mm512_slli_epi64(hi[8], 1);
  for (int k = 0; k < 5; k++) r->v[k] = _mm512_add_epi64(t[k], times19(t[k + 5]));
  fe8_carry(r);
}

/* r = a·b, both carried; r carried. */
TARGET static inline void fe8_mul(fe8 *r, const fe8 *a, const fe8 *b) {
  __m512i lo[9], hi[9];
  const __m512i zero = _mm512_setzero_si512();
  for (int k = 0; k < 9; k++) lo[k] = hi[k] = zero;
  for (int i = 0; i < 5; i++) {
    for (int j = 0; j < 5; j++) {
      lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a->v[i], b->v[j]);
      hi[i + j] = _mm512_madd52hi_epu64(hi[i + j], a->v[i], b->v[j]);
    }
  }
  fe8_reduce(r, lo, hi);
}

/* r = a², a carried; the cross products once, doubled. */
TARGET static inline void fe8_sq(fe8 *r, const fe8 *a) {
  __m512i lo[9], hi[9];
  const __m512i zero = _mm512_setzero_si512();
  for (int k = 0; k < 9; k++) lo[k] = hi[k] = zero;
  for (int i = 0; i < 5; i++) {
    for (int j = i + 1; j < 5; j++) {
      lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a->v[i], a->v[j]);
      hi[i + j] = _mm512_madd52hi_epu64(hi[i + j], a->v[i], a->v[j]);
    }
  }
  for (int k = 1; k < 8; k++) {
    lo[k] = _mm512_slli_epi64(lo[k], 1);
    hi[k] = _mm512_slli_epi64(hi[k], 1);
  }
  for (int i = 0; i < 5; i++) {
    lo[2 * i] = _mm512_madd52lo_epu64(lo[2 * i], a->v[i], a->v[i]);
    hi[2 * i] = _mm512_madd52hi_epu64(hi[2 * i], a->v[i], a->v[i]);
  }
  fe8_reduce(r, lo, hi);
}

TARGET static inline void fe8_add(fe8 *r, const fe8 *a, const fe8 *b) {
  for (int i = 0; i < 5; i++) r->v[i] = _mm512_add_epi64(a->v[i], b->v[i]);
  fe8_carry(r);
}

/* a − b + 4p, carried: a and b carried, so every limb stays positive. */
TARGET static inline void fe8_sub(fe8 *r, const fe8 *a, const fe8 *b) {
  const __m512i p0 = _mm512_set1_epi64((long long)(4 * (MASK51 - 18))); /* 4(2^51 − 19) */
  const __m512i pi = _mm512_set1_epi64((long long)(4 * MASK51));        /* 4(2^51 − 1) */
  r->v[0] = _mm512_sub_epi64(_mm512_add_epi64(a->v[0], p0), b->v[0]);
  for (int i = 1; i < 5; i++) r->v[i] = _mm512_sub_epi64(_mm512_add_epi64(a->v[i], pi), b->v[i]);
  fe8_carry(r);
}

/* r = 121665·a, a carried. */
TARGET static inline void fe8_mul_a24(fe8 *r, const fe8 *a) {
  const __m512i a24 = _mm512_set1_epi64(121665);
  const __m512i zero = _mm512_setzero_si512();
  __m512i lo[5], hi[5];
  for (int i = 0; i < 5; i++) {
    lo[i] = _mm512_madd52lo_epu64(zero, a->v[i], a24);
    hi[i] = _mm512_madd52hi_epu64(zero, a->v[i], a24);
  }
  r->v[0] = _mm512_add_epi64(lo[0], times19(_mm512_slli_epi64(hi[4], 1)));
  for (int i = 1; i < 5; i++) r->v[i] = _mm512_add_epi64(lo[i], _mm512_slli_epi64(hi[i - 1], 1));
  fe8_carry(r);
}

TARGET static inline void fe8_cswap(fe8 *a, fe8 *b, __m512i mask) {
  for (int i = 0; i < 5; i++) {
    __m512i t = _mm512_and_si512(_mm512_xor_si512(a->v[i], b->v[i]), mask);
    a->v[i] = _mm512_xor_si512(a->v[i], t);
    b->v[i] = _mm512_xor_si512(b->v[i], t);
  }
}

TARGET static void fe8_sqn(fe8 *r, const fe8 *a, int n) {
  fe8_sq(r, a);
  for (int i = 1; i < n; i++) fe8_sq(r, r);
}

/* r = z^(p − 2), the chain of ref10's fe_invert. */
TARGET static void fe8_invert(fe8 *r, const fe8 *z) {
  fe8 t0, t1, t2, t3;
  fe8_sq(&t0, z);
  fe8_sqn(&t1, &t0, 2);
  fe8_mul(&t1, z, &t1);
  fe8_mul(&t0, &t0, &t1);
  fe8_sq(&t2, &t0);
  fe8_mul(&t1, &t1, &t2);
  fe8_sqn(&t2, &t1, 5);
  fe8_mul(&t1, &t2, &t1);
  fe8_sqn(&t2, &t1, 10);
  fe8_mul(&t2, &t2, &t1);
  fe8_sqn(&t3, &t2, 20);
  fe8_mul(&t2, &t3, &t2);
  fe8_sqn(&t2, &t2, 10);
  fe8_mul(&t1, &t2, &t1);
  fe8_sqn(&t2, &t1, 50);
  fe8_mul(&t2, &t2, &t1);
  fe8_sqn(&t3, &t2, 100);
  fe8_mul(&t2, &t3, &t2);
  fe8_sqn(&t2, &t2, 50);
  fe8_mul(&t1, &t2, &t1);
  fe8_sqn(&t1, &t1, 5);
  fe8_mul(r, &t1, &t0);
}

static uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* The fully reduced 32 bytes of five carried limbs. */
static void fe_encode(uint8_t out[32], const uint64_t limb[5]) {
  uint64_t h[5];
  memcpy(h, limb, sizeof h);
  /* carried twice: limbs 1 … 4 below 2^51, limb 0 below 2^51 + 19, so the value below 2p */
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < 4; i++) {
      h[i + 1] += h[i] >> 51;
      h[i] &= MASK51;
    }
    h[0] += 19 * (h[4] >> 51);
    h[4] &= MASK51;
  }
  /* subtract p once when h ≥ p, that is when h + 19 ≥ 2^255 */
  uint64_t q = (h[0] + 19) >> 51;
  q = (h[1] + q) >> 51;
  q = (h[2] + q) >> 51;
  q = (h[3] + q) >> 51;
  q = (h[4] + q) >> 51;
  h[0] += 19 * q;
  for (int i = 0; i < 4; i++) {
    h[i + 1] += h[i] >> 51;
    h[i] &= MASK51;
  }
  h[4] &= MASK51;
  uint64_t w0 = h[0] | (h[1] << 51), w1 = (h[1] >> 13) | (h[2] << 38), w2 = (h[2] >> 26) | (h[3] << 25),
           w3 = (h[3] >> 39) | (h[4] << 12);
  memcpy(out, &w0, 8);
  memcpy(out + 8, &w1, 8);
  memcpy(out + 16, &w2, 8);
  memcpy(out + 24, &w3, 8);
}

/* out[i] = X25519(scalar, points[i]) for i < count ≤ 8; the unused lanes repeat point 0. */
TARGET static void x25519_ifma8(uint8_t (*out)[32], const uint8_t scalar[32], const uint8_t (*points)[32],
                                size_t count) {
  uint64_t lanes[5][8];
  for (int lane = 0; lane < 8; lane++) {
    const uint8_t *u = points[lane < (int)count ? lane : 0];
    const uint64_t w0 = load64(u), w1 = load64(u + 8), w2 = load64(u + 16);
    const uint64_t w3 = load64(u + 24) & 0x7FFFFFFFFFFFFFFFULL; /* the top bit is ignored */
    lanes[0][lane] = w0 & MASK51;
    lanes[1][lane] = ((w0 >> 51) | (w1 << 13)) & MASK51;
    lanes[2][lane] = ((w1 >> 38) | (w2 << 26)) & MASK51;
    lanes[3][lane] = ((w2 >> 25) | (w3 << 39)) & MASK51;
    lanes[4][lane] = (w3 >> 12) & MASK51;
  }
  uint8_t k[32];
  memcpy(k, scalar, 32);
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  fe8 x1, x2, z2, x3, z3;
  for (int i = 0; i < 5; i++) {
    x1.v[i] = _mm512_loadu_si512(lanes[i]);
    x3.v[i] = x1.v[i];
    x2.v[i] = z2.v[i] = z3.v[i] = _mm512_setzero_si512();
  }
  x2.v[0] = z3.v[0] = _mm512_set1_epi64(1);
  uint64_t swap = 0;
  for (int t = 254; t >= 0; t--) {
    uint64_t bit = (k[t >> 3] >> (t & 7)) & 1;
    swap ^= bit;
    __m512i mask = _mm512_set1_epi64(-(long long)swap);
    fe8_cswap(&x2, &x3, mask);
    fe8_cswap(&z2, &z3, mask);
    swap = bit;
    fe8 A, AA, B, BB, E, C, D, DA, CB, s;
    fe8_add(&A, &x2, &z2);
    fe8_sq(&AA, &A);
    fe8_sub(&B, &x2, &z2);
    fe8_sq(&BB, &B);
    fe8_sub(&E, &AA, &BB);
    fe8_add(&C, &x3, &z3);
    fe8_sub(&D, &x3, &z3);
    fe8_mul(&DA, &D, &A);
    fe8_mul(&CB, &C, &B);
    fe8_add(&s, &DA, &CB);
    fe8_sq(&x3, &s);
    fe8_sub(&s, &DA, &CB);
    fe8_sq(&s, &s);
    fe8_mul(&z3, &x1, &s);
    fe8_mul(&x2, &AA, &BB);
    fe8_mul_a24(&s, &E);
    fe8_add(&s, &AA, &s);
    fe8_mul(&z2, &E, &s);
  }
  __m512i mask = _mm512_set1_epi64(-(long long)swap);
  fe8_cswap(&x2, &x3, mask);
  fe8_cswap(&z2, &z3, mask);
  fe8 inv;
  fe8_invert(&inv, &z2);
  fe8_mul(&x2, &x2, &inv);
  for (int i = 0; i < 5; i++) _mm512_storeu_si512(lanes[i], x2.v[i]);
  for (size_t lane = 0; lane < count; lane++) {
    uint64_t limb[5] = {lanes[0][lane], lanes[1][lane], lanes[2][lane], lanes[3][lane], lanes[4][lane]};
    fe_encode(out[lane], limb);
  }
  memset(lanes, 0, sizeof lanes);
  memset(k, 0, sizeof k);
}

int starling_x25519_batch_runs(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma");
}

int starling_x25519_batch(uint8_t *secrets, const uint8_t scalar[32], const uint8_t *points, size_t count) {
  if (!starling_x25519_batch_runs()) return 0;
  uint8_t(*out)[32] = (uint8_t(*)[32])secrets;
  const uint8_t(*in)[32] = (const uint8_t(*)[32])points;
  for (size_t start = 0; start < count; start += 8) {
    const size_t chunk = count - start < 8 ? count - start : 8;
    x25519_ifma8(out + start, scalar, in + start, chunk);
  }
  return 1;
}

#else

int starling_x25519_batch_runs(void) { return 0; }

int starling_x25519_batch(uint8_t *secrets, const uint8_t scalar[32], const uint8_t *points, size_t count) {
  (void)secrets;
  (void)scalar;
  (void)points;
  (void)count;
  return 0;
}

#endif
