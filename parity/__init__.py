"""scratch-parity's cross-check engine: ``run_checks`` compares an implementation of the book's
API with PyTorch and Keras, component by component (see ``parity.api``)."""


def run_checks(impl="reference", frameworks=("torch", "keras"), dtypes=("float64", "float32"),
               components=None, device="cpu"):
    """See ``parity.api.run_checks`` (imported on first use, so ``import parity`` stays light)."""
    from parity.api import run_checks as _run_checks

    return _run_checks(impl, frameworks, dtypes, components, device)


__all__ = ["run_checks"]
