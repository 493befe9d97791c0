#!/usr/bin/env python3
"""ONNX Runtime peer for starling-bench: the same MLP weights as ONNX, run by ONNX Runtime
fp32 and dynamic int8 (onnxruntime.quantization.quantize_dynamic) on 1 thread.

Reads the fp32 safetensors that `starling-bench --export-dir DIR` wrote (layers.{l}.weight [out, in],
layers.{l}.bias [out]), builds MatMul+Add+Relu … Softmax graphs, and prints one JSON line per figure:
batch-1 p50/p99 (raw and minus the per-call overhead of a one-node Identity model on the same input)
and batch-64 throughput (raw and overhead-subtracted); the Identity model is timed alternately with
each model so both see the same load. With --starling FILE (starling-bench's lines)
it also prints the ratio lines against Starling's int8 paths.
"""
import argparse
import json
import logging
import os
import struct
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic


def emit(bench, metric, value, unit, **extra):
    line = {"bench": bench, "metric": metric, "value": value, "unit": unit}
    line.update({key: value for key, value in extra.items() if value is not None})
    print(json.dumps(line), flush=True)


def read_safetensors(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    data = raw[8 + length :]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", f"{name}: expected F32, got {entry['dtype']}"
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
    return tensors


def mlp_graph(tensors):
    """x [N, in] → (MatMul Wᵀ, Add b, Relu)* → MatMul, Add → Softmax."""
    layers = sorted({int(name.split(".")[1]) for name in tensors})
    nodes, initializers = [], []
    current = "x"
    for index in layers:
        weight = np.ascontiguousarray(tensors[f"layers.{index}.weight"].T)
        bias = tensors[f"layers.{index}.bias"]
        initializers += [numpy_helper.from_array(weight, f"W{index}"), numpy_helper.from_array(bias, f"b{index}")]
        nodes.append(helper.make_node("MatMul", [current, f"W{index}"], [f"mm{index}"]))
        nodes.append(helper.make_node("Add", [f"mm{index}", f"b{index}"], [f"z{index}"]))
        if index != layers[-1]:
            nodes.append(helper.make_node("Relu", [f"z{index}"], [f"a{index}"]))
            current = f"a{index}"
        else:
            nodes.append(helper.make_node("Softmax", [f"z{index}"], ["probabilities"], axis=-1))
    inputs = tensors["layers.0.weight"].shape[1]
    outputs = tensors[f"layers.{layers[-1]}.weight"].shape[0]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", inputs])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", outputs])],
        initializers)
    return finish(graph), inputs


def identity_graph(width):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "identity",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", width])])
    return finish(graph)


