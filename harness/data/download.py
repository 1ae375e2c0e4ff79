"""Downloading one data file through pooch, from the first mirror that serves it intact.

``pooch.retrieve`` does the work: it streams the file into a temporary file in
the destination folder, checks its SHA-256 against ``known_hash``, and only
then moves it into place (a reader sees no file or the whole verified file;
two processes downloading at once both end with one valid file); a file
already in place with that hash is returned without any request, one with
another hash is downloaded again. A mismatch or a broken transfer deletes the
temporary file. Progress is pooch's tqdm bar, its log line says which URL goes
to which file (``pooch.get_logger()`` sets its verbosity).

pooch takes one URL per file, so trying the mirrors in order is the loop here,
and so is telling a mirror that served bad bytes (:class:`DataError`) from
one that could not be reached (:class:`DataUnavailableError`).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

import pooch
import requests  # pooch's HTTP client: its exceptions say why a mirror failed

from harness.data.errors import DataError, DataUnavailableError

#: pooch draws its bar with tqdm and refuses ``progressbar=True`` without it.
HAVE_TQDM = importlib.util.find_spec("tqdm") is not None
#: Bytes per read (pooch reads 1 KiB at a time by default: 26,000 Python iterations for MNIST).
CHUNK = 1 << 16


def download_file(file_name: str, dest_dir: str | os.PathLike, bases: Sequence[str], sha256: str,
                  *, progress: bool = True, timeout: float = 30.0) -> Path:
    """``dest_dir / file_name``, fetched from the first of ``bases`` serving bytes with ``sha256``.

    Raises :class:`DataError` when some mirror served a corrupt or incomplete
    file and none served a good one, :class:`DataUnavailableError` when none
    could be reached or had the file.
    """
    downloader = pooch.HTTPDownloader(progressbar=progress and HAVE_TQDM, timeout=timeout,
                                      chunk_size=CHUNK)
    failures: list[str] = []
    bad_data = False
    for base in bases:
        url = base + file_name
        try:
            return Path(pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=file_name,
                                       path=dest_dir, downloader=downloader))
        except ValueError as exc:  # pooch's hash check; it deleted the download
            bad_data = True
            failures.append(f"{file_name} from {url}: SHA-256 mismatch, not used ({exc})")
        except requests.exceptions.ChunkedEncodingError as exc:  # fewer bytes than Content-Length
            bad_data = True
            failures.append(f"{file_name} from {url}: transfer interrupted, not used ({exc})")
        except requests.exceptions.RequestException as exc:  # refused, timed out, HTTP 404 ...
            failures.append(f"{url}: {exc}")
    error = DataError if bad_data else DataUnavailableError
    raise error(f"{file_name}: download failed from every mirror:\n  "
                + "\n  ".join(failures or ["(no mirrors)"]))
