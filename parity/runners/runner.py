"""The runner for layers and functions: drive the implementation's component and the framework's
counterpart on the same case, compare every quantity the row names, one Record per case x check.

For each case of the row (``parity.cases``), in the dtype under test:
1. the implementation (``parity.impl``) runs the book's protocol (``config["protocol"]``) and
   gives the expected numbers: forward output, dx (dy), parameter gradients, running statistics,
   inference output;
2. the framework builds its counterpart with the same parameters (``parity.backends.<fw>.layers``)
   and computes the same quantities, gradients by ITS OWN autodiff (never the implementation's);
3. ``parity.compare.compare`` checks shape, dtype, values with the row's tolerance
   (``parity.tolerances.tolerance``).
float32 runs also run the implementation in float64 on the same (float32-representable) inputs and
record ``err_vs_float64`` = max |framework32 - ref64| and ``ref_rounding`` = max |ref32 - ref64|:
an error of the size of ``ref_rounding`` is float32 rounding, not a difference.

framework "numerical" (layers only, float64): the implementation's dx / parameter gradients
against ``reference.gradient.numerical_gradient`` of its own forward, for implementations that
have no framework to be compared with yet, or to locate a fault.
"""
from dataclasses import replace
import json

import numpy as np

from parity import cases as case_table
from parity.compare import compare
from parity.backends import plugin
from parity.backends.plugin import label
from parity.frameworks import device_for, missing_reason
from parity.impl import load_implementation
from parity.records import Record, versions
from parity.tolerances import Tol, tolerance

# Central difference with h = 1e-4 (the book's numerical_gradient): truncation error ~h^2/6 * f'''
# (~1e-9 for these smooth cases) and rounding ~eps * |f| / h (~1e-11); rtol 1e-6 leaves a factor
# of 100 over the worst seen here and still catches any wrong gradient factor or transposition.
NUMERICAL_TOL = Tol(1e-6, 1e-8, "central difference h=1e-4: truncation ~h^2 f''' and rounding eps*|f|/h")

GRADIENT_CHECKS_NUMERICAL = ("dx", "dy", "dW", "db", "dgamma", "dbeta")


class ImplementationError(Exception):
    """The implementation under test raised, or left a quantity unset."""


# --- the implementation side -------------------------------------------------------------------

def _copy(arrays, names):
    return [np.array(arrays[n], copy=True) for n in names]


def _grad_attr(obj, name, where):
    value = getattr(obj, name, None)
    if value is None:
        raise ImplementationError(f"{where}: backward left .{name} unset")
    return np.asarray(value)


def drive_reference(component, row, arrays, hyper):
    """The implementation's numbers for one case: {check: array} (plus "mask" for dropout)."""
    cfg = row.config
    protocol = cfg["protocol"]
    inputs, constants, params = cfg.get("inputs", ()), cfg.get("constants", ()), cfg.get("params", ())
    where = f"{row.name} ({row.reference})"
    try:
        if protocol == "function":
            out = {"forward": np.asarray(component(*_copy(arrays, inputs + constants)))}
            if "grad" in cfg:
                grad_fn = cfg["_grad_fn"]
                out["dx"] = np.asarray(grad_fn(*_copy(arrays, inputs)))
            return out
        if protocol == "layer":
            obj = component(*_copy(arrays, params), **hyper)
            fwd = obj.forward(*_copy(arrays, inputs + constants))
            d = obj.backward(np.array(arrays["dout"], copy=True))
            grads = d if len(inputs) > 1 else (d,)
            out = {"forward": np.asarray(fwd)}
            out.update({f"d{name}": np.asarray(g) for name, g in zip(inputs, grads)})
            out.update({f"d{p}": _grad_attr(obj, f"d{p}", where) for p in params})
            return out
        if protocol == "batchnorm":
            obj = component(*_copy(arrays, params), momentum=hyper["momentum"])
            steps = {k: [] for k in ("forward", "dx", "dgamma", "dbeta", "running_mean", "running_var")}
            for s in range(arrays["x"].shape[0]):
                steps["forward"].append(obj.forward(np.array(arrays["x"][s]), True))
                steps["dx"].append(obj.backward(np.array(arrays["dout"][s])))
                for name in ("dgamma", "dbeta", "running_mean", "running_var"):
                    steps[name].append(np.array(_grad_attr(obj, name, where)))
            out = {k: np.stack(v) for k, v in steps.items()}
            out["eval_forward"] = np.asarray(obj.forward(np.array(arrays["x_eval"]), False))
            return out
        if protocol == "dropout":
            saved = np.random.get_state()
            np.random.seed(case_table.SEED)
            try:
                obj = component(hyper["dropout_ratio"])
                fwd = obj.forward(np.array(arrays["x"]), True)
                mask = getattr(obj, "mask", None)
                if mask is None:
                    raise ImplementationError(f"{where}: forward(train_flg=True) keeps no .mask; the check "
                                              f"injects that mask into each framework")
                dx = obj.backward(np.array(arrays["dout"]))
                ev = obj.forward(np.array(arrays["x"]), False)
            finally:
                np.random.set_state(saved)
            return {"forward": np.asarray(fwd), "dx": np.asarray(dx), "eval_forward": np.asarray(ev),
                    "mask": np.asarray(mask)}
    except ImplementationError:
        raise
    except Exception as e:
        raise ImplementationError(f"{where} raised {type(e).__name__}: {e}") from e
    raise ValueError(f"{row.name}: unknown protocol {protocol!r}")


