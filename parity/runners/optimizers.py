"""Optimizer checks: the implementation's optimizer and the framework's, configured to the book,
run side by side over a seeded trajectory of given gradients; parameters and optimizer state are
compared after EVERY step.

    run(row, framework, dtype, impl="reference", device="cpu") -> list[Record]

The trajectory (``problem``): parameters {"W1": (5, 4), "b1": (4,), "W2": (4, 3)} and ``STEPS``
gradient dicts drawn once in float64 from a fixed seed, then cast to the dtype under test. Each
gradient element has a fixed scale between 1e-9 and 1 (where sqrt(h) is near the book's 1e-7 the
placement of epsilon shows), one step is exact zeros (``ZERO_STEP``: the update is driven by the
state alone) and one is 1e3 times larger (``LARGE_STEP``). Weight-decay rows
(``config["weight_decay_lambda"]``) give the implementation g + lambda * W for the weights (keys
"W...", as the book's MultiLayerNet does, biases untouched) and the framework g with its
weight-decay option.

Records (one per check): "params" and "state" pass when every step agrees within
``parity.tolerances.tolerance(dtype, check, row.reduction, override)``; otherwise the record is
the comparison of the FIRST failing step (case "step-07", message "first mismatch at step 7 of
24 (W2) ..."). "dtype": what the framework's optimizer holds. float32 runs also run the
implementation in float64 on the same (float32-representable) numbers: ``err_vs_float64`` and
``ref_rounding`` as in ``parity.runners.runner``.
"""

import numpy as np

from parity import book
from parity import cases as case_table
from parity.backends.plugin import label
from parity.runners.runner import _apply_known, _dtype_record, _max_abs, _skipped, prepare, unavailable
from parity.compare import compare
from parity.records import Record
from parity.tolerances import tolerance

PARAM_SHAPES = {"W1": (5, 4), "b1": (4,), "W2": (4, 3)}
STEPS = 24
ZERO_STEP = 6    # 1-based: every gradient exactly 0
LARGE_STEP = 12  # 1-based: gradients 1e3 times larger


class ImplementationError(Exception):
    """The implementation under test raised, or keeps no state where the book does."""


def problem(case_id="trajectory-24"):
    """(initial params, [grads per step]) in float64 for the case id (its own seeded generator)."""
    if case_id != "trajectory-24":
        raise ValueError(f"optimizer checks: unknown case {case_id!r} (known: 'trajectory-24')")
    rng = np.random.default_rng([case_table.SEED, 3, STEPS])
    params = {k: rng.standard_normal(s) for k, s in PARAM_SHAPES.items()}
    scales = {k: 10.0 ** rng.uniform(-9, 0, size=s) for k, s in PARAM_SHAPES.items()}
    grads = []
    for step in range(1, STEPS + 1):
        factor = 0.0 if step == ZERO_STEP else 1e3 if step == LARGE_STEP else 1.0
        grads.append({k: rng.standard_normal(s) * scales[k] * factor for k, s in PARAM_SHAPES.items()})
    return params, grads


def _cast(arrays, dtype):
    return {k: np.array(v, dtype=dtype) for k, v in arrays.items()}


# --- the implementation side -------------------------------------------------------------------

def drive_reference(cls, row, params0, grads):
    """[(params, state) after each step] from the implementation's ``update``;
    state: {"<state name>/<key>": array} for the row's ``config["state"]`` attributes."""
    cfg = row.config
    lam = cfg.get("weight_decay_lambda", 0.0)
    where = f"{row.name} ({row.reference})"
    try:
        opt = cls(**cfg.get("hyper", {}))
    except Exception as e:
        raise ImplementationError(f"{where}({cfg.get('hyper', {})}) raised {type(e).__name__}: {e}") from e
    params = {k: v.copy() for k, v in params0.items()}
    out = []
    for step, g in enumerate(grads, start=1):
        given = {k: (g[k] + lam * params[k] if lam and book.decayed(k) else g[k].copy()) for k in g}
        try:
            opt.update(params, given)
        except Exception as e:
            raise ImplementationError(f"{where}.update raised {type(e).__name__} at step {step}: {e}") from e
        state = {}
        for name in cfg.get("state", ()):
            held = getattr(opt, name, None)
            if not isinstance(held, dict) or set(held) != set(params):
                raise ImplementationError(f"{where}: after step {step} .{name} is not a dict over the parameter "
                                          f"keys {sorted(params)} (the book keeps its state there)")
            state.update({f"{name}/{k}": np.array(held[k], copy=True) for k in params})
        out.append(({k: v.copy() for k, v in params.items()}, state))
    return out


