#!/usr/bin/env bash
# Checks docs/openapi.yaml against the OpenAPI 3.1 specification (openapi-spec-validator), regenerates
# docs/openapi.json and the aggregator's embedded copy from it, and fails when the result differs from
# the committed files; the tools are pinned, in a git-ignored virtualenv.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-openapi"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check pyyaml==6.0.3 openapi-spec-validator==0.9.0
"$venv/bin/openapi-spec-validator" "$root/docs/openapi.yaml"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$venv/bin/python" "$root/scripts/openapi.py" "$out"
status=0
for file in docs/openapi.json "aggregator/HTTP/OpenAPIDocument+JSON.swift"; do
    if ! cmp -s "$root/$file" "$out/$file"; then
        echo "$file differs from what scripts/openapi.py makes of docs/openapi.yaml; run it and commit the result." >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "docs/openapi.json and the embedded copy match docs/openapi.yaml."
exit "$status"
