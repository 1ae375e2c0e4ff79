"""Helpers for tests that need data without the real files: tiny IDX sets and isolation.

``write_tiny_idx_set`` writes the four standard ``.gz`` files holding a few
random 28x28 images and labels and returns their SHA-256s, ready to pass as
``checksums=``. ``isolate`` points every source (user directory, cache, Keras
cache, system directory, mirrors) at empty places under a temporary directory,
so that a test sees only the files it writes and never touches the network.

Example::

    def test_x(tmp_path, monkeypatch):
        isolate(monkeypatch, tmp_path)
        sums = write_tiny_idx_set(tmp_path / "data")
        (x, t), _ = load_dataset("mnist", data_dir=tmp_path / "data", checksums=sums)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from harness.data import sources
from harness.data.checksums import IDX_FILES
from harness.data.idx import write_idx_gz

#: A base URL nothing listens on: a download attempt fails at once, offline.
UNREACHABLE_MIRROR = "http://127.0.0.1:9/"


def tiny_arrays(n_train: int = 20, n_test: int = 10, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Random uint8 images (N, 28, 28) and labels (N,) in 0..9: train, train, test, test."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n_train, dtype=np.uint8),
            rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n_test, dtype=np.uint8))


def write_tiny_idx_set(directory: str | Path, n_train: int = 20, n_test: int = 10, seed: int = 0
                       ) -> dict[str, str]:
    """Write the four IDX ``.gz`` files into ``directory``; return file name -> SHA-256."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sums = {}
    for name, array in zip(IDX_FILES, tiny_arrays(n_train, n_test, seed)):
        path = write_idx_gz(directory / name, array)
        sums[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def isolate(monkeypatch, tmp_path: str | Path) -> Path:
    """Point all data sources at empty folders under ``tmp_path``; return that root."""
    root = Path(tmp_path) / "isolated"
    monkeypatch.delenv(sources.ENV_DATA, raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(root / "home"))
    monkeypatch.setenv(sources.ENV_CACHE, str(root / "cache"))
    monkeypatch.setenv(sources.ENV_MIRRORS, UNREACHABLE_MIRROR)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(sources, "SYSTEM_DIRS", {"fashion-mnist": (root / "system" / "fashion-mnist",)})
    return root
