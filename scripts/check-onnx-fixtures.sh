#!/usr/bin/env bash
# Regenerates the ONNX import fixtures (Tests/ONNXImportTests/Fixtures) with the pinned tool versions in a
# git-ignored virtualenv and fails when the result differs from the committed files (scripts/compare_onnx_fixtures.py),
# so the fixtures always come from the committed script.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fixtures="$root/Tests/ONNXImportTests/Fixtures"
venv="$root/.venv-onnx"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    scikit-learn==1.9.1 skl2onnx==1.20.0 onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# One BLAS thread: the MLPs are trained again, and threaded sums round differently from run to run.
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "$venv/bin/python" "$fixtures/make_fixtures.py" "$out"
# Structure exactly, numbers within rounding: trained models differ in the last bits across CPUs.
"$venv/bin/python" "$root/scripts/compare_onnx_fixtures.py" "$fixtures" "$out"