# --- the framework side ------------------------------------------------------------------------

def drive_framework(framework, row, arrays, hyper, dtype, device, ref, config=None):
    """The framework's numbers for one case: {check: array}; gradients by its own autodiff.
    config: keyword arguments of the framework's builder (none: the book's semantics; the
    catalogue of differences passes a framework's defaults)."""
    cfg = row.config
    protocol = cfg["protocol"]
    backend = plugin.get(framework).module(row.kind)
    builder = getattr(backend, row.builder)
    inputs, constants, params = cfg.get("inputs", ()), cfg.get("constants", ()), cfg.get("params", ())
    build_arrays = {p: arrays[p] for p in params}
    if protocol == "dropout":
        build_arrays["mask"] = ref["mask"].astype(dtype)
    cp = builder(build_arrays, hyper, dtype, device, **{**cfg.get("builder_args", {}), **(config or {})})
    xs = {n: arrays[n] for n in inputs}
    cs = {n: arrays[n] for n in constants}
    out = {}

    if protocol == "function":
        out["forward"] = backend.evaluate(cp.fn, xs, cs, device=device)
        if "dx" in row.checks:
            _, gin, _ = backend.grad(cp.fn, xs, {}, np.ones_like(arrays["x"]), cs, device=device)
            out["dx"] = gin["x"]
    elif protocol in ("layer", "dropout"):
        fwd, gin, gparams = backend.grad(cp.grad_fn or cp.fn, xs, cp.params, arrays["dout"], cs, device=device)
        out["forward"] = backend.evaluate(cp.fn, xs, cs, device=device) if cp.grad_fn else fwd
        out.update({f"d{n}": g for n, g in gin.items()})
        out.update({f"d{p}": cp.book_layout(p, gparams[p]) for p in params if p in cp.params})  # no bias: no db
        if cp.eval_fn is not None:
            out["eval_forward"] = backend.evaluate(cp.eval_fn, xs, device=device)
    elif protocol == "batchnorm":
        steps = {k: [] for k in ("forward", "dx", "dgamma", "dbeta", "running_mean", "running_var")}
        for s in range(arrays["x"].shape[0]):
            fwd, gin, gparams = backend.grad(cp.fn, {"x": arrays["x"][s]}, cp.params, arrays["dout"][s],
                                             device=device)
            steps["forward"].append(fwd)
            steps["dx"].append(gin["x"])
            for p in params:
                steps[f"d{p}"].append(cp.book_layout(p, gparams[p]))
            for name, value in cp.state().items():
                steps[name].append(value)
        out = {k: np.stack(v) for k, v in steps.items()}
        out["eval_forward"] = backend.evaluate(cp.eval_fn, {"x": arrays["x_eval"]}, device=device)
    else:
        raise ValueError(f"{row.name}: unknown protocol {protocol!r}")
    if cp.stored is not None:
        out["dtype"] = cp.stored()
    return out


# --- numerical gradients of the implementation (framework "numerical") ------------------------

def drive_numerical(component, row, arrays, hyper):
    """dx / param gradients by central differences of the implementation's forward:
    f = sum(forward(...) * dout), each input and parameter perturbed in place (fresh layer per call)."""
    from reference.gradient import numerical_gradient

    cfg = row.config
    inputs, constants, params = cfg.get("inputs", ()), cfg.get("constants", ()), cfg.get("params", ())
    a = {k: np.array(v, copy=True) for k, v in arrays.items()}
    if cfg["protocol"] == "batchnorm":
        a["x"], a["dout"] = a["x"][-1].copy(), a["dout"][-1].copy()  # the last step's batch

        def f(_):
            return float(np.sum(component(a["gamma"], a["beta"], momentum=hyper["momentum"]).forward(a["x"], True)
                                * a["dout"]))
    else:
        def f(_):
            obj = component(*[a[p] for p in params], **hyper)
            return float(np.sum(np.asarray(obj.forward(*[a[n] for n in inputs + constants])) * a["dout"]))
    out = {f"d{n}": numerical_gradient(f, a[n]) for n in (*inputs, *params)}
    if cfg["protocol"] == "batchnorm":
        out = {k: v[None] for k, v in out.items()}  # compared with the last training step
    return out


