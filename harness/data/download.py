"""Downloading one data file from a list of mirrors, safely.

The body is streamed into a temporary file unique to this process and thread
(``.<name>.<random>.part`` in the destination directory) while it is hashed.
Only when the transfer is complete (every byte of ``Content-Length``) and the
SHA-256 is accepted is the file moved into place with :func:`os.replace`,
which is atomic: a reader sees either no file or the whole verified file, and
two processes downloading at once both end with one valid file. On any failure
the temporary file is removed and the next mirror is tried.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

from harness.data.errors import DataError, DataUnavailableError

try:  # optional: a progress bar when tqdm is installed
    from tqdm import tqdm
except ImportError:  # pragma: no cover - exercised only without tqdm
    tqdm = None

CHUNK = 1 << 20


def download_file(
    file_name: str,
    dest_dir: str | os.PathLike,
    bases: Sequence[str],
    accepted: Iterable[str],
    *,
    progress: bool = True,
    timeout: float = 30.0,
) -> tuple[Path, str]:
    """Fetch ``file_name`` from the first mirror serving an accepted copy.

    Returns ``(path, sha256)`` of the file now in ``dest_dir``. Raises
    :class:`DataError` when a mirror served a corrupt or incomplete file and
    none served a good one, :class:`DataUnavailableError` when no mirror could
    be reached at all.
    """
    accepted = tuple(accepted)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    bad_data = False
    for base in bases:
        url = base + file_name
        try:
            digest = _fetch_verified(url, dest_dir, file_name, accepted, progress, timeout)
        except DataError as exc:
            bad_data = True
            failures.append(str(exc))
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            failures.append(f"{url}: {exc!r}")
        else:
            return dest_dir / file_name, digest
    error = DataError if bad_data else DataUnavailableError
    raise error(f"{file_name}: download failed from every mirror:\n  " + "\n  ".join(failures or ["(no mirrors)"]))


def _fetch_verified(url: str, dest_dir: Path, file_name: str, accepted: tuple[str, ...],
                    progress: bool, timeout: float) -> str:
    """Stream ``url`` to a temp file, verify size and SHA-256, then move it into place."""
    handle = tempfile.NamedTemporaryFile(
        dir=dest_dir, prefix=f".{file_name}.", suffix=".part", delete=False
    )
    temp = Path(handle.name)
    try:
        with handle, urllib.request.urlopen(url, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            total = int(declared) if declared and declared.isdigit() else None
            sha, received = hashlib.sha256(), 0
            bar = _progress_bar(total, file_name, progress)
            try:
                while chunk := response.read(CHUNK):
                    handle.write(chunk)
                    sha.update(chunk)
                    received += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
        if total is not None and received != total:
            raise DataError(f"{file_name} from {url}: transfer interrupted, "
                            f"received {received} of {total} bytes; not used")
        digest = sha.hexdigest()
        if digest not in accepted:
            raise DataError(f"{file_name} from {url}: SHA-256 mismatch: got {digest}, "
                            f"expected {' or '.join(accepted)}; not used")
        os.replace(temp, dest_dir / file_name)
        return digest
    finally:
        temp.unlink(missing_ok=True)


def _progress_bar(total: int | None, file_name: str, enabled: bool):
    """A tqdm bar in bytes, or None when disabled or tqdm is missing."""
    if not enabled or tqdm is None:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=file_name, leave=False)
