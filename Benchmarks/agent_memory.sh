#!/usr/bin/env bash
# Resident memory of a running agent with the 784-128-64-10 int8 model installed and its local API
# serving predictions and metrics, then again with a second version installed beside it as a shadow,
# then serving a DS-CNN keyword-spotting network instead. Starts a real aggregator and agent on loopback (port 0), deploys
# the model, sends predictions, scrapes /metrics as Prometheus would, reads VmRSS, and prints one
# JSON line. The agent is the release build as `make agent`
# makes it; the aggregator and CLI, which are not measured, are the debug build. STARLING_BIN_DIR
# overrides all three; STARLING_AGENT_LAUNCHER, if set, is a command prefix for the agent.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${STARLING_BIN_DIR:-}"
agent_bin="$bin"
if [ -z "$bin" ]; then
    (cd "$root" && swift build --product starling-aggregator >&2 && swift build --product starling >&2 \
        && make --no-print-directory agent >&2)
    bin="$(cd "$root" && swift build --show-bin-path)"
    agent_bin="$(cd "$root" && swift build -c release --show-bin-path)"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

wait_for_file() {
    for _ in $(seq 1 600); do [ -s "$1" ] && return 0; sleep 0.1; done
    echo "timed out waiting for $1" >&2
    return 1
}

"$bin/starling-aggregator" serve --data-dir "$work/aggregator" --listen 127.0.0.1:0 --device-listen 127.0.0.1:0 \
    > "$work/aggregator.log" 2>&1 &
pids+=($!)
wait_for_file "$work/aggregator/aggregator.json"
export STARLING_AGGREGATOR_DIR="$work/aggregator"
url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/aggregator/aggregator.json")"

"$bin/starling" model create --name memory --arch 784-128-64-10 --seed 1 >&2
token="$("$bin/starling" token create)"
STARLING_ENROLL_TOKEN="$token" ${STARLING_AGENT_LAUNCHER:-} "$agent_bin/starling-agent" run --aggregator "$url" \
    --ca "$work/aggregator/pki/ca.crt" --data-dir "$work/agent" --api 127.0.0.1:0 > "$work/agent.log" 2>&1 &
agent=$!
pids=("$agent" "${pids[@]}")
wait_for_file "$work/agent/agent.json"
api="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_url"])' "$work/agent/agent.json")"

"$bin/starling" deploy --model memory --version 1 --to all >&2
for _ in $(seq 1 600); do
    curl -sf "$api/v1/status" | grep -q '"running_model":"memory@1"' && break
    sleep 0.1
done

send_predictions() {
python3 - "$api" "$1" "${2:-784}" <<'PY'
import json, random, sys, urllib.request
api, prefix, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(1)
for batch in range(200):
    items = [{"key": f"{prefix}{batch}-{i}", "features": [rng.random() for _ in range(width)]} for i in range(8)]
    request = urllib.request.Request(api + "/v1/predict/batch", data=json.dumps({"items": items}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
PY
}

rss_line() {
    rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$agent/status")"
    python3 -c 'import json,sys; kb=int(sys.argv[1]); print(json.dumps({"bench":"agent_memory","metric":sys.argv[2],"value":round(kb/1024,1),"unit":"MB","target":32,"ratio":round(kb/1024/32,2)}))' "$rss_kb" "$1"
}

send_predictions a
# Recorded while serving and exposed: the scrape must count every prediction.
for _ in $(seq 1 10); do curl -sf "$api/metrics" > "$work/metrics.txt"; done
grep -qx 'starling_agent_predictions_total 1600' "$work/metrics.txt" \
    || { echo "the agent's /metrics did not count 1600 predictions" >&2; exit 1; }
rss_line rss_serving_784_128_64_10_int8

# The same weights again as version 2, tried as a shadow: the agent holds both int8 models and runs
# the shadow on every call.
artifact="$(find "$work/aggregator" -name '*.safetensors' ! -name '*int8*' | head -n 1)"
"$bin/starling" model import --safetensors "$artifact" --name memory >&2
"$bin/starling" deploy --model memory --version 2 --to all --mode shadow >&2
for _ in $(seq 1 600); do
    curl -sf -X POST -H 'Content-Type: application/json' \
        -d "{\"features\": [$(python3 -c 'print(",".join(["0.5"] * 784))')]}" "$api/v1/predict" > /dev/null
    curl -sf "$api/v1/monitor" | grep -q '"shadow":true' && break
    sleep 0.1
done
curl -sf "$api/v1/monitor" | grep -q '"shadow":true' || { echo "the agent never ran the shadow" >&2; exit 1; }
send_predictions b
rss_line rss_serving_784_128_64_10_int8_with_shadow

# A DS-CNN keyword-spotting network (Benchmarks/models/dscnn.json: 49×10×1 input, 23,756
# parameters) deployed in place of the MLP: the agent switches to its int8 artifact and answers as
# many calls. Measured after the phases above, so whatever they left on the heap counts too.
"$bin/starling" model create --name kws --arch-file "$root/Benchmarks/models/dscnn.json" --seed 1 >&2
"$bin/starling" deploy --model kws --version 1 --to all >&2
for _ in $(seq 1 600); do
    curl -sf "$api/v1/status" | grep -q '"running_model":"kws@1"' && break
    sleep 0.1
done
curl -sf "$api/v1/status" | grep -q '"running_model":"kws@1"' || { echo "the agent never ran kws@1" >&2; exit 1; }
send_predictions c 490
rss_line rss_serving_dscnn_int8
