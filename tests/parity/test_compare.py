"""The comparator's own tests: shape, then dtype, then values; NaN/inf handling; the message;
tolerance scaling with the reduction length; tolerance lookup with row overrides."""
import math

import numpy as np
import pytest

from parity.compare import compare
from parity.tolerances import GRADIENT_TOL, VALUE_TOL, Tol, tolerance

TOL = Tol(1e-6, 1e-9)


def test_equal_arrays_pass_with_zero_error():
    r = compare("Affine-torch-float64-forward", np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3), TOL)
    assert r.passed and r.reason == "ok" and r.max_abs_err == 0.0 and r.n_total == 6


def test_shape_mismatch_is_reported_before_values():
    r = compare("Affine-torch-float64-dW", np.zeros((3, 2)), np.zeros((2, 3)), TOL)
    assert not r.passed and r.reason == "shape"
    assert "Affine-torch-float64-dW" in r.message() and "(3, 2)" in r.message() and "(2, 3)" in r.message()


def test_dtype_mismatch_fails_and_still_compares_the_values():
    r = compare("Relu-keras-float32-forward", np.zeros(3, np.float64), np.zeros(3, np.float32), TOL)
    assert not r.passed and r.reason == "dtype" and r.values_agree
    assert "float64" in r.message() and "float32" in r.message() and "values after casting: ok" in r.message()
    assert compare("x", np.zeros(3, np.float64), np.zeros(3, np.float32), TOL, check_dtype=False).passed
    wrong = compare("x", np.ones(3, np.float64), np.zeros(3, np.float32), TOL)
    assert wrong.reason == "dtype" and not wrong.values_agree and "values after casting: MISMATCH" in wrong.message()
    assert wrong.n_mismatch == 3 and wrong.max_abs_err == 1.0


def test_record_of_a_dtype_mismatch_with_agreeing_values_is_a_dtype_finding():
    from parity.records import Record

    agree = compare("x", np.zeros(3, np.float64), np.zeros(3, np.float32), TOL)
    differ = compare("x", np.ones(3, np.float64), np.zeros(3, np.float32), TOL)
    fields = dict(component="Affine", kind="layer", framework="torch", dtype="float32", check="forward")
    assert Record.from_comparison(agree, **fields).status == "dtype"
    assert Record.from_comparison(differ, **fields).status == "fail"


def test_message_names_count_share_worst_error_and_index():
    expected = np.zeros((4, 5))
    actual = expected.copy()
    actual[2, 3] = 1e-3
    actual[0, 1] = 1e-4
    r = compare("Convolution-torch-float64-dx", actual, expected, TOL)
    m = r.message()
    assert not r.passed and r.reason == "values"
    assert r.n_mismatch == 2 and math.isclose(r.mismatch_pct, 10.0)
    assert r.worst_index == (2, 3) and math.isclose(r.max_abs_err, 1e-3)
    for part in ("Convolution-torch-float64-dx", "MISMATCH", "2 / 20", "10.00%", "1.000e-03", "(2, 3)"):
        assert part in m, (part, m)


def test_bound_is_atol_plus_rtol_times_expected():
    e = np.array([1.0, 100.0])
    inside = e + np.array([0.9e-6 * 1.0, 0.9e-6 * 100.0])
    outside = e + np.array([0.0, 1.1e-6 * 100.0 + 1e-9])
    assert compare("x", inside, e, TOL).passed
    r = compare("x", outside, e, TOL)
    assert not r.passed and r.n_mismatch == 1 and r.worst_index == (1,)


@pytest.mark.parametrize("a, e, passed, reason", [
    ([np.nan, 1.0], [np.nan, 1.0], True, "ok"),
    ([np.inf, -np.inf], [np.inf, -np.inf], True, "ok"),
    ([np.nan, 1.0], [0.0, 1.0], False, "nonfinite"),
    ([np.inf, 1.0], [-np.inf, 1.0], False, "nonfinite"),
    ([1.0, 1.0], [np.nan, 1.0], False, "values"),
    ([np.inf, 1.0], [1e308, 1.0], False, "nonfinite"),
], ids=["nan-nan", "inf-inf", "nan-vs-number", "inf-vs-minus-inf", "number-vs-nan", "inf-vs-large"])
def test_nonfinite_handling(a, e, passed, reason):
    r = compare("softmax-torch-float64-forward", np.array(a), np.array(e), TOL)
    assert r.passed is passed and r.reason == reason, r.message()


def test_scalars_and_empty_arrays():
    assert compare("loss", np.float64(2.0), np.float64(2.0), TOL).passed
    assert not compare("loss", np.float64(2.1), np.float64(2.0), TOL).passed
    r = compare("empty", np.zeros((0, 3)), np.zeros((0, 3)), TOL)
    assert r.passed and r.n_total == 0


def test_scaled_grows_with_sqrt_of_reduction():
    base = Tol(1e-12, 1e-14, "r")
    s = base.scaled(100)
    assert math.isclose(s.rtol, 1e-11) and math.isclose(s.atol, 1e-13) and s.reason == "r"
    assert base.scaled(1) == base and base.scaled(0) == base


def test_tolerance_picks_table_by_check_and_override_wins():
    assert tolerance("float64", "forward") == VALUE_TOL["float64"]
    assert tolerance("float32", "dx") == GRADIENT_TOL["float32"]
    assert tolerance("float64", "dW", reduction=4).rtol == pytest.approx(2 * GRADIENT_TOL["float64"].rtol)
    override = Tol(1e-3, 1e-3, "documented reason")
    assert tolerance("float64", "forward", reduction=9, override=override) == Tol(3e-3, 3e-3, "documented reason")


def test_every_registry_override_carries_a_reason():
    from parity.registry import COMPONENTS

    for row in COMPONENTS:
        for key, tol in row.tol.items():
            assert tol.reason.strip(), f"{row.name} override {key} has no reason"
        for key, known in row.known.items():
            assert known.reason.strip(), f"{row.name} known difference {key} has no reason"
            assert known.catalogue_id or row.kind == "layout", f"{row.name} known difference {key} has no table row"
