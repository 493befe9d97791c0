#!/usr/bin/env python3
"""Writes layer_vectors.json, the reference the convolutional layer tests compare against.

Run from anywhere (numpy only):

    python3 Tests/StarlingCoreTests/Vectors/make_layer_vectors.py

The JSON is committed; nothing here is needed to build or to run the tests. The Swift layers compute convolutions
with im2col and sgemm, so every layer is written out here again the plain way, independently of the Swift code:
direct loops over the output positions and over each window, in float64, forward and backward (the backward pass
scatters each output's gradient back through its own window). Every case is checked here against central finite
differences in float64 before anything is written, so a wrong formula stops the script instead of reaching the
file.

Conventions. Feature maps are NHWC, batch-major: element (n, y, x, c) is at flat index ((n*H + y)*W + x)*C + c,
and a 1-D signal of length L is H = 1, W = L. Windows have "kernel" [KH, KW], "stride" [SH, SW], "padding"
[top, left, bottom, right] (zeros, possibly asymmetric) and "dilation" [DH, DW];
OH = floor((H + top + bottom - DH*(KH-1) - 1) / SH) + 1, likewise OW, and output (oy, ox) reads input row
iy = oy*SH - top + ky*DH and column ix = ox*SW - left + kx*DW. Weights are flattened row-major: conv2d/conv1d
[OC, KH, KW, IC], depthwise [KH, KW, C*M] with output channel c*M + m. Each case gives "input", "output",
"output_gradient" (random) and "input_gradient", the gradient of sum(output * output_gradient) with respect to the
input, plus the parameters and their gradients for layers that have them; "batch_norm_fold" gives a conv2d followed
by inference-mode batch normalisation and only its output. Inputs and parameters are drawn from one
numpy.random.default_rng(SEED), in the order the cases are listed, and rounded to float32, so the Swift tests read
exactly the values used here; outputs and gradients are float64.
"""

import json
import math
import os

import numpy as np

SEED = 20261205
BATCH = 2
EPSILON = 1e-5
# Central differences: step, and the largest absolute difference allowed from the analytic gradient.
FD_STEP = 1e-5
FD_TOLERANCE = 1e-6
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layer_vectors.json")


# ---------------------------------------------------------------------------------------------------------------
# Window geometry


def output_size(h, w, kernel, stride, padding, dilation):
    """(OH, OW) for an H x W input."""
    (kh, kw), (sh, sw), (top, left, bottom, right), (dh, dw) = kernel, stride, padding, dilation
    oh = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    ow = (w + left + right - dw * (kw - 1) - 1) // sw + 1
    assert oh >= 1 and ow >= 1, "window larger than the padded input"
    return oh, ow


def window(oy, ox, kernel, stride, padding, dilation):
    """The (ky, kx, iy, ix) read by output (oy, ox), padding positions included (they may be out of bounds)."""
    (kh, kw), (sh, sw), (top, left, _, _), (dh, dw) = kernel, stride, padding, dilation
    for ky in range(kh):
        for kx in range(kw):
            yield ky, kx, oy * sh - top + ky * dh, ox * sw - left + kx * dw


def inside(iy, ix, h, w):
    return 0 <= iy < h and 0 <= ix < w


# ---------------------------------------------------------------------------------------------------------------
# Layers: forward(...) -> output [N, OH, OW, OC]; backward(..., output_gradient) -> dict of gradients.


def conv2d_forward(x, weight, bias, geometry):
    n_, h, w, ic_ = x.shape
    oc_ = weight.shape[0]
    oh, ow = output_size(h, w, **geometry)
    y = np.zeros((n_, oh, ow, oc_))
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                for oc in range(oc_):
                    total = bias[oc]
                    for ky, kx, iy, ix in window(oy, ox, **geometry):
                        if inside(iy, ix, h, w):
                            for ic in range(ic_):
                                total += x[n, iy, ix, ic] * weight[oc, ky, kx, ic]
                    y[n, oy, ox, oc] = total
    return y


