"""Layer checks: forward, dx, parameter gradients, batch-norm running statistics and inference,
dropout train/test semantics, convolution layouts, pooling ties, against PyTorch and Keras (or the
implementation's own numerical gradient, framework "numerical"). The engine is shared with the
function checks: ``parity.runners.runner``.

    run(row, framework, dtype, impl="reference", device="cpu") -> list[Record]
"""
from parity.runners.runner import run as _run


def run(row, framework, dtype, impl="reference", device="cpu", config=None):
    """One Record per case x check of the layer ``row`` for ``framework`` in ``dtype``."""
    if row.kind != "layer":
        raise ValueError(f"parity.runners.layers: {row.name} is a {row.kind!r} row, not a layer")
    return _run(row, framework, dtype, impl, device, config)
