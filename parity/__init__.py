"""scratch-parity's cross-check engine.

- ``check(target)``: is this implementation of the book's API right? ``target`` is a folder
  (a book-style ``common/``), a notebook, a script, a module name, or ``globals()`` / a module /
  a namespace from a live kernel (``parity.verify.check``). The result prints as tables and
  renders as HTML in Jupyter.
- ``run_checks(impl, frameworks, ...)``: every registry check as a pandas DataFrame
  (``parity.api.run_checks``).

- ``assert_matches(MyAffine, "Affine", framework="torch")``: one component in the user's own
  tests; an AssertionError with the mismatch and the diagnosis (``parity.testing.assertion``).

All import the engine on first use, so ``import parity`` stays light. ``__version__``: the
installed distribution's (scratch-parity).
"""
from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("scratch-parity")
except _metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"


def check(target="reference", **options):
    """See ``parity.verify.suite.check``: ``parity.check(globals())`` in a notebook."""
    from parity.verify.suite import check as _check

    return _check(target, **options)


def run_checks(impl="reference", frameworks=None, dtypes=("float64", "float32"),
               components=None, device="cpu"):
    """See ``parity.api.run_checks``."""
    from parity.api import run_checks as _run_checks

    return _run_checks(impl, frameworks, dtypes, components, device)


def assert_matches(component, name, framework="torch", dtypes=("float64", "float32"), device="cpu"):
    """See ``parity.testing.assertion.assert_matches``."""
    from parity.testing.assertion import assert_matches as _assert_matches

    return _assert_matches(component, name, framework, dtypes, device)


__all__ = ["check", "run_checks", "assert_matches", "__version__"]
