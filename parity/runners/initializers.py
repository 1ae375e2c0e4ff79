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
import json
import math

import numpy as np

from parity.backends import plugin
from parity.impl import load_implementation
from parity.records import Record, versions

FAMILY_ALPHA = 1e-3
SEED = 0
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
            n += len(row.cases) * len(row.dtypes) * len(checks) * len(plugin.names())
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


# A book-style implementation has no init module: the book draws weights inside its nets, from
# ``weight_init_std`` (a float std, 'xavier' / 'sigmoid', 'he' / 'relu'). These are tried in order.
NET_DRAWERS = ("multi_layer_net.MultiLayerNet", "multi_layer_net_extend.MultiLayerNetExtend",
               "two_layer_net.TwoLayerNet")


class NotDrawn(Exception):
    """The implementation cannot draw weights for this case (the message says why)."""


@dataclass
class Drawer:
    """How the implementation draws one row's weights: ``draw(case, dtype, seed)``, or why not
    (status "missing", "error" or "outside", as ``Implementation.lookup`` says)."""
    status: str
    message: str = ""
    provenance: str = ""
    draw: object = None


def _init_drawer(row, fn):
    def draw(case, dtype, seed):
        return np.asarray(fn(CASES[case], np.random.default_rng(seed), dtype=np.dtype(dtype), **row.config.get("law", {})))
    return draw


def _net_drawer(row, cls, path):
    from parity.verify.netbuild import NetBuildError, NetConfig, build

    value = row.config["weight_init_std"]

    def draw(case, dtype, seed):
        shape = CASES[case]
        if len(shape) != 2:
            raise NotDrawn(f"{path.rpartition('.')[2]} draws fully connected weights only; the {shape} conv case "
                           f"needs an init module")
        cfg = NetConfig(row.name, path, (shape[1],), {"weight_init_std": value}, input_size=shape[0], output_size=10)
        np.random.seed(seed)  # the book's nets draw from NumPy's global RNG
        try:
            net = build(cls, cfg, seeded=False, extra={"rng": np.random.default_rng(seed), "dtype": np.dtype(dtype)}).net
        except NetBuildError as e:
            why = str(e).split("; give a factory")[0]
            raise NotDrawn(f"{path.rpartition('.')[2]} does not draw with weight_init_std={value!r} ({why})") from None
        W = np.asarray(net.params.get("W1"))
        if W.shape != shape:
            raise NotDrawn(f"{path}(weight_init_std={value!r}) drew W1 of shape {W.shape}, not {shape}")
        if W.dtype != np.dtype(dtype) and np.dtype(dtype) != np.float64:
            raise NotDrawn(f"{path} draws {W.dtype} weights (no dtype argument); {dtype} is not checked")
        return W
    return draw


def implementation_drawer(row, impl):
    """The Drawer of ``impl`` for an initializer row: its init module's function, else a net of
    the book's that draws with ``weight_init_std`` (never the shipped reference's code)."""
    found = impl.lookup(row.reference)
    if found.status == "found":
        return Drawer("found", "", found.provenance, _init_drawer(row, found.obj))
    if found.status != "missing":
        return Drawer(found.status, found.message, found.provenance)
    for path in NET_DRAWERS:
        net = impl.lookup(path)
        if net.status == "found":
            where = f"{net.provenance} ({path.rpartition('.')[2]}(weight_init_std={row.config['weight_init_std']!r}))"
            return Drawer("found", "", where, _net_drawer(row, net.obj, path))
        if net.status != "missing":
            return Drawer(net.status, net.message, net.provenance)
    return Drawer("missing", f"the implementation {impl.name} has no {row.reference} and no net that draws its own "
                             f"weights ({', '.join(p.rpartition('.')[2] for p in NET_DRAWERS)} with weight_init_std)")


def _builder(framework, name):
    mod = plugin.get(framework).module("initializer")
    try:
        return getattr(mod, name)
    except AttributeError:
        raise ValueError(f"initializers: no builder {name!r} in parity.backends.{framework}.initializers") from None


def draw_implementation(row, case, dtype, impl=None, seed=SEED):
    """The implementation's weights for ``row`` and ``case`` (seeded); NotDrawn where it has none."""
    drawer = implementation_drawer(row, load_implementation(impl))
    if drawer.draw is None:
        raise NotDrawn(drawer.message)
    return drawer.draw(case, dtype, seed)


def draw_framework(row, case, framework, dtype, device="cpu", seed=SEED, builder=None):
    """The framework's weights for ``row`` and ``case``, in the book's layout (``builder``: another
    builder of the plug-in's, e.g. a framework's default-named initializer)."""
    fn = _builder(framework, builder or row.builder)
    return np.asarray(fn(CASES[case], dtype, seed, device=device, **row.config.get("law", {})))


def run(row, framework, dtype, impl=None, device="cpu", config=None):
    """All checks of one initializer row for one framework and dtype, every case. -> list[Record]
    config: {"builder": another builder of the plug-in's} (the catalogue measures the frameworks'
    default-named initializers this way)."""
    impl = load_implementation(impl)
    base = dict(component=row.name, kind="initializer", framework=framework, dtype=str(dtype),
                device=device, impl=impl.name, seed=SEED)
    drawer = implementation_drawer(row, impl)
    base["provenance"] = drawer.provenance
    if drawer.draw is None:
        return [Record(check=c, case=case, passed=False, status=drawer.status, message=f"{row.name}: {drawer.message}",
                       **base) for case in row.cases for c in row.checks]
    reason = plugin.get(framework).missing_reason(device)
    if reason:
        return [Record(check=c, passed=False, status="skipped", message=f"{row.name}: {reason}", **base)
                for c in row.checks]
    if plugin.has(framework, row) is None:
        return [Record(check=c, passed=False, status="missing", message=f"{row.name}: no {framework} counterpart. {row.note}",
                       **base) for c in row.checks]
    base.update(backend=plugin.variant(framework), versions=json.dumps(versions(framework)))
    builder = (config or {}).get("builder")
    level = alpha()
    records = []
    for case in row.cases:
        try:
            e = drawer.draw(case, dtype, SEED)
        except NotDrawn as why:
            records += [Record(check=c, case=case, passed=False, status="skipped", message=f"{row.name} [{case}]: {why}",
                               **base) for c in row.checks]
            continue
        except Exception as exc:  # noqa: BLE001 -- the user's init or net raised
            records += [Record(check=c, case=case, passed=False, status="error",
                               message=f"{row.name} [{case}]: drawing the implementation's weights raised "
                                       f"{type(exc).__name__}: {exc}", **base) for c in row.checks]
            continue
        a = draw_framework(row, case, framework, dtype, device, builder=builder)
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
                   f"(alpha {t.alpha:.2g} = {FAMILY_ALPHA:g} / {n_statistical_tests()} tests); {t.detail}")
            records.append(Record(check=check, case=case, passed=t.passed, max_abs_err=t.statistic,
                                  atol=t.critical, n_total=int(a.size), n_mismatch=0 if t.passed else 1,
                                  message=msg, **base))
    return records
