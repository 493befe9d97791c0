"""Compares regenerated ONNX import fixtures with the committed ones.

Usage: compare_onnx_fixtures.py COMMITTED_DIR MADE_DIR

Structure must be identical: the graph (nodes, names, attributes, shapes, types) and every JSON key,
length and non-numeric value. Numbers must agree within a relative 1e-2 (absolute 1e-3 near
zero): some fixtures are models trained by scikit-learn, and numpy's and its OpenBLAS's kernels
round differently on different CPUs (AVX2 and AVX-512 give weights a few units in the last place
apart, and an L-BFGS logistic regression 1e-3 apart), so the bytes of a trained model are not the
same on every machine, while a change to the script that makes the fixtures shows up as a
different structure or different numbers.
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

RTOL, ATOL = 1e-2, 1e-3


def close(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def split_numbers(model):
    """The model with every numeric payload cleared, and those payloads in order."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    numbers = []
    tensors = list(model.graph.initializer)
    for node in model.graph.node:
        for attribute in node.attribute:
            if attribute.floats:
                numbers.append(list(attribute.floats))
                del attribute.floats[:]
            if attribute.HasField("f"):
                numbers.append([attribute.f])
                attribute.f = 0
            if attribute.HasField("t"):
                tensors.append(attribute.t)
    for tensor in tensors:
        numbers.append(numpy_helper.to_array(tensor))
        for field in ("raw_data", "float_data", "double_data", "int32_data", "int64_data"):
            tensor.ClearField(field)
    return model.SerializeToString(), numbers


def same_model(committed, made):
    skeleton_a, numbers_a = split_numbers(onnx.load(committed))
    skeleton_b, numbers_b = split_numbers(onnx.load(made))
    return skeleton_a == skeleton_b and len(numbers_a) == len(numbers_b) and all(
        close(a, b) for a, b in zip(numbers_a, numbers_b))


def same_json(a, b):
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or a is None:
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    return False


def main():
    committed_dir, made_dir = Path(sys.argv[1]), Path(sys.argv[2])
    status = 0
    for committed in sorted([*committed_dir.glob("*.onnx"), *committed_dir.glob("*.json")]):
        made = made_dir / committed.name
        if not made.exists():
            print(f"make_fixtures.py no longer makes {committed.name}.", file=sys.stderr)
            status = 1
            continue
        if committed.read_bytes() == made.read_bytes():
            continue
        same = (same_model(committed, made) if committed.suffix == ".onnx"
                else same_json(json.loads(committed.read_text()), json.loads(made.read_text())))
        if not same:
            print(f"ONNX fixture {committed.name} differs from what make_fixtures.py makes; "
                  "run it and commit the result.", file=sys.stderr)
            status = 1
    for made in sorted(made_dir.iterdir()):
        if not (committed_dir / made.name).exists():
            print(f"make_fixtures.py makes {made.name}, which is not committed.", file=sys.stderr)
            status = 1
    if status == 0:
        print("ONNX fixtures match make_fixtures.py.")
    return status


if __name__ == "__main__":
    sys.exit(main())
