#!/usr/bin/env python3
"""ONNX Runtime and PyTorch peers for `starling-bench --suite cnn`, on the same weights.

Reads the cnn_<name>.json files that `starling-bench --suite cnn --export-dir DIR` wrote (the layer
list, the flat parameters in Starling's channels-last layouts, two inputs and Starling's fp32
probabilities on them) and rebuilds each network channels-first:
  * as ONNX (Conv, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, group normalisation as
    Reshape + InstanceNormalization + Reshape + Mul + Add, Flatten, Gemm, Softmax), checked against
    Starling's probabilities, then run by ONNX Runtime fp32 and int8 (quantize_static, QOperator,
    per-channel int8 weights, uint8 activations calibrated on N(0, 1) inputs) on 1 thread: batch-1
    p50 minus the per-call overhead of a one-node Identity model timed alternately, and batch-64
    rows/s minus that overhead, as Benchmarks/ort_peer.py does for the MLPs;
  * as a PyTorch nn.Sequential (GroupNorm for group normalisation), checked the same way, and timed
    for one training step on a batch of 32 (forward, cross-entropy, backward, SGD step) on 1 thread.
It runs `starling-bench --suite cnn` itself (--bench BIN), one model and one part at a time, in
--rounds alternations with the peers: Starling's inference figures, then ONNX Runtime's, then
Starling's training step, then PyTorch's. On a machine whose speed drifts, each round's two sides
see the same conditions; each ratio is the median of the rounds', with every round's in the note:
Starling int8 p50 / ONNX Runtime int8 p50 (target <= 0.7), Starling int8 batch-64 rows/s / ONNX
Runtime's (target >= 1), Starling training step time / PyTorch's (target <= 1).
"""
import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ort_peer import emit, paired_latency, paired_seconds_per_call, session  # noqa: E402


def sizes(description):
    """Yields each layer with the (height, width, channels, flat) of its input, as Starling places it."""
    h, w, c = description["input"]
    flat = False
    for layer in description["layers"]:
        yield layer, (h, w, c, flat)
        kind = layer["type"]
        if kind in ("conv2d", "depthwise_conv2d", "max_pool", "avg_pool"):
            kh, kw = pair(layer["kernel"], None)
            sh, sw = pair(layer.get("stride"), [kh, kw] if kind.endswith("pool") else [1])
            dh, dw = pair(layer.get("dilation"), [1])
            t, l, b, r = padding(layer)
            h = (h + t + b - (dh * (kh - 1) + 1)) // sh + 1
            w = (w + l + r - (dw * (kw - 1) + 1)) // sw + 1
            if kind == "conv2d":
                c = layer["filters"]
            elif kind == "depthwise_conv2d":
                c = c * (layer.get("multiplier") or 1)
        elif kind == "global_avg_pool":
            h, w, flat = 1, 1, True
        elif kind == "flatten":
            h, w, c, flat = 1, 1, h * w * c, True
        elif kind == "dense":
            h, w, c, flat = 1, 1, layer["units"], True
        elif kind not in ("relu", "relu6", "group_norm"):
            raise SystemExit(f"cnn_peer.py does not rebuild {kind} layers")


def padding(layer):
    p = layer.get("padding") or [0]
    if len(p) == 1:
        return p * 4
    if len(p) == 2:
        return [p[0], p[1], p[0], p[1]]
    return p


def pair(values, default):
    values = values or default
    return values * 2 if len(values) == 1 else values


def parameter_counts(layer, shape):
    h, w, c, _ = shape
    kind = layer["type"]
    if kind == "conv2d":
        kh, kw = pair(layer["kernel"], None)
        return layer["filters"] * kh * kw * c, layer["filters"]
    if kind == "depthwise_conv2d":
        kh, kw = pair(layer["kernel"], None)
        outputs = c * (layer.get("multiplier") or 1)
        return kh * kw * outputs, outputs
    if kind == "group_norm":
        return c, c
    if kind == "dense":
        return layer["units"] * h * w * c, layer["units"]
    return 0, 0


