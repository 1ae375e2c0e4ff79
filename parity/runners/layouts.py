"""The layout matrix's runner (rows of kind "layout", ``parity.registry.layouts``): the layer
runner, ``parity.runners.runner``, on the book's Convolution / Pooling and each framework's
``convolution_<format>`` / ``pooling_<format>`` builder with the row's padding and bias.

    run(row, framework, dtype, impl="reference", device="cpu") -> list[Record]
"""
from parity.runners.runner import run as _run


def run(row, framework, dtype, impl="reference", device="cpu", config=None):
    """One Record per check of the layout row ``row`` for ``framework`` in ``dtype``."""
    if row.kind != "layout":
        raise ValueError(f"parity.runners.layouts: {row.name} is a {row.kind!r} row, not a layout")
    return _run(row, framework, dtype, impl, device, config)
