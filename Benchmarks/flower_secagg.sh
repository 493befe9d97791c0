#!/usr/bin/env bash
# Flower's SecAgg+ in the setting of Starling's secure aggregation benchmark: runs Flower's own
# SecAgg+ code (SecAggPlusWorkflow's four steps on the server, secaggplus_mod in a ClientApp per
# node, an in-process grid in between) and prints one JSON line per figure on stdout:
#   {"bench":"secagg","metric":...,"value":...,"unit":...,"peer":"flower-<version>"}
# Figures: client_mask_p{100000,1000000}_k{8,16,32} (ms), server_unmask_n{100,1000}_p100000_drop{0,10}
# (s), end_to_end_n{100,1000}_p100000_drop10 (s). Flower_secagg.py's header says what each covers.
#
# Flower lives only in the git-ignored virtualenv <repo>/.venv (created on first run, shared with
# the ONNX Runtime benchmark); building, testing and running Starling never need it.
# Takes about 12-14 minutes on 2 cores (n=1000 dominates); BENCH_QUICK=1 or --quick skips n=1000
# (about 2 minutes). Extra arguments go to flower_secagg.py (--skip-clients, --skip-server,
# --workers N, --samples N, --engine for one extra round in Flower's Ray Simulation Engine with
# n=10, which installs flwr[simulation] on first use).
#
# Environment: STARLING_BENCH_VENV=dir uses another virtualenv; FLOWER_VERSION=x.y.z another flwr
# release (default: the pinned one below).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="${STARLING_BENCH_VENV:-$root/.venv}"
flwr_version="${FLOWER_VERSION:-1.41.0}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" - "$flwr_version" <<'EOF' 2>/dev/null; then
import importlib.metadata, sys
sys.exit(0 if importlib.metadata.version("flwr") == sys.argv[1] else 1)
EOF
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "flwr==$flwr_version" numpy >&2
fi

# The optional Simulation Engine round (--engine, --engine-only) also needs Ray: flwr[simulation].
for arg in "$@"; do
    if [ "$arg" = "--engine" ] || [ "$arg" = "--engine-only" ]; then
        if ! "$venv/bin/python" -c "import ray" 2>/dev/null; then
            "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "flwr[simulation]==$flwr_version" >&2
        fi
        break
    fi
done

args=()
if [ "${BENCH_QUICK:-0}" = "1" ]; then
    args=(--quick)
fi
# Flower's Simulation Engine reports usage events unless told not to; this machine has no use for them.
export FLWR_TELEMETRY_ENABLED=0

exec "$venv/bin/python" "$root/Benchmarks/flower_secagg.py" "${args[@]}" "$@"
