"""scratch-parity's cross-check engine.

- ``check(target)``: is this implementation of the book's API right? ``target`` is a folder
  (a book-style ``common/``), a notebook, a script, a module name, or ``globals()`` / a module /
  a namespace from a live kernel (``parity.verify.check``). The result prints as tables and
  renders as HTML in Jupyter.
- ``run_checks(impl, frameworks, ...)``: every registry check as a pandas DataFrame
  (``parity.api.run_checks``).

Both import the engine on first use, so ``import parity`` stays light.
"""


def check(target="reference", **options):
    """See ``parity.verify.suite.check``: ``parity.check(globals())`` in a notebook."""
    from parity.verify.suite import check as _check

    return _check(target, **options)


def run_checks(impl="reference", frameworks=None, dtypes=("float64", "float32"),
               components=None, device="cpu"):
    """See ``parity.api.run_checks``."""
    from parity.api import run_checks as _run_checks

    return _run_checks(impl, frameworks, dtypes, components, device)


__all__ = ["check", "run_checks"]