def conv2d_backward(x, weight, bias, geometry, g):
    n_, h, w, ic_ = x.shape
    oc_ = weight.shape[0]
    _, oh, ow, _ = g.shape
    dx, dw, db = np.zeros_like(x), np.zeros_like(weight), np.zeros_like(bias)
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                for oc in range(oc_):
                    go = g[n, oy, ox, oc]
                    db[oc] += go
                    for ky, kx, iy, ix in window(oy, ox, **geometry):
                        if inside(iy, ix, h, w):
                            for ic in range(ic_):
                                dx[n, iy, ix, ic] += go * weight[oc, ky, kx, ic]
                                dw[oc, ky, kx, ic] += go * x[n, iy, ix, ic]
    return {"input": dx, "weight": dw, "bias": db}


def depthwise_forward(x, weight, bias, geometry, multiplier):
    n_, h, w, c_ = x.shape
    oh, ow = output_size(h, w, **geometry)
    y = np.zeros((n_, oh, ow, c_ * multiplier))
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                for c in range(c_):
                    for m in range(multiplier):
                        oc = c * multiplier + m
                        total = bias[oc]
                        for ky, kx, iy, ix in window(oy, ox, **geometry):
                            if inside(iy, ix, h, w):
                                total += x[n, iy, ix, c] * weight[ky, kx, oc]
                        y[n, oy, ox, oc] = total
    return y


def depthwise_backward(x, weight, bias, geometry, multiplier, g):
    n_, h, w, c_ = x.shape
    _, oh, ow, _ = g.shape
    dx, dw, db = np.zeros_like(x), np.zeros_like(weight), np.zeros_like(bias)
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                for c in range(c_):
                    for m in range(multiplier):
                        oc = c * multiplier + m
                        go = g[n, oy, ox, oc]
                        db[oc] += go
                        for ky, kx, iy, ix in window(oy, ox, **geometry):
                            if inside(iy, ix, h, w):
                                dx[n, iy, ix, c] += go * weight[ky, kx, oc]
                                dw[ky, kx, oc] += go * x[n, iy, ix, c]
    return {"input": dx, "weight": dw, "bias": db}


def max_pool_argmax(x, n, oy, ox, c, geometry):
    """The in-bounds (iy, ix) holding the window's maximum; padding positions are never chosen."""
    _, h, w, _ = x.shape
    values = [(x[n, iy, ix, c], iy, ix) for _, _, iy, ix in window(oy, ox, **geometry) if inside(iy, ix, h, w)]
    assert values, "a pooling window lies entirely in the padding"
    values.sort(reverse=True)
    # No ties, and no near-ties a finite-difference step could flip.
    assert len(values) == 1 or values[0][0] - values[1][0] > 100 * FD_STEP, "near-tie in a max-pool window"
    return values[0][1], values[0][2]


def max_pool_forward(x, geometry):
    n_, h, w, c_ = x.shape
    oh, ow = output_size(h, w, **geometry)
    y = np.zeros((n_, oh, ow, c_))
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                for c in range(c_):
                    iy, ix = max_pool_argmax(x, n, oy, ox, c, geometry)
                    y[n, oy, ox, c] = x[n, iy, ix, c]
    return y


def max_pool_backward(x, geometry, g):
    n_, _, _, c_ = x.shape
    _, oh, ow, _ = g.shape
    dx = np.zeros_like(x)
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                for c in range(c_):
                    iy, ix = max_pool_argmax(x, n, oy, ox, c, geometry)
                    dx[n, iy, ix, c] += g[n, oy, ox, c]
    return {"input": dx}


def avg_pool_divisor(oy, ox, h, w, geometry, count_padding):
    kh, kw = geometry["kernel"]
    if count_padding:
        return kh * kw
    return sum(1 for _, _, iy, ix in window(oy, ox, **geometry) if inside(iy, ix, h, w))