# --- records -----------------------------------------------------------------------------------

def _skipped(row, framework, dtype, base, reason, status="skipped", checks=None, case_ids=None):
    return [Record(component=row.name, kind=row.kind, framework=framework, dtype=dtype, check=check,
                   passed=False, case=case_id, message=f"{row.name}-{framework}-{dtype}-{check}: {reason}",
                   status=status, **base)
            for case_id in (case_ids or row.cases) for check in (checks or row.checks)]


def _dtype_record(row, framework, fw_label, dtype, case_id, stored, base):
    wrong = {k: v for k, v in stored.items() if v != dtype}
    label = f"{row.name}-{fw_label}-{dtype}-dtype [{case_id}]"
    msg = (f"{label}: ok: the framework holds {stored}" if not wrong else
           f"{label}: MISMATCH: the framework holds {wrong} where {dtype} was asked (all: {stored})")
    return Record(component=row.name, kind=row.kind, framework=framework, dtype=dtype, check="dtype",
                  passed=not wrong, case=case_id, n_total=len(stored), n_mismatch=len(wrong), message=msg, **base)


def _apply_known(rec, row, fw_label):
    """Status "known" for a failure the row lists as a known difference (reason in the message)."""
    known = row.known_reason(fw_label, rec.dtype, rec.check)
    if known:
        rec.known_id = row.known_difference(fw_label, rec.dtype, rec.check).catalogue_id
    if known and not rec.passed:  # a failed comparison, or a counterpart that refused the case
        rec.status = "known"
        rec.message = f"known difference ({known}): {rec.message}"
    elif known:
        rec.message = f"listed as a known difference ({known}) but agrees: {rec.message}"
    return rec


