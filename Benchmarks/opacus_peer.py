#!/usr/bin/env python3
"""Opacus peer for `starling-bench --suite dp`: the cost of DP-SGD in PyTorch with Opacus.

For the MLPs 64-32-10 and 784-128-64-10 (ReLU hidden layers, cross-entropy, SGD with lr 0.01 and
no momentum, one fixed batch of 64 seeded N(0, 1) inputs and labels, torch.set_num_threads(1)) it
measures examples per second of:
  plain_step_<arch>        a plain PyTorch step: zero_grad, forward, loss, backward, SGD step;
  dp_step_<arch>           an Opacus DP-SGD step (PrivacyEngine.make_private, default
                           grad_sample_mode="hooks": per-example gradients materialised by module
                           hooks, clipped to C = 1, N(0, σ²C²) noise with σ = 1, divided by 64);
  dp_step_ghost_<arch>     the same with grad_sample_mode="ghost" (fast gradient clipping: the
                           per-example norms from a first backward pass, the clipped sum from a
                           second), when the installed Opacus supports it;
and the time of one step's noise alone (dp_noise_<arch>, us: Opacus's own _generate_noise over
every parameter), plus the ratios DP time per step / plain time per step (dp_step_cost_<arch>,
dp_step_cost_ghost_<arch>, "x"). Every figure is the best of several runs of many steps, the
variants timed in turn in each round, as starling-bench measures. Batches are fixed
(poisson_sampling=False) so both sides do identical work per step; Opacus draws its noise from
torch's default generator (secure_mode=False), Starling from AES-CTR.

Prints one JSON line per figure with "peer": "opacus-<version>". With --starling FILE (the JSON
lines of `starling-bench --suite dp`) it also prints comparison lines: Starling's DP-SGD examples/s
against Opacus's (ratio = Starling / Opacus, higher is better) and Starling's DP step cost against
Opacus's (ratio = Starling / Opacus, lower is better).
"""
import argparse
import importlib.metadata
import json
import sys
import time

import torch
from opacus import PrivacyEngine
from opacus.optimizers.optimizer import _generate_noise
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

BATCH = 64
CLIP_NORM = 1.0
NOISE_MULTIPLIER = 1.0
LEARNING_RATE = 0.01
ARCHITECTURES = ["64-32-10", "784-128-64-10"]
VERSION = importlib.metadata.version("opacus")
PEER = f"opacus-{VERSION}"


def emit(metric, value, unit, bench="dpsgd", **extra):
    line = {"bench": bench, "metric": metric, "value": value, "unit": unit}
    line.update({key: value for key, value in extra.items() if value is not None})
    print(json.dumps(line), flush=True)


