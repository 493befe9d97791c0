"""The datasets and device partitions of the federated-learning quality benchmark.

Writes, under --out DIR, one folder per dataset that Starling's quality suite and the Python
peers (centralised.py, flower_peer.py) all read, so every side trains on the same rows and the
same devices:

    DIR/<name>/train.csv, DIR/<name>/test.csv
        Header f0,...,f{D-1},label; one row per example; features as decimal numbers printed
        with %.9g (integers print without a point; every value round-trips through float32),
        label an integer in 0..K-1. Comma-separated, '\n' line ends, no quoting, no index.
    DIR/<name>/partitions/<scheme>-<n>.txt, scheme in {iid, dirichlet0.5, dirichlet0.1},
        n in {8, 32}
        One line per row of train.csv, in the same order, holding the index (0..n-1) of the
        device that holds that row. Every device holds at least min(5, floor(N/n)) rows.
    DIR/<name>/meta.json
        {"name", "width": D, "classes": K, "rows": train+test, "train_rows", "test_rows",
         "architecture": "<D>-64-<K>" (one hidden layer of 64 ReLU units, softmax output),
         "features": what the columns are, "split": how train/test were drawn,
         "partitions": {"<scheme>-<n>": {"devices", "min_rows", "max_rows",
                                         "mean_classes_per_device", "draws", "moved_rows"}}}

Datasets (deterministic from --seed, default 0):
    digits         the repository's data/digits.csv: 1,797 8x8 digits, 64 pixel counts 0-16,
                   10 classes.
    breast_cancer  scikit-learn's bundled Wisconsin table: 569 rows, 30 raw-scale features
                   (0 to 4,254), 2 classes.
    wine           scikit-learn's bundled wine table: 178 rows, 13 raw-scale features
                   (0.13 to 1,680), 3 classes.
    images         28x28 = 784 pixels 0-255 made from the digits: each 8x8 digit is upscaled
                   bilinearly to 20x20, scaled by a random gain in [0.8, 1.2] to 0-255, given
                   Gaussian noise (sd 12) on its lit pixels only, placed into a black 28x28
                   canvas at a random offset of 1-7 pixels per axis (the centred offset is 4),
                   clipped to 0-255 and rounded. Three augmentations per digit: 5,391 rows,
                   10 classes. Border pixels are lit only by shifted digits, so most pixels
                   are rarely non-zero (as in MNIST). The train/test split is drawn on the
                   source digits (the digits dataset's split), then each side is augmented,
                   so no digit has copies on both sides.
    telemetry      6,000 synthetic device-telemetry rows, 24 features, 4 balanced classes.
                   Four latent factors z ~ N(0, I_4) drive: 9 log-normal magnitudes with
                   medians 1e-2, 1e-1, ..., 1e6 (0.65-1.6 decades per sd of the latent: the
                   1st-99th percentiles of a column span 3-7 decades, values run from 1e-6
                   to 1e10 across columns), 4 Pareto(1.5) heavy tails
                   scaled by a latent, 5 sparse Poisson counts (72-87% zeros), 3 Gaussian
                   gauges, and 3 uninformative columns (log-normal, Pareto(1.2), Poisson(0.1)).
                   The class is two median splits of nonlinear scores of the latents
                   (s1 = z0 + 0.6 z1^2 - 0.6 z2, then s2 = z3 - 0.8 tanh(2 z2) + 0.4 z0 z1
                   within each half), so it depends on log-magnitudes and counts
                   nonlinearly. An MLP 24-64-4 reaches about 0.9 with log1p + standard
                   scaling and about 0.75 with standard scaling alone.

Split: scikit-learn train_test_split(test_size=0.2, stratify=label, random_state=0); rows keep
the order train_test_split returns.

Partitions of the N train rows over n devices, each from its own generator
numpy.random.default_rng([seed, zlib.crc32(b"<dataset>/<scheme>-<n>")]):
    iid             a permutation of the rows dealt round-robin: row perm[i] goes to device
                    i mod n.
    dirichlet<a>    label skew as in Hsu et al. 2019 ("Measuring the effects of non-identical
                    data distribution", arXiv:1909.06335) in the per-class form of FedLab and
                    Flower Datasets' DirichletPartitioner (Yurochkin et al. 2019): for each
                    class k = 0..K-1 in turn, shuffle that class's rows (rng.permutation of
                    them in ascending order), draw p ~ Dir(a * 1_n) (rng.dirichlet) and cut the
                    shuffled rows at floor(cumsum(p) * count_k), giving device j the j-th
                    piece. The draw of all K classes is repeated, up to 100 times, until every
                    device holds at least m = min(5, floor(N/n)) rows. If no draw succeeds,
                    the draw with the largest smallest device (the first such) is kept and
                    fixed up: while some device holds fewer than m rows, one row chosen by
                    rng.choice from the largest device (lowest index on ties) moves to the
                    smallest (lowest index on ties). meta.json records the draws made and the
                    rows moved.

Usage: make_datasets.py --out DIR [--digits data/digits.csv] [--seed 0] [--only NAME ...]
Takes a few seconds; prints a line per dataset on stderr and nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.model_selection import train_test_split

HIDDEN = 64
SCHEMES = ("iid", "dirichlet0.5", "dirichlet0.1")
DEVICES = (8, 32)
MIN_ROWS = 5
DRAWS = 100
IMAGE_SIDE, DIGIT_SIDE, AUGMENTATIONS = 28, 20, 3


def stratified_split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the train and test rows: stratified 80/20, random_state 0."""
    return train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)


