"""Driving the JAX builders on the registry's rows with the engine's own drivers.

The registry rows name one builder per component (the same name in every backend); until the
registry knows the jax backend, ``AsJax(row)`` answers ``builder("jax")`` with that name, so
``parity.runners.runner.drive_framework("jax", ...)`` imports ``parity.backends.jax.layers`` and
runs the row exactly as it runs torch and Keras, and ``parity.runners.initializers.run`` draws from
``parity.backends.jax.initializers``.
"""
from dataclasses import replace
import functools

import numpy as np

from parity import cases as case_table
from parity.runners.runner import drive_framework, drive_reference
from parity.compare import compare
from parity.impl import load_implementation
from parity.tolerances import tolerance


class AsJax:
    """A registry row whose ``builder(framework)`` is the row's builder name for every framework."""

    def __init__(self, row, name=None):
        self._row = row
        self._name = name

    def __getattr__(self, attr):
        return getattr(self._row, attr)

    def builder(self, framework):
        return self._name or self._row.builder("jax") or self._row.builder("torch")


@functools.lru_cache(maxsize=None)
def _impl():
    return load_implementation("reference")


def reference_numbers(row, case_id, dtype):
    """(row as the runner sees it, arrays, hyper, the shipped reference's numbers) for one case."""
    case = case_table.get(case_id)
    arrays = case.cast(dtype)
    if "grad" in row.config:
        row = replace(row, config={**row.config, "_grad_fn": _impl().get(row.config["grad"])})
    return row, arrays, case.hyper, drive_reference(_impl().get(row.reference), row, arrays, case.hyper)


@functools.lru_cache(maxsize=None)
def layer_run(name, case_id, dtype):
    """(reference numbers, jax numbers) for registry row ``name`` on one case (computed once)."""
    from parity.registry import get

    row, arrays, hyper, ref = reference_numbers(get(name), case_id, dtype)
    return ref, drive_framework("jax", AsJax(row), arrays, hyper, dtype, "cpu", ref)


def configured_run(name, case_id, dtype, builder_config):
    """(reference numbers, jax numbers) with the row's builder called with ``builder_config``
    (keyword arguments, e.g. ``FLAX_DEFAULTS[builder]``): what a plainly configured Flax layer gives."""
    from parity.backends.jax import layers as jax_layers
    from parity.registry import get

    row, arrays, hyper, ref = reference_numbers(get(name), case_id, dtype)
    builder = getattr(jax_layers, AsJax(row).builder("jax"))
    temp = f"_configured_{builder.__name__}"
    setattr(jax_layers, temp, functools.partial(builder, **builder_config))
    try:
        got = drive_framework("jax", AsJax(row, temp), arrays, hyper, dtype, "cpu", ref)
    finally:
        delattr(jax_layers, temp)
    return ref, got


def check_case(row, case_id, dtype, check, ref, got):
    """parity.compare.compare of one check at the registry's tolerance for it."""
    tol = tolerance(dtype, check, row.reduction_for(case_table.get(case_id)), row.override(dtype, check))
    return compare(f"{row.name}-jax-{dtype}-{check} [{case_id}]", got[check], ref[check], tol)


def stored_mismatch(got, dtype):
    """{what: dtype} of what the framework holds in another dtype than the one under test."""
    return {k: v for k, v in got.get("dtype", {}).items() if v != str(dtype)}


def max_abs(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b))) if a.size else 0.0
