"""Prints the AES-256-CTR keystream words that SecureRandomTests expects.

SecureRandom's stream is AES_K(0) || AES_K(1) || ... over a 128-bit big-endian counter starting at 0,
read as little-endian 64-bit words. This computes the same words with the `cryptography` package:
    python3 make_keystream_vectors.py
"""

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY = bytes(range(32))
# Word indices: the first words, the last of the first 32 KiB block, the first of the next ones.
INDICES = [0, 1, 4095, 4096, 4097, 8192, 16384]


def keystream(key: bytes, length: int) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
    return encryptor.update(bytes(length)) + encryptor.finalize()


def main() -> None:
    stream = keystream(KEY, 8 * (max(INDICES) + 1))
    for index in INDICES:
        word = int.from_bytes(stream[8 * index : 8 * index + 8], "little")
        print(f"({index}, 0x{word:016x}),")


if __name__ == "__main__":
    main()
