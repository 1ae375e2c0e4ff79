"""Initializer checks: a framework's weights against the implementation's, as distributions.

Two independent samples, a = the framework's weights (its own RNG, seed ``SEED``) and e = the
implementation's (``np.random.default_rng(SEED)``), both flattened, n = prod(shape) each:

- ``mean``:     |mean(a) - mean(e)| against z_(1-alpha/2) * sqrt(var(a)/n_a + var(e)/n_e)
- ``std``:      F = var(a) / var(e) against F(n_a - 1, n_e - 1) quantiles (exact for normals);
                reported as |std(a) / std(e) - 1|
- ``kurtosis``: |k(a) - k(e)| (excess kurtosis, 0 for a normal, -0.63 for Keras' truncated
                normals, -1.2 for a uniform) against z_(1-alpha/2) * sqrt(24/n_a + 24/n_e)
- ``ks``:       the two-sample Kolmogorov-Smirnov distance D = sup |F_a - F_e| and its p-value
- ``dtype``:    both arrays have the requested dtype (not statistical)

False alarms, stated: a correct framework fails a statistical check with probability ``ALPHA``
per check; ``ALPHA = FAMILY_ALPHA / n_statistical_tests()`` (Bonferroni), so the chance that any of
the initializer checks fails for a correct framework is at most FAMILY_ALPHA = 1e-3 for any seed.
With the seeds fixed the outcome is deterministic. Each Record holds the statistic in
``max_abs_err`` and its critical value in ``atol`` (passed <=> statistic within it <=> p >= ALPHA).
"""
from dataclasses import dataclass
import importlib
import importlib.util
import math
import os

import numpy as np

from parity.records import Record, versions

FAMILY_ALPHA = 1e-3
SEED = 0
FRAMEWORKS = ("torch", "keras")
STAT_CHECKS = ("mean", "std", "kurtosis", "ks")

# case id -> the book's weight shape
CASES = {
    "dense-1000x400": (1000, 400),
    "conv-128x64x5x5": (128, 64, 5, 5),
}


def n_statistical_tests():
    """How many statistical checks the registry's initializer rows make across both frameworks."""
    from parity.registry import COMPONENTS

    n = 0
    for row in COMPONENTS:
        if row.kind == "initializer":
            checks = [c for c in row.checks if c in STAT_CHECKS]
            n += len(row.cases) * len(row.dtypes) * len(checks) * len(FRAMEWORKS)
    return max(n, 1)


def alpha():
    """The per-check false-alarm rate: FAMILY_ALPHA / number of statistical checks (Bonferroni)."""
    return FAMILY_ALPHA / n_statistical_tests()


@dataclass
class SampleTest:
    """One statistical comparison: ``statistic`` against ``critical`` at level ``alpha``."""
    check: str
    statistic: float
    critical: float
    p_value: float
    alpha: float
    detail: str

    @property
    def passed(self):
        return self.p_value >= self.alpha


def describe(x):
    """n, mean, std, excess kurtosis and max |x| / std of a sample (float64 arithmetic)."""
    from scipy import stats

    x = np.asarray(x, dtype=np.float64).ravel()
    s = x.std()
    return {"n": x.size, "mean": x.mean(), "std": s, "kurtosis": float(stats.kurtosis(x)),
            "max_over_std": float(np.abs(x).max() / s) if s > 0 else float("nan")}


