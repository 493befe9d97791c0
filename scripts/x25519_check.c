/*
 * x25519_check.c — checks the batched X25519 (Sources/CStarlingX25519) against OpenSSL's X25519:
 * 64 private keys, each with 41 public u-coordinates (random ones, some with the top bit set, some
 * at or above p but not of small order), batched against one OpenSSL derivation at a time, and RFC
 * 7748's two vectors. Prints how many agreements matched; fails on any mismatch. On a CPU without
 * AVX-512 IFMA the batched path does not run and there is nothing to check.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "starling_x25519.h"

#define KEYS 64
#define POINTS 41

static uint64_t state = UINT64_C(0x9E3779B97F4A7C15);

static uint8_t next_byte(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (uint8_t)(state >> 56);
}

static int openssl_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]) {
  EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
  EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point, 32);
  EVP_PKEY_CTX *context = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
  size_t length = 32;
  const int done = context && peer && EVP_PKEY_derive_init(context) == 1 &&
                   EVP_PKEY_derive_set_peer(context, peer) == 1 && EVP_PKEY_derive(context, out, &length) == 1 &&
                   length == 32;
  EVP_PKEY_CTX_free(context);
  EVP_PKEY_free(peer);
  EVP_PKEY_free(key);
  return done;
}

static void from_hex(uint8_t out[32], const char *hex) {
  for (int index = 0; index < 32; index++) {
    unsigned value = 0;
    sscanf(hex + 2 * index, "%2x", &value);
    out[index] = (uint8_t)value;
  }
}

int main(void) {
  if (!starling_x25519_batch_runs()) {
    printf("no AVX-512 IFMA here: the batched path does not run, nothing to check\n");
    return 0;
  }
  static const char *vectors[2][3] = {
      {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
       "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
       "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
      {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
       "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
       "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
  };
  for (int vector = 0; vector < 2; vector++) {
    uint8_t scalar[32], point[32], expected[32], got[32];
    from_hex(scalar, vectors[vector][0]);
    from_hex(point, vectors[vector][1]);
    from_hex(expected, vectors[vector][2]);
    if (!starling_x25519_batch(got, scalar, point, 1) || memcmp(got, expected, 32) != 0) {
      printf("RFC 7748 vector %d differs\n", vector + 1);
      return 1;
    }
  }
  int matched = 0;
  for (int key = 0; key < KEYS; key++) {
    uint8_t scalar[32], points[POINTS][32], batched[POINTS][32], expected[32];
    for (int index = 0; index < 32; index++) scalar[index] = next_byte();
    for (int point = 0; point < POINTS; point++) {
      for (int index = 0; index < 32; index++) points[point][index] = next_byte();
      if (point % 3 == 1) points[point][31] |= 0x80;
      if (point == 0) { /* p + 2 … p + 17: above p, below 2^255, not of small order */
        memset(points[point], 0xFF, 32);
        points[point][0] = (uint8_t)(0xEF + key % 16);
        points[point][31] = 0x7F;
      }
    }
    if (!starling_x25519_batch(&batched[0][0], scalar, &points[0][0], POINTS)) return 1;
    for (int point = 0; point < POINTS; point++) {
      if (!openssl_x25519(expected, scalar, points[point])) {
        printf("OpenSSL refused key %d, point %d\n", key, point);
        return 1;
      }
      if (memcmp(expected, batched[point], 32) != 0) {
        printf("key %d, point %d: the batched secret differs from OpenSSL's\n", key, point);
        return 1;
      }
      matched++;
    }
  }
  printf("RFC 7748 vectors and %d agreements match OpenSSL's X25519\n", matched);
  return 0;
}
