"""ONNX models exported by PyTorch (torch.onnx.export), with ONNX Runtime's output on fixed inputs.

What Fixtures/make_fixtures.py builds with onnx.helper, these get from PyTorch's own exporter:
batch normalisation folded by the exporter, depthwise convolutions (groups = channels), ReLU6 as
Clip, AdaptiveAvgPool2d(1) as GlobalAveragePool, nn.Flatten, nn.Linear as Gemm. PyTorch's wheel is
several GB, so this script runs in the benchmark virtualenv (Benchmarks/run.sh creates it with
torch and onnxruntime) and its output is committed; the Swift tests only read the files.

Usage: <repo>/.venv/bin/python make_torch_fixtures.py
"""

import json
import os

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 32), nn.ReLU(), nn.Linear(32, 10))


def dscnn():
    def block(channels):
        return [nn.Conv2d(channels, channels, 3, padding=1, groups=channels), nn.BatchNorm2d(channels), nn.ReLU6(),
                nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.ReLU()]
    return nn.Sequential(
        nn.Conv2d(1, 16, (10, 4), stride=2, padding=(4, 1)), nn.BatchNorm2d(16), nn.ReLU(),
        *block(16), *block(16), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 12))


def randomise_batch_norm(model, generator):
    """Non-trivial running statistics, so that folding them is visible in the output."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(module.num_features, generator=generator) * 0.1)


def export(name, model, input_shape):
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.2)
        randomise_batch_norm(model, generator)
    model.eval()
    example = torch.randn(2, *input_shape, generator=generator)
    path = os.path.join(HERE, name + ".onnx")
    torch.onnx.export(model, (example,), path, dynamo=False, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}}, opset_version=17)
    rows = torch.randn(4, int(np.prod(input_shape)), generator=generator).numpy().astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (output,) = session.run(["logits"], {"image": rows.reshape(4, *input_shape)})

    def matrix(values):
        return "[\n" + ",\n".join("  " + json.dumps([float(v) for v in row]) for row in values) + "\n ]"

    with open(os.path.join(HERE, name + ".json"), "w") as f:
        f.write('{\n "inputShape": %s,\n "outputIsLogits": true,\n "rows": %s,\n "output": %s\n}\n' % (
            json.dumps([-1, *input_shape]), matrix(rows), matrix(output)))


def main():
    torch.manual_seed(0)
    print("torch", torch.__version__, "onnxruntime", ort.__version__)
    export("torch_lenet", lenet(), [1, 28, 28])
    export("torch_dscnn", dscnn(), [1, 49, 10])


if __name__ == "__main__":
    main()
