#!/usr/bin/env bash
# Records which functions of the release agent run while it enrolls, installs the 784-128-64-10
# int8 model and serves predictions (the agent_memory benchmark), in first-call order, into
# hot-functions.txt and hot-sections.ld. The release link (Package.swift) places those functions
# together, so the running daemon maps a small part of its own code. Re-run after changing the
# agent's serving path; a stale list only costs memory, never correctness.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
agent="$(cd "$root" && swift build -c release --show-bin-path)/starling-agent"

# The link map names every input section; removing the binary forces the relink that writes it.
rm -f "$agent"
make -C "$root" --no-print-directory agent AGENT_BUILD_FLAGS="-Xlinker -Map=$work/agent.map" >&2
cc -O2 -shared -fPIC -o "$work/entry-trace.so" "$here/entry-trace.c"
python3 "$here/layout.py" entries "$work/agent.map" "$agent" > "$work/entries"
STARLING_AGENT_LAUNCHER="env SWIFT_BACKTRACE=enable=no LD_PRELOAD=$work/entry-trace.so \
ENTRY_TRACE_FUNCTIONS=$work/entries ENTRY_TRACE_OUT=$work/trace" \
    "$root/Benchmarks/agent_memory.sh" > /dev/null
python3 "$here/layout.py" order "$work/agent.map" "$agent" "$work/trace" "$here"

# The new layout takes effect at the next link.
rm -f "$agent"
make -C "$root" --no-print-directory agent >&2
echo "$(wc -l < "$here/hot-functions.txt") named functions and $(grep -c '\.o(' "$here/hot-sections.ld") other" \
    "sections recorded in $here" >&2
