"""Semantics diagnosis: when a user's component fails, does it compute what a framework computes by
default instead of what the book computes? ("matches torch default, not the book").

The variants are the table of known differences' (``parity.catalogue.table``): each is the
reference with one framework default written in (inverted dropout, batch-norm epsilon 1e-5,
torch's momentum convention, unbiased running variance, Adam's epsilon on the bias-corrected
sqrt(v_hat), cross-entropy without the 1e-7, ...), built as an edited copy of the reference
(``parity.verify.patch``); the row it belongs to gives the default the diagnosis quotes.

``diagnose(impl, row)`` drives the user's component and each variant that applies to the row on
the row's own cases (float64) and compares every quantity the book protocol yields (forward, dx,
parameter gradients, running statistics, parameters after each optimizer step) with the row's
float64 tolerance. A variant that agrees everywhere is the diagnosis.

    >>> diagnose("path/to/common", get("Dropout-train"))
    'matches torch and keras and jax default, not the book: dropout-scaling (inverted dropout: ...)'
"""
from dataclasses import replace
import atexit
import os
import shutil
import tempfile

import numpy as np

from parity import cases as case_table
from parity.catalogue import derive
from parity.verify.patch import reference_copy
from parity.compare import compare
from parity.impl import load_implementation
from parity.tolerances import tolerance


_DIR = None


def variant_dir():
    """The temporary folder the variants are written to, made once per process (and removed at its
    exit). ``check`` makes it before forking, so that its child processes share the copies."""
    global _DIR
    if _DIR is None:
        _DIR = tempfile.mkdtemp(prefix="parity-variants-")
        atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
    return _DIR


def variant_impl(variant):
    """The variant (``parity.catalogue.table.Variant``) as a loaded implementation (written once to
    ``variant_dir()``)."""
    folder = os.path.join(variant_dir(), variant.key)
    if not os.path.isdir(folder):
        reference_copy(folder, derive.variant_edits(variant))
    return load_implementation(folder)


# --- the book protocol's numbers for one implementation ---------------------------------------------

def outputs(impl, row, dtype="float64"):
    """{case id: {quantity: array}} of ``impl``'s component on the row's cases (None: missing)."""
    impl = load_implementation(impl)
    component = impl.get(row.reference)
    if component is None:
        return None
    if row.kind == "optimizer":
        from parity.runners import optimizers

        out = {}
        for case_id in row.cases:
            params0, grads = optimizers.problem(case_id)
            steps = optimizers.drive_reference(component, row, optimizers._cast(params0, dtype),
                                               [optimizers._cast(g, dtype) for g in grads])
            out[case_id] = {"params": np.stack([np.concatenate([p[k].ravel() for k in sorted(p)])
                                                for p, _ in steps])}
        return out
    from parity.runners.runner import drive_reference

    if "grad" in row.config:
        grad_fn = impl.get(row.config["grad"])
        if grad_fn is None:
            return None
        row = replace(row, config={**row.config, "_grad_fn": grad_fn})
    out = {}
    for case_id in row.cases:
        case = case_table.get(case_id)
        got = drive_reference(component, row, case.cast(dtype), case.hyper)
        got.pop("mask", None)
        out[case_id] = got
    return out


def agrees(row, mine, theirs, dtype="float64"):
    """True where every quantity of every case agrees within the row's tolerance."""
    if mine is None or theirs is None or set(mine) != set(theirs):
        return False
    for case_id, quantities in mine.items():
        case = case_table.get(case_id) if row.kind != "optimizer" else None
        for check, value in quantities.items():
            if check not in theirs[case_id]:
                return False
            reduction = row.reduction_for(case) if case is not None else row.reduction_for(None)
            tol = tolerance(dtype, check, reduction, row.override(dtype, check))
            if not compare(check, value, theirs[case_id][check], tol, check_dtype=False).passed:
                return False
    return True


def diagnose(impl, row, frameworks=None):
    """"matches <framework> default, not the book: <catalogue id> (<the default>) -- <what>" or None."""
    from parity.backends import plugin

    frameworks = plugin.names() if frameworks is None else frameworks
    candidates = [(v, entry) for v, entry, explains in derive.variants()
                  if row.name in explains and set(v.frameworks) & set(frameworks)]
    if not candidates:
        return None
    try:
        mine = outputs(impl, row)
    except Exception:  # noqa: BLE001 -- a component that raises has no semantics to diagnose
        return None
    for variant, entry in candidates:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # log(0) of a no-delta variant
            theirs = outputs(variant_impl(variant), row)
        if agrees(row, mine, theirs):
            fws = [fw for fw in variant.frameworks if fw in frameworks]
            return (f"matches {' and '.join(fws)} default, not the book: {entry.id} ({entry.default}) -- "
                    f"{variant.what}")
    return None
