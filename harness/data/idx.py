"""IDX files (the MNIST format), gzip-compressed.

Format (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32 dimensions, then the
data, big-endian, row-major. Type codes: 0x08 uint8, 0x09 int8, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64.

Everything is parsed in memory and validated before an array is returned:
a truncated gzip stream, a bad magic number or dimensions that disagree with
the byte count raise :class:`DataError` naming the file.

Example::

    >>> write_idx_gz(path, np.zeros((2, 28, 28), np.uint8))
    >>> read_idx_gz(path.read_bytes(), name=str(path)).shape
    (2, 28, 28)
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from harness.data.errors import DataError

#: IDX type code -> NumPy dtype (big-endian where it matters).
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}


def gunzip(data: bytes, name: str) -> bytes:
    """Decompress a whole gzip stream, or raise :class:`DataError` naming ``name``."""
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{name}: not a complete gzip file ({exc})") from exc


def parse_idx(raw: bytes, name: str) -> np.ndarray:
    """Parse uncompressed IDX bytes into a native-endian array of the file's shape."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise DataError(f"{name}: bad IDX magic number {raw[:4].hex() or '(empty)'}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{name}: IDX header declares {ndim} dimensions but is cut short")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[raw[2]]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(
            f"{name}: IDX dimensions {dims} need {expected} data bytes, "
            f"file has {len(raw) - header}"
        )
    array = np.frombuffer(raw, dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx_gz(data: bytes, name: str) -> np.ndarray:
    """Decompress and parse a ``.gz`` IDX file given as bytes."""
    return parse_idx(gunzip(data, name), name)


def write_idx_gz(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as a gzip-compressed IDX file (used by tests and fixtures)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    body = array.astype(IDX_DTYPES[code], copy=False).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(header + body, mtime=0))
    return path
