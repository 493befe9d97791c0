"""Reading the quality benchmark's files (written by make_datasets.py) and applying a dataset's
preprocessing (chosen and written by centralised.py), shared by centralised.py and flower_peer.py.

DIR/<name>/preprocessing.json, the one transform every side applies to every row:
    {"dataset": name, "name": "standard" | "log1p+standard" | "divide255",
     "log1p_columns": [column indices], "shift": [D numbers], "scale": [D numbers]}
    x'_j = (g_j(x_j) - shift_j) / scale_j with g_j = log1p on the listed columns and the
    identity elsewhere. shift and scale are scikit-learn StandardScaler's mean_ and scale_
    fitted on all rows of train.csv after g (standard deviation, 1 for a constant column), or
    0 and 255 for pixels. The log1p columns are those whose train minimum is >= 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.preprocessing import StandardScaler


def read_table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features (float64, exactly the values written) and integer labels of a train/test CSV."""
    with path.open() as file:
        header = file.readline().strip().split(",")
    if header[-1] != "label" or header[:-1] != [f"f{i}" for i in range(len(header) - 1)]:
        raise ValueError(f"{path}: header is not f0,...,f{{D-1}},label")
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    labels = table[:, -1]
    if not np.array_equal(labels, np.rint(labels)) or labels.min() < 0:
        raise ValueError(f"{path}: labels are not non-negative integers")
    return table[:, :-1], labels.astype(np.int64)


def read_dataset(folder: Path) -> tuple[dict, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """meta.json, (x_train, y_train) and (x_test, y_test) of one dataset folder."""
    meta = json.loads((folder / "meta.json").read_text())
    train, test = read_table(folder / "train.csv"), read_table(folder / "test.csv")
    for x, y in (train, test):
        if x.shape[1] != meta["width"] or y.max() >= meta["classes"]:
            raise ValueError(f"{folder}: a table disagrees with meta.json")
    return meta, train, test


def read_partition(path: Path, rows: int) -> np.ndarray:
    """The device index of every train row."""
    device = np.loadtxt(path, dtype=np.int64, ndmin=1)
    if len(device) != rows or device.min() < 0:
        raise ValueError(f"{path}: expected {rows} non-negative device indices")
    return device


def fit_preprocessing(name: str, x_train: np.ndarray, dataset: str) -> dict:
    """The transform called `name`, fitted on the train rows."""
    width = x_train.shape[1]
    if name == "divide255":
        return {"dataset": dataset, "name": name, "log1p_columns": [], "shift": [0.0] * width, "scale": [255.0] * width}
    if name not in ("standard", "log1p+standard"):
        raise ValueError(f"unknown preprocessing {name}")
    logged = np.flatnonzero(x_train.min(axis=0) >= 0).tolist() if name == "log1p+standard" else []
    values = x_train.copy()
    values[:, logged] = np.log1p(values[:, logged])
    scaler = StandardScaler().fit(values)
    shift, scale = scaler.mean_, scaler.scale_
    return {"dataset": dataset, "name": name, "log1p_columns": logged, "shift": shift.tolist(), "scale": scale.tolist()}


def apply_preprocessing(transform: dict, x: np.ndarray) -> np.ndarray:
    values = x.copy()
    logged = transform["log1p_columns"]
    values[:, logged] = np.log1p(values[:, logged])
    return (values - np.asarray(transform["shift"])) / np.asarray(transform["scale"])


def read_preprocessing(folder: Path) -> dict:
    path = folder / "preprocessing.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run centralised.py on this folder first")
    return json.loads(path.read_text())