def avg_pool_forward(x, geometry, count_padding):
    n_, h, w, c_ = x.shape
    oh, ow = output_size(h, w, **geometry)
    y = np.zeros((n_, oh, ow, c_))
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                divisor = avg_pool_divisor(oy, ox, h, w, geometry, count_padding)
                assert divisor > 0, "a pooling window lies entirely in the padding"
                for c in range(c_):
                    total = 0.0
                    for _, _, iy, ix in window(oy, ox, **geometry):
                        if inside(iy, ix, h, w):
                            total += x[n, iy, ix, c]
                    y[n, oy, ox, c] = total / divisor
    return y


def avg_pool_backward(x, geometry, count_padding, g):
    n_, h, w, c_ = x.shape
    _, oh, ow, _ = g.shape
    dx = np.zeros_like(x)
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                divisor = avg_pool_divisor(oy, ox, h, w, geometry, count_padding)
                for c in range(c_):
                    for _, _, iy, ix in window(oy, ox, **geometry):
                        if inside(iy, ix, h, w):
                            dx[n, iy, ix, c] += g[n, oy, ox, c] / divisor
    return {"input": dx}


def global_avg_pool_forward(x):
    n_, h, w, c_ = x.shape
    y = np.zeros((n_, 1, 1, c_))
    for n in range(n_):
        for c in range(c_):
            total = 0.0
            for iy in range(h):
                for ix in range(w):
                    total += x[n, iy, ix, c]
            y[n, 0, 0, c] = total / (h * w)
    return y


def global_avg_pool_backward(x, g):
    n_, h, w, c_ = x.shape
    dx = np.zeros_like(x)
    for n in range(n_):
        for c in range(c_):
            for iy in range(h):
                for ix in range(w):
                    dx[n, iy, ix, c] = g[n, 0, 0, c] / (h * w)
    return {"input": dx}


def group_statistics(x, n, group, groups):
    """Mean and biased variance of example n over all (y, x, c in group)."""
    _, h, w, c_ = x.shape
    size = c_ // groups
    values = [x[n, iy, ix, c] for iy in range(h) for ix in range(w) for c in range(group * size, (group + 1) * size)]
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return mean, variance


def group_norm_forward(x, gamma, beta, groups, epsilon):
    n_, h, w, c_ = x.shape
    size = c_ // groups
    y = np.zeros_like(x)
    for n in range(n_):
        for group in range(groups):
            mean, variance = group_statistics(x, n, group, groups)
            sigma = math.sqrt(variance + epsilon)
            for iy in range(h):
                for ix in range(w):
                    for c in range(group * size, (group + 1) * size):
                        y[n, iy, ix, c] = gamma[c] * (x[n, iy, ix, c] - mean) / sigma + beta[c]
    return y


def group_norm_backward(x, gamma, beta, groups, epsilon, g):
    """With xhat = (x - mean) / sigma over a group of m elements and dxhat = g * gamma:
    dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sigma, dgamma[c] = sum g * xhat, dbeta[c] = sum g."""
    n_, h, w, c_ = x.shape
    size = c_ // groups
    count = h * w * size
    dx, dgamma, dbeta = np.zeros_like(x), np.zeros_like(gamma), np.zeros_like(beta)
    for n in range(n_):
        for group in range(groups):
            mean, variance = group_statistics(x, n, group, groups)
            sigma = math.sqrt(variance + epsilon)
            channels = range(group * size, (group + 1) * size)
            positions = [(iy, ix, c) for iy in range(h) for ix in range(w) for c in channels]
            xhat = {p: (x[n][p] - mean) / sigma for p in positions}
            dxhat = {p: g[n][p] * gamma[p[2]] for p in positions}
            mean_dxhat = sum(dxhat[p] for p in positions) / count
            mean_dxhat_xhat = sum(dxhat[p] * xhat[p] for p in positions) / count
            for p in positions:
                dx[n][p] = (dxhat[p] - mean_dxhat - xhat[p] * mean_dxhat_xhat) / sigma
                dgamma[p[2]] += g[n][p] * xhat[p]
                dbeta[p[2]] += g[n][p]
    return {"input": dx, "gamma": dgamma, "beta": dbeta}


def relu6_forward(x):
    y = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        y[index] = min(max(x[index], 0.0), 6.0)
    return y


