"""The numerical-gradient check: the implementation's ``numerical_gradient(f, x)`` against the
closed-form derivative of known functions (framework "analytic"), one Record per case x check.

Functions (``FUNCTIONS``): f(x) = sum(x^3) / 3 with f' = x^2, and f(x) = sum(sin x) with f' = cos x.
Case "closure": f ignores its argument and reads x from the enclosing scope, as the book's
``lambda W: net.loss(x, t)`` does: only an implementation that perturbs x IN PLACE gets the
derivative right there.

Checks:
- "grad": the returned array against f'(x), shape first (a 1-D-only loop fails on rank 2+);
- "x_restored": x after the call equals x before it, bit for bit (the book restores every element).

Tolerance ``GRADIENT_TOL``: the central difference with h = 1e-4 has truncation error h^2/6 * f'''
(<= 3.4e-9 here, |f'''| <= 2) and rounding ~eps * |f| / h (~5e-11); 1e-6 leaves room for another
h between 1e-5 and 1e-3 and still fails a forward difference (h/2 * f'' ~ 2e-4) or a wrong
divisor (h instead of 2h: a factor 2).
"""
import numpy as np

from parity import cases as case_table
from parity.runners.runner import ImplementationError, implementation_failed, prepare
from parity.compare import compare
from parity.records import Record
from parity.tolerances import Tol

FRAMEWORKS = ("analytic",)
GRADIENT_TOL = Tol(1e-6, 1e-6, "central difference h=1e-4: truncation h^2/6 f''' <= 3.4e-9, rounding ~5e-11")
FUNCTIONS = {
    "cube": (lambda x: float(np.sum(x ** 3)) / 3.0, lambda x: x ** 2),
    "sin": (lambda x: float(np.sum(np.sin(x))), np.cos),
}


def drive(numerical_gradient, case, where):
    """(gradient, x after the call) of the implementation's ``numerical_gradient`` on ``case``."""
    f, _ = FUNCTIONS[case.hyper["f"]]
    x = np.array(case.arrays["x"], dtype=np.float64)
    fn = (lambda _: f(x)) if case.hyper.get("closure") else f
    try:
        grad = numerical_gradient(fn, x)
    except Exception as e:
        raise ImplementationError(f"{where} raised {type(e).__name__} on x of shape {x.shape}: {e}") from e
    return np.asarray(grad), x


def run(row, framework, dtype, impl="reference", device="cpu", config=None):
    """Records for the numerical-gradient row (framework "analytic", float64)."""
    impl, dtype, _, _, base, component, early = prepare(row, framework, dtype, impl, "cpu")
    if early is not None:
        return early
    records = []
    where = f"{row.name} ({row.reference})"
    for case_id in row.cases:
        case = case_table.get(case_id)
        try:
            grad, after = drive(component, case, where)
        except ImplementationError as e:
            records += implementation_failed(row, framework, dtype, base, case_id, e)
            continue
        _, df = FUNCTIONS[case.hyper["f"]]
        x0 = np.asarray(case.arrays["x"], dtype=np.float64)
        c = compare(f"{row.name}-{framework}-{dtype}-grad [{case_id}]", grad, df(x0), GRADIENT_TOL, check_dtype=False)
        if case.hyper.get("closure") and not c.passed:
            c_msg = (f"{c.message()}; f reads x through a closure, as the book's lambda W: net.loss(x, t): "
                     f"x must be perturbed in place")
        else:
            c_msg = c.message()
        rec = Record.from_comparison(c, component=row.name, kind=row.kind, framework=framework, dtype=dtype,
                                     check="grad", case=case_id, **base)
        rec.message = c_msg
        records.append(rec)
        changed = int(np.sum(after != x0)) if after.shape == x0.shape else x0.size
        records.append(Record(component=row.name, kind=row.kind, framework=framework, dtype=dtype,
                              check="x_restored", case=case_id, passed=changed == 0, n_total=x0.size,
                              n_mismatch=changed, max_abs_err=float(np.max(np.abs(after - x0))) if changed else 0.0,
                              message=f"{row.name}-{framework}-{dtype}-x_restored [{case_id}]: " + (
                                  "x is left exactly as it was" if not changed else
                                  f"MISMATCH: {changed} of {x0.size} elements of x differ after the call"), **base))
    return records
