"""Check your own implementation of the book's API: ``python -m parity check PATH``.

- ``suite.check``: every applicable registry check and net check, each component in a child
  process under a time limit (``isolate``); ``table`` summarizes and renders them.
- ``semantics.diagnose``: "matches torch default, not the book" for a failing component.
- ``nets.localize_gradients`` / ``nets.localize_forward``: which parameter / layer of a net diverges.
- ``selftest``: the shipped planted faults (``faults``) must all be caught.
"""
from parity.check.nets import localize_forward, localize_gradients
from parity.check.suite import check

__all__ = ["check", "localize_forward", "localize_gradients"]
