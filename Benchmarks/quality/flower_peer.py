"""Flower's FedAvg and FedAdam on the quality benchmark's datasets and partitions: the accuracy
Flower's server strategies reach with the same model, devices and local training as Starling.

What runs is Flower's own code (the pinned flwr release installed by quality_peers.sh):
  * server: flwr.server.strategy.FedAvg and flwr.server.strategy.FedAdam (Reddi et al. 2021,
    "Adaptive Federated Optimization", arXiv:2003.00295), driven in-process round by round the
    way flwr.server.Server.fit drives them: initialize_parameters, then per round
    configure_fit (every device, fraction_fit 1.0, sampled through a SimpleClientManager),
    each device's fit, aggregate_fit, and the strategy's evaluate (its evaluate_fn scores the
    global model on test.csv). Unlike Server.fit, the devices' fits run one after another and
    the results reach aggregate_fit in device order, so that every figure is reproducible to
    the bit (Server.fit collects them from a thread pool in completion order). No federated
    evaluation, no Ray: flwr.simulation would add a Ray cluster and nothing to the arithmetic.
  * devices: a flwr.client.NumPyClient per device, wrapped by Flower's to_client() (which
    turns Parameters into arrays and back with Flower's serialisation) behind a minimal
    in-process ClientProxy.

Model: the benchmark's <D>-64-<K> MLP in numpy float32: x W1 + b1, ReLU, W2 + b2, softmax
cross-entropy (mean over the batch). He initialisation, W ~ N(0, 2 / fan_in), biases 0, drawn once
per dataset from numpy.random.default_rng([seed, zlib.crc32(dataset)]), the same for every
partition and strategy. Local training on each device per round: --epochs passes over its rows,
each in the order of a fresh permutation, batches of --batch-size rows (the last one smaller),
SGD with momentum in PyTorch's form (v = momentum * v + g; w -= lr * v), the velocity starting at
zero every round, no weight decay; generator numpy.random.default_rng([seed, round, device]).
Devices send back their weights and row counts; FedAvg weights by rows. Defaults: 2 epochs,
batch 32, lr 0.05, momentum 0.9, 20 rounds, every device every round.

FedAdam: Flower's defaults, eta 0.1, beta_1 0.9, beta_2 0.99, tau 1e-9, unless overridden
(--eta, --beta1, --beta2, --tau). FedAdam's eta_l is only stored by Flower; it is set to --lr,
which is what the devices use. Flower's FedAdam returns float64 weights (its bias-corrected step
size is a numpy float64); the devices and the evaluation cast them to float32.

Preprocessing: the dataset's preprocessing.json (written by centralised.py: the centralised
reference's transform fitted on all train rows, a fleet-wide feature profile), applied to every
device's rows and to test.csv.

Prints one JSON line per (dataset, partition, strategy) on stdout:
    {"bench":"quality","dataset":"digits","partition":"dirichlet0.5-8",
     "peer":"flower-1.41.0-fedavg","accuracy":0.95,"rounds":20,"accuracy_by_round":[...20],
     "train_loss_by_round":[...20],"diverged":false,"preprocessing":"standard",
     "local":{"epochs":2,"batch_size":32,"lr":0.05,"momentum":0.9},
     "server":{...FedAdam's eta, beta_1, beta_2, tau}}
accuracy is the test accuracy of the global model after the last round; train_loss_by_round the
mean over each device's batches of that round's local training, averaged over devices weighted
by rows. If the devices' loss or the global
weights become non-finite, the run stops there: "diverged":true, "accuracy":null, and the lists
end at the last finite round. Runs are spread over --workers processes (default: all cores);
lines come out in a fixed order. All 60 runs take 40-85 s on 2 cores, free or shared (images
dominates, 3-9 s a run).

Usage: flower_peer.py --data DIR [--rounds 20] [--only NAME ...] [--partitions P ...]
       [--strategies fedavg fedadam] [--epochs 2] [--batch-size 32] [--lr 0.05]
       [--momentum 0.9] [--eta 0.1] [--beta1 0.9] [--beta2 0.99] [--tau 1e-9] [--workers N]
"""

from __future__ import annotations

import os

# One BLAS thread per process: the matrices are small and --workers runs use the cores.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse
import importlib.metadata
import json
import logging
import multiprocessing
import random
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from flwr.client import NumPyClient
from flwr.common import (
    DisconnectRes,
    EvaluateIns,
    EvaluateRes,
    FitIns,
    FitRes,
    GetParametersIns,
    GetParametersRes,
    GetPropertiesIns,
    GetPropertiesRes,
    ReconnectIns,
    ndarrays_to_parameters,
    parameters_to_ndarrays,
)
from flwr.server.client_manager import SimpleClientManager
from flwr.server.client_proxy import ClientProxy
from flwr.server.strategy import FedAdam, FedAvg

