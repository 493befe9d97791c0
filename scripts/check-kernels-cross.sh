#!/usr/bin/env bash
# Proves the int8 kernels on both architectures the agent ships for: builds scripts/kernel_check.c
# with the kernels for x86-64 (native) and for aarch64 (cross-compiled, run under qemu-user with and
# without the dot-product extension). Every path each CPU supports must match the portable path bit
# for bit, and the float epilogues must hash the same on both architectures. Then the SecAgg+ mask
# kernels (scripts/mask_check.c): every AES path each CPU runs must give OpenSSL's AES-128-CTR mask;
# the fixed-point encoding (scripts/fixed_point_check.c), built for each x86-64 level it is cloned
# for and for aarch64, must give its definition's words; and the batched X25519
# (scripts/x25519_check.c) must give OpenSSL's secrets where the CPU runs it.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
kernels="$root/quantization/Kernels"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

clang -O2 -Wall -Wextra -Werror -I"$kernels/include" "$kernels"/*.c "$root/scripts/kernel_check.c" \
    -o "$out/check-x86_64" -lpthread -lm
clang --target=aarch64-linux-gnu -fuse-ld=lld -O2 -Wall -Wextra -Werror -I"$kernels/include" \
    "$kernels"/*.c "$root/scripts/kernel_check.c" -o "$out/check-aarch64" -lpthread -lm

run() {
    local label="$1"; shift
    local output
    output="$("$@")" || { echo "$label: $output"; echo "$label: kernel paths disagree" >&2; exit 1; }
    echo "$label: $(head -1 <<<"$output" | sed 's/^best path: //'); $(tail -1 <<<"$output")"
    grep '^epilogue hash' <<<"$output"
}

native="$(run "x86-64" "$out/check-x86_64")"
dotprod="$(run "aarch64 (dot product)" qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu "$out/check-aarch64")"
plain="$(run "aarch64 (no dot product)" qemu-aarch64 -cpu cortex-a53 -L /usr/aarch64-linux-gnu "$out/check-aarch64")"
printf '%s\n' "$native" "$dotprod" "$plain" | grep -v '^epilogue hash'
hashes="$(printf '%s\n' "$native" "$dotprod" "$plain" | grep '^epilogue hash' | sort -u | wc -l)"
if [ "$hashes" -ne 1 ]; then
    echo "the float epilogues differ between architectures" >&2
    exit 1
fi
echo "int8 kernels agree on x86-64 and aarch64"

masks="$root/Sources/CStarlingMask"
clang -O2 -Wall -Wextra -Werror -I"$masks/include" "$masks"/*.c "$root/scripts/mask_check.c" \
    -o "$out/masks-x86_64" -lpthread
clang --target=aarch64-linux-gnu -fuse-ld=lld -O2 -Wall -Wextra -Werror -I"$masks/include" \
    "$masks"/*.c "$root/scripts/mask_check.c" -o "$out/masks-aarch64" -lpthread
"$out/masks-x86_64" | sed 's/^/x86-64 masks: /'
qemu-aarch64 -cpu cortex-a53 -L /usr/aarch64-linux-gnu "$out/masks-aarch64" | sed 's/^/aarch64 masks: /'
echo "SecAgg+ mask kernels give OpenSSL's AES-128-CTR masks on x86-64 and aarch64"

encoding="$root/Sources/CStarlingFixedPoint"
for level in baseline avx2 avx512f; do
    flags=(); [ "$level" != baseline ] && flags=("-m$level")
    clang -O2 -Wall -Wextra -Werror "${flags[@]}" -DSTARLING_FIXED_POINT_SINGLE_TARGET -I"$encoding/include" \
        "$encoding"/*.c "$root/scripts/fixed_point_check.c" -o "$out/encoding-$level" -lm
done
clang --target=aarch64-linux-gnu -fuse-ld=lld -O2 -Wall -Wextra -Werror -I"$encoding/include" \
    "$encoding"/*.c "$root/scripts/fixed_point_check.c" -o "$out/encoding-aarch64" -lm
"$out/encoding-baseline" | sed 's/^/x86-64 encoding: /'
# A level this CPU lacks cannot run here (nor would the library load its clone).
for level in avx2 avx512f; do
    if grep -qw "$level" /proc/cpuinfo; then
        "$out/encoding-$level" | sed "s/^/x86-64 $level encoding: /"
    fi
done
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/encoding-aarch64" | sed 's/^/aarch64 encoding: /'
echo "the fixed-point encoding gives its definition's words on every build"

agreements="$root/Sources/CStarlingX25519"
clang -O2 -Wall -Wextra -Werror -I"$agreements/include" "$agreements"/*.c "$root/scripts/x25519_check.c" \
    -o "$out/x25519" -lcrypto
"$out/x25519" | sed 's/^/x86-64 X25519: /'