# --- the framework side: each plug-in's ``optimizers.drive`` (parity.backends.plugin) --------------

def drive_framework(framework, row, params0, grads, dtype, device, config=None):
    """[(params, state)] per step and the stored dtypes, from the framework plug-in's driver
    (``config``: its keyword arguments, e.g. a framework's default epsilon)."""
    from parity.backends import plugin

    return plugin.get(framework).module("optimizer").drive(row, params0, grads, dtype, device, **(config or {}))


# --- records -----------------------------------------------------------------------------------

def _trajectory_record(row, framework, fw_label, dtype, check, got, ref, ref64, base, case_id):
    """One Record for ``check`` ("params" or "state") over every step: the first failing step's
    comparison, or (all passing) the worst step's."""
    part = 0 if check == "params" else 1
    tol = tolerance(dtype, check, row.reduction_for(case_id), row.override(dtype, check))
    first_bad, worst, worst_err = None, None, -1.0
    for step, ((g_params, g_state), (r_params, r_state)) in enumerate(zip(got, ref), start=1):
        actual, expected = (g_params, r_params) if part == 0 else (g_state, r_state)
        for key in expected:
            c = compare(f"{row.name}-{fw_label}-{dtype}-{check} [step {step} of {len(ref)}, {key}]",
                        actual.get(key), expected[key], tol)
            if first_bad is None and not c.passed:
                first_bad = (step, key, c)
            if c.max_abs_err > worst_err or worst is None:
                worst, worst_err = (step, key, c), c.max_abs_err
    step, key, c = first_bad or worst
    fields = dict(component=row.name, kind=row.kind, framework=framework, dtype=dtype, check=check, **base)
    if first_bad:
        rec = Record.from_comparison(c, case=f"step-{step:02d}", **fields)
        rec.message = f"first mismatch at step {step} of {len(ref)} ({key}): {rec.message}"
    else:
        rec = Record.from_comparison(c, case=case_id, **fields)
        rec.message = f"all {len(ref)} steps agree; worst at step {step} ({key}): {rec.message}"
    rec.max_abs_err = max(rec.max_abs_err, worst_err)
    _apply_known(rec, row, fw_label)
    if ref64 is not None:
        rec.err_vs_float64 = max(_max_abs(a[part][k], e[part][k]) for a, e in zip(got, ref64) for k in e[part])
        rec.ref_rounding = max(_max_abs(a[part][k], e[part][k]) for a, e in zip(ref, ref64) for k in e[part])
    return rec


def run(row, framework, dtype, impl="reference", device="cpu", config=None):
    """Records for one optimizer row x framework x dtype: one per check ("params", "state", "dtype").
    config: the framework driver's keyword arguments (none: the book's configuration)."""
    if row.kind != "optimizer":
        raise ValueError(f"parity.runners.optimizers: {row.name} is a {row.kind!r} row, not an optimizer")
    impl, dtype, run_device, backend_name, base, cls, early = prepare(row, framework, dtype, impl, device)
    if early is not None:
        return early
    skipped = unavailable(row, framework, dtype, run_device, base)
    if skipped is not None:
        return skipped

    records = []
    for case_id in row.cases:
        params64, grads64 = problem(case_id)
        params0, grads = _cast(params64, dtype), [_cast(g, dtype) for g in grads64]
        try:
            ref = drive_reference(cls, row, params0, grads)
            ref64 = None
            if dtype != "float64":
                ref64 = drive_reference(cls, row, _cast(params0, "float64"), [_cast(g, "float64") for g in grads])
        except ImplementationError as e:
            records += _skipped(row, framework, dtype, base, str(e), status="error", case_ids=(case_id,))
            continue
        try:
            got, stored = drive_framework(framework, row, params0, grads, dtype, run_device, config)
        except Exception as e:
            records += _skipped(row, framework, dtype, base, f"{framework} counterpart raised "
                                f"{type(e).__name__}: {e}", status="error", case_ids=(case_id,))
            continue
        fw_label = label(framework, backend_name)
        for check in row.checks:
            if check == "dtype":
                records.append(_dtype_record(row, framework, fw_label, dtype, case_id, stored, base))
            else:
                records.append(_trajectory_record(row, framework, fw_label, dtype, check, got, ref, ref64,
                                                  base, case_id))
    return records
