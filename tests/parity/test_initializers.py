"""Initializers: framework weights against the implementation's, as distributions.

- every registry row x framework x dtype passes all its checks (mean, std, kurtosis, KS, dtype);
- planted faults are caught: a 5% wider std, a truncated normal of the same variance, a shifted
  mean, a uniform of the same variance, and the frameworks' default-named "Xavier" / "He";
- the false-alarm rate is what the module states (Bonferroni over the registry's checks).
"""
import math

import numpy as np
import pytest

pytest.importorskip("scipy", reason="initializer checks use scipy.stats")

from parity.runners import initializers as ci  # noqa: E402
from parity.registry import initializers as rows  # noqa: E402
from parity.registry.spec import Component  # noqa: E402

from parity.frameworks import FRAMEWORKS, missing_reason  # noqa: E402
from parity.testing.suite.test_initializers import test_book_configured_initializer_matches  # noqa: E402,F401


def _need(framework):
    reason = missing_reason(framework)
    if reason:
        pytest.skip(reason)


# --- the statistics catch planted faults -------------------------------------------------------

N = 400_000
ALPHA = ci.alpha()


def _normal(seed, std=1.0, size=N):
    return np.random.default_rng(seed).normal(0.0, std, size)


def _truncated_same_variance(seed, size=N):
    """Keras' truncated normal: N(0, (1/0.8796)^2) cut at +-2 of its std: variance 1."""
    s = 1 / 0.87962566103423978
    rng = np.random.default_rng(seed)
    out = rng.normal(0, s, 2 * size)
    return out[np.abs(out) <= 2 * s][:size]


def _failed(tests):
    return sorted(name for name, t in tests.items() if not t.passed)


def test_two_independent_normals_pass():
    assert _failed(ci.compare_samples(_normal(1), _normal(2), ALPHA)) == []


@pytest.mark.parametrize("fault, sample, expected", [
    ("std-5pct-wider", lambda: _normal(1, std=1.05), {"std", "ks"}),
    ("truncated-same-variance", lambda: _truncated_same_variance(1), {"kurtosis", "ks"}),
    ("mean-shift-0.05-std", lambda: _normal(1) + 0.05, {"mean", "ks"}),
    ("uniform-same-variance", lambda: np.random.default_rng(1).uniform(-math.sqrt(3), math.sqrt(3), N),
     {"kurtosis", "ks"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_planted_fault_is_caught(fault, sample, expected):
    tests = ci.compare_samples(sample(), _normal(2), ALPHA)
    assert expected <= set(_failed(tests)), {k: (t.statistic, t.critical) for k, t in tests.items()}


def test_truncation_keeps_the_std():
    """The truncated normal is caught by its shape, not its variance: std alone would miss it."""
    tests = ci.compare_samples(_truncated_same_variance(1), _normal(2), ALPHA)
    assert tests["std"].passed and not tests["kurtosis"].passed


@pytest.mark.parametrize("framework, builder, reference, expected", [
    pytest.param("torch", "xavier_normal", "init.xavier", {"std", "ks"}, id="xavier_normal_-torch", marks=pytest.mark.torch),
    pytest.param("keras", "glorot_normal", "init.xavier", {"std", "kurtosis", "ks"}, id="GlorotNormal-keras",
                 marks=pytest.mark.keras),
    pytest.param("keras", "he_normal", "init.he", {"kurtosis", "ks"}, id="HeNormal-keras", marks=pytest.mark.keras),
    pytest.param("torch", "kaiming_normal_book_layout", "init.he", {"std", "ks"}, id="kaiming-book-layout-torch",
                 marks=pytest.mark.torch),
])
def test_default_named_initializers_are_detected(framework, builder, reference, expected):
    """The runner, handed a framework's default-named initializer as if it were the book's, fails."""
    _need(framework)
    fake = Component(name="planted", kind="initializer", reference=reference, builder=builder,
                     cases=("dense-1000x400",), checks=("dtype", *ci.STAT_CHECKS))
    records = ci.run(fake, framework, "float64")
    failed = {r.check for r in records if not r.passed}
    assert failed == expected, [r.message for r in records]


def test_stated_false_alarm_rate():
    """alpha per check = 1e-3 / number of statistical checks in the registry (Bonferroni)."""
    n = sum(len(r.cases) * len(r.dtypes) * len([c for c in r.checks if c in ci.STAT_CHECKS]) * len(FRAMEWORKS)
            for r in rows.ROWS)
    assert n == ci.n_statistical_tests() == 48 * len(FRAMEWORKS)
    assert ci.alpha() == pytest.approx(1e-3 / n)


def test_records_carry_statistic_and_critical_value():
    pytest.importorskip("torch")
    records = ci.run(rows.ROWS[2], "torch", "float32")
    ks = [r for r in records if r.check == "ks"]
    assert ks and all(0 < r.max_abs_err < r.atol for r in ks)
    assert all(r.kind == "initializer" and r.component == "init-he" for r in records)
    assert "alpha" in ks[0].message and "KS D" in ks[0].message


@pytest.mark.parametrize("framework", [pytest.param("torch", marks=pytest.mark.torch),
                                       pytest.param("keras", marks=pytest.mark.keras)])
def test_bad_shape_and_dtype_name_the_problem(framework):
    _need(framework)
    import importlib

    mod = importlib.import_module(f"parity.backends.{framework}.initializers")
    with pytest.raises(ValueError, match=r"weight shape must be 2-D.*\(3, 4, 5\)"):
        mod.book_he((3, 4, 5), "float64", 0)
    with pytest.raises(ValueError, match="dtype must be one of.*float16"):
        mod.book_he((3, 4), "float16", 0)


def test_compare_samples_rejects_tiny_samples():
    with pytest.raises(ValueError, match="at least 2 values"):
        ci.compare_samples(np.ones(1), np.ones(5), 1e-3)