def mlp(sizes):
    layers = []
    for index, (inputs, outputs) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(inputs, outputs))
        if index < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def interleaved_throughput(calls, repeats, steps):
    """Examples per second of each step function: the best of `repeats` rounds that each time every
    step for `calls` calls in turn, after calls // 4 + 1 warm-up calls, so load from other processes
    falls on every step alike (starling-bench --suite dp times its steps the same way)."""
    for step in steps.values():
        for _ in range(calls // 4 + 1):
            step()
    best = dict.fromkeys(steps, 0.0)
    for _ in range(repeats):
        for key, step in steps.items():
            start = time.perf_counter()
            for _ in range(calls):
                step()
            best[key] = max(best[key], BATCH * calls / (time.perf_counter() - start))
    return best


def training_step(sizes, features, labels, mode):
    """One SGD step on the fixed batch: plain PyTorch when `mode` is None, else Opacus DP-SGD with
    `mode` per-example gradients. Every model starts from the same seeded weights."""
    torch.manual_seed(42)
    model = mlp(sizes)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    criterion = nn.CrossEntropyLoss()
    if mode is not None:
        loader = DataLoader(TensorDataset(features, labels), batch_size=BATCH)
        made = PrivacyEngine().make_private(
            module=model, optimizer=optimizer, data_loader=loader, criterion=criterion,
            noise_multiplier=NOISE_MULTIPLIER, max_grad_norm=CLIP_NORM, poisson_sampling=False,
            grad_sample_mode=mode)
        model, optimizer = made[0], made[1]
        if len(made) == 4:
            criterion = made[2]

    def step():
        optimizer.zero_grad()
        loss = criterion(model(features), labels)
        loss.backward()
        optimizer.step()

    return step


def measure(text, quick):
    sizes = [int(size) for size in text.split("-")]
    name = text.replace("-", "_")
    generator = torch.Generator().manual_seed(44)
    features = torch.randn(BATCH, sizes[0], generator=generator)
    labels = torch.randint(0, sizes[-1], (BATCH,), generator=generator)
    parameter_count = sum(inputs * outputs + outputs for inputs, outputs in zip(sizes, sizes[1:]))
    calls = (2000 if parameter_count < 10_000 else 200) // (10 if quick else 1)
    repeats = 3 if quick else 9
    setting = (f"{text} ReLU, batch {BATCH}, SGD lr {LEARNING_RATE}, torch {torch.__version__}, 1 thread, "
               f"best of {repeats} x {calls} steps, interleaved")

    steps = {"plain": training_step(sizes, features, labels, None)}
    for mode in ("hooks", "ghost"):
        try:
            steps[mode] = training_step(sizes, features, labels, mode)
        except ValueError as error:
            print(f"[opacus-peer] grad_sample_mode={mode} unavailable in Opacus {VERSION}: {error}", file=sys.stderr)
    reference = torch.zeros(parameter_count)
    steps["noise"] = lambda: _generate_noise(NOISE_MULTIPLIER * CLIP_NORM, reference)
    rates = interleaved_throughput(calls, repeats, steps)

    emit(f"plain_step_{name}", rates["plain"], "examples/s", peer=PEER,
         note=f"plain PyTorch zero_grad + forward + backward + SGD step; {setting}")
    for mode, suffix in (("hooks", ""), ("ghost", "_ghost")):
        if mode not in rates:
            continue
        emit(f"dp_step{suffix}_{name}", rates[mode], "examples/s", peer=PEER,
             note=f"Opacus make_private grad_sample_mode={mode}, C {CLIP_NORM}, sigma {NOISE_MULTIPLIER}, "
                  f"fixed batches, secure_mode=False; {setting}")
        emit(f"dp_step_cost{suffix}_{name}", rates["plain"] / rates[mode], "x", peer=PEER,
             note=f"Opacus ({mode}) DP-SGD time per step / plain PyTorch time per step, same batch")
    emit(f"dp_noise_{name}", 1e6 * BATCH / rates["noise"], "us", peer=PEER,
         note=f"Opacus _generate_noise over all {parameter_count} parameters (torch default generator)")
    return rates


def read_starling(path):
    """`starling-bench --suite dp` JSON lines of the dpsgd bench, by metric."""
    figures = {}
    with open(path) as handle:
        for line in handle:
            if line.strip():
                entry = json.loads(line)
                if entry.get("bench") == "dpsgd":
                    figures[entry["metric"]] = entry["value"]
    return figures


def compare(name, rates, starling):
    """Starling's DP-SGD figures of the same setting against Opacus's."""
    mine = starling.get(f"dp_step_{name}")
    cost = starling.get(f"dp_step_cost_{name}")
    for mode, suffix in (("hooks", ""), ("ghost", "_ghost")):
        if mode not in rates:
            continue
        if mine is not None:
            emit(f"dp_step_{name}_vs_opacus{suffix}", mine, "examples/s", peer=PEER, ratio=mine / rates[mode],
                 note=f"Starling DP-SGD examples/s / Opacus ({mode}) DP-SGD examples/s; higher is better")
        if cost is not None:
            opacus_cost = rates["plain"] / rates[mode]
            emit(f"dp_step_cost_{name}_vs_opacus{suffix}", cost, "x", peer=PEER, ratio=cost / opacus_cost,
                 note=f"Starling DP step cost / Opacus ({mode}) DP step cost ({opacus_cost:.2f}x); lower is better")
    plain = starling.get(f"plain_step_{name}")
    if plain is not None:
        emit(f"plain_step_{name}_vs_pytorch", plain, "examples/s", peer=PEER, ratio=plain / rates["plain"],
             note="Starling plain SGD examples/s / PyTorch plain SGD examples/s; higher is better")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starling", help="starling-bench --suite dp JSON lines, for the comparison lines")
    parser.add_argument("--quick", action="store_true", help="a tenth of the steps, 3 runs instead of 9")
    args = parser.parse_args()
    torch.set_num_threads(1)
    starling = read_starling(args.starling) if args.starling else {}
    emit("opacus_version", 0, "version", bench="environment", peer=PEER,
         note=f"opacus {VERSION}, torch {torch.__version__}, {torch.get_num_threads()} intra-op thread, "
              f"Python {sys.version.split()[0]}")
    for text in ARCHITECTURES:
        rates = measure(text, args.quick)
        compare(text.replace("-", "_"), rates, starling)


if __name__ == "__main__":
    main()
