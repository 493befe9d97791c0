"""Flower's SecAgg+ measured in the setting of Starling's secure aggregation benchmark.

Runs Flower's own SecAgg+ code (the pinned `flwr` release installed by flower_secagg.sh) in
one process and prints one JSON line per figure on stdout:
    {"bench":"secagg","metric":...,"value":...,"unit":...,"peer":"flower-<version>"}
Progress and per-stage breakdowns go to stderr.

Setting (the same as Starling's figures): vectors of P float32 values, clipping range 1.0,
modulus 2^32; n clients; k = min(n-1, smallest even integer >= 3*log2(n)) neighbours per client
(n=100 -> 20, n=1000 -> 30); each client's secrets are split into k+1 shares held by its
neighbourhood including itself; reconstruction threshold ceil(2*(k+1)/3) (n=100 -> 14,
n=1000 -> 21); "10% dropout" = 10% of the clients, chosen with a fixed seed, vanish after
sharing keys and before sending their masked input, so the server must rebuild their pairwise
masks. Values are quantised into 2^(32 - bitlength(n)) levels (2^25 for n=100, 2^22 for
n=1000), the same budget Starling's fixed-point codec uses, so the cohort's sum cannot wrap.

What runs, unchanged, is Flower's code:
  * server: flwr.server.workflow.secure_aggregation.secaggplus_workflow.SecAggPlusWorkflow,
    its four steps called in order (setup_stage, share_keys_stage,
    collect_masked_vectors_stage, unmask_stage) with a LegacyContext holding a FedAvg
    strategy and a SimpleClientManager of GridClientProxy objects, exactly as the workflow's
    own __call__ does;
  * clients: flwr.clientapp.ClientApp(client_fn, mods=[secaggplus_mod]) with
    flwr.client.mod.secure_aggregation.secaggplus_mod.secaggplus_mod, one Context per node;
    the client's fit returns its seeded float32 vector with num_examples = 1;
  * between them an in-process Grid (InProcessGrid below) stands in for the network: it
    pickles every message both ways (so each side gets its own copy, as over the wire), runs
    the ClientApp of each addressed node, and drops the replies of nodes that have dropped out.
    Client work is spread over --workers processes (default: all cores), as SuperNodes run in
    parallel; the server side is Flower's single-threaded workflow.

Figures:
  client_mask_p{P}_k{k} (ms), P in {100000, 1000000}, k in {8, 16, 32}: one client's
      'collect masked vectors' stage inside secaggplus_mod, i.e. the function
      _collect_masked_vectors (decrypting the k received share envelopes, the self mask, k key
      agreements, k pairwise masks, the reduction mod 2^32 and serialising the result) less
      the time of its quantize call (encoding, logged separately); median over --samples
      clients of a cohort of n = k+1 (every client is every other's neighbour), run one at a
      time. Training and message handling around the stage are excluded.
  server_unmask_n{n}_p100000_drop{0|10} (s): SecAggPlusWorkflow.unmask_stage minus the time
      spent inside the Grid (the clients answering the unmask request) and inside
      FedAvg.aggregate_fit: Shamir reconstruction of every needed secret, regenerating and
      removing the self masks of survivors and the pairwise masks of dropped clients,
      dequantising.
  end_to_end_n{n}_p100000_drop10 (s): the whole protocol for all n clients and the server,
      the four workflow steps back to back, including each client's fit (generating its
      vector) and the pickling of messages.
  flower_engine_round_n10_p100000 (s), only with --engine: one SecAgg+ fit round (the same
      workflow inside DefaultWorkflow) in Flower's own Simulation Engine (Ray, one CPU per
      client), 10 clients on the full graph (k=9, 10 shares, threshold 7).
  Every in-process run checks the unmasked mean against the mean of the survivors' vectors.

Seeds are fixed (node ids, vectors, dropouts, neighbour shuffle, stochastic rounding); the
keys and self-mask seeds come from Flower's os.urandom-based generation, so figures vary by a
few per cent between runs.

Duration on a 2-core machine (flwr 1.41.0): client masks ~20 s; n=100 runs ~15 s each; n=1000
runs ~5 min each (about 2 min of clients splitting secrets with Shamir in 'share keys', 2 min
of server Shamir reconstruction in 'unmask'); about 11 minutes in all. --quick skips n=1000
(under a minute); --skip-clients and --skip-server select parts; --engine adds ~15 s.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import logging
import math
import multiprocessing as mp
import os
import pickle
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

import flwr
from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.client import NumPyClient
from flwr.client.mod.secure_aggregation.secaggplus_mod import secaggplus_mod
from flwr.clientapp import ClientApp
from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS, Key, Stage
from flwr.compat.common import recorddict_compat as compat
from flwr.server.client_manager import SimpleClientManager
from flwr.server.compat.grid_client_proxy import GridClientProxy
from flwr.server.compat.legacy_context import LegacyContext
from flwr.server.server_config import ServerConfig
from flwr.server.strategy import FedAvg
from flwr.server.workflow.constant import MAIN_CONFIGS_RECORD, MAIN_PARAMS_RECORD
from flwr.server.workflow.constant import Key as WorkflowKey
from flwr.server.workflow.secure_aggregation.secaggplus_workflow import (
    SecAggPlusWorkflow,
    WorkflowState,
)
from flwr.serverapp.grid import Grid
from flwr.supercore.task_identity import TaskIdentity

# The modules themselves (their packages re-export functions under the same names).
mod_module = importlib.import_module("flwr.client.mod.secure_aggregation.secaggplus_mod")
wf_module = importlib.import_module("flwr.server.workflow.secure_aggregation.secaggplus_workflow")

try:
    from flwr.supercore.logger import FLOWER_LOGGER
except ImportError:  # older layouts
    FLOWER_LOGGER = logging.getLogger("flwr")

VERSION = importlib.metadata.version("flwr")
PEER = f"flower-{VERSION}"
RUN_ID = 1
SERVER_NODE_ID = 0
SEED = 20240607
CLIPPING_RANGE = 1.0
MODULUS = 2**32


def log(message: str) -> None:
    print(f"[flower-secagg] {message}", file=sys.stderr, flush=True)


# Starling's figures of the same run (--starling), for the comparison lines.
STARLING: dict = {}


def emit(metric: str, value: float, unit: str) -> None:
    """Prints Flower's figure and, when Starling measured the same one, Starling's against it."""
    print(json.dumps({"bench": "secagg", "metric": metric, "value": round(value, 4), "unit": unit, "peer": PEER}), flush=True)
    mine = STARLING.get(metric)
    if mine is None:
        return
    if mine["unit"] != unit:
        raise RuntimeError(f"{metric}: Starling reports {mine['unit']}, Flower {unit}")
    note = f"Starling time / Flower time; Starling is {value / mine['value']:.1f}x faster"
    if metric.startswith("end_to_end"):
        note += "; target ratio <= 0.1"
    print(json.dumps({"bench": "secagg", "metric": f"{metric}_vs_flower", "value": mine["value"], "unit": unit,
                      "peer": PEER, "ratio": round(mine["value"] / value, 4), "note": note}), flush=True)


def read_starling(path: str) -> dict:
    """starling-bench --suite secagg JSON lines, by metric."""
    figures = {}
    with open(path) as handle:
        for line in handle:
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("bench") == "secagg" and "peer" not in entry:
                    figures[entry["metric"]] = entry
    return figures


def neighbour_count(n: int) -> int:
    wanted = math.ceil(3 * math.log2(n))
    return min(n - 1, wanted + wanted % 2)


def share_threshold(k: int) -> int:
    return math.ceil(2 * (k + 1) / 3)


def quantisation_range(n: int) -> int:
    return 2 ** (32 - n.bit_length())


def client_vector(nid: int, length: int) -> np.ndarray:
    """The seeded update of node `nid`: `length` float32 values uniform in [-1, 1]."""
    return np.random.default_rng([SEED, nid]).uniform(-1.0, 1.0, length).astype(np.float32)


# --------------------------------------------------------------------------------------------
# Client side: Flower's ClientApp with secaggplus_mod, one Context per node.


class VectorClient(NumPyClient):
    def __init__(self, nid: int) -> None:
        self.nid = nid

    def fit(self, parameters, config):  # noqa: ANN001
        length = parameters[0].size
        return [client_vector(self.nid, length)], 1, {}


def client_fn(context: Context):  # noqa: ANN201
    return VectorClient(context.node_id).to_client()


CLIENT_APP = ClientApp(client_fn=client_fn, mods=[secaggplus_mod])

# Time spent in secaggplus_mod's stage functions, per call (filled when timing is on).
STAGE_TIMES: dict[str, list[float]] = defaultdict(list)


def _timed(name: str, function):  # noqa: ANN001, ANN202
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            STAGE_TIMES[name].append(time.perf_counter() - start)

    wrapper.__wrapped__ = function
    return wrapper


def instrument(module, names: Iterable[str], prefix: str) -> None:  # noqa: ANN001
    """Wraps module-level functions of a Flower module (looked up at call time) with timers."""
    for name in names:
        original = getattr(module, name)
        original = getattr(original, "__wrapped__", original)
        setattr(module, name, _timed(f"{prefix}{name}", original))


def handle(job: bytes) -> bytes:
    """One node handling one message: what a SuperNode does with a delivered message."""
    message, context = pickle.loads(job)
    reply = CLIENT_APP(message, context)
    return pickle.dumps((reply, context), protocol=pickle.HIGHEST_PROTOCOL)


def _worker_init(seed: int) -> None:
    np.random.seed(seed + os.getpid() % 1000)
    random.seed(seed)
    TaskIdentity.run_id = RUN_ID
    TaskIdentity.node_id = SERVER_NODE_ID
    TaskIdentity.task_id = 1
    FLOWER_LOGGER.setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------------
# The network, in process.


class InProcessGrid(Grid):
    """Delivers each message to the addressed node's ClientApp and returns the replies.

    Messages and replies are pickled both ways. `dropouts[stage]` lists nodes that vanish when
    asked for that stage: they are not run and send no reply, as after a time-out.
    """

    def __init__(self, node_ids: list[int], workers: int, pool) -> None:  # noqa: ANN001
        self.node_ids = node_ids
        self.contexts = {
            nid: Context(run_id=RUN_ID, node_id=nid, node_config={}, state=RecordDict(), run_config={})
            for nid in node_ids
        }
        self.workers = workers
        self.pool = pool
        self.dropouts: dict[str, set[int]] = {}
        self.gone: set[int] = set()
        self.seconds = 0.0
        self._run = None

    # Grid's abstract interface (only send_and_receive is used by the workflow).
    def set_run(self, run) -> None:  # noqa: ANN001
        self._run = run

    @property
    def run(self):  # noqa: ANN201
        return self._run

    def create_message(self, content, message_type, dst_node_id, group_id, ttl=None):  # noqa: ANN001, ANN201
        return Message(content=content, dst_node_id=dst_node_id, message_type=message_type, group_id=group_id, ttl=ttl)

    def get_node_ids(self) -> Iterable[int]:
        return list(self.node_ids)

    def push_messages(self, messages):  # noqa: ANN001, ANN201
        raise NotImplementedError

    def pull_messages(self, message_ids):  # noqa: ANN001, ANN201
        raise NotImplementedError

    def send_and_receive(self, messages: Iterable[Message], *, timeout: float | None = None) -> Iterable[Message]:
        start = time.perf_counter()
        jobs = []
        for message in messages:
            nid = message.metadata.dst_node_id
            stage = message.content.config_records[RECORD_KEY_CONFIGS][Key.STAGE]
            self.gone |= self.dropouts.get(stage, set())
            if nid in self.gone:
                continue
            jobs.append((nid, pickle.dumps((message, self.contexts[nid]), protocol=pickle.HIGHEST_PROTOCOL)))
        if self.pool is not None and len(jobs) > 1:
            chunk = max(1, len(jobs) // (self.workers * 8))
            results = self.pool.map(handle, [job for _, job in jobs], chunksize=chunk)
        else:
            results = [handle(job) for _, job in jobs]
        replies = []
        for (nid, _), result in zip(jobs, results, strict=True):
            reply, context = pickle.loads(result)
            self.contexts[nid] = context
            replies.append(reply)
        self.seconds += time.perf_counter() - start
        return replies


class TimedFedAvg(FedAvg):
    """FedAvg that records how long aggregate_fit takes (it is not part of unmasking)."""

    aggregate_seconds = 0.0

    def aggregate_fit(self, server_round, results, failures):  # noqa: ANN001, ANN201
        start = time.perf_counter()
        try:
            return super().aggregate_fit(server_round, results, failures)
        finally:
            self.aggregate_seconds += time.perf_counter() - start


def make_cohort(n: int, k: int, length: int, workers: int, pool, seed: int):  # noqa: ANN001, ANN201
    """Server context, grid and SecAggPlusWorkflow for n nodes, k neighbours each."""
    rng = random.Random(seed)
    node_ids = sorted(rng.sample(range(1, 2**63), n))
    grid = InProcessGrid(node_ids, workers, pool)
    strategy = TimedFedAvg(fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=n, min_available_clients=n)
    manager = SimpleClientManager()
    for nid in node_ids:
        manager.register(GridClientProxy(nid, grid, RUN_ID))
    context = LegacyContext(
        Context(run_id=RUN_ID, node_id=SERVER_NODE_ID, node_config={}, state=RecordDict(), run_config={}),
        config=ServerConfig(num_rounds=1),
        strategy=strategy,
        client_manager=manager,
    )
    context.state.config_records[MAIN_CONFIGS_RECORD] = ConfigRecord({WorkflowKey.CURRENT_ROUND: 1})
    initial = ndarrays_to_parameters([np.zeros(length, dtype=np.float32)])
    context.state.array_records[MAIN_PARAMS_RECORD] = compat.parameters_to_arrayrecord(initial, keep_input=True)
    workflow = SecAggPlusWorkflow(
        num_shares=k + 1,
        reconstruction_threshold=share_threshold(k),
        max_weight=1.0,
        clipping_range=CLIPPING_RANGE,
        quantization_range=quantisation_range(n),
        modulus_range=MODULUS,
    )
    return context, grid, workflow, strategy, node_ids


# --------------------------------------------------------------------------------------------
# Figures.


def client_masks(lengths: list[int], neighbour_counts: list[int], samples: int) -> None:
    """client_mask_p{P}_k{k}: _collect_masked_vectors of one client with k neighbours."""
    instrument(mod_module, ["_collect_masked_vectors"], "")
    instrument(mod_module, ["decrypt", "generate_shared_key", "pseudo_rand_gen", "quantize", "parameters_mod"], "mask.")
    for length in lengths:
        for k in neighbour_counts:
            n = k + 1
            random.seed(SEED)
            np.random.seed(SEED)
            context, grid, workflow, _, node_ids = make_cohort(n, k, length, 1, None, SEED + k)
            # Full graph: workflow's ring of k+1 shares over n = k+1 nodes; threshold as above.
            workflow.quantization_range = 2**22
            state = WorkflowState()
            assert workflow.setup_stage(grid, context, state)
            assert workflow.share_keys_stage(grid, context, state)
            # Only the first `samples` nodes mask; the rest vanish (their shares are already out).
            grid.dropouts[Stage.COLLECT_MASKED_VECTORS] = set(node_ids[samples:])
            STAGE_TIMES.clear()
            FLOWER_LOGGER.setLevel(logging.CRITICAL)  # the workflow then reports too few survivors
            workflow.collect_masked_vectors_stage(grid, context, state)
            FLOWER_LOGGER.setLevel(logging.WARNING)
            stage_times = STAGE_TIMES["_collect_masked_vectors"]
            quantise_times = STAGE_TIMES["mask.quantize"]
            assert len(stage_times) == len(quantise_times) == min(samples, n), stage_times
            # Quantisation is encoding, not masking: each client's stage time less its quantize call.
            times = [stage - quantise for stage, quantise in zip(stage_times, quantise_times, strict=True)]
            median_ms = statistics.median(times) * 1000
            parts = ", ".join(
                f"{name[5:]} {sum(values) / len(times) * 1000:.1f} ms ({len(values) // len(times)}x)"
                for name, values in sorted(STAGE_TIMES.items())
                if name.startswith("mask.")
            )
            log(f"client mask P={length} k={k}: median {median_ms:.1f} ms over {len(times)} clients, without "
                f"quantisation (with it: median {statistics.median(stage_times) * 1000:.1f} ms) "
                f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}); per client: {parts}")
            emit(f"client_mask_p{length}_k{k}", median_ms, "ms")


def protocol_run(n: int, length: int, drop_percent: int, workers: int, pool) -> tuple[float, float]:  # noqa: ANN001
    """One whole SecAgg+ round; returns (end-to-end seconds, server unmask seconds)."""
    random.seed(SEED + n)
    np.random.seed(SEED + n)
    k = neighbour_count(n)
    context, grid, workflow, strategy, node_ids = make_cohort(n, k, length, workers, pool, SEED + n)
    dropped = set(random.Random(SEED + drop_percent).sample(node_ids, n * drop_percent // 100))
    grid.dropouts[Stage.COLLECT_MASKED_VECTORS] = dropped
    log(f"n={n} P={length} drop={drop_percent}%: k={k}, shares={k + 1}, threshold={share_threshold(k)}, "
        f"quantisation 2^{quantisation_range(n).bit_length() - 1}, {len(dropped)} clients drop, {workers} worker(s)")
    STAGE_TIMES.clear()
    state = WorkflowState()
    steps = [workflow.setup_stage, workflow.share_keys_stage, workflow.collect_masked_vectors_stage, workflow.unmask_stage]
    total = 0.0
    unmask = 0.0
    for step in steps:
        grid_before, aggregate_before = grid.seconds, strategy.aggregate_seconds
        start = time.perf_counter()
        ok = step(grid, context, state)
        elapsed = time.perf_counter() - start
        total += elapsed
        in_grid = grid.seconds - grid_before
        in_aggregate = strategy.aggregate_seconds - aggregate_before
        server = elapsed - in_grid - in_aggregate
        log(f"  {step.__name__}: {elapsed:.2f} s (clients via grid {in_grid:.2f} s, server {server:.2f} s"
            + (f", FedAvg.aggregate_fit {in_aggregate:.2f} s)" if in_aggregate else ")"))
        if not ok:
            raise RuntimeError(f"Flower's workflow halted in {step.__name__}")
        if step == workflow.unmask_stage:
            unmask = server
    parts = ", ".join(
        f"{name[7:]} {sum(values):.2f} s ({len(values)}x)" for name, values in sorted(STAGE_TIMES.items()) if name.startswith("server.")
    )
    log(f"  unmask breakdown: {parts}")
    # Check the unmasked mean against the survivors' vectors.
    survivors = [nid for nid in node_ids if nid not in dropped]
    expected = np.mean([client_vector(nid, length).astype(np.float64) for nid in survivors], axis=0)
    params = compat.arrayrecord_to_parameters(context.state.array_records[MAIN_PARAMS_RECORD], keep_input=True)
    result = parameters_to_ndarrays(params)[0]
    error = float(np.max(np.abs(result - expected)))
    log(f"  mean of {len(survivors)} survivors recovered, max abs error {error:.2e}; end to end {total:.2f} s")
    if error > 1e-3:
        raise RuntimeError(f"unmasked mean is off by {error}")
    return total, unmask


ENGINE_ROUND: dict[str, float] = {}


def engine_round(n: int, length: int) -> None:
    """flower_engine_round_n{n}_p{P}: one SecAgg+ round in Flower's Simulation Engine (Ray)."""
    from flwr.server.workflow import DefaultWorkflow  # noqa: PLC0415
    from flwr.serverapp import ServerApp  # noqa: PLC0415
    from flwr.simulation import run_simulation  # noqa: PLC0415

    k = neighbour_count(n)
    server_app = ServerApp()

    @server_app.main()
    def _main(grid, context):  # noqa: ANN001, ANN202
        initial = ndarrays_to_parameters([np.zeros(length, dtype=np.float32)])
        strategy = FedAvg(
            fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=n, min_available_clients=n,
            initial_parameters=initial,
        )
        legacy = LegacyContext(context, config=ServerConfig(num_rounds=1), strategy=strategy)
        fit_workflow = SecAggPlusWorkflow(
            num_shares=k + 1, reconstruction_threshold=share_threshold(k), max_weight=1.0,
            clipping_range=CLIPPING_RANGE, quantization_range=quantisation_range(n), modulus_range=MODULUS,
        )
        timed_fit = _timed("engine.fit_round", fit_workflow)
        start = time.perf_counter()
        DefaultWorkflow(fit_workflow=timed_fit)(grid, legacy)
        ENGINE_ROUND["workflow"] = time.perf_counter() - start

    STAGE_TIMES.clear()
    start = time.perf_counter()
    run_simulation(
        server_app=server_app, client_app=CLIENT_APP, num_supernodes=n,
        backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0}},
    )
    whole = time.perf_counter() - start
    rounds = STAGE_TIMES.get("engine.fit_round", [])
    if not rounds:
        raise RuntimeError("the simulation ran no SecAgg+ round")
    log(f"engine n={n} P={length}: SecAgg+ fit round {rounds[0]:.2f} s; whole run_simulation "
        f"(Ray start-up, node registration, shutdown) {whole:.2f} s")
    emit(f"flower_engine_round_n{n}_p{length}", rounds[0], "s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the n=1000 runs")
    parser.add_argument("--skip-clients", action="store_true", help="skip the client mask figures")
    parser.add_argument("--skip-server", action="store_true", help="skip the protocol runs")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes running clients")
    parser.add_argument("--samples", type=int, default=5, help="clients timed per client-mask figure")
    parser.add_argument("--engine", action="store_true",
                        help="also run one round in Flower's Simulation Engine (needs flwr[simulation])")
    parser.add_argument("--engine-only", action="store_true", help="run only the Simulation Engine round")
    parser.add_argument("--starling", help="starling-bench --suite secagg JSON lines, for the comparison lines")
    args = parser.parse_args()
    if args.starling:
        STARLING.update(read_starling(args.starling))

    FLOWER_LOGGER.setLevel(logging.WARNING)
    TaskIdentity.run_id = RUN_ID
    TaskIdentity.node_id = SERVER_NODE_ID
    TaskIdentity.task_id = 1
    log(f"flwr {VERSION}, numpy {np.__version__}, {os.cpu_count()} cores")
    began = time.perf_counter()

    if args.engine_only:
        args.skip_clients = args.skip_server = args.engine = True

    if not args.skip_clients:
        start = time.perf_counter()
        client_masks([100_000, 1_000_000], [8, 16, 32], args.samples)
        log(f"client mask figures took {time.perf_counter() - start:.0f} s")

    if not args.skip_server:
        instrument(wf_module, ["combine_shares", "pseudo_rand_gen", "generate_shared_key"], "server.")
        pool = None
        if args.workers > 1:
            pool = mp.get_context("fork").Pool(args.workers, initializer=_worker_init, initargs=(SEED,))
        try:
            sizes = [100] if args.quick else [100, 1000]
            for n in sizes:
                for drop in (0, 10):
                    start = time.perf_counter()
                    total, unmask = protocol_run(n, 100_000, drop, args.workers, pool)
                    emit(f"server_unmask_n{n}_p100000_drop{drop}", unmask, "s")
                    if drop == 10:
                        emit(f"end_to_end_n{n}_p100000_drop{drop}", total, "s")
                    log(f"n={n} drop={drop}% took {time.perf_counter() - start:.0f} s")
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    if args.engine:
        start = time.perf_counter()
        engine_round(10, 100_000)
        log(f"engine round took {time.perf_counter() - start:.0f} s")
    log(f"all figures took {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
