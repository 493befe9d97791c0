"""Sets Starling's federated runs beside the centralised reference and Flower, on the same datasets
and partitions, and checks the quality targets.

Reads JSON lines (Starling's from `starling-bench --suite quality`, the peers' from
quality_peers.sh) from the files given; runs of one dataset, partition and peer with several seeds
are averaged (a diverged seed makes the average diverged). Prints on stdout:
  - one JSON line per Starling run with its ratios to centralised and to Flower's same strategy:
    {"bench":"quality","metric":"<dataset>/<partition>/<strategy>","value":acc,"unit":"fraction",
     "ratio_centralised":...,"flower":...,"ratio_flower":...}
  - one line per target: {"bench":"quality","metric":"target/...","value":0|1,"unit":"pass", "note":...}
With --markdown FILE it also writes the tables of docs/quality.md.

Targets: on Dirichlet α = 0.5 partitions every dataset reaches at least 97 % of centralised
accuracy (with the default strategy); Starling is at least Flower's same strategy minus 1 point;
no run diverges. Strategies are matched by name: Starling's `fedavg` with Flower's `fedavg`, and
`fedadam` with `fedadam`; the defaults line (`default`) with Flower's strategy of its server
optimizer's kind.
"""

import argparse
import json
import sys

DATASETS = ["digits", "breast_cancer", "wine", "images", "telemetry"]
PARTITIONS = [f"{scheme}-{n}" for scheme in ["iid", "dirichlet0.5", "dirichlet0.1"] for n in (8, 32)]


def load(paths):
    lines = []
    for path in paths:
        with open(path) as handle:
            for line in handle:
                line = line.strip()
                if line.startswith("{"):
                    record = json.loads(line)
                    if record.get("bench") == "quality" and "dataset" in record:
                        lines.append(record)
    return lines


def strategy(peer):
    return peer.rsplit("-", 1)[-1]


def averaged(records):
    """One record per (dataset, partition, peer): accuracy the mean over its seeds."""
    groups = {}
    for record in records:
        groups.setdefault((record["dataset"], record.get("partition"), record["peer"]), []).append(record)
    merged = []
    for runs in groups.values():
        record = dict(runs[0])
        accuracies = [r["accuracy"] for r in runs if r.get("accuracy") is not None]
        record["diverged"] = any(r.get("diverged") for r in runs) or len(accuracies) < len(runs)
        record["accuracy"] = sum(accuracies) / len(accuracies) if accuracies else None
        record["seeds"] = len(runs)
        record["spread"] = (min(accuracies), max(accuracies)) if accuracies else None
        merged.append(record)
    return merged


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    records = averaged(load(args.files))
    centralised = {r["dataset"]: r for r in records if r["peer"].startswith("centralised")}
    flower = {(r["dataset"], r["partition"], strategy(r["peer"])): r for r in records if r["peer"].startswith("flower")}
    starling = [r for r in records if r["peer"].startswith("starling")]
    rows = []
    failures = []
    for run in starling:
        dataset, partition, name = run["dataset"], run["partition"], strategy(run["peer"])
        reference = centralised.get(dataset)
        kind = run.get("server_optimizer", {}).get("kind", name) if name == "default" else name
        peer = flower.get((dataset, partition, kind))
        line = {"bench": "quality", "metric": f"{dataset}/{partition}/{name}", "value": round(run["accuracy"], 4),
                "unit": "fraction", "seeds": run["seeds"]}
        if reference:
            line["ratio_centralised"] = round(run["accuracy"] / reference["accuracy"], 4)
        if peer and peer.get("accuracy") is not None:
            line["flower"] = round(peer["accuracy"], 4)
            line["ratio_flower"] = round(run["accuracy"] / peer["accuracy"], 4)
        print(json.dumps(line))
        rows.append((run, reference, peer))
        if run.get("diverged"):
            failures.append(f"{line['metric']} diverged")
        if reference and partition.startswith("dirichlet0.5") and name == "default" and run["accuracy"] < 0.97 * reference["accuracy"]:
            failures.append(f"{line['metric']} reached {run['accuracy']:.4f} < 97% of centralised {reference['accuracy']:.4f}")
        if peer and peer.get("accuracy") is not None and run["accuracy"] < peer["accuracy"] - 0.01:
            failures.append(f"{line['metric']} reached {run['accuracy']:.4f} < Flower's {peer['accuracy']:.4f} - 0.01")
    for failure in failures:
        print(json.dumps({"bench": "quality", "metric": "target_missed", "value": 0, "unit": "pass", "note": failure}))
    print(json.dumps({"bench": "quality", "metric": "targets", "value": 0 if failures else 1, "unit": "pass",
                      "note": f"{len(failures)} missed of {len(rows)} runs checked"}))
    if args.markdown:
        write_markdown(args.markdown, rows, centralised, flower)
    return 0


def write_markdown(path, rows, centralised, flower):
    by_key = {}
    for run, reference, peer in rows:
        by_key[(run["dataset"], run["partition"], strategy(run["peer"]))] = run
    strategies = sorted({key[2] for key in by_key}, key=lambda s: (s != "default", s))
    out = []
    out.append("| dataset | centralised | partition | " + " | ".join(f"Starling {s}" for s in strategies)
               + " | Flower fedavg | Flower fedadam |")
    out.append("|---|---|---|" + "---|" * len(strategies) + "---|---|")
    for dataset in DATASETS:
        reference = centralised.get(dataset)
        if not reference:
            continue
        for partition in PARTITIONS:
            cells = []
            for s in strategies:
                run = by_key.get((dataset, partition, s))
                if not run:
                    cells.append("–")
                    continue
                flag = " ⚠ diverged" if run.get("diverged") else ""
                cells.append(f"{run['accuracy']:.3f} ({run['accuracy'] / reference['accuracy']:.2f}){flag}")
            if all(c == "–" for c in cells):
                continue
            peers = []
            for s in ("fedavg", "fedadam"):
                peer = flower.get((dataset, partition, s))
                peers.append(f"{peer['accuracy']:.3f} ({peer['accuracy'] / reference['accuracy']:.2f})"
                             if peer and peer.get("accuracy") is not None else "–")
            out.append(f"| {dataset} | {reference['accuracy']:.3f} ({reference.get('preprocessing', '')}) | {partition} | "
                       + " | ".join(cells) + " | " + " | ".join(peers) + " |")
    with open(path, "w") as handle:
        handle.write("\n".join(out) + "\n")


if __name__ == "__main__":
    sys.exit(main())
