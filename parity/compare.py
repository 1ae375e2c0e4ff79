"""The one comparison function. Shape first, then dtype, then values; every result carries the
numbers it saw, and a failure message names the label, the count and share of mismatching
elements, the worst absolute and relative error and where they occur.

A dtype mismatch fails the comparison (``reason == "dtype"``), but the values are still compared
(both cast to float64, at the tolerance given) and ``values_agree`` says whether they match: a
float32 input that comes back float64 with the right numbers is a dtype finding, not a numerical
failure, and the caller decides which it is.

    >>> r = compare("Affine-torch-float64-forward", np.ones(3), np.ones(3), Tol(1e-12, 1e-14))
    >>> r.passed, r.max_abs_err
    (True, 0.0)
"""
from dataclasses import asdict, dataclass, field

import numpy as np

from parity.tolerances import Tol


@dataclass
class Comparison:
    label: str
    passed: bool
    reason: str  # "ok", "shape", "dtype", "nonfinite", "values"
    shape: tuple
    dtype: str
    rtol: float
    atol: float
    max_abs_err: float = 0.0
    max_rel_err: float = 0.0
    worst_index: tuple = ()
    actual_at_worst: float = float("nan")
    expected_at_worst: float = float("nan")
    n_mismatch: int = 0
    n_total: int = 0
    values_agree: bool = False  # the values within tolerance (also where shape is fine but dtype is not)
    extra: dict = field(default_factory=dict)

    @property
    def mismatch_pct(self):
        return 100.0 * self.n_mismatch / self.n_total if self.n_total else 0.0

    def message(self):
        if self.reason == "shape":
            return f"{self.label}: shape mismatch: actual {self.extra['actual_shape']}, expected {self.shape}"
        head = f"{self.label}: {'ok' if self.passed else 'MISMATCH'}"
        if self.reason == "dtype":
            head = (f"{self.label}: dtype mismatch: actual {self.extra['actual_dtype']}, expected {self.dtype}; "
                    f"values after casting: {'ok' if self.values_agree else 'MISMATCH'}")
        return (
            f"{head}: {self.n_mismatch} / {self.n_total} elements ({self.mismatch_pct:.2f}%) outside "
            f"rtol={self.rtol:.3g}, atol={self.atol:.3g}; worst abs err {self.max_abs_err:.3e} at index "
            f"{self.worst_index} (actual {self.actual_at_worst!r}, expected {self.expected_at_worst!r}); "
            f"worst rel err {self.max_rel_err:.3e}"
        )

    def as_dict(self):
        d = asdict(self)
        d["mismatch_pct"] = self.mismatch_pct
        d["message"] = self.message()
        return d


def compare(label, actual, expected, tol: Tol, check_dtype=True):
    """Compare ``actual`` (a framework's, or the implementation's) with ``expected``.

    Passes where every element satisfies |a - e| <= tol.atol + tol.rtol * |e|; NaN equals NaN and
    inf equals inf of the same sign, anything else non-finite is a mismatch.
    """
    a = np.asarray(actual)
    e = np.asarray(expected)
    base = dict(label=label, shape=tuple(e.shape), dtype=str(e.dtype), rtol=tol.rtol, atol=tol.atol)
    if a.shape != e.shape:
        return Comparison(passed=False, reason="shape", extra={"actual_shape": tuple(a.shape)}, **base)

    a64 = a.astype(np.float64)
    e64 = e.astype(np.float64)
    both_nan = np.isnan(a64) & np.isnan(e64)
    same_inf = np.isinf(a64) & np.isinf(e64) & (np.sign(a64) == np.sign(e64))
    with np.errstate(invalid="ignore", over="ignore"):
        abs_err = np.where(both_nan | same_inf, 0.0, np.abs(a64 - e64))
        abs_err = np.where(np.isnan(abs_err), np.inf, abs_err)
        bound = tol.atol + tol.rtol * np.abs(np.where(np.isfinite(e64), e64, 0.0))
        rel_err = abs_err / np.maximum(np.abs(e64), np.finfo(np.float64).tiny)
    bad = abs_err > bound
    n_total = int(e.size)
    result = Comparison(passed=not bad.any(), reason="ok", n_total=n_total, n_mismatch=int(bad.sum()),
                        values_agree=not bad.any(), **base)
    if n_total:
        worst = np.unravel_index(int(np.argmax(abs_err)), e.shape) if e.ndim else ()
        result.max_abs_err = float(abs_err.max())
        result.max_rel_err = float(np.nan_to_num(rel_err, nan=np.inf, posinf=np.inf).max())
        result.worst_index = tuple(int(i) for i in worst)
        result.actual_at_worst = float(a64[worst])
        result.expected_at_worst = float(e64[worst])
    if not result.passed:
        nonfinite = ~np.isfinite(a64) & ~(both_nan | same_inf)
        result.reason = "nonfinite" if nonfinite.any() else "values"
    if check_dtype and a.dtype != e.dtype:
        result.passed, result.reason = False, "dtype"
        result.extra["actual_dtype"] = str(a.dtype)
    return result