def read_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    header = path.read_text().split("\n", 1)[0].split(",")
    if header[-1] != "label" or len(header) != 65:
        raise ValueError(f"{path}: expected 64 pixel columns and a final 'label' column")
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return table[:, :-1], table[:, -1].astype(np.int64)


def bilinear_matrix(source: int, target: int) -> np.ndarray:
    """A (target x source) matrix M so that M @ image @ M.T resamples an image bilinearly,
    the corner pixels of source and target aligned."""
    positions = np.linspace(0.0, source - 1.0, target)
    lower = np.minimum(np.floor(positions).astype(int), source - 2)
    weight = positions - lower
    matrix = np.zeros((target, source))
    matrix[np.arange(target), lower] = 1.0 - weight
    matrix[np.arange(target), lower + 1] = weight
    return matrix


def augment_digits(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """AUGMENTATIONS 28x28 images (rows of 784 integers 0-255) per 8x8 digit, in digit order."""
    resample = bilinear_matrix(8, DIGIT_SIDE)
    out = np.zeros((len(pixels) * AUGMENTATIONS, IMAGE_SIDE * IMAGE_SIDE))
    for i, digit in enumerate(pixels):
        large = resample @ digit.reshape(8, 8) @ resample.T / 16.0 * 255.0
        for a in range(AUGMENTATIONS):
            gain = rng.uniform(0.8, 1.2)
            noise = rng.normal(0.0, 12.0, large.shape) * (large > 0.0)
            dy, dx = rng.integers(1, IMAGE_SIDE - DIGIT_SIDE, size=2)
            canvas = np.zeros((IMAGE_SIDE, IMAGE_SIDE))
            canvas[dy : dy + DIGIT_SIDE, dx : dx + DIGIT_SIDE] = large * gain + noise
            out[i * AUGMENTATIONS + a] = np.rint(np.clip(canvas, 0.0, 255.0)).ravel()
    return out


def telemetry(rng: np.random.Generator, rows: int = 6000) -> tuple[np.ndarray, np.ndarray, str]:
    """The synthetic telemetry table (see the module doc comment) and a description of its columns."""
    z = rng.standard_normal((rows, 4))
    columns, names = [], []
    # Log-normal magnitudes: median 10^k, log spread 3 * (s * z_j + 0.05 noise) in natural log.
    for k, (j, s) in zip(
        range(-2, 7),
        [(0, 1.0), (0, 0.8), (1, 1.0), (1, 1.2), (2, 0.7), (3, 1.0), (0, 0.5), (1, 0.6), (3, 0.9)],
    ):
        columns.append(np.exp(np.log(10.0**k) + 3.0 * (s * z[:, j] + 0.05 * rng.standard_normal(rows))))
        names.append(f"lognormal(median 1e{k}, z{j})")
    for j, scale in [(0, 10.0), (1, 1e3), (3, 1.0), (2, 1e2)]:
        columns.append(scale * np.exp(0.7 * z[:, j]) * (1.0 + rng.pareto(1.5, rows)))
        names.append(f"pareto1.5(scale {scale:g}, z{j})")
    for j, bias in [(2, -1.5), (2, -2.0), (0, -2.5), (3, -1.8), (2, -2.2)]:
        columns.append(rng.poisson(np.exp(bias + 1.2 * z[:, j])).astype(np.float64))
        names.append(f"poisson(exp({bias:g} + 1.2 z{j}))")
    for j in [1, 3, 2]:
        columns.append(50.0 + 10.0 * (0.7 * z[:, j] + 0.5 * rng.standard_normal(rows)))
        names.append(f"gaussian(50 + 7 z{j})")
    columns.append(np.exp(np.log(1e4) + 2.0 * rng.standard_normal(rows)))
    columns.append(0.1 * (1.0 + rng.pareto(1.2, rows)))
    columns.append(rng.poisson(0.1, rows).astype(np.float64))
    names += ["uninformative lognormal(median 1e4)", "uninformative pareto1.2", "uninformative poisson(0.1)"]

    s1 = z[:, 0] + 0.6 * z[:, 1] ** 2 - 0.6 * z[:, 2]
    s2 = z[:, 3] - 0.8 * np.tanh(2.0 * z[:, 2]) + 0.4 * z[:, 0] * z[:, 1]
    high = s1 > np.median(s1)
    label = 2 * high.astype(np.int64)
    for half in (high, ~high):
        label[half] += s2[half] > np.median(s2[half])
    features = np.column_stack(columns).astype(np.float32).astype(np.float64)
    return features, label, "; ".join(f"f{i}: {n}" for i, n in enumerate(names))


def iid_partition(rows: int, devices: int, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    device = np.empty(rows, dtype=np.int64)
    device[rng.permutation(rows)] = np.arange(rows) % devices
    return device, {"draws": 0, "moved_rows": 0}


def dirichlet_partition(
    labels: np.ndarray, devices: int, alpha: float, rng: np.random.Generator
) -> tuple[np.ndarray, dict]:
    """Per-class Dirichlet label skew with re-draws and a fix-up (see the module doc comment)."""
    least = min(MIN_ROWS, len(labels) // devices)
    best, best_least = None, -1
    for draw in range(1, DRAWS + 1):
        device = np.empty(len(labels), dtype=np.int64)
        for k in range(labels.max() + 1):
            rows = rng.permutation(np.flatnonzero(labels == k))
            p = rng.dirichlet(np.full(devices, alpha))
            cuts = (np.cumsum(p) * len(rows)).astype(np.int64)[:-1]
            for j, piece in enumerate(np.split(rows, cuts)):
                device[piece] = j
        smallest = np.bincount(device, minlength=devices).min()
        if smallest >= least:
            return device, {"draws": draw, "moved_rows": 0}
        if smallest > best_least:
            best, best_least = device, smallest
    device, moved = best, 0
    while True:
        counts = np.bincount(device, minlength=devices)
        receiver = int(np.argmin(counts))
        if counts[receiver] >= least:
            return device, {"draws": DRAWS, "moved_rows": moved}
        donor = int(np.argmax(counts))
        device[rng.choice(np.flatnonzero(device == donor))] = receiver
        moved += 1


def partition(name: str, scheme: str, devices: int, labels: np.ndarray, seed: int) -> tuple[np.ndarray, dict]:
    rng = np.random.default_rng([seed, zlib.crc32(f"{name}/{scheme}-{devices}".encode())])
    if scheme == "iid":
        device, info = iid_partition(len(labels), devices, rng)
    else:
        device, info = dirichlet_partition(labels, devices, float(scheme.removeprefix("dirichlet")), rng)
    counts = np.bincount(device, minlength=devices)
    classes_held = [len(np.unique(labels[device == j])) for j in range(devices)]
    if len(counts) != devices or counts.min() < min(MIN_ROWS, len(labels) // devices):
        raise AssertionError(f"{name}/{scheme}-{devices}: a device holds too few rows: {counts.tolist()}")
    return device, {
        "devices": devices,
        "min_rows": int(counts.min()),
        "max_rows": int(counts.max()),
        "mean_classes_per_device": round(float(np.mean(classes_held)), 2),
        **info,
    }


def write_table(path: Path, features: np.ndarray, labels: np.ndarray) -> None:
    width = features.shape[1]
    header = ",".join([f"f{i}" for i in range(width)] + ["label"])
    table = np.column_stack([features, labels])
    np.savetxt(path, table, fmt=["%.9g"] * width + ["%d"], delimiter=",", header=header, comments="")


def write_dataset(out: Path, name: str, train: tuple, test: tuple, seed: int, features: str, split: str) -> None:
    (x_train, y_train), (x_test, y_test) = train, test
    classes = int(max(y_train.max(), y_test.max())) + 1
    if set(np.unique(y_train)) != set(range(classes)):
        raise AssertionError(f"{name}: train labels are not 0..{classes - 1}")
    folder = out / name
    (folder / "partitions").mkdir(parents=True, exist_ok=True)
    write_table(folder / "train.csv", x_train, y_train)
    write_table(folder / "test.csv", x_test, y_test)
    partitions = {}
    for scheme in SCHEMES:
        for devices in DEVICES:
            device, info = partition(name, scheme, devices, y_train, seed)
            (folder / "partitions" / f"{scheme}-{devices}.txt").write_text("".join(f"{d}\n" for d in device))
            partitions[f"{scheme}-{devices}"] = info
    width = x_train.shape[1]
    meta = {
        "name": name,
        "width": width,
        "classes": classes,
        "rows": len(y_train) + len(y_test),
        "train_rows": len(y_train),
        "test_rows": len(y_test),
        "architecture": f"{width}-{HIDDEN}-{classes}",
        "features": features,
        "split": split,
        "seed": seed,
        "partitions": partitions,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    moved = {k: v["moved_rows"] for k, v in partitions.items() if v["moved_rows"]}
    print(
        f"{name}: {len(y_train)} train + {len(y_test)} test rows, {width} features, {classes} classes"
        + (f"; Dirichlet fix-ups moved rows {moved}" if moved else ""),
        file=sys.stderr,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the datasets into")
    parser.add_argument(
        "--digits", type=Path, default=Path(__file__).resolve().parents[2] / "data" / "digits.csv"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="+", choices=["digits", "breast_cancer", "wine", "images", "telemetry"])
    args = parser.parse_args()
    wanted = set(args.only or ["digits", "breast_cancer", "wine", "images", "telemetry"])
    split = "stratified 80/20, scikit-learn train_test_split random_state 0"

    pixels, digit_labels = read_digits(args.digits)
    digit_train, digit_test = stratified_split(digit_labels)
    if "digits" in wanted:
        write_dataset(
            args.out, "digits",
            (pixels[digit_train], digit_labels[digit_train]), (pixels[digit_test], digit_labels[digit_test]),
            args.seed, "8x8 pixel counts 0-16", split,
        )
    for name, load in (("breast_cancer", load_breast_cancer), ("wine", load_wine)):
        if name in wanted:
            bunch = load()
            train, test = stratified_split(bunch.target)
            write_dataset(
                args.out, name,
                (bunch.data[train], bunch.target[train]), (bunch.data[test], bunch.target[test]),
                args.seed, f"scikit-learn load_{name}, raw scales: " + ", ".join(bunch.feature_names), split,
            )
    if "images" in wanted:
        rng = np.random.default_rng([args.seed, zlib.crc32(b"images")])
        x_train = augment_digits(pixels[digit_train], rng)
        x_test = augment_digits(pixels[digit_test], rng)
        write_dataset(
            args.out, "images",
            (x_train, np.repeat(digit_labels[digit_train], AUGMENTATIONS)),
            (x_test, np.repeat(digit_labels[digit_test], AUGMENTATIONS)),
            args.seed, "28x28 pixels 0-255, row-major; augmented upscaled digits",
            split + f" of the source digits, then {AUGMENTATIONS} augmentations of each (consecutive rows)",
        )
    if "telemetry" in wanted:
        features, labels, description = telemetry(np.random.default_rng([args.seed, zlib.crc32(b"telemetry")]))
        train, test = stratified_split(labels)
        write_dataset(
            args.out, "telemetry", (features[train], labels[train]), (features[test], labels[test]),
            args.seed, description, split,
        )


if __name__ == "__main__":
    main()
