"""The work one child process does for ``parity.verify.suite.check``: one registry row or one net.

The fork server imports this module once (``suite._preload``), so the numerics configuration
(``parity.numerics.configure``: deterministic algorithms, TF32 off; about a second) is done there
once and every child forked from it inherits it.

Warnings the implementation's own code raises while it is checked (the book's ``sigmoid``
overflows in ``exp`` at -1000) are collected, not printed: each distinct one becomes a note of its
component ("warned: RuntimeWarning: overflow encountered in exp (functions.py:14)").
"""
import os
import warnings

from parity import numerics
from parity.api import run_records
from parity.verify import netcheck, semantics
from parity.impl import load_implementation
from parity.provenance import inside

numerics.configure()


def _library(filename):
    """True for a file of an installed package, the standard library, or this project's engine."""
    import sys

    import parity

    engine = os.path.dirname(os.path.dirname(os.path.abspath(parity.__file__)))
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.join(engine, "parity"), os.path.join(engine, "reference")}
    return any(inside(filename, r) for r in roots) or filename.startswith("<frozen")


def _child_setup(variant_dir):
    semantics._DIR = variant_dir  # the parent's copies of the variants


class _warnings_of:
    """Context: record the warnings raised from the implementation's files; notes after."""

    def __init__(self, impl):
        impl = load_implementation(impl)
        self.dirs = [d for d in (impl.root, *impl.own_dirs) if d]
        self.label = "" if impl.kind != "notebook" else impl.name
        self.anywhere = impl.kind == "namespace"  # a kernel's cells live in temporary files
        self.notes = []

    def _own(self, filename):
        if self.anywhere and not _library(filename):
            return os.path.basename(filename)
        if self.label and filename.startswith(os.path.basename(self.label) + " [cell "):
            return filename.rpartition(" [")[2].rstrip("]")
        for d in self.dirs:
            if inside(filename, d):
                return os.path.relpath(filename, d)
        return None

    def __enter__(self):
        self._catch = warnings.catch_warnings(record=True)
        self.caught = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)
        seen = {}
        for w in self.caught:
            own = self._own(w.filename)
            if own is not None:
                where = f"{own}:{w.lineno}" if not own.startswith("cell ") else f"{own}, line {w.lineno}"
                seen.setdefault((w.category.__name__, str(w.message), where), 0)
                seen[(w.category.__name__, str(w.message), where)] += 1
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self.notes = [f"your code warned: {cat}: {msg} ({where}, {n} time{'s' * (n > 1)})"
                      for (cat, msg, where), n in seen.items()]
        return False


def row_unit(impl, row_name, frameworks, dtypes, device, variant_dir=None):
    """Child: the row's records, a semantics diagnosis where a check failed, and notes."""
    from parity.registry import get

    _child_setup(variant_dir)
    row = get(row_name)
    with _warnings_of(impl) as caught:
        records = run_records(impl, frameworks, dtypes, [row_name], device)
        diagnosis = ""
        if any(r.status == "fail" for r in records):
            diagnosis = semantics.diagnose(impl, row) or ""
    return records, diagnosis, caught.notes


def net_unit(impl, name, frameworks, variant_dir=None, index=0, factory=""):
    """Child: the net's records, the gradient localization where a gradient failed, and the notes
    on how the net was built and checked. index: which definition of ``name``; factory: a
    ``module:function`` (or callable) that builds it."""
    _child_setup(variant_dir)
    with _warnings_of(impl) as caught:
        records, notes = netcheck.run(impl, name, frameworks, index=index, factory=factory)
    localized = [r.message.rpartition("; ")[2] for r in records
                 if r.status == "fail" and "; first divergent" in r.message]
    return records, (localized[0] if localized else ""), notes + caught.notes
