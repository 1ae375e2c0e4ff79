"""Check your own implementation of the book's API: ``python -m parity check PATH``.

- ``suite.check``: every applicable registry check and net check (``netcheck``), each component
  in a child process under a time limit (``isolate``, the child's work in ``units``); ``table``
  summarizes and renders them; ``cli`` is ``python -m parity``.
- ``patch``: copies of the reference with edited source text (faults and variants).
- ``semantics.diagnose``: "matches torch default, not the book" for a failing component.
- ``nets.localize_gradients`` / ``nets.localize_forward``: which parameter / layer of a net diverges.
- ``selftest``: the shipped planted faults (``faults``) must all be caught.
"""
from parity.verify.nets import localize_forward, localize_gradients
from parity.verify.suite import check

__all__ = ["check", "localize_forward", "localize_gradients"]
