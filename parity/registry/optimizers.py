"""Registry rows: optimizers of the book API (see parity.registry.spec.Component)."""
from parity.registry.spec import Component, Tol  # noqa: F401

ROWS = ()
