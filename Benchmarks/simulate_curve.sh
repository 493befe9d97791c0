#!/usr/bin/env bash
# Round time against fleet size: `starling simulate` (release build) with SecAgg+ at 100, 1,000,
# 3,000 and 10,000 in-process devices over mutual TLS against a release aggregator process, a
# model of about 100k parameters (64-512-128-10), 10 % of the devices vanishing after key sharing in
# every round, three rounds each. Prints one JSON line per size (the median round of the three):
#   {"bench":"simulate","metric":"round_seconds_n<N>_drop10","value":…,"unit":"s","stages":{…},
#    "requests_per_device":…}
# and, given Flower's figures of the same run (flower_secagg.sh's end_to_end_n{100,1000}_p100000_drop10
# lines, --flower FILE), one ratio line per size Flower could run: Starling / Flower.
#
# The aggregator's device listener speaks HTTP/1.1, its default (two connections a device); the sizes
# of SIMULATE_HTTP2_SIZES (default 1,000, 3,000 and 10,000) run again with `--http2` (the listener
# offers HTTP/2, which the devices take: one connection a device), as lines whose metric ends in
# _http2. HTTP/1.1 costs less CPU, HTTP/2 half the descriptors and less memory; 10,000 devices over
# HTTP/1.1 need more descriptors than this machine allows, and the simulator refuses them.
#
# Environment: SIMULATE_SIZES="100 1000" runs other sizes; SIMULATE_GROUP=G the SecAgg+ group size
# for cohorts above it (default 100); STARLING_BIN_DIR=dir skips the build and uses the binaries there.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
flower=""
while [ $# -gt 0 ]; do
    case "$1" in
        --flower) flower="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

if [ -n "${STARLING_BIN_DIR:-}" ]; then
    bin="$STARLING_BIN_DIR"
else
    for product in starling starling-aggregator; do
        swift build -c release --product "$product" >&2
    done
    bin="$(swift build -c release --show-bin-path)"
fi
group="${SIMULATE_GROUP:-100}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One size over one transport: HTTP/1.1 (two connections a device) or HTTP/2 (one).
simulate_size() {
    local devices=$1 transport=$2
    local grouping=() protocol=() suffix=""
    if [ "$devices" -gt "$group" ]; then grouping=(--group-size "$group"); fi
    if [ "$transport" = http2 ]; then protocol=(--http2); suffix="_http2"; fi
    # The stage time must outlast the simulated fleet's own work in a stage, which two cores do for
    # all N devices in turn: 15 ms a device, at least 5 s. A stage that has heard from most of every
    # group closes half a second after its last answer (the quiet time; its default, a tenth of the
    # stage time, is sized for devices that each do their own work, not for a whole fleet taking
    # turns on two cores, whose answers come every few milliseconds), so the devices that vanished
    # cost that, not the stage time.
    local stage=$(( devices * 15 / 1000 ))
    [ "$stage" -lt 5 ] && stage=5
    # A size the machine's open-file limit cannot hold is refused by the simulator up front; the
    # curve goes on with the other sizes.
    if ! "$bin/starling" simulate --devices "$devices" --rounds 3 --dropout 0.1 --stage-seconds "$stage" --quiet-seconds 0.5 \
        --model 64-512-128-10 --rows-per-device 16 --data "$root/data/digits.csv" "${grouping[@]}" "${protocol[@]}" --json \
        >"$work/n$devices$suffix.jsonl"; then
        echo "simulate_curve: $devices devices over $transport could not be simulated here (see above)" >&2
        return
    fi
    python3 - "$work/n$devices$suffix.jsonl" "$devices" "$suffix" "$flower" <<'PY'
import json, statistics, sys
rounds = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
devices, suffix, flower = int(sys.argv[2]), sys.argv[3], sys.argv[4]
median = sorted(rounds, key=lambda r: r["seconds"])[len(rounds) // 2]
metric = f"round_seconds_n{devices}_drop10{suffix}"
print(json.dumps({"bench": "simulate", "metric": metric, "value": round(median["seconds"], 3), "unit": "s",
                  "survivors": median["survivors"], "vanished": median["vanished"],
                  "requests_per_device": round(sum(median.get("requests", {}).values()) / devices, 2),
                  "stages": {k: round(v, 3) for k, v in median["stages"].items()}}))
if flower:
    for line in open(flower):
        peer = json.loads(line)
        if peer.get("metric") == f"end_to_end_n{devices}_p100000_drop10":
            print(json.dumps({"bench": "simulate", "metric": metric + "_ratio_flower",
                              "value": round(median["seconds"] / peer["value"], 4), "unit": "ratio",
                              "peer": peer.get("peer", "flower")}))
PY
}

for devices in ${SIMULATE_SIZES:-100 1000 3000 10000}; do simulate_size "$devices" http1; done
for devices in ${SIMULATE_HTTP2_SIZES:-1000 3000 10000}; do simulate_size "$devices" http2; done
