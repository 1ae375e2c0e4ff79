"""Where data files come from, in the order they are tried.

1. the user's directory: ``data_dir=`` or, when that is None, ``$SCRATCH_PARITY_DATA``
   (files in its ``<name>/`` subfolder, or directly in it);
2. the project cache ``<root>/<name>/``, where the root is
   ``pooch.os_cache("scratch-parity")`` (the platform's user cache: ``~/.cache/scratch-parity``
   or ``$XDG_CACHE_HOME/scratch-parity`` on Linux, ``~/Library/Caches/scratch-parity`` on
   macOS) unless ``$SCRATCH_PARITY_CACHE`` names another;
3. the Keras cache ``~/.keras/datasets/mnist.npz`` (``$KERAS_HOME`` respected; mnist only);
4. the system directory ``/usr/share/datasets/fashion-mnist/`` that Debian's
   ``dataset-fashion-mnist`` installs (fashion-mnist only);
5. a download through pooch from the public mirrors into the project cache
   (``$SCRATCH_PARITY_MIRRORS``, comma-separated base URLs, replaces them).

In each directory a set is either the four IDX ``.gz`` files or (mnist only)
Keras' ``mnist.npz``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pooch

from harness.data.checksums import IDX_FILES, KERAS_NPZ

ENV_DATA = "SCRATCH_PARITY_DATA"
ENV_CACHE = "SCRATCH_PARITY_CACHE"
ENV_MIRRORS = "SCRATCH_PARITY_MIRRORS"

#: Public mirrors, tried in order; each serves the four IDX file names.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

#: System-wide installs (Debian: ``apt install dataset-fashion-mnist``).
SYSTEM_DIRS: dict[str, tuple[Path, ...]] = {
    "fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),),
}


@dataclass(frozen=True)
class Location:
    """A directory that may hold one complete set of a data set's files."""

    source: str  # "data_dir" | "cache" | "keras-cache" | "system"
    directory: Path
    layout: str  # "idx" | "npz"

    @property
    def files(self) -> tuple[str, ...]:
        """The file names that make a complete set in this layout."""
        return IDX_FILES if self.layout == "idx" else (KERAS_NPZ,)

    @property
    def paths(self) -> tuple[Path, ...]:
        """The files' full paths."""
        return tuple(self.directory / name for name in self.files)

    def complete(self) -> bool:
        """True when every file of the set is present."""
        return all(path.is_file() for path in self.paths)


def user_dir(data_dir: str | os.PathLike | None) -> Path | None:
    """The user's data directory: the argument, else ``$SCRATCH_PARITY_DATA``, else None."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_DATA)
    return Path(env).expanduser() if env else None


def cache_dir(name: str) -> Path:
    """The project cache for ``name``: ``$SCRATCH_PARITY_CACHE/<name>``, else pooch's user cache."""
    root = os.environ.get(ENV_CACHE)
    base = Path(root).expanduser() if root else pooch.os_cache("scratch-parity")
    return base / name


def keras_datasets_dir() -> Path:
    """Keras' download cache: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    root = os.environ.get("KERAS_HOME")
    return (Path(root).expanduser() if root else Path.home() / ".keras") / "datasets"


def mirrors(name: str, override: str | list[str] | tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Mirror base URLs for ``name``: the argument, else ``$SCRATCH_PARITY_MIRRORS``, else :data:`MIRRORS`."""
    if override is None:
        override = os.environ.get(ENV_MIRRORS) or None
    if isinstance(override, str):
        override = override.split(",")
    if override is None:
        return MIRRORS.get(name, ())
    return tuple(base.strip().rstrip("/") + "/" for base in override if base.strip())


def local_locations(name: str, data_dir: str | os.PathLike | None = None) -> list[Location]:
    """Every local place ``name`` may be found, in the order they are tried."""
    layouts = ("idx", "npz") if name == "mnist" else ("idx",)
    found: list[Location] = []
    user = user_dir(data_dir)
    if user is not None:
        for directory in (user / name, user):
            found += [Location("data_dir", directory, layout) for layout in layouts]
    found += [Location("cache", cache_dir(name), layout) for layout in layouts]
    if name == "mnist":
        found.append(Location("keras-cache", keras_datasets_dir(), "npz"))
    found += [Location("system", directory, "idx") for directory in SYSTEM_DIRS.get(name, ())]
    return found
