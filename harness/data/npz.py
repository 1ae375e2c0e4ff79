"""Keras' ``mnist.npz``: one zip archive with x_train, y_train, x_test, y_test.

Parsed from bytes already checksum-verified, fully into memory, with
``allow_pickle=False``; a damaged archive or a missing key raises
:class:`DataError` naming the file.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np

from harness.data.errors import DataError

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_mnist_npz(data: bytes, name: str) -> tuple[np.ndarray, ...]:
    """Return ``(x_train, y_train, x_test, y_test)`` from the archive's bytes."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            missing = [key for key in NPZ_KEYS if key not in archive.files]
            if missing:
                raise DataError(f"{name}: npz archive lacks keys {missing}")
            return tuple(np.array(archive[key]) for key in NPZ_KEYS)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{name}: not a readable npz archive ({exc})") from exc
