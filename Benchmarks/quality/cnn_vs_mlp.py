"""Sets the LeNet-style network's federated accuracy on the images dataset beside the best MLP of
the same run, partition by partition.

Reads JSON lines: the LeNet runs (`starling-bench --suite quality --architecture-file
Benchmarks/models/lenet5.json`, peers named `starling-lenet5-<strategy>`) and the MLP runs of
Starling and Flower on the same data (`starling-bench --suite quality` and quality_peers.sh).
Runs with several seeds are averaged. Prints one JSON line per partition:
  {"bench":"cnn","metric":"federated_accuracy_lenet5/images/<partition>","value":acc,"unit":"fraction",
   "int8":acc8,"best_mlp":acc,"best_mlp_peer":name,"ratio":acc/best,"target":1}
and one target line: LeNet with the shipped round defaults (`starling-lenet5-default`) at least the
best MLP of any peer and strategy on every partition it ran, and its int8 artifact within one point
of its fp32 accuracy. Other LeNet strategies (FedAdam's defaults were chosen on the MLPs) are
reported beside it.
"""

import argparse
import json

from report import averaged, load

DATASET = "images"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    lines = load(args.files)
    int8_runs = {}
    for line in lines:
        if line.get("int8_accuracy") is not None:
            int8_runs.setdefault((line["dataset"], line["partition"], line["peer"]), []).append(line["int8_accuracy"])
    records = [r for r in averaged(lines) if r["dataset"] == DATASET and r.get("accuracy") is not None]
    lenet = [r for r in records if r["peer"].startswith("starling-lenet5-")]
    mlps = [r for r in records if not r["peer"].startswith("starling-lenet5-")]
    met = any(r["peer"] == "starling-lenet5-default" for r in lenet)
    for run in sorted(lenet, key=lambda r: (r["partition"], r["peer"])):
        rivals = [r for r in mlps if r["partition"] == run["partition"]]
        best = max(rivals, key=lambda r: r["accuracy"], default=None)
        ratio = run["accuracy"] / best["accuracy"] if best else None
        int8_seeds = int8_runs.get((run["dataset"], run["partition"], run["peer"]), [])
        int8 = sum(int8_seeds) / len(int8_seeds) if int8_seeds else None
        if run["peer"] == "starling-lenet5-default":
            met = met and ratio is not None and ratio >= 1 and int8 is not None and int8 >= run["accuracy"] - 0.01
        print(json.dumps({
            "bench": "cnn", "metric": f"federated_accuracy_lenet5/{DATASET}/{run['partition']}/{run['peer'].rsplit('-', 1)[-1]}",
            "value": round(run["accuracy"], 4), "unit": "fraction", "int8": None if int8 is None else round(int8, 4),
            "best_mlp": None if best is None else round(best["accuracy"], 4),
            "best_mlp_peer": None if best is None else best["peer"],
            "ratio": None if ratio is None else round(ratio, 3), "target": 1, "seeds": run["seeds"],
        }))
    print(json.dumps({
        "bench": "cnn", "metric": "target/lenet5_federated_at_least_best_mlp_and_int8_within_a_point",
        "value": int(met), "unit": "pass",
    }))


if __name__ == "__main__":
    main()
