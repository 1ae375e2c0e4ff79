"""Copies of the reference with edited source text: the planted faults of ``selftest`` and the
framework-default variants of ``semantics`` are both such copies.

``reference_copy(dest, edits)`` writes every ``reference/*.py`` file into ``dest`` as a book-style
folder (``from reference.x import`` becomes ``from common.x import``, no ``__init__.py``), then
applies each ``Edit`` to the text. An edit names the number of times its ``old`` text must occur
(1 unless stated); a different count raises ``PatchError``, so an edit of the reference can never
silently disable a fault or a variant.

    >>> folder = reference_copy(tmp, [Edit("layers.py", "np.sqrt(var + 10e-7)", "np.sqrt(var + 1e-5)")])
    >>> load_implementation(folder).get("layers.BatchNormalization")
"""
from dataclasses import dataclass
import os
import re

import reference


class PatchError(AssertionError):
    """An edit's text does not occur in the reference as often as it says."""


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` in ``file`` (a reference file name); ``old`` must occur ``count`` times."""
    file: str
    old: str
    new: str
    count: int = 1


@dataclass(frozen=True)
class Append:
    """Add ``text`` at the end of ``file`` (a later definition of a name replaces the earlier one)."""
    file: str
    text: str


@dataclass(frozen=True)
class Drop:
    """Leave ``file`` out of the copy (the book has no ``init.py``, for one)."""
    file: str


REFERENCE_DIR = os.path.dirname(os.path.abspath(reference.__file__))
_IMPORT = re.compile(r"^(\s*)from reference(\.| import)", re.MULTILINE)


def book_style(text):
    """``from reference.x import y`` -> ``from common.x import y`` (the book's import style)."""
    return _IMPORT.sub(lambda m: f"{m.group(1)}from common{m.group(2)}", text)


def reference_sources():
    """{file name: book-style source text} of every module of the reference package."""
    out = {}
    for name in sorted(os.listdir(REFERENCE_DIR)):
        if name.endswith(".py") and name != "__init__.py":
            with open(os.path.join(REFERENCE_DIR, name)) as f:
                out[name] = book_style(f.read())
    return out


def apply_edits(sources, edits):
    """``sources`` ({file: text}) with each edit applied; PatchError where an edit does not fit."""
    sources = dict(sources)
    for e in edits:
        if e.file not in sources:
            raise PatchError(f"edit of {e.file!r}: no such reference file ({sorted(sources)})")
        if isinstance(e, Drop):
            del sources[e.file]
            continue
        if isinstance(e, Append):
            sources[e.file] = sources[e.file].rstrip("\n") + "\n\n\n" + e.text
            continue
        found = sources[e.file].count(e.old)
        if found != e.count:
            raise PatchError(f"edit of {e.file}: {e.old!r} occurs {found} times, expected {e.count} "
                             f"(the reference changed; update the edit)")
        sources[e.file] = sources[e.file].replace(e.old, e.new)
    return sources


def reference_copy(dest, edits=()):
    """Write the reference as a book-style folder ``dest`` with ``edits`` applied; returns ``dest``."""
    sources = apply_edits(reference_sources(), edits)
    os.makedirs(dest, exist_ok=True)
    for name, text in sources.items():
        with open(os.path.join(dest, name), "w") as f:
            f.write(text)
    return str(dest)