def relu6_backward(x, g):
    dx = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        assert x[index] != 0.0 and x[index] != 6.0, "relu6 input on a kink"
        dx[index] = g[index] if 0.0 < x[index] < 6.0 else 0.0
    return {"input": dx}


def batch_norm_inference(y, gamma, beta, mean, variance, epsilon):
    out = np.zeros_like(y)
    for index in np.ndindex(y.shape):
        c = index[3]
        out[index] = gamma[c] * (y[index] - mean[c]) / math.sqrt(variance[c] + epsilon) + beta[c]
    return out


# ---------------------------------------------------------------------------------------------------------------
# Finite-difference check


def check_gradients(name, forward, arrays, g, analytic):
    """Central differences of loss = sum(forward(**arrays) * g) against analytic[key] for every key in analytic."""
    for key, gradient in analytic.items():
        base = arrays[key]
        assert gradient.shape == base.shape, (name, key)
        worst = 0.0
        for index in np.ndindex(base.shape):
            values = []
            for sign in (1.0, -1.0):
                perturbed = base.copy()
                perturbed[index] += sign * FD_STEP
                values.append(float(np.sum(forward(**dict(arrays, **{key: perturbed})) * g)))
            numeric = (values[0] - values[1]) / (2 * FD_STEP)
            worst = max(worst, abs(numeric - gradient[index]))
        if not worst <= FD_TOLERANCE:
            raise AssertionError(f"{name}: {key} gradient differs from central differences by {worst:.3g}")


# ---------------------------------------------------------------------------------------------------------------
# Cases


def normal(rng, shape, scale=1.0):
    """Standard normal values (times scale), rounded to float32 and held in float64."""
    return (scale * rng.standard_normal(shape)).astype(np.float32).astype(np.float64)


def flat(array):
    return [float(v) for v in np.asarray(array, dtype=np.float64).reshape(-1)]


def geometry_of(kernel, stride, padding, dilation=(1, 1)):
    return {"kernel": list(kernel), "stride": list(stride), "padding": list(padding), "dilation": list(dilation)}


def finish(case, rng, forward, arrays, parameters, backward):
    """Adds output, output_gradient and all gradients (checked by finite differences) to case."""
    y = forward(**arrays)
    g = normal(rng, y.shape)
    gradients = backward(g=g, **arrays)
    check_gradients(case["name"], forward, arrays, g, gradients)
    case["output_shape"] = list(y.shape[1:])
    case["output"] = flat(y)
    case["output_gradient"] = flat(g)
    case["input_gradient"] = flat(gradients["input"])
    for key in parameters:
        case[key + "_gradient"] = flat(gradients[key])
    return case


def base_case(layer, name, x, **fields):
    return dict({"layer": layer, "name": name, "batch": x.shape[0], "input_shape": list(x.shape[1:])}, **fields,
                input=flat(x))


def finish_named(case, rng, forward, backward, x, parameters, **options):
    """finish() for layers whose forward takes (x, *parameters, **options) and backward adds g."""
    names = list(parameters)

    def forward_arrays(input, **params):
        return forward(input, *[params[k] for k in names], **options)

    def backward_arrays(input, g, **params):
        return backward(input, *[params[k] for k in names], g=g, **options)

    return finish(case, rng, forward_arrays, dict({"input": x}, **parameters), names, backward_arrays)


def conv2d_case(rng, name, shape, oc, kernel, stride, padding, dilation=(1, 1)):
    x = normal(rng, (BATCH,) + shape)
    weight = normal(rng, (oc, kernel[0], kernel[1], shape[2]))
    bias = normal(rng, (oc,))
    geometry = geometry_of(kernel, stride, padding, dilation)
    case = base_case("conv2d", name, x, **geometry, weight=flat(weight), bias=flat(bias))
    return finish_named(case, rng, lambda x, w, b: conv2d_forward(x, w, b, geometry),
                        lambda x, w, b, g: conv2d_backward(x, w, b, geometry, g), x, {"weight": weight, "bias": bias})