def unpack(export):
    """Each layer with its channels-first weights and bias, and its input shape."""
    parameters = np.asarray(export["parameters"], dtype=np.float32)
    offset = 0
    layers = []
    for layer, shape in sizes(export["description"]):
        weights, biases = parameter_counts(layer, shape)
        w = parameters[offset:offset + weights]
        b = parameters[offset + weights:offset + weights + biases]
        offset += weights + biases
        h, wd, c, flat = shape
        kind = layer["type"]
        if kind == "conv2d":
            kh, kw = pair(layer["kernel"], None)
            w = w.reshape(layer["filters"], kh, kw, c).transpose(0, 3, 1, 2)
        elif kind == "depthwise_conv2d":
            kh, kw = pair(layer["kernel"], None)
            w = w.reshape(kh, kw, -1).transpose(2, 0, 1)[:, None, :, :]
        elif kind == "dense" and not flat and (h > 1 or wd > 1):
            raise SystemExit("dense on a map needs a flatten first")
        layers.append((layer, shape, w, b))
    assert offset == len(parameters), "parameter count differs from the description"
    # A dense layer after a flatten of a map reads channels-last (y, x, c) columns; channels-first
    # graphs flatten (c, y, x), so its columns are reordered.
    for index, (layer, shape, w, b) in enumerate(layers):
        if layer["type"] == "flatten" and shape[2] > 0 and (shape[0] > 1 or shape[1] > 1):
            h, wd, c, _ = shape
            dense = layers[index + 1]
            units = dense[0]["units"]
            matrix = dense[2].reshape(units, h, wd, c).transpose(0, 3, 1, 2).reshape(units, -1)
            layers[index + 1] = (dense[0], dense[1], matrix, dense[3])
    return layers


def onnx_model(export):
    h, w, c = export["description"]["input"]
    nodes, inits = [], []
    current = "x"
    rank4 = True  # ONNX keeps [N, C, H, W] until a Flatten, GlobalAveragePool included
    for index, (layer, shape, weights, bias) in enumerate(unpack(export)):
        kind, out = layer["type"], f"t{index}"
        name = lambda suffix: f"l{index}.{suffix}"  # noqa: E731
        if kind in ("conv2d", "depthwise_conv2d"):
            inits += [numpy_helper.from_array(weights.astype(np.float32), name("w")),
                      numpy_helper.from_array(bias.astype(np.float32), name("b"))]
            t, l, b, r = padding(layer)
            attributes = dict(kernel_shape=list(weights.shape[2:]), strides=pair(layer.get("stride"), [1]),
                              pads=[t, l, b, r], dilations=pair(layer.get("dilation"), [1]))
            if kind == "depthwise_conv2d":
                attributes["group"] = shape[2]
            nodes.append(helper.make_node("Conv", [current, name("w"), name("b")], [out], **attributes))
        elif kind in ("max_pool", "avg_pool"):
            kernel = pair(layer["kernel"], None)
            t, l, b, r = padding(layer)
            attributes = dict(kernel_shape=kernel, strides=pair(layer.get("stride"), kernel), pads=[t, l, b, r])
            if kind == "avg_pool":
                attributes["count_include_pad"] = 1 if layer.get("count_padding", True) else 0
            nodes.append(helper.make_node("MaxPool" if kind == "max_pool" else "AveragePool", [current], [out], **attributes))
        elif kind == "global_avg_pool":
            nodes.append(helper.make_node("GlobalAveragePool", [current], [out]))
        elif kind == "relu":
            nodes.append(helper.make_node("Relu", [current], [out]))
        elif kind == "relu6":
            inits += [numpy_helper.from_array(np.array(0, np.float32), name("lo")),
                      numpy_helper.from_array(np.array(6, np.float32), name("hi"))]
            nodes.append(helper.make_node("Clip", [current, name("lo"), name("hi")], [out]))
        elif kind == "group_norm":
            groups, (mh, mw, mc, _) = layer["groups"], shape
            inits += [numpy_helper.from_array(np.array([0, groups, -1], np.int64), name("grouped")),
                      numpy_helper.from_array(np.array([0, mc, mh, mw], np.int64), name("map")),
                      numpy_helper.from_array(np.ones(groups, np.float32), name("one")),
                      numpy_helper.from_array(np.zeros(groups, np.float32), name("zero")),
                      numpy_helper.from_array(weights.reshape(mc, 1, 1).astype(np.float32), name("gamma")),
                      numpy_helper.from_array(bias.reshape(mc, 1, 1).astype(np.float32), name("beta"))]
            nodes += [helper.make_node("Reshape", [current, name("grouped")], [name("g")]),
                      helper.make_node("InstanceNormalization", [name("g"), name("one"), name("zero")], [name("n")],
                                       epsilon=1e-5),
                      helper.make_node("Reshape", [name("n"), name("map")], [name("m")]),
                      helper.make_node("Mul", [name("m"), name("gamma")], [name("s")]),
                      helper.make_node("Add", [name("s"), name("beta")], [out])]
        elif kind == "flatten":
            nodes.append(helper.make_node("Flatten", [current], [out], axis=1))
            rank4 = False
        elif kind == "dense":
            if rank4:
                nodes.append(helper.make_node("Flatten", [current], [out + "f"], axis=1))
                current, rank4 = out + "f", False
            inits += [numpy_helper.from_array(weights.reshape(layer["units"], -1).astype(np.float32), name("w")),
                      numpy_helper.from_array(bias.astype(np.float32), name("b"))]
            nodes.append(helper.make_node("Gemm", [current, name("w"), name("b")], [out], transB=1))
        current = out
    nodes.append(helper.make_node("Softmax", [current], ["probabilities"], axis=1))
    classes = export["description"]["layers"][-1]["units"]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", c, h, w])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def channels_first(rows, description):
    h, w, c = description["input"]
    return np.asarray(rows, dtype=np.float32).reshape(-1, h, w, c).transpose(0, 3, 1, 2).copy()


