#!/usr/bin/env bash
# The benchmarks (`make bench`): builds starling-bench in release mode, measures Starling fp32 and
# int8 on every supported kernel path, then ONNX Runtime fp32 and dynamic int8 on the same weights in
# a git-ignored virtualenv (<repo>/.venv, created on first run); then secure aggregation beside
# Flower's SecAgg+ (flwr in the same virtualenv); then DP-SGD beside Opacus (opacus and torch in the
# same virtualenv); then the convolutional models beside ONNX Runtime and PyTorch on the same weights;
# then what on-device monitoring costs phase one (on against off, same run);
# then the agent's memory; then rollouts (deploy to serving for 10 agent processes
# and 1,000 in-process agents, against the release aggregator); then round time against fleet size
# (`starling simulate`, Benchmarks/simulate_curve.sh, beside Flower's SecAgg+ figures); then learning quality (Starling's
# federated runs beside scikit-learn's centralised MLP and Flower's FedAvg and FedAdam on five
# datasets and six partitions, five seeds each; Benchmarks/quality/report.py prints the ratios and
# checks the targets of docs/quality.md), and the LeNet-5 layer network on the images dataset beside
# the best MLP (Benchmarks/quality/cnn_vs_mlp.py). One JSON line per figure.
#
# Environment: STARLING_BENCH_BIN=path skips the build and runs that starling-bench binary;
# STARLING_BENCH_VENV=dir uses another virtualenv; BENCH_QUICK=1 runs fewer iterations.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="${STARLING_BENCH_VENV:-$root/.venv}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check onnxruntime onnx numpy >&2

if [ -n "${STARLING_BENCH_BIN:-}" ]; then
    bin="$STARLING_BENCH_BIN"
else
    swift build -c release --product starling-bench >&2
    bin="$(swift build -c release --show-bin-path)/starling-bench"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
quick=()
ort_quick=()
if [ "${BENCH_QUICK:-0}" = "1" ]; then
    quick=(--quick)
    ort_quick=(--iterations 2000 --calls 200)
fi

"$bin" --export-dir "$work" --data "$root/data/digits.csv" "${quick[@]}" | tee "$work/starling.jsonl"
"$venv/bin/python" "$root/Benchmarks/ort_peer.py" --models "$work" --starling "$work/starling.jsonl" "${ort_quick[@]}"
"$bin" --suite secagg "${quick[@]}" | tee "$work/secagg.jsonl"
"$root/Benchmarks/flower_secagg.sh" --starling "$work/secagg.jsonl" | tee "$work/flower_secagg.jsonl"
"$bin" --suite monitor "${quick[@]}"
"$bin" --suite dp "${quick[@]}" | tee "$work/dp.jsonl"
"$root/Benchmarks/opacus_peer.sh" --starling "$work/dp.jsonl"
# The convolutional models beside ONNX Runtime and PyTorch (which opacus_peer.sh installed) on the
# same weights, alternating with them (cnn_peer.py runs starling-bench --suite cnn itself).
"$venv/bin/python" "$root/Benchmarks/cnn_peer.py" --bench "$bin" "${quick[@]}"
"$root/Benchmarks/agent_memory.sh"
if [ -z "${STARLING_BENCH_BIN:-}" ]; then
    swift build -c release --product starling-aggregator >&2
    swift build -c release --product starling-agent >&2
fi
"$bin" --suite rollout "${quick[@]}"
# Round time against fleet size (starling simulate, SecAgg+ with 10 % dropout) beside Flower's
# end-to-end SecAgg+ figures of this run.
sizes="100 1000 3000 10000"
[ "${BENCH_QUICK:-0}" = "1" ] && sizes="100 1000"
SIMULATE_SIZES="$sizes" "$root/Benchmarks/simulate_curve.sh" --flower "$work/flower_secagg.jsonl"
seeds=5
[ "${BENCH_QUICK:-0}" = "1" ] && seeds=1
# shellcheck disable=SC2046 # the printed options are meant to split into words
"$root/Benchmarks/quality/quality_peers.sh" --data "$work/quality" --seeds "$seeds" "${quick[@]}" \
    $("$bin" --suite quality-flower-arguments) | tee "$work/quality-peers.jsonl"
"$bin" --suite quality --quality-data "$work/quality" --seeds "$seeds" "${quick[@]}" | tee "$work/quality-starling.jsonl"
# The ratio lines go to stdout; the markdown table of docs/quality.md to stderr.
"$venv/bin/python" "$root/Benchmarks/quality/report.py" "$work/quality-starling.jsonl" "$work/quality-peers.jsonl" \
    --markdown /dev/stderr
# The LeNet-5 layer network federated on the images dataset's non-IID 8-device partitions, with the
# shipped round defaults, beside the best MLP of the runs above (Starling's and Flower's).
"$bin" --suite quality --quality-data "$work/quality" --datasets images --partitions dirichlet0.5-8,dirichlet0.1-8 \
    --strategies fedavg --architecture-file "$root/Benchmarks/models/lenet5.json" --seeds "$seeds" "${quick[@]}" \
    | tee "$work/quality-lenet5.jsonl"
(cd "$root/Benchmarks/quality" && "$venv/bin/python" cnn_vs_mlp.py "$work/quality-lenet5.jsonl" \
    "$work/quality-starling.jsonl" "$work/quality-peers.jsonl")
