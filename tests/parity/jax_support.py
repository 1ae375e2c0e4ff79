"""Driving the JAX plug-in's builders on the registry's rows with the engine's own drivers
(``parity.runners.runner.drive_framework("jax", ...)``), with or without a builder configuration
(Flax's defaults: what a plainly configured Flax layer gives)."""
from dataclasses import replace
import functools

import numpy as np

from parity import cases as case_table
from parity.runners.runner import drive_framework, drive_reference
from parity.compare import compare
from parity.impl import load_implementation
from parity.tolerances import tolerance


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
    return ref, drive_framework("jax", row, arrays, hyper, dtype, "cpu", ref)


def configured_run(name, case_id, dtype, builder_config):
    """(reference numbers, jax numbers) with the row's builder called with ``builder_config``
    (keyword arguments, e.g. the catalogue's ``{"stats_dtype": "float32"}``): what a plainly configured Flax layer gives."""
    from parity.registry import get

    row, arrays, hyper, ref = reference_numbers(get(name), case_id, dtype)
    return ref, drive_framework("jax", row, arrays, hyper, dtype, "cpu", ref, builder_config)


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