from tables import apply_preprocessing, read_dataset, read_partition, read_preprocessing

DATASETS = ("digits", "breast_cancer", "wine", "images", "telemetry")
PARTITIONS = ("iid-8", "dirichlet0.5-8", "dirichlet0.1-8", "iid-32", "dirichlet0.5-32", "dirichlet0.1-32")
HIDDEN = 64


# The model: <D>-64-<K>, ReLU, softmax cross-entropy; parameters [W1, b1, W2, b2] in float32.


def he_initialisation(width: int, classes: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [
        (rng.standard_normal((width, HIDDEN)) * np.sqrt(2.0 / width)).astype(np.float32),
        np.zeros(HIDDEN, dtype=np.float32),
        (rng.standard_normal((HIDDEN, classes)) * np.sqrt(2.0 / HIDDEN)).astype(np.float32),
        np.zeros(classes, dtype=np.float32),
    ]


def logits(parameters: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    w1, b1, w2, b2 = parameters
    return np.maximum(x @ w1 + b1, 0.0) @ w2 + b2


def loss_and_gradients(parameters: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Mean softmax cross-entropy over the batch and its gradients."""
    w1, b1, w2, b2 = parameters
    hidden = np.maximum(x @ w1 + b1, 0.0)
    z = hidden @ w2 + b2
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    loss = -float(log_p[rows, y].mean())
    d_z = np.exp(log_p)
    d_z[rows, y] -= 1.0
    d_z /= len(y)
    d_hidden = (d_z @ w2.T) * (hidden > 0.0)
    return loss, [x.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ d_z, d_z.sum(axis=0)]


def train_locally(
    parameters: list[np.ndarray], x: np.ndarray, y: np.ndarray, config: dict, rng: np.random.Generator
) -> tuple[list[np.ndarray], float]:
    """config's epochs of momentum SGD over (x, y); returns the weights and the mean batch loss."""
    parameters = [p.astype(np.float32) for p in parameters]
    velocity = [np.zeros_like(p) for p in parameters]
    lr, momentum, batch = np.float32(config["lr"]), np.float32(config["momentum"]), int(config["batch_size"])
    losses = []
    for _ in range(int(config["epochs"])):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            rows = order[start : start + batch]
            loss, gradients = loss_and_gradients(parameters, x[rows], y[rows])
            losses.append(loss)
            for p, v, g in zip(parameters, velocity, gradients):
                v *= momentum
                v += g
                p -= lr * v
    return parameters, float(np.mean(losses))


class Device(NumPyClient):
    """One device: its rows of train.csv, preprocessed, training the global model locally."""

    def __init__(self, index: int, x: np.ndarray, y: np.ndarray, seed: int) -> None:
        self.index, self.x, self.y, self.seed = index, x, y, seed

    def fit(self, parameters, config):
        rng = np.random.default_rng([self.seed, int(config["round"]), self.index])
        trained, loss = train_locally(parameters, self.x, self.y, config, rng)
        return trained, len(self.y), {"loss": loss}


class InProcessClientProxy(ClientProxy):
    """Hands the strategy's instructions straight to a device's Flower Client, in this process."""

    def __init__(self, cid: str, device: Device) -> None:
        super().__init__(cid)
        self.client = device.to_client()

    def fit(self, ins: FitIns, timeout: float | None, group_id: int | None) -> FitRes:
        return self.client.fit(ins)

    def get_properties(self, ins: GetPropertiesIns, timeout, group_id) -> GetPropertiesRes:
        raise NotImplementedError("the quality benchmark only fits")

    def get_parameters(self, ins: GetParametersIns, timeout, group_id) -> GetParametersRes:
        raise NotImplementedError("the strategies start from initial_parameters")

    def evaluate(self, ins: EvaluateIns, timeout, group_id) -> EvaluateRes:
        raise NotImplementedError("fraction_evaluate is 0: the server evaluates on test.csv")

    def reconnect(self, ins: ReconnectIns, timeout, group_id) -> DisconnectRes:
        return DisconnectRes(reason="")


def weighted_loss(metrics: list[tuple[int, dict]]) -> dict:
    rows = sum(n for n, _ in metrics)
    return {"loss": sum(n * m["loss"] for n, m in metrics) / rows}


def run(job: tuple) -> dict:
    """One (dataset, partition, strategy) run: `rounds` rounds of Flower's strategy."""
    data, name, partition, strategy_name, args = job
    started = time.perf_counter()
    folder = data / name
    meta, (x_train, y_train), (x_test, y_test) = read_dataset(folder)
    transform = read_preprocessing(folder)
    x_train = apply_preprocessing(transform, x_train).astype(np.float32)
    x_test = apply_preprocessing(transform, x_test).astype(np.float32)
    device_of_row = read_partition(folder / "partitions" / f"{partition}.txt", len(y_train))
    devices = int(device_of_row.max()) + 1

    manager = SimpleClientManager()
    for index in range(devices):
        mine = device_of_row == index
        manager.register(InProcessClientProxy(str(index), Device(index, x_train[mine], y_train[mine], args.seed)))

    def evaluate(server_round, ndarrays, config):
        parameters = [p.astype(np.float32) for p in ndarrays]
        predicted = logits(parameters, x_test).argmax(axis=1)
        return 0.0, {"accuracy": float((predicted == y_test).mean())}

    local = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "momentum": args.momentum}
    initial = he_initialisation(meta["width"], meta["classes"], np.random.default_rng([args.seed, zlib.crc32(name.encode())]))
    common = dict(
        fraction_fit=1.0,
        fraction_evaluate=0.0,
        min_fit_clients=devices,
        min_available_clients=devices,
        evaluate_fn=evaluate,
        on_fit_config_fn=lambda server_round: {**local, "round": server_round},
        accept_failures=False,
        initial_parameters=ndarrays_to_parameters(initial),
        fit_metrics_aggregation_fn=weighted_loss,
    )
    server = {}
    if strategy_name == "fedavg":
        strategy = FedAvg(**common)
    else:
        server = {"eta": args.eta, "beta_1": args.beta1, "beta_2": args.beta2, "tau": args.tau}
        strategy = FedAdam(**common, eta_l=args.lr, **server)

    random.seed(args.seed)  # SimpleClientManager.sample draws with the random module
    parameters = strategy.initialize_parameters(manager)
    accuracies, losses, diverged = [], [], False
    for server_round in range(1, args.rounds + 1):
        instructions = strategy.configure_fit(server_round, parameters, manager)
        if len(instructions) != devices:
            raise RuntimeError(f"configure_fit chose {len(instructions)} of {devices} devices")
        instructions.sort(key=lambda pair: int(pair[0].cid))
        results = [(proxy, proxy.fit(ins, None, server_round)) for proxy, ins in instructions]
        aggregated, metrics = strategy.aggregate_fit(server_round, results, [])
        if aggregated is None:
            raise RuntimeError(f"aggregate_fit returned no parameters in round {server_round}")
        finite = np.isfinite(metrics["loss"]) and all(np.isfinite(a).all() for a in parameters_to_ndarrays(aggregated))
        if not finite:
            diverged = True
            break
        parameters = aggregated
        _, evaluation = strategy.evaluate(server_round, parameters)
        accuracies.append(round(evaluation["accuracy"], 4))
        losses.append(round(metrics["loss"], 5))

    line = {
        "bench": "quality",
        "dataset": name,
        "partition": partition,
        "peer": f"flower-{importlib.metadata.version('flwr')}-{strategy_name}",
        "accuracy": None if diverged else accuracies[-1],
        "rounds": len(accuracies),
        "accuracy_by_round": accuracies,
        "train_loss_by_round": losses,
        "diverged": diverged,
        "preprocessing": transform["name"],
        "local": local,
        "seed": args.seed,
    }
    if server:
        line["server"] = server
    line["_seconds"] = time.perf_counter() - started
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, required=True, help="folder written by make_datasets.py and centralised.py")
    parser.add_argument("--only", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--partitions", nargs="+", choices=PARTITIONS, default=list(PARTITIONS))
    parser.add_argument("--strategies", nargs="+", choices=["fedavg", "fedadam"], default=["fedavg", "fedadam"])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=2, help="local epochs per round")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05, help="local SGD learning rate")
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--eta", type=float, default=0.1, help="FedAdam server learning rate")
    parser.add_argument("--beta1", type=float, default=0.9)
    parser.add_argument("--beta2", type=float, default=0.99)
    parser.add_argument("--tau", type=float, default=1e-9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    logging.getLogger("flwr").setLevel(logging.WARNING)

    for name in args.only:
        for needed in ("meta.json", "preprocessing.json"):
            if not (args.data / name / needed).exists():
                parser.error(f"{args.data / name / needed} is missing: run make_datasets.py and centralised.py first")

    jobs = [(args.data, n, p, s, args) for n in args.only for p in args.partitions for s in args.strategies]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        try:
            for future in futures:
                report(future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    print(f"{len(jobs)} runs in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def report(line: dict) -> None:
    seconds = line.pop("_seconds")
    print(json.dumps(line), flush=True)
    print(
        f"{line['dataset']} {line['partition']} {line['peer']}: "
        + ("diverged" if line["diverged"] else f"accuracy {line['accuracy']:.4f}")
        + f" after {line['rounds']} rounds ({seconds:.1f} s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
