"""Makes the ONNX import fixtures and their ONNX Runtime reference outputs.

Run from this directory in a throwaway venv (versions used for the committed files in parentheses):

    python3 -m venv /tmp/onnx-venv
    /tmp/onnx-venv/bin/pip install scikit-learn skl2onnx onnx onnxruntime numpy
        (scikit-learn 1.9.1, skl2onnx 1.20.0, onnx 1.23.2, onnxruntime 1.32.0, numpy 2.4.6)
    /tmp/onnx-venv/bin/python make_fixtures.py [OUTPUT_DIR]

OUTPUT_DIR defaults to this directory; `make check` (scripts/check-onnx-fixtures.sh) writes into a temporary
one and compares the result with the committed files.

Models (all small):
  * sklearn MLPClassifier exported by skl2onnx (zipmap off, so `probabilities` is a plain tensor; the
    graph is Cast, MatMul, Add, Relu|Tanh|Sigmoid, Softmax, Identity plus an ArgMax -> label branch):
    ReLU on digits (64-32-16-10), tanh on iris (4-8-6-3), logistic on iris (4-8-3).
  * Graphs built with onnx.helper in the shape torch.onnx.export gives an nn.Sequential:
    Flatten, Gemm(transB=1) + Relu, ending in logits (no Softmax), raw_data initializers, on a
    [batch, 1, 8, 8] input; and a logistic regression (weights from sklearn) as Gemm(transB=0,
    alpha, beta), a Constant-fed trivial Reshape and Softmax(axis=1).
  * Graphs the importer must reject: skl2onnx's LogisticRegression (ai.onnx.ml LinearClassifier), a Conv,
    a float64 initializer, mixed hidden activations.
  * Convolutional graphs built with onnx.helper, imported as layer networks: a LeNet-style one (Conv with
    asymmetric pads and strides, BatchNormalization, Relu, MaxPool with padding, dilated Conv, Clip(0, 6),
    AveragePool without counting padding, Flatten, Gemm, Relu, Gemm, Softmax) on [N, 2, 12, 11]; a
    DS-CNN-style one (Conv, Relu, depthwise Conv with group = channels and multiplier 2,
    BatchNormalization, Clip(0, 6), 1x1 Conv, GlobalAveragePool, Reshape [0, -1], MatMul + Add) on
    [N, 1, 13, 10]; a 1-D one (Conv, Relu, MaxPool, Flatten, Gemm) on [N, 3, 20]; and, to be refused,
    a grouped Conv (group 2 of 4 channels), a MaxPool with ceil_mode=1, a Conv with auto_pad=SAME_UPPER,
    an LRN and an input with a dynamic height.

For every accepted model, <name>.json holds fixed input rows and ONNX Runtime's output on them:
{"inputShape": [...], "rows": [[...]], "output": [[...]], "outputIsLogits": bool}.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import sklearn
import skl2onnx
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import to_onnx
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

HERE = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
OPSET = 17
rng = np.random.default_rng(1337)


def save(model, name):
    onnx.checker.check_model(model)
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def record(name, rows, input_shape, output_name, logits):
    session = ort.InferenceSession(os.path.join(HERE, name + ".onnx"), providers=["CPUExecutionProvider"])
    feed = rows.reshape([rows.shape[0]] + input_shape[1:]).astype(np.float32)
    (output,) = session.run([output_name], {session.get_inputs()[0].name: feed})
    def matrix(values):  # one row per line; float32 values printed exactly (as float64)
        return "[\n" + ",\n".join("  " + json.dumps([float(v) for v in row]) for row in values) + "\n ]"

    with open(os.path.join(HERE, name + ".json"), "w") as f:
        f.write('{\n "inputShape": %s,\n "outputIsLogits": %s,\n "rows": %s,\n "output": %s\n}\n' % (
            json.dumps(input_shape), json.dumps(logits), matrix(rows), matrix(output)))


def sklearn_mlp(name, X, y, hidden, activation, rows):
    clf = MLPClassifier(hidden_layer_sizes=hidden, activation=activation, max_iter=400, random_state=0)
    clf.fit(X, y)
    model = to_onnx(clf, X[:1], options={id(clf): {"zipmap": False}}, target_opset={"": OPSET, "ai.onnx.ml": 3})
    save(model, name)
    record(name, X[rows], [-1, X.shape[1]], "probabilities", logits=False)


def initializer(name, array, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(array, dtype=dtype), name)  # raw_data, little-endian


def torchlike_relu_mlp(name):
    """Flatten -> Gemm(transB=1) -> Relu -> Gemm(transB=1) -> Relu -> Gemm(transB=1), logits out."""
    sizes = [64, 24, 12, 10]
    nodes = [helper.make_node("Flatten", ["input"], ["/Flatten_output_0"], name="/Flatten", axis=1)]
    inits = []
    current = "/Flatten_output_0"
    for layer, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        w = rng.normal(0, (2 / fan_in) ** 0.5, size=(fan_out, fan_in))
        b = rng.normal(0, 0.1, size=(fan_out,))
        inits += [initializer(f"fc{layer}.weight", w), initializer(f"fc{layer}.bias", b)]
        out = "logits" if layer == len(sizes) - 2 else f"/fc{layer}/Gemm_output_0"
        nodes.append(helper.make_node(
            "Gemm", [current, f"fc{layer}.weight", f"fc{layer}.bias"], [out], name=f"/fc{layer}/Gemm",
            alpha=1.0, beta=1.0, transB=1))
        current = out
        if layer < len(sizes) - 2:
            nodes.append(helper.make_node("Relu", [current], [f"/act{layer}/Relu_output_0"], name=f"/act{layer}/Relu"))
            current = f"/act{layer}/Relu_output_0"
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch_size", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", 10])], inits)
    save(helper.make_model(graph, producer_name="pytorch-like", opset_imports=[helper.make_opsetid("", OPSET)]), name)


def gemm_logistic_regression(name, X, y):
    """sklearn LogisticRegression as Gemm(transB=0, alpha=0.5, beta=2) -> Reshape([0, -1]) -> Softmax(axis=1)."""
    clf = LogisticRegression(max_iter=2000).fit(X, y)
    w = clf.coef_.T * 2.0  # [in, out], halved again by alpha
    b = clf.intercept_ / 2.0  # doubled again by beta
    nodes = [
        helper.make_node("Gemm", ["X", "W", "B"], ["z"], name="linear", alpha=0.5, beta=2.0, transB=0),
        helper.make_node("Constant", [], ["shape"], name="shape_const",
                         value=helper.make_tensor("shape_value", TensorProto.INT64, [2], [0, -1])),
        helper.make_node("Reshape", ["z", "shape"], ["z_flat"], name="reshape"),
        helper.make_node("Softmax", ["z_flat"], ["probabilities"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "logreg",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", X.shape[1]])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(clf.classes_)])],
        [initializer("W", w), initializer("B", b)])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), name)


def sklearn_linear_classifier(name, X, y):
    clf = LogisticRegression(max_iter=2000).fit(X, y)
    save(to_onnx(clf, X[:1], options={id(clf): {"zipmap": False}}, target_opset={"": OPSET, "ai.onnx.ml": 3}), name)


def conv_graph(name):
    nodes = [
        helper.make_node("Conv", ["image", "kernel"], ["features"], name="conv1", kernel_shape=[3, 3]),
        helper.make_node("Flatten", ["features"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "W", "b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])],
        [initializer("kernel", rng.normal(size=(1, 1, 3, 3))), initializer("W", rng.normal(size=(2, 36))),
         initializer("b", np.zeros(2))])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), name)


def float64_graph(name):
    nodes = [
        helper.make_node("Cast", ["x"], ["x64"], name="to_double", to=TensorProto.DOUBLE),
        helper.make_node("Gemm", ["x64", "W", "b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "float64",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("logits", TensorProto.DOUBLE, ["N", 3])],
        [initializer("W", rng.normal(size=(3, 4)), np.float64), initializer("b", np.zeros(3), np.float64)])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), name)


def mixed_activations_graph(name):
    nodes = [
        helper.make_node("MatMul", ["x", "W0"], ["h0"], name="fc0"),
        helper.make_node("Relu", ["h0"], ["a0"], name="relu0"),
        helper.make_node("MatMul", ["a0", "W1"], ["h1"], name="fc1"),
        helper.make_node("Tanh", ["h1"], ["a1"], name="tanh1"),
        helper.make_node("MatMul", ["a1", "W2"], ["logits"], name="fc2"),
    ]
    graph = helper.make_graph(
        nodes, "mixed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])],
        [initializer("W0", rng.normal(size=(4, 5))), initializer("W1", rng.normal(size=(5, 5))),
         initializer("W2", rng.normal(size=(5, 3)))])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), name)


def conv_weights(filters, channels, *kernel):
    return rng.normal(0, (2 / (channels * int(np.prod(kernel)))) ** 0.5, size=(filters, channels, *kernel))


def batch_norm_inits(prefix, channels):
    return [initializer(f"{prefix}.scale", rng.uniform(0.5, 1.5, channels)),
            initializer(f"{prefix}.bias", rng.normal(0, 0.1, channels)),
            initializer(f"{prefix}.mean", rng.normal(0, 0.2, channels)),
            initializer(f"{prefix}.var", rng.uniform(0.5, 2.0, channels))]


def cnn_model(name, nodes, input_shape, output, inits):
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", *input_shape])],
        [helper.make_tensor_value_info(output[0], TensorProto.FLOAT, ["N", output[1]])], inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), name)


def lenet_graph(name):
    inits = [initializer("c1.w", conv_weights(4, 2, 3, 3)), initializer("c1.b", rng.normal(0, 0.1, 4)),
             *batch_norm_inits("bn1", 4),
             initializer("c2.w", conv_weights(6, 4, 2, 3)), initializer("c2.b", rng.normal(0, 0.1, 6)),
             initializer("zero", np.array(0.0)), initializer("six", np.array(6.0)),
             initializer("fc1.w", rng.normal(0, 0.2, (16, 30))), initializer("fc1.b", rng.normal(0, 0.1, 16)),
             initializer("fc2.w", rng.normal(0, 0.3, (5, 16))), initializer("fc2.b", rng.normal(0, 0.1, 5))]
    nodes = [
        helper.make_node("Conv", ["image", "c1.w", "c1.b"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 0, 2, 1], strides=[1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"], ["n1"],
                         name="bn1", epsilon=1e-3),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 0, 0]),
        helper.make_node("Conv", ["p1", "c2.w", "c2.b"], ["c2"], name="conv2", kernel_shape=[2, 3], dilations=[2, 1],
                         strides=[1, 2]),
        helper.make_node("Clip", ["c2", "zero", "six"], ["r2"], name="relu6"),
        helper.make_node("AveragePool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[1, 1],
                         pads=[0, 0, 1, 0], count_include_pad=0),
        helper.make_node("Flatten", ["p2"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc1.w", "fc1.b"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["hr"], name="relu3"),
        helper.make_node("Gemm", ["hr", "fc2.w", "fc2.b"], ["logits"], name="fc2", transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
    ]
    cnn_model(name, nodes, [2, 12, 11], ("probabilities", 5), inits)


def dscnn_graph(name):
    inits = [initializer("c1.w", conv_weights(4, 1, 4, 3)), initializer("c1.b", rng.normal(0, 0.1, 4)),
             initializer("dw.w", conv_weights(8, 1, 3, 3)), initializer("dw.b", rng.normal(0, 0.1, 8)),
             *batch_norm_inits("bn", 8), initializer("zero", np.array(0.0)), initializer("six", np.array(6.0)),
             initializer("pw.w", conv_weights(6, 8, 1, 1)),
             initializer("shape", np.array([0, -1]), np.int64),
             initializer("fc.w", rng.normal(0, 0.4, (6, 4))), initializer("fc.b", rng.normal(0, 0.1, 4))]
    nodes = [
        helper.make_node("Conv", ["image", "c1.w", "c1.b"], ["c1"], name="conv1", kernel_shape=[4, 3], strides=[2, 2],
                         pads=[1, 1, 2, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "dw.w", "dw.b"], ["dw"], name="depthwise", kernel_shape=[3, 3], group=4,
                         pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["dw", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["n"], name="bn"),
        helper.make_node("Clip", ["n", "zero", "six"], ["r2"], name="relu6"),
        helper.make_node("Conv", ["r2", "pw.w"], ["pw"], name="pointwise", kernel_shape=[1, 1]),
        helper.make_node("GlobalAveragePool", ["pw"], ["g"], name="gap"),
        helper.make_node("Reshape", ["g", "shape"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "fc.w"], ["z"], name="fc"),
        helper.make_node("Add", ["z", "fc.b"], ["logits"], name="fc_bias"),
    ]
    cnn_model(name, nodes, [1, 13, 10], ("logits", 4), inits)


def conv1d_graph(name):
    inits = [initializer("c.w", conv_weights(5, 3, 4)), initializer("c.b", rng.normal(0, 0.1, 5)),
             initializer("fc.w", rng.normal(0, 0.3, (3, 20))), initializer("fc.b", rng.normal(0, 0.1, 3))]
    nodes = [
        helper.make_node("Conv", ["image", "c.w", "c.b"], ["c"], name="conv", kernel_shape=[4], strides=[2], pads=[2, 1],
                         dilations=[2]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2], strides=[2]),
        helper.make_node("Flatten", ["p"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]
    cnn_model(name, nodes, [3, 20], ("logits", 3), inits)


def refused_cnn(name, node, input_shape=(4, 6, 6), inits=()):
    nodes = [node, helper.make_node("Flatten", ["x"], ["flat"], name="flatten"),
             helper.make_node("Gemm", ["flat", "fc.w"], ["logits"], name="fc", transB=1)]
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", *input_shape])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])],
        [*inits, initializer("fc.w", rng.normal(size=(2, 64)))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:  # shapes need not check: the importer refuses first
        f.write(model.SerializeToString())


def record_cnn(name, input_shape, output_name, logits):
    rows = rng.normal(0, 1, size=(4, int(np.prod(input_shape)))).astype(np.float32)
    record(name, rows, [-1, *input_shape], output_name, logits)


def main():
    print("scikit-learn", sklearn.__version__, "skl2onnx", skl2onnx.__version__, "onnx", onnx.__version__,
          "onnxruntime", ort.__version__, "numpy", np.__version__)
    digits_X, digits_y = load_digits(return_X_y=True)
    digits_X = (digits_X / 16.0).astype(np.float32)
    iris_X, iris_y = load_iris(return_X_y=True)
    iris_X = iris_X.astype(np.float32)
    digit_rows = [0, 7, 42, 311, 1000, 1796]
    iris_rows = [0, 3, 60, 75, 110, 149]

    sklearn_mlp("sklearn_mlp_relu_digits", digits_X, digits_y, (32, 16), "relu", digit_rows)
    sklearn_mlp("sklearn_mlp_tanh_iris", iris_X, iris_y, (8, 6), "tanh", iris_rows)
    sklearn_mlp("sklearn_mlp_logistic_iris", iris_X, iris_y, (8,), "logistic", iris_rows)

    torchlike_relu_mlp("torchlike_mlp_relu_logits")
    record("torchlike_mlp_relu_logits", digits_X[digit_rows], [-1, 1, 8, 8], "logits", logits=True)

    gemm_logistic_regression("gemm_logreg_iris", iris_X, iris_y)
    record("gemm_logreg_iris", iris_X[iris_rows], [-1, 4], "probabilities", logits=False)

    sklearn_linear_classifier("unsupported_sklearn_linear_classifier", iris_X, iris_y)
    conv_graph("conv_single")
    float64_graph("unsupported_float64")
    mixed_activations_graph("unsupported_mixed_activations")

    lenet_graph("cnn_lenet")
    record_cnn("cnn_lenet", [2, 12, 11], "probabilities", logits=False)
    dscnn_graph("cnn_dscnn")
    record_cnn("cnn_dscnn", [1, 13, 10], "logits", logits=True)
    conv1d_graph("cnn_conv1d")
    record_cnn("cnn_conv1d", [3, 20], "logits", logits=True)
    refused_cnn("cnn_unsupported_grouped", helper.make_node(
        "Conv", ["image", "w"], ["x"], name="grouped", kernel_shape=[1, 1], group=2),
        inits=[initializer("w", conv_weights(4, 2, 1, 1))])
    refused_cnn("cnn_unsupported_ceil_mode", helper.make_node(
        "MaxPool", ["image"], ["x"], name="ceiling", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1))
    refused_cnn("cnn_unsupported_auto_pad", helper.make_node(
        "Conv", ["image", "w"], ["x"], name="same", kernel_shape=[3, 3], auto_pad="SAME_UPPER"),
        inits=[initializer("w", conv_weights(4, 4, 3, 3))])
    refused_cnn("cnn_unsupported_operator", helper.make_node("LRN", ["image"], ["x"], name="lrn", size=3))
    refused_cnn("cnn_unsupported_dynamic", helper.make_node("Relu", ["image"], ["x"], name="relu"),
                input_shape=(4, "H", 6))


if __name__ == "__main__":
    main()
