"""The one registry: every component of the book API with its framework counterparts, the
configuration that gives them the book's semantics, and its tolerances.

The table is kept in one section per kind (``layers``, ``layouts`` (the convolution layout matrix), ``functions``, ``gradients``,
``optimizers``, ``initializers``); ``COMPONENTS`` is their concatenation in that order. Adding a component means
adding one row to its section (and the builder it names in each backend).
"""
from parity.registry import functions, gradients, initializers, layers, layouts, optimizers
from parity.registry.spec import Component

COMPONENTS = (*layers.ROWS, *layouts.ROWS, *functions.ROWS, *gradients.ROWS, *optimizers.ROWS, *initializers.ROWS)


def get(name):
    for row in COMPONENTS:
        if row.name == name:
            return row
    raise KeyError(f"no component {name!r} in the registry; known: {[r.name for r in COMPONENTS]}")


def names(kind=None):
    return [row.name for row in COMPONENTS if kind is None or row.kind == kind]


__all__ = ["COMPONENTS", "Component", "get", "names"]
