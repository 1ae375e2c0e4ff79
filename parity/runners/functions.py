"""Function checks: softmax, cross_entropy_error, sum_squared_error, sigmoid (and sigmoid_grad
against autodiff), relu, tanh, identity_function, against the same formulas in PyTorch and Keras
ops. The engine is shared with the layer checks: ``parity.runners.runner``.

    run(row, framework, dtype, impl="reference", device="cpu") -> list[Record]
"""
from parity.runners.runner import run as _run


def run(row, framework, dtype, impl="reference", device="cpu", config=None):
    """One Record per case x check of the function ``row`` for ``framework`` in ``dtype``."""
    if row.kind != "function":
        raise ValueError(f"parity.runners.functions: {row.name} is a {row.kind!r} row, not a function")
    return _run(row, framework, dtype, impl, device, config)