def compare_samples(actual, expected, alpha_level):
    """The four statistical checks of ``actual`` against ``expected`` at ``alpha_level`` each.

    Returns {check: SampleTest}. Both samples are flattened and taken in float64.

    >>> rng = np.random.default_rng(0)
    >>> t = compare_samples(rng.normal(size=10**5), rng.normal(size=10**5), 1e-3)
    >>> all(r.passed for r in t.values())
    True
    """
    from scipy import stats

    a = np.asarray(actual, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    if a.size < 2 or e.size < 2:
        raise ValueError(f"compare_samples: need at least 2 values in each sample, got {a.size} and {e.size}")
    na, ne = a.size, e.size
    da, de = describe(a), describe(e)
    z = stats.norm.isf(alpha_level / 2)
    out = {}

    se = math.sqrt(a.var(ddof=1) / na + e.var(ddof=1) / ne)
    d = abs(da["mean"] - de["mean"])
    out["mean"] = SampleTest("mean", d, z * se, float(2 * stats.norm.sf(d / se)) if se > 0 else float(d == 0),
                             alpha_level, f"mean {da['mean']:.4g} vs {de['mean']:.4g} (se {se:.3g})")

    ratio = da["std"] / de["std"]
    f = ratio ** 2
    fdist = stats.f(na - 1, ne - 1)
    p = float(min(1.0, 2 * min(fdist.cdf(f), fdist.sf(f))))
    lo, hi = math.sqrt(fdist.ppf(alpha_level / 2)), math.sqrt(fdist.isf(alpha_level / 2))
    out["std"] = SampleTest("std", abs(ratio - 1), max(hi - 1, 1 - lo), p, alpha_level,
                            f"std {da['std']:.6g} vs {de['std']:.6g} (ratio {ratio:.4f}, "
                            f"accepted [{lo:.4f}, {hi:.4f}])")

    se_k = math.sqrt(24.0 / na + 24.0 / ne)
    dk = abs(da["kurtosis"] - de["kurtosis"])
    out["kurtosis"] = SampleTest("kurtosis", dk, z * se_k, float(2 * stats.norm.sf(dk / se_k)), alpha_level,
                                 f"excess kurtosis {da['kurtosis']:.4f} vs {de['kurtosis']:.4f} "
                                 f"(max|x|/std {da['max_over_std']:.3f} vs {de['max_over_std']:.3f})")

    ks = stats.ks_2samp(a, e)
    crit = math.sqrt(-math.log(alpha_level / 2) / 2) * math.sqrt((na + ne) / (na * ne))
    out["ks"] = SampleTest("ks", float(ks.statistic), crit, float(ks.pvalue), alpha_level,
                           f"KS D {ks.statistic:.5f} (p {ks.pvalue:.3g}), std ratio {ratio:.4f}")
    return out


def _impl_init(impl):
    """The implementation's ``init`` module and a note. A book-style ``common/`` has no init module
    (the book draws inline in MultiLayerNet); then the book's law from ``reference.init`` is used."""
    if impl is None or impl == "reference":
        return importlib.import_module("reference.init"), ""
    mod = None
    if isinstance(impl, str) and os.path.isdir(impl):
        path = os.path.join(impl, "init.py")
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("_impl_under_test_init", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
    elif isinstance(impl, str):
        try:
            mod = importlib.import_module(f"{impl}.init")
        except ModuleNotFoundError:
            mod = None
    elif callable(getattr(impl, "module", None)):
        try:
            mod = impl.module("init")
        except (ImportError, AttributeError, KeyError):
            mod = None
    else:
        mod = getattr(impl, "init", None)
    if mod is None:
        return importlib.import_module("reference.init"), "implementation has no init module; book law from reference.init"
    return mod, ""


def _impl_name(impl):
    if impl is None:
        return "reference"
    if isinstance(impl, str):
        return impl
    return str(getattr(impl, "name", None) or getattr(impl, "__name__", None) or impl)


def _builder(framework, name):
    mod = importlib.import_module(f"parity.backends.{framework}.initializers")
    try:
        return getattr(mod, name)
    except AttributeError:
        raise ValueError(f"initializers: no builder {name!r} in parity.backends.{framework}.initializers") from None


def draw_implementation(row, case, dtype, impl=None, seed=SEED):
    """The implementation's weights for ``row`` and ``case`` (seeded NumPy Generator)."""
    init, _ = _impl_init(impl)
    fn = getattr(init, row.reference.split(".", 1)[1])
    return np.asarray(fn(CASES[case], np.random.default_rng(seed), dtype=np.dtype(dtype), **row.config))


def draw_framework(row, case, framework, dtype, device="cpu", seed=SEED, builder=None):
    """The framework's weights for ``row`` and ``case``, in the book's layout."""
    fn = _builder(framework, builder or row.builder(framework))
    return np.asarray(fn(CASES[case], dtype, seed, device=device, **row.config))


def _backend(framework):
    if framework != "keras":
        return ""
    import keras

    return keras.backend.backend()


def run(row, framework, dtype, impl=None, device="cpu"):
    """All checks of one initializer row for one framework and dtype, every case. -> list[Record]"""
    base = dict(component=row.name, kind="initializer", framework=framework, dtype=str(dtype),
                device=device, impl=_impl_name(impl), seed=SEED)
    if row.builder(framework) is None:
        return [Record(check=c, passed=False, status="missing", message=f"{row.name}: no {framework} counterpart. {row.note}",
                       **base) for c in row.checks]
    try:
        backend = _backend(framework)
        importlib.import_module(f"parity.backends.{framework}.initializers")
    except ImportError as exc:
        return [Record(check=c, passed=False, status="skipped", message=f"{framework} not installed: {exc}", **base)
                for c in row.checks]
    base.update(backend=backend, versions=str(versions()))
    _, note = _impl_init(impl)
    level = alpha()
    records = []
    for case in row.cases:
        a = draw_framework(row, case, framework, dtype, device)
        e = draw_implementation(row, case, dtype, impl)
        tests = compare_samples(a, e, level)
        for check in row.checks:
            if check == "dtype":
                ok = a.dtype == np.dtype(dtype) and e.dtype == np.dtype(dtype) and a.shape == e.shape
                msg = (f"{row.name}-{framework}-{dtype}-dtype [{case}]: framework {a.dtype} {a.shape}, "
                       f"implementation {e.dtype} {e.shape}, expected {dtype} {CASES[case]}")
                records.append(Record(check="dtype", case=case, passed=bool(ok), message=msg, **base))
                continue
            t = tests[check]
            msg = (f"{row.name}-{framework}-{dtype}-{check} [{case}]: {'ok' if t.passed else 'MISMATCH'}: "
                   f"statistic {t.statistic:.4g}, critical {t.critical:.4g}, p {t.p_value:.3g} "
                   f"(alpha {t.alpha:.2g} = {FAMILY_ALPHA:g} / {n_statistical_tests()} tests); {t.detail}"
                   + (f"; {note}" if note else ""))
            records.append(Record(check=check, case=case, passed=t.passed, max_abs_err=t.statistic,
                                  atol=t.critical, n_total=int(a.size), n_mismatch=0 if t.passed else 1,
                                  message=msg, **base))
    return records