def conv1d_case(rng, name, length, channels, oc, k, s, pad_left, pad_right, d):
    x = normal(rng, (BATCH, 1, length, channels))
    weight = normal(rng, (oc, 1, k, channels))
    bias = normal(rng, (oc,))
    geometry = geometry_of((1, k), (1, s), (0, pad_left, 0, pad_right), (1, d))
    case = base_case("conv1d", name, x, **geometry, weight=flat(weight), bias=flat(bias))
    return finish_named(case, rng, lambda x, w, b: conv2d_forward(x, w, b, geometry),
                        lambda x, w, b, g: conv2d_backward(x, w, b, geometry, g), x, {"weight": weight, "bias": bias})


def depthwise_case(rng, name, shape, multiplier, kernel, stride, padding, dilation=(1, 1)):
    x = normal(rng, (BATCH,) + shape)
    weight = normal(rng, (kernel[0], kernel[1], shape[2] * multiplier))
    bias = normal(rng, (shape[2] * multiplier,))
    geometry = geometry_of(kernel, stride, padding, dilation)
    case = base_case("depthwise", name, x, multiplier=multiplier, **geometry, weight=flat(weight), bias=flat(bias))
    return finish_named(case, rng, lambda x, w, b: depthwise_forward(x, w, b, geometry, multiplier),
                        lambda x, w, b, g: depthwise_backward(x, w, b, geometry, multiplier, g), x,
                        {"weight": weight, "bias": bias})


def max_pool_case(rng, name, shape, kernel, stride, padding):
    x = normal(rng, (BATCH,) + shape)
    geometry = geometry_of(kernel, stride, padding)
    case = base_case("max_pool", name, x, **geometry)
    return finish_named(case, rng, lambda x: max_pool_forward(x, geometry),
                        lambda x, g: max_pool_backward(x, geometry, g), x, {})


def avg_pool_case(rng, name, shape, kernel, stride, padding, count_padding):
    x = normal(rng, (BATCH,) + shape)
    geometry = geometry_of(kernel, stride, padding)
    case = base_case("avg_pool", name, x, **geometry, count_padding=count_padding)
    return finish_named(case, rng, lambda x: avg_pool_forward(x, geometry, count_padding),
                        lambda x, g: avg_pool_backward(x, geometry, count_padding, g), x, {})


def global_avg_pool_case(rng, name, shape):
    x = normal(rng, (BATCH,) + shape)
    case = base_case("global_avg_pool", name, x)
    return finish_named(case, rng, global_avg_pool_forward, lambda x, g: global_avg_pool_backward(x, g), x, {})


def group_norm_case(rng, name, shape, groups):
    assert shape[2] % groups == 0
    x = normal(rng, (BATCH,) + shape)
    gamma = normal(rng, (shape[2],))
    beta = normal(rng, (shape[2],))
    case = base_case("group_norm", name, x, groups=groups, epsilon=EPSILON, gamma=flat(gamma), beta=flat(beta))
    return finish_named(case, rng, lambda x, gm, bt: group_norm_forward(x, gm, bt, groups, EPSILON),
                        lambda x, gm, bt, g: group_norm_backward(x, gm, bt, groups, EPSILON, g), x,
                        {"gamma": gamma, "beta": beta})


def relu6_case(rng, name, shape):
    x = normal(rng, (BATCH,) + shape, scale=5.0)
    assert np.any(x < 0) and np.any(x > 6) and np.any((x > 0) & (x < 6))
    case = base_case("relu6", name, x)
    return finish_named(case, rng, relu6_forward, lambda x, g: relu6_backward(x, g), x, {})


def batch_norm_fold_case(rng, name, shape, oc, kernel, stride, padding):
    x = normal(rng, (BATCH,) + shape)
    weight = normal(rng, (oc, kernel[0], kernel[1], shape[2]))
    bias = normal(rng, (oc,))
    gamma = normal(rng, (oc,))
    beta = normal(rng, (oc,))
    mean = normal(rng, (oc,))
    variance = rng.uniform(0.5, 2.0, oc).astype(np.float32).astype(np.float64)
    geometry = geometry_of(kernel, stride, padding)
    y = batch_norm_inference(conv2d_forward(x, weight, bias, geometry), gamma, beta, mean, variance, EPSILON)
    case = base_case("batch_norm_fold", name, x, **geometry, weight=flat(weight), bias=flat(bias),
                     gamma=flat(gamma), beta=flat(beta), mean=flat(mean), variance=flat(variance), epsilon=EPSILON)
    case["output_shape"] = list(y.shape[1:])
    case["output"] = flat(y)
    return case


