"""IDX and npz parsing, and checksum verification, on files the tests write."""

import gzip
import io

import numpy as np
import pytest

from harness.data import DataError, load_dataset, resolve_dataset
from harness.data.checksums import IDX_FILES, TRAIN_IMAGES, TRAIN_LABELS, sha256_hex
from harness.data.idx import parse_idx, read_idx_gz, write_idx_gz
from harness.data.npz import read_mnist_npz
from harness.data.testing import isolate, tiny_arrays, write_tiny_idx_set


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_roundtrip(tmp_path, dtype):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    path = write_idx_gz(tmp_path / "a.gz", array)
    back = read_idx_gz(path.read_bytes(), name=str(path))
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, array)


def test_idx_header_is_the_standard_one(tmp_path):
    path = write_idx_gz(tmp_path / "labels.gz", np.array([7, 2, 1], np.uint8))
    raw = gzip.decompress(path.read_bytes())
    assert raw == bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1])  # magic 0x00000801, N=3


def test_truncated_gzip_names_the_file(tmp_path):
    path = write_idx_gz(tmp_path / "t.gz", np.zeros((5, 28, 28), np.uint8))
    data = path.read_bytes()[:-20]
    with pytest.raises(DataError, match="t.gz.*gzip"):
        read_idx_gz(data, name=str(path))


@pytest.mark.parametrize("raw, message", [
    (bytes([1, 0, 8, 1, 0, 0, 0, 1, 5]), "magic"),           # first byte not 0
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), "magic"),        # unknown type code
    (b"", "magic"),
    (bytes([0, 0, 8, 3, 0, 0, 0, 2]), "cut short"),           # 3 dims declared, 1 given
    (bytes([0, 0, 8, 1, 0, 0, 0, 3, 5, 6]), "dimensions"),     # 3 declared, 2 bytes
    (bytes([0, 0, 8, 1, 0, 0, 0, 1, 5, 6]), "dimensions"),     # trailing byte
])
def test_bad_header_is_an_error_naming_the_file(raw, message):
    with pytest.raises(DataError, match=f"bad.gz.*{message}"):
        parse_idx(raw, name="bad.gz")


def test_tiny_set_loads_in_the_books_format(tmp_path):
    sums = write_tiny_idx_set(tmp_path / "d", n_train=20, n_test=10)
    x_train, t_train, x_test, t_test = tiny_arrays(20, 10)
    (x, t), (xt, tt) = load_dataset("mnist", data_dir=tmp_path / "d", checksums=sums)
    assert x.shape == (20, 784) and x.dtype == np.float32 and xt.shape == (10, 784)
    np.testing.assert_array_equal(x, x_train.reshape(20, 784).astype(np.float32) / 255.0)
    np.testing.assert_array_equal(t, t_train)
    assert t.dtype == np.uint8 and 0.0 <= x.min() and x.max() <= 1.0
    (x, t), _ = load_dataset("mnist", normalize=False, flatten=False, one_hot_label=True,
                             data_dir=tmp_path / "d", checksums=sums)
    assert x.shape == (20, 1, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(x[:, 0], x_train)
    assert t.shape == (20, 10) and t.dtype == np.float64
    np.testing.assert_array_equal(t.argmax(axis=1), t_train)
    assert np.all(t.sum(axis=1) == 1)
    (x, t), _ = load_dataset("mnist", one_hot_label=True, data_dir=tmp_path / "d",
                             checksums=sums, dtype=np.float64)
    assert x.dtype == np.float64 and t.dtype == np.float64


def test_wrong_checksum_is_an_error_naming_the_file(tmp_path):
    sums = write_tiny_idx_set(tmp_path / "d")
    sums[TRAIN_LABELS] = "0" * 64
    with pytest.raises(DataError, match=f"{TRAIN_LABELS}.*SHA-256 mismatch"):
        load_dataset("mnist", data_dir=tmp_path / "d", checksums=sums)


def test_planted_fault_one_flipped_byte_is_caught(tmp_path):
    sums = write_tiny_idx_set(tmp_path / "d")
    path = tmp_path / "d" / TRAIN_IMAGES
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=f"{TRAIN_IMAGES}.*SHA-256 mismatch"):
        resolve_dataset("mnist", data_dir=tmp_path / "d", checksums=sums)


def test_file_changed_after_resolution_is_not_used(tmp_path):
    sums = write_tiny_idx_set(tmp_path / "d")
    dataset = resolve_dataset("mnist", data_dir=tmp_path / "d", checksums=sums)
    write_tiny_idx_set(tmp_path / "d", seed=1)  # same names, other bytes
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        dataset.load()


def test_truncated_file_with_matching_checksum_is_still_an_error(tmp_path):
    sums = write_tiny_idx_set(tmp_path / "d")
    path = tmp_path / "d" / TRAIN_IMAGES
    path.write_bytes(path.read_bytes()[:-30])
    sums[TRAIN_IMAGES] = sha256_hex(path.read_bytes())
    with pytest.raises(DataError, match=f"{TRAIN_IMAGES}.*gzip"):
        load_dataset("mnist", data_dir=tmp_path / "d", checksums=sums)


def test_labels_images_count_mismatch_is_an_error(tmp_path):
    d = tmp_path / "d"
    write_tiny_idx_set(d)
    write_idx_gz(d / TRAIN_LABELS, np.zeros(19, np.uint8))
    sums = {name: sha256_hex((d / name).read_bytes()) for name in IDX_FILES}
    with pytest.raises(DataError, match="19 labels for 20 images"):
        load_dataset("mnist", data_dir=d, checksums=sums)


def test_keras_npz_layout(tmp_path):
    x_train, t_train, x_test, t_test = tiny_arrays()
    buffer = io.BytesIO()
    np.savez(buffer, x_train=x_train, y_train=t_train, x_test=x_test, y_test=t_test)
    keras = tmp_path / "isolated" / "home" / ".keras" / "datasets"
    keras.mkdir(parents=True)
    (keras / "mnist.npz").write_bytes(buffer.getvalue())
    dataset = resolve_dataset("mnist", checksums={"mnist.npz": sha256_hex(buffer.getvalue())})
    assert dataset.source == "keras-cache" and dataset.layout == "npz"
    (x, t), (xt, tt) = dataset.load(normalize=False, flatten=False)
    np.testing.assert_array_equal(x[:, 0], x_train)
    np.testing.assert_array_equal(tt, t_test)


def test_npz_missing_key_is_an_error():
    buffer = io.BytesIO()
    np.savez(buffer, x_train=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(DataError, match="m.npz.*lacks keys"):
        read_mnist_npz(buffer.getvalue(), "m.npz")
    with pytest.raises(DataError, match="m.npz.*not a readable npz"):
        read_mnist_npz(buffer.getvalue()[:50], "m.npz")
