#!/usr/bin/env bash
# The peers of Starling's federated-learning quality benchmark: writes the datasets and device
# partitions (make_datasets.py), trains scikit-learn's centralised MLP on each dataset, which also
# fixes each dataset's preprocessing (centralised.py), then runs Flower's FedAvg and FedAdam on
# every dataset and partition (flower_peer.py). Each script's header says what it measures and how.
# Prints one JSON line per figure on stdout:
#   {"bench":"quality","dataset":...,"peer":"centralised-sklearn-<version>","accuracy":...,...}
#   {"bench":"quality","dataset":...,"partition":...,"peer":"flower-<version>-fedavg|fedadam",
#    "accuracy":...,"rounds":...,"accuracy_by_round":[...],"diverged":false,...}
# Progress goes to stderr.
#
# Usage: quality_peers.sh [--data DIR] [--quick] [--seeds N] [flower_peer.py options, e.g. --lr 0.1]
# --seeds N runs Flower with seeds 0…N−1 (default 1), and datasets whose test set has fewer than 200
# rows (breast cancer, wine: one test row is 0.9 and 2.8 points) with 4N seeds; the report averages
# over them (starling-bench does the same). Give Flower the
# local settings Starling runs with (Benchmarks/run.sh passes Starling's defaults), so that the two
# differ only in what each framework does with the updates.
# --data DIR keeps the datasets (created if missing) for Starling's quality suite to read; without
# it they go to a temporary folder removed on exit.
#
# numpy, scikit-learn and Flower live only in the git-ignored virtualenv <repo>/.venv (created on
# first run, shared with the other peers); building, testing and running Starling never need them.
# Takes about 1.5 minutes on 2 cores (datasets 5 s, centralised 25 s, Flower 40-85 s as the cores
# are free or shared); BENCH_QUICK=1 or --quick runs 5 rounds on the partitions iid-8 and
# dirichlet0.1-32 only (under a minute, most of it the centralised fits).
#
# Environment: STARLING_BENCH_VENV=dir uses another virtualenv; FLOWER_VERSION=x.y.z,
# NUMPY_VERSION=x.y.z and SKLEARN_VERSION=x.y.z other releases (default: the pinned ones below).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/Benchmarks/quality"
venv="${STARLING_BENCH_VENV:-$root/.venv}"
flwr_version="${FLOWER_VERSION:-1.41.0}"
numpy_version="${NUMPY_VERSION:-2.4.6}"
sklearn_version="${SKLEARN_VERSION:-1.9.1}"

data=""
quick="${BENCH_QUICK:-0}"
seeds=1
flower_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --data) data="${2:?--data needs a folder}"; shift 2 ;;
        --quick) quick=1; shift ;;
        --seeds) seeds="${2:?--seeds needs a count}"; shift 2 ;;
        *) flower_args+=("$1"); shift ;;
    esac
done
if [ -z "$data" ]; then
    data="$(mktemp -d)"
    trap 'rm -rf "$data"' EXIT
fi
mkdir -p "$data"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" - "$flwr_version" "$numpy_version" "$sklearn_version" <<'PY' 2>/dev/null; then
import importlib.metadata, sys
installed = tuple(importlib.metadata.version(p) for p in ("flwr", "numpy", "scikit-learn"))
sys.exit(0 if installed == tuple(sys.argv[1:]) else 1)
PY
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "flwr==$flwr_version" "numpy==$numpy_version" "scikit-learn==$sklearn_version" >&2
fi

if [ "$quick" = "1" ]; then
    flower_args=(--rounds 5 --partitions iid-8 dirichlet0.1-32 "${flower_args[@]}")
fi
# Flower reports usage events from some entry points unless told not to; this benchmark has no use for them.
export FLWR_TELEMETRY_ENABLED=0

started=$SECONDS
"$venv/bin/python" "$here/make_datasets.py" --out "$data"
"$venv/bin/python" "$here/centralised.py" --data "$data"
for ((seed = 0; seed < seeds; seed++)); do
    "$venv/bin/python" "$here/flower_peer.py" --data "$data" --seed "$seed" "${flower_args[@]}"
done
mapfile -t small < <("$venv/bin/python" - "$data" <<'PY'
import json, pathlib, sys
for meta in sorted(pathlib.Path(sys.argv[1]).glob("*/meta.json")):
    info = json.loads(meta.read_text())
    if info["test_rows"] < 200:
        print(info["name"])
PY
)
if [ "${#small[@]}" -gt 0 ]; then
    for ((seed = seeds; seed < 4 * seeds; seed++)); do
        "$venv/bin/python" "$here/flower_peer.py" --data "$data" --seed "$seed" --only "${small[@]}" "${flower_args[@]}"
    done
fi
echo "quality peers: $((SECONDS - started)) s" >&2
