#!/usr/bin/env python3
"""Safetensors interoperability fixture for StarlingCore.

Writes python_written.safetensors next to this script with the reference `safetensors`
package, so the Swift decoder is tested against bytes produced by the reference encoder:

    python3 -m venv /tmp/stvenv && /tmp/stvenv/bin/pip install safetensors numpy
    /tmp/stvenv/bin/python make_fixture.py

With a path argument it instead checks that a Swift-written file (e.g. a ModelBundle) loads
with the reference decoder and prints its tensors and metadata:

    /tmp/stvenv/bin/python make_fixture.py /tmp/swift_written.safetensors
"""
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "python_written.safetensors")

# Keep in sync with SafetensorsInteropTests.swift.
TENSORS = {
    "layers.0.weight": np.arange(12, dtype=np.float32).reshape(3, 4) / 4 - 1,  # -1, -0.75, ..., 1.75
    "layers.0.bias": np.array([0.5, -2.0, 3.25], dtype=np.float32),
    "scale": np.array([[1.5, -0.125], [1e-3, 2.0 ** 40]], dtype=np.float64),
}
METADATA = {"format": "np", "starling.note": "written by make_fixture.py"}


def write_fixture():
    save_file(TENSORS, FIXTURE, metadata=METADATA)
    check(FIXTURE)


def check(path):
    tensors = load_file(path)
    with safe_open(path, framework="np") as f:
        metadata = f.metadata()
    for name in sorted(tensors):
        t = tensors[name]
        print(f"{name}: {t.dtype} {list(t.shape)} {t.ravel().tolist()[:8]}")
    print("metadata keys:", sorted((metadata or {}).keys()))
    return tensors, metadata


if __name__ == "__main__":
    if len(sys.argv) > 1:
        check(sys.argv[1])
    else:
        write_fixture()