def cases(rng):
    return [
        conv2d_case(rng, "conv2d 3x3 stride 1 padding 1", (6, 5, 3), 4, (3, 3), (1, 1), (1, 1, 1, 1)),
        conv2d_case(rng, "conv2d 3x2 stride 2x3 asymmetric padding dilation 2x1", (7, 8, 2), 3, (3, 2), (2, 3),
                    (1, 0, 2, 1), (2, 1)),
        conv2d_case(rng, "conv2d 5x5 kernel covers input no padding", (5, 5, 1), 2, (5, 5), (1, 1), (0, 0, 0, 0)),
        conv2d_case(rng, "conv2d 1x1 pointwise", (4, 4, 5), 3, (1, 1), (1, 1), (0, 0, 0, 0)),
        conv1d_case(rng, "conv1d kernel 3 stride 1 padding 1", 12, 3, 4, 3, 1, 1, 1, 1),
        conv1d_case(rng, "conv1d kernel 5 stride 2 asymmetric padding 2/1 dilation 2", 16, 2, 3, 5, 2, 2, 1, 2),
        depthwise_case(rng, "depthwise 3x3 multiplier 1 stride 1 padding 1", (6, 6, 3), 1, (3, 3), (1, 1),
                       (1, 1, 1, 1)),
        depthwise_case(rng, "depthwise 3x3 multiplier 2 stride 2 asymmetric padding dilation 1x2", (7, 5, 2), 2,
                       (3, 3), (2, 2), (1, 1, 1, 0), (1, 2)),
        depthwise_case(rng, "depthwise 3x3 multiplier 2 stride 2 asymmetric padding dilation 1x2 wider input",
                       (7, 9, 2), 2, (3, 3), (2, 2), (1, 1, 1, 0), (1, 2)),
        max_pool_case(rng, "max_pool 2x2 stride 2", (6, 6, 2), (2, 2), (2, 2), (0, 0, 0, 0)),
        max_pool_case(rng, "max_pool 3x3 stride 2 padding 1", (7, 7, 3), (3, 3), (2, 2), (1, 1, 1, 1)),
        avg_pool_case(rng, "avg_pool 2x2 stride 2", (6, 6, 2), (2, 2), (2, 2), (0, 0, 0, 0), True),
        avg_pool_case(rng, "avg_pool 3x3 stride 2 padding 1 counting padding", (7, 7, 3), (3, 3), (2, 2),
                      (1, 1, 1, 1), True),
        avg_pool_case(rng, "avg_pool 3x3 stride 2 padding 1 not counting padding", (7, 7, 3), (3, 3), (2, 2),
                      (1, 1, 1, 1), False),
        global_avg_pool_case(rng, "global_avg_pool 5x4x3", (5, 4, 3)),
        group_norm_case(rng, "group_norm 3 groups of 2 channels", (4, 3, 6), 3),
        group_norm_case(rng, "group_norm 1 group", (3, 3, 4), 1),
        group_norm_case(rng, "group_norm 4 groups of 1 channel", (2, 2, 4), 4),
        relu6_case(rng, "relu6", (4, 4, 3)),
        batch_norm_fold_case(rng, "batch_norm_fold conv2d 3x3 stride 1 padding 1", (6, 5, 3), 4, (3, 3), (1, 1),
                             (1, 1, 1, 1)),
    ]


def main():
    rng = np.random.default_rng(SEED)
    all_cases = cases(rng)
    names = [case["name"] for case in all_cases]
    assert len(set(names)) == len(names), "case names must be unique"
    with open(OUT, "w") as f:
        json.dump({"seed": SEED, "cases": all_cases}, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
