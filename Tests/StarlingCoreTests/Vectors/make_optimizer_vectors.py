#!/usr/bin/env python3
"""Writes server_optimizer_vectors.json, the reference the ServerOptimizer tests compare against.

Run from anywhere (numpy only):

    python3 Tests/StarlingCoreTests/Vectors/make_optimizer_vectors.py

Each server optimizer is written out here again from its paper, in float64, independently of the Swift code:
Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2 (FedAdagrad, FedYogi, FedAdam: no bias
correction, m_{-1} = 0, v_{-1} = tau^2), and FedAvgM (Hsu, Qi & Brown 2019) with a server learning rate. Every
case runs several rounds on one random start, with pseudo-gradients of different scales so that FedYogi's sign
term takes both signs and the state carries over. Inputs are rounded to float32, so the Swift tests read exactly
the values used here.
"""

import json
import os

import numpy as np

SEED = 1337
DIMENSION = 9
# Scales of the pseudo-gradient per round; the tiny one makes v_{t-1} > delta_t^2 for FedYogi.
ROUND_SCALES = [0.1, 0.2, 0.05, 1e-3, 0.3, 0.1]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server_optimizer_vectors.json")

CASES = [
    {"name": "fedavg", "kind": "fedavg", "learningRate": 0.7, "beta1": 0.9, "beta2": 0.99, "tau": 1e-3},
    {"name": "fedavgm", "kind": "fedavgm", "learningRate": 0.5, "beta1": 0.9, "beta2": 0.99, "tau": 1e-3},
    {"name": "fedadam", "kind": "fedadam", "learningRate": 0.03, "beta1": 0.9, "beta2": 0.99, "tau": 1e-3},
    {"name": "fedadam large tau", "kind": "fedadam", "learningRate": 0.1, "beta1": 0.5, "beta2": 0.9, "tau": 0.2},
    {"name": "fedyogi", "kind": "fedyogi", "learningRate": 0.03, "beta1": 0.9, "beta2": 0.99, "tau": 1e-3},
    {"name": "fedyogi large tau", "kind": "fedyogi", "learningRate": 0.1, "beta1": 0.0, "beta2": 0.5, "tau": 0.1},
    {"name": "fedadagrad", "kind": "fedadagrad", "learningRate": 0.1, "beta1": 0.9, "beta2": 0.99, "tau": 1e-3},
    {"name": "fedadagrad large tau", "kind": "fedadagrad", "learningRate": 0.5, "beta1": 0.3, "beta2": 0.99,
     "tau": 0.05},
]


def run(case, x0, deltas):
    """The rounds of one case: x_{t+1}, m_t and v_t after each (empty lists for moments the kind keeps none of)."""
    kind, eta = case["kind"], case["learningRate"]
    beta1, beta2, tau = case["beta1"], case["beta2"], case["tau"]
    x = x0.astype(np.float64)
    m = np.zeros_like(x)
    v = np.full_like(x, tau ** 2)
    rounds = []
    for delta in deltas.astype(np.float64):
        if kind == "fedavg":
            x = x + eta * delta
        elif kind == "fedavgm":
            m = beta1 * m + delta
            x = x + eta * m
        else:
            m = beta1 * m + (1 - beta1) * delta
            if kind == "fedadagrad":
                v = v + delta ** 2
            elif kind == "fedyogi":
                v = v - (1 - beta2) * delta ** 2 * np.sign(v - delta ** 2)
            else:
                v = beta2 * v + (1 - beta2) * delta ** 2
            x = x + eta * m / (np.sqrt(v) + tau)
        rounds.append({
            "x": x.tolist(),
            "m": m.tolist() if kind != "fedavg" else [],
            "v": v.tolist() if kind not in ("fedavg", "fedavgm") else [],
        })
    return rounds


def main():
    rng = np.random.default_rng(SEED)
    x0 = rng.standard_normal(DIMENSION).astype(np.float32)
    deltas = np.stack([scale * rng.standard_normal(DIMENSION) for scale in ROUND_SCALES]).astype(np.float32)
    document = {
        "generator": "Tests/StarlingCoreTests/Vectors/make_optimizer_vectors.py",
        "seed": SEED,
        "x0": x0.astype(np.float64).tolist(),
        "deltas": deltas.astype(np.float64).tolist(),
        "cases": [dict(case, rounds=run(case, x0, deltas)) for case in CASES],
    }
    with open(OUT, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
