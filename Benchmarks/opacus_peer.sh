#!/usr/bin/env bash
# Opacus (PyTorch) DP-SGD in the setting of Starling's DP-SGD benchmark (`starling-bench --suite dp`):
# the MLPs 64-32-10 and 784-128-64-10, ReLU, cross-entropy, SGD, one fixed batch of 64, 1 thread.
# Prints one JSON line per figure on stdout:
#   {"bench":"dpsgd","metric":...,"value":...,"unit":...,"peer":"opacus-<version>"}
# Figures: plain PyTorch examples/s, Opacus DP-SGD examples/s with grad_sample_mode "hooks" and
# "ghost", the noise time per step, and DP time per step / plain time per step; with
# --starling FILE (starling-bench --suite dp's lines) also Starling against Opacus.
# Opacus_peer.py's header says what each figure covers.
#
# Opacus and PyTorch live only in the git-ignored virtualenv <repo>/.venv (created on first run,
# shared with the other peers); building, testing and running Starling never need them. The default
# PyPI torch wheel also pulls CUDA libraries (several GB) though only the CPU is used.
# Takes about 3-4 minutes on 2 cores (the hooks mode on 784-128-64-10 dominates); BENCH_QUICK=1 or
# --quick runs a tenth of the steps (under a minute).
#
# Environment: STARLING_BENCH_VENV=dir uses another virtualenv; OPACUS_VERSION=x.y.z and
# TORCH_VERSION=x.y.z other releases (default: the pinned ones below).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="${STARLING_BENCH_VENV:-$root/.venv}"
opacus_version="${OPACUS_VERSION:-1.6.0}"
torch_version="${TORCH_VERSION:-2.15.0}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" - "$opacus_version" "$torch_version" <<'PY' 2>/dev/null; then
import importlib.metadata, sys
installed = (importlib.metadata.version("opacus"), importlib.metadata.version("torch").split("+")[0])
sys.exit(0 if installed == (sys.argv[1], sys.argv[2]) else 1)
PY
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "opacus==$opacus_version" "torch==$torch_version" >&2
fi

args=()
if [ "${BENCH_QUICK:-0}" = "1" ]; then
    args=(--quick)
fi
# Opacus's advice to turn secure_mode on and PyTorch's backward-hook notices are not results.
export PYTHONWARNINGS="ignore::UserWarning"

exec "$venv/bin/python" "$root/Benchmarks/opacus_peer.py" "${args[@]}" "$@"