def finish(graph):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def paired_latency(baseline, run, iterations):
    """p50/p99 in µs of `baseline` and `run`, timed call by call in alternation so both see the same
    machine conditions (the baseline is the Identity model whose p50 is subtracted)."""
    for _ in range(iterations // 10):
        baseline()
        run()
    base, samples = np.empty(iterations, dtype=np.int64), np.empty(iterations, dtype=np.int64)
    clock = time.perf_counter_ns
    for index in range(iterations):
        start = clock()
        baseline()
        middle = clock()
        run()
        samples[index] = clock() - middle
        base[index] = middle - start
    return percentiles(base), percentiles(samples)


def percentiles(samples):
    samples.sort()
    return samples[len(samples) // 2] / 1000.0, samples[min(len(samples) - 1, len(samples) * 99 // 100)] / 1000.0


def paired_seconds_per_call(baseline, run, calls, repeats=9):
    """Best (smallest) seconds per call of `baseline` and `run` over `repeats` alternating blocks of
    `calls` calls: best-of-N keeps other processes out of the figure, as starling-bench does."""
    for _ in range(calls // 4 + 1):
        baseline()
        run()
    base, timings = [], []
    for _ in range(repeats):
        for block, function in ((base, baseline), (timings, run)):
            start = time.perf_counter_ns()
            for _ in range(calls):
                function()
            block.append((time.perf_counter_ns() - start) / 1e9 / calls)
    return min(base), min(timings)


def measure(bench, kind, sess, identity, batch1, batch64, iterations, calls):
    feed1, feed64 = {"x": batch1}, {"x": batch64}
    (base50, base99), (p50, p99) = paired_latency(
        lambda: identity.run(None, feed1), lambda: sess.run(None, feed1), iterations)
    base64, call64 = paired_seconds_per_call(
        lambda: identity.run(None, feed64), lambda: sess.run(None, feed64), calls)
    emit(bench, f"{kind}_identity_batch1_p50", base50, "us", note="per-call overhead: one-node Identity model, "
         "timed alternately with the model")
    emit(bench, f"{kind}_identity_batch1_p99", base99, "us")
    emit(bench, f"{kind}_identity_batch64_call", base64 * 1e6, "us")
    emit(bench, f"{kind}_batch1_p50", p50, "us")
    emit(bench, f"{kind}_batch1_p99", p99, "us")
    emit(bench, f"{kind}_batch1_p50_overhead_subtracted", p50 - base50, "us", note=f"minus Identity p50 {base50:.3f} us")
    emit(bench, f"{kind}_batch1_p99_overhead_subtracted", p99 - base50, "us")
    emit(bench, f"{kind}_batch64_throughput", 64 / call64, "rows/s")
    emit(bench, f"{kind}_batch64_throughput_overhead_subtracted", 64 / (call64 - base64), "rows/s",
         note=f"minus Identity batch-64 call {base64 * 1e6:.3f} us")
    return {"p50": p50 - base50, "rate": 64 / (call64 - base64), "rate_raw": 64 / call64}


def starling_figures(path):
    figures = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("{"):
                entry = json.loads(line)
                figures[(entry["bench"], entry["metric"])] = entry["value"]
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", required=True, help="directory with mlp_*.safetensors from starling-bench")
    parser.add_argument("--starling", help="starling-bench JSON lines, for the ratio lines")
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic's pre-processing hint

    emit("environment", "onnxruntime_version", 0, "version", note=f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, "
         f"numpy {np.__version__}, 1 intra-op thread, Python {sys.version.split()[0]}")
    starling = starling_figures(args.starling) if args.starling else {}
    rng = np.random.default_rng(44)
    work = tempfile.mkdtemp(prefix="starling-ort-")
    for file in sorted(os.listdir(args.models)):
        if not (file.startswith("mlp_") and file.endswith(".safetensors")):
            continue
        bench = file[: -len(".safetensors")]
        model, width = mlp_graph(read_safetensors(os.path.join(args.models, file)))
        fp32_path, int8_path, identity_path = (os.path.join(work, f"{bench}.{kind}.onnx") for kind in ("fp32", "int8", "identity"))
        onnx.save(model, fp32_path)
        onnx.save(identity_graph(width), identity_path)
        quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QInt8)
        batch64 = rng.standard_normal((64, width), dtype=np.float32)
        batch1 = np.ascontiguousarray(batch64[:1])

        identity = session(identity_path)
        measure(bench, "onnxruntime_fp32", session(fp32_path), identity, batch1, batch64, args.iterations, args.calls)
        int8 = measure(bench, "onnxruntime_int8", session(int8_path), identity, batch1, batch64, args.iterations,
                       args.calls)

        paths = sorted({metric[len("int8_"):-len("_batch1_p50")] for (name, metric) in starling
                        if name == bench and metric.startswith("int8_") and metric.endswith("_batch1_p50")})
        for path in paths:
            p50 = starling[(bench, f"int8_{path}_batch1_p50")]
            rate = starling[(bench, f"int8_{path}_batch64_throughput")]
            emit(bench, f"int8_{path}_batch1_p50_vs_onnxruntime_int8", p50, "us",
                 peer="onnxruntime_int8_batch1_p50_overhead_subtracted", ratio=p50 / int8["p50"], note="target <= 0.5")
            emit(bench, f"int8_{path}_batch64_throughput_vs_onnxruntime_int8", rate, "rows/s",
                 peer="onnxruntime_int8_batch64_throughput_overhead_subtracted", ratio=rate / int8["rate"],
                 note="target >= 1")
            emit(bench, f"int8_{path}_batch64_throughput_vs_onnxruntime_int8_raw", rate, "rows/s",
                 peer="onnxruntime_int8_batch64_throughput", ratio=rate / int8["rate_raw"], note="target >= 1")


if __name__ == "__main__":
    main()