class Calibration(CalibrationDataReader):
    def __init__(self, shape):
        rng = np.random.default_rng(5)
        self.batches = iter([{"x": rng.normal(size=(1, *shape)).astype(np.float32)} for _ in range(32)])

    def get_next(self):
        return next(self.batches, None)


def identity_session(directory, shape):
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *shape])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *shape])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = os.path.join(directory, "identity.onnx")
    onnx.save(model, path)
    return session(path)


def torch_step(export, name):
    """The PyTorch network of `export`, checked against Starling's probabilities, and its training step."""
    import torch
    torch.set_num_threads(1)
    modules = []
    for layer, shape, weights, bias in unpack(export):
        kind = layer["type"]
        h, w, c, flat = shape
        if kind in ("conv2d", "depthwise_conv2d"):
            t, l, b, r = padding(layer)
            conv = torch.nn.Conv2d(c, weights.shape[0], tuple(weights.shape[2:]), stride=tuple(pair(layer.get("stride"), [1])),
                                   dilation=tuple(pair(layer.get("dilation"), [1])),
                                   groups=c if kind == "depthwise_conv2d" else 1)
            conv.weight.data = torch.from_numpy(np.ascontiguousarray(weights))
            conv.bias.data = torch.from_numpy(bias.copy())
            modules += [torch.nn.ZeroPad2d((l, r, t, b)), conv]
        elif kind in ("max_pool", "avg_pool"):
            kernel = pair(layer["kernel"], None)
            t, l, b, r = padding(layer)
            if (t, l, b, r) != (0, 0, 0, 0):
                raise SystemExit("the PyTorch peer pools without padding")
            pool = torch.nn.MaxPool2d if kind == "max_pool" else torch.nn.AvgPool2d
            modules.append(pool(tuple(kernel), stride=tuple(pair(layer.get("stride"), kernel))))
        elif kind == "global_avg_pool":
            modules += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()]
        elif kind == "relu":
            modules.append(torch.nn.ReLU())
        elif kind == "relu6":
            modules.append(torch.nn.ReLU6())
        elif kind == "group_norm":
            norm = torch.nn.GroupNorm(layer["groups"], c, eps=1e-5)
            norm.weight.data = torch.from_numpy(weights.copy())
            norm.bias.data = torch.from_numpy(bias.copy())
            modules.append(norm)
        elif kind == "flatten":
            modules.append(torch.nn.Flatten())
        elif kind == "dense":
            linear = torch.nn.Linear(weights.size // layer["units"], layer["units"])
            linear.weight.data = torch.from_numpy(weights.reshape(layer["units"], -1).copy())
            linear.bias.data = torch.from_numpy(bias.copy())
            modules.append(linear)
    model = torch.nn.Sequential(*modules)
    inputs = torch.from_numpy(channels_first(export["inputs"], export["description"]))
    with torch.no_grad():
        probabilities = torch.softmax(model(inputs), dim=1).numpy().ravel()
    difference = float(np.abs(probabilities - np.asarray(export["probabilities"])).max())
    emit("cnn", f"torch_check_{name}", difference, "max abs difference",
         note="PyTorch's probabilities against Starling's fp32 on the exported inputs")
    rng = np.random.default_rng(6)
    batch = torch.from_numpy(rng.normal(size=(32, *inputs.shape[1:])).astype(np.float32))
    labels = torch.from_numpy(rng.integers(0, model[-1].out_features, 32))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_function = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_function(model(batch), labels).backward()
        optimizer.step()

    return step


def torch_rate(step, quick):
    """Best examples/s of PyTorch's training step on a batch of 32."""
    import torch
    calls, repeats = (5, 3) if quick else (40, 7)
    for _ in range(calls // 4 + 1):
        step()
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        best = max(best, 32 * calls / (time.perf_counter() - start))
    return best, f"torch-{torch.__version__}"


def starling(binary, name, part, quick, export_directory=None):
    """starling-bench's figures for one model and part, as {metric: line}, its lines printed."""
    command = [binary, "--suite", "cnn", "--models", name, "--parts", part] + (["--quick"] if quick else [])
    if export_directory:
        command += ["--export-dir", export_directory]
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
    lines = [json.loads(text) for text in output.splitlines() if text.strip()]
    return {line["metric"]: line for line in lines}


def ort_figures(sessions, identity, batch1, batch64, iterations, calls):
    """ONNX Runtime's batch-1 p50 (µs) and batch-64 rows/s for fp32 and int8, minus the Identity
    model's per-call overhead timed alternately, as {kind: (p50, rows/s, base p50, base call)}."""
    figures = {}
    for kind, run in sessions.items():
        (base50, _), (p50, _) = paired_latency(
            lambda: identity.run(None, {"x": batch1}), lambda: run.run(None, {"x": batch1}), iterations)
        base64, call64 = paired_seconds_per_call(
            lambda: identity.run(None, {"x": batch64}), lambda: run.run(None, {"x": batch64}), calls)
        figures[kind] = (p50 - base50, 64 / (call64 - base64), base50, base64)
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", required=True, help="the starling-bench binary")
    parser.add_argument("--models", default="lenet5,dscnn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)
    iterations, calls = (300, 20) if arguments.quick else (3000, 100)
    rounds = max(1, arguments.rounds)
    with tempfile.TemporaryDirectory() as directory:
        for name in arguments.models.split(","):
            ratios = {"int8_batch1": [], "int8_batch64": [], "train_step": []}
            starling_lines = {}
            for round_index in range(rounds):
                inference = starling(arguments.bench, name, "inference", arguments.quick,
                                     directory if round_index == 0 else None)
                if round_index == 0:
                    with open(os.path.join(directory, f"cnn_{name}.json")) as file:
                        export = json.load(file)
                    description = export["description"]
                    h, w, c = description["input"]
                    fp32_path = os.path.join(directory, f"{name}.onnx")
                    onnx.save(onnx_model(export), fp32_path)
                    check = session(fp32_path).run(None, {"x": channels_first(export["inputs"], description)})[0]
                    emit("cnn", f"ort_check_{name}",
                         float(np.abs(check.ravel() - np.asarray(export["probabilities"])).max()),
                         "max abs difference", note="ONNX Runtime fp32 against Starling's fp32 on the exported inputs")
                    int8_path = os.path.join(directory, f"{name}.int8.onnx")
                    quantize_static(fp32_path, int8_path, Calibration((c, h, w)), quant_format=QuantFormat.QOperator,
                                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
                    sessions = {"fp32": session(fp32_path), "int8": session(int8_path)}
                    identity = identity_session(directory, (c, h, w))
                    rng = np.random.default_rng(7)
                    batch1 = rng.normal(size=(1, c, h, w)).astype(np.float32)
                    batch64 = rng.normal(size=(64, c, h, w)).astype(np.float32)
                    step = torch_step(export, name)
                peer = ort_figures(sessions, identity, batch1, batch64, iterations, calls)
                training = starling(arguments.bench, name, "training", arguments.quick)
                torch_examples, torch_version = torch_rate(step, arguments.quick)
                starling_lines = {**inference, **training}
                for line in starling_lines.values():
                    print(json.dumps({**line, "round": round_index + 1}), flush=True)
                for kind, (p50, rate, base50, base64) in peer.items():
                    emit("cnn", f"ort_{kind}_batch1_p50_{name}", p50, "us", peer=f"onnxruntime-{ort.__version__}",
                         round=round_index + 1, note=f"minus Identity p50 {base50:.2f} us")
                    emit("cnn", f"ort_{kind}_batch64_{name}", rate, "rows/s", peer=f"onnxruntime-{ort.__version__}",
                         round=round_index + 1, note=f"minus Identity batch-64 call {base64 * 1e6:.2f} us")
                emit("cnn", f"torch_train_step_{name}", torch_examples, "examples/s", peer=torch_version,
                     round=round_index + 1, note="forward + cross-entropy + backward + SGD step, batch 32, 1 thread")
                ratios["int8_batch1"].append(starling_lines[f"int8_batch1_p50_{name}"]["value"] / peer["int8"][0])
                ratios["int8_batch64"].append(starling_lines[f"int8_batch64_{name}"]["value"] / peer["int8"][1])
                ratios["train_step"].append(torch_examples / starling_lines[f"train_step_{name}"]["value"])

            def summary(key):
                return statistics.median(ratios[key]), "rounds: " + ", ".join(f"{r:.2f}" for r in ratios[key])

            ratio, rounds_note = summary("int8_batch1")
            emit("cnn", f"int8_batch1_p50_vs_ort_{name}", starling_lines[f"int8_batch1_p50_{name}"]["value"], "us",
                 peer="onnxruntime-int8", ratio=ratio,
                 note=f"Starling int8 p50 / ONNX Runtime int8 p50, median of {rounds} alternations "
                      f"({rounds_note}); target <= 0.7")
            ratio, rounds_note = summary("int8_batch64")
            emit("cnn", f"int8_batch64_vs_ort_{name}", starling_lines[f"int8_batch64_{name}"]["value"], "rows/s",
                 peer="onnxruntime-int8", ratio=ratio,
                 note=f"Starling int8 rows/s / ONNX Runtime int8 rows/s, median of {rounds} alternations "
                      f"({rounds_note}); target >= 1")
            ratio, rounds_note = summary("train_step")
            emit("cnn", f"train_step_vs_torch_{name}", starling_lines[f"train_step_{name}"]["value"], "examples/s",
                 peer="torch", ratio=ratio,
                 note=f"Starling step time / PyTorch step time, median of {rounds} alternations "
                      f"({rounds_note}); target <= 1")


if __name__ == "__main__":
    main()