def _max_abs(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.size == 0:
        return float("nan")
    with np.errstate(invalid="ignore"):
        d = np.abs(a - b)
    d = d[~(np.isnan(a) & np.isnan(b)) & ~(np.isinf(a) & (a == b))]
    return float(d.max()) if d.size else 0.0


def prepare(row, framework, dtype, impl, device):
    """What every runner starts with: (implementation, dtype, device, keras backend name, the
    records' common fields, the row's component or None, early records or None). Early records:
    the dtype is not among the row's, or the implementation has no usable component: "missing",
    "error" (its file did not import) or "outside" (not the user's code; ``Implementation.lookup``)."""
    impl = load_implementation(impl)
    dtype = str(dtype)
    run_device = device_for(framework, device) if framework in plugin.names() else "cpu"
    backend_name = plugin.variant(framework) if framework in plugin.names() else ""
    found = impl.lookup(row.reference)
    base = dict(impl=impl.name, seed=case_table.SEED, device=run_device, backend=backend_name,
                versions=json.dumps(versions(framework)), provenance=found.provenance)
    component, early = found.obj, None
    if dtype not in row.dtypes:
        early = _skipped(row, framework, dtype, base, f"{dtype} is not among the row's dtypes {row.dtypes}")
    elif found.status != "found":
        early = _skipped(row, framework, dtype, base, found.message, status=found.status)
    return impl, dtype, run_device, backend_name, base, component, early


def dtype_finding(requested, actual, expected):
    """Which side returned which dtype, where the values agree but the dtypes do not.
    actual: the framework's array, expected: the implementation's."""
    a, e = np.asarray(actual).dtype, np.asarray(expected).dtype
    sides = []
    if e != np.dtype(requested):
        sides.append(f"the implementation returns {e} for {requested} input")
    if a != np.dtype(requested):
        sides.append(f"the framework returns {a} for {requested} input")
    return "; ".join(sides) or f"the implementation returns {e}, the framework {a}"


def implementation_failed(row, framework, dtype, base, case_id, error, checks=None):
    """Records for a case where the implementation raised: "error", or "limit" where the row
    names the case as one the book's own code cannot run either."""
    limit = row.book_limits.get(case_id)
    if limit is None:
        return _skipped(row, framework, dtype, base, str(error), status="error", checks=checks, case_ids=(case_id,))
    records = _skipped(row, framework, dtype, base, f"a limit of the book's own code, not a failure: {limit} "
                       f"(the implementation raised {error})", status="limit", checks=checks, case_ids=(case_id,))
    for r in records:
        r.limit = limit
    return records


def unavailable(row, framework, dtype, run_device, base):
    """Skipped records where ``framework`` cannot run here or has no counterpart for ``row``, else None."""
    reason = missing_reason(framework, run_device)
    if reason:
        return _skipped(row, framework, dtype, base, reason)
    if plugin.has(framework, row) is None:
        return _skipped(row, framework, dtype, base, f"no {framework} counterpart: {row.note}")
    return None


def run(row, framework, dtype, impl="reference", device="cpu", config=None):
    """Records for one registry row (kind "layer" or "function") x framework x dtype, one per
    case x check. framework: a framework plug-in's name, or "numerical" (layers, float64).
    config: the framework builder's keyword arguments (``parity.catalogue`` measures a
    framework's defaults this way; none: the book's configuration)."""
    impl, dtype, run_device, backend_name, base, component, early = prepare(row, framework, dtype, impl, device)
    if early is not None:
        return early
    if "grad" in row.config:
        grad = impl.lookup(row.config["grad"])
        if grad.status != "found":
            return _skipped(row, framework, dtype, base, grad.message, status=grad.status)
        row = replace(row, config={**row.config, "_grad_fn": grad.obj})
    if framework == "numerical":
        return _run_numerical(row, dtype, component, base)
    skipped = unavailable(row, framework, dtype, run_device, base)
    if skipped is not None:
        return skipped

    records = []
    for case_id in row.cases:
        case = case_table.get(case_id)
        arrays = case.cast(dtype)
        try:
            ref = drive_reference(component, row, arrays, case.hyper)
            ref64 = None
            if dtype != "float64":
                ref64 = drive_reference(component, row, {k: (v.astype(np.float64) if v.dtype.kind == "f" else v)
                                                         for k, v in arrays.items()}, case.hyper)
        except ImplementationError as e:
            records += implementation_failed(row, framework, dtype, base, case_id, e)
            continue
        try:
            got = drive_framework(framework, row, arrays, case.hyper, dtype, run_device, ref, config)
        except Exception as e:
            records += [_apply_known(r, row, label(framework, backend_name)) for r in
                        _skipped(row, framework, dtype, base, f"{framework} counterpart raised "
                                 f"{type(e).__name__}: {' '.join(str(e).split())[:400]}", status="error",
                                 case_ids=(case_id,))]
            continue
        fw_label = label(framework, backend_name)
        for check in row.checks:
            if check == "dtype":
                if "dtype" in got:
                    records.append(_dtype_record(row, framework, fw_label, dtype, case_id, got["dtype"], base))
                continue
            tol = tolerance(dtype, check, row.reduction_for(case), row.override(dtype, check))
            c = compare(f"{row.name}-{fw_label}-{dtype}-{check} [{case_id}]", got[check], ref[check], tol)
            rec = Record.from_comparison(c, component=row.name, kind=row.kind, framework=framework,
                                         dtype=dtype, check=check, case=case_id, **base)
            if rec.status == "dtype":
                rec.dtype_finding = dtype_finding(dtype, got[check], ref[check])
            _apply_known(rec, row, fw_label)
            if ref64 is not None:
                rec.err_vs_float64 = _max_abs(got[check], ref64[check])
                rec.ref_rounding = _max_abs(ref[check], ref64[check])
            records.append(rec)
    return records


def _run_numerical(row, dtype, component, base):
    base = {**base, "device": "cpu", "backend": ""}
    if row.kind != "layer" or row.config["protocol"] not in ("layer", "batchnorm"):
        return _skipped(row, "numerical", dtype, base, "numerical gradients are checked for layers with a "
                        "deterministic forward only")
    if dtype != "float64":
        return _skipped(row, "numerical", dtype, base, "central differences need float64 (h = 1e-4 in "
                        "float32 loses about half the digits)")
    records = []
    for case_id in row.cases:
        case = case_table.get(case_id)
        checks = [c for c in row.checks if c in GRADIENT_CHECKS_NUMERICAL]
        others = [c for c in row.checks if c not in GRADIENT_CHECKS_NUMERICAL]
        if others:
            records += _skipped(row, "numerical", dtype, base, "the numerical framework checks gradients only",
                                checks=others, case_ids=(case_id,))
        if case.no_numerical:
            records += _skipped(row, "numerical", dtype, base, case.no_numerical, checks=checks, case_ids=(case_id,))
            continue
        arrays = case.cast(dtype)
        try:
            ref = drive_reference(component, row, arrays, case.hyper)
            num = drive_numerical(component, row, arrays, case.hyper)
        except ImplementationError as e:
            records += implementation_failed(row, "numerical", dtype, base, case_id, e, checks=checks)
            continue
        for check in checks:
            expected = ref[check][-1:] if row.config["protocol"] == "batchnorm" else ref[check]
            c = compare(f"{row.name}-numerical-{dtype}-{check} [{case_id}]", expected, num[check], NUMERICAL_TOL)
            rec = Record.from_comparison(c, component=row.name, kind=row.kind, framework="numerical",
                                         dtype=dtype, check=check, case=case_id, **base)
            records.append(_apply_known(rec, row, "numerical"))
    return records
