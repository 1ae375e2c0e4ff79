"""The tests' gradient check: a layer's backward against central differences of a scalar projection.

For a layer with output y = forward(x, params), the check takes a fixed random ``dout`` shaped like
y and the scalar L = sum(forward(...) * dout). Its gradient with respect to x is exactly what
``backward(dout)`` must return, and with respect to W (b, gamma, ...) what the layer leaves in dW
(db, dgamma, ...). The numerical side is ``reference.gradient.numerical_gradient`` (h = 1e-4,
float64), which perturbs the arrays in place, so ``loss`` must read them each time it is called.
"""
import numpy as np

from reference.gradient import numerical_gradient

# Float64 central differences with h = 1e-4 on smooth O(1) functions: truncation error
# ~h^2/6 * f''' ~ 1e-9 relative, rounding ~eps*|L|/h ~ 1e-12; 1e-7 leaves a margin of 100 and still
# catches any wrong factor, sign or missing term (see test_gradcheck_sensitivity.py).
GRAD_RTOL_FLOAT64 = 1e-7


def norm_relative_error(a, b):
    """||a - b|| / (||a|| + ||b||) in float64; 0 when both are 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def gradient_errors(loss, arrays, analytic):
    """{name: relative error of analytic[name] against the numerical gradient of loss() wrt arrays[name]}.

    loss: a no-argument function returning the scalar L and reading ``arrays`` (perturbed in place).
    arrays, analytic: dicts of arrays under the same names; shapes must match.
    """
    errors = {}
    for name, array in arrays.items():
        numerical = numerical_gradient(lambda _: loss(), array)
        if np.shape(analytic[name]) != np.shape(numerical):
            raise AssertionError(f"{name}: analytic shape {np.shape(analytic[name])} != {np.shape(numerical)}")
        errors[name] = norm_relative_error(analytic[name], numerical)
    return errors


def assert_gradients_match(loss, arrays, analytic, rtol=GRAD_RTOL_FLOAT64, label=""):
    """Assert every relative error of ``gradient_errors`` is below rtol, naming the worst."""
    errors = gradient_errors(loss, arrays, analytic)
    bad = {name: err for name, err in errors.items() if not err < rtol}
    assert not bad, f"{label}: gradient relative errors above {rtol:g}: {bad} (all: {errors})"
    return errors
