"""The entry points: ``resolve_dataset``, ``load_dataset``, ``load_mnist``, ``describe_dataset``."""

from __future__ import annotations

import os
from collections.abc import Iterable

from harness.data.auto import resolve_auto
from harness.data.dataset import Dataset, Split
from harness.data.locate import Checksums, locate, locate_mnist5k

#: Names ``load_dataset`` accepts.
DATASETS = ("mnist", "fashion-mnist", "mnist-5k", "auto")


def resolve_dataset(name: str, data_dir: str | os.PathLike | None = None, *,
                    download: bool = True, mirrors: str | Iterable[str] | None = None,
                    checksums: Checksums | None = None, seed: int = 0, test_per_class: int = 100,
                    progress: bool = True, timeout: float = 30.0) -> Dataset:
    """Find ``name``'s files, verify their SHA-256, and say which, where from and why.

    ``download`` applies to mnist and fashion-mnist (``auto`` never downloads);
    ``mirrors`` replaces the public mirror base URLs; ``checksums`` (file name ->
    SHA-256 or several) replaces published values, for tests; ``seed`` and
    ``test_per_class`` set the mnist-5k split; ``progress`` shows pooch's tqdm
    bar while downloading; ``timeout`` (seconds) bounds each HTTP wait.
    """
    if name in ("mnist", "fashion-mnist"):
        return locate(name, data_dir, download=download, mirrors=mirrors, checksums=checksums,
                      progress=progress, timeout=timeout)
    if name == "mnist-5k":
        return locate_mnist5k(seed=seed, test_per_class=test_per_class, checksums=checksums)
    if name == "auto":
        return resolve_auto(data_dir, checksums=checksums, seed=seed, test_per_class=test_per_class)
    raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")


def load_dataset(name: str, normalize: bool = True, flatten: bool = True,
                 one_hot_label: bool = False, data_dir: str | os.PathLike | None = None,
                 dtype=None, **options) -> tuple[Split, Split]:
    """``(x_train, t_train), (x_test, t_test)`` of ``name`` in the book's format.

    ``options`` are :func:`resolve_dataset`'s keywords. To also know what was
    loaded, call ``resolve_dataset(...)`` and then ``.load(...)`` on its result.
    """
    dataset = resolve_dataset(name, data_dir, **options)
    return dataset.load(normalize=normalize, flatten=flatten, one_hot_label=one_hot_label, dtype=dtype)


def load_mnist(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False
               ) -> tuple[Split, Split]:
    """The book's ``load_mnist``: full MNIST, ``(x_train, t_train), (x_test, t_test)``.

    Example::

        >>> (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)
        >>> x_train.shape, x_train.dtype, t_train.shape
        ((60000, 1, 28, 28), dtype('float32'), (60000,))
    """
    return load_dataset("mnist", normalize=normalize, flatten=flatten, one_hot_label=one_hot_label)


def describe_dataset(name: str, data_dir: str | os.PathLike | None = None, **options) -> dict:
    """``resolve_dataset(...).as_record()``: chosen name, reason, source, files and SHA-256s."""
    return resolve_dataset(name, data_dir, **options).as_record()
