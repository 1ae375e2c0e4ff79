"""Numerical gradients (the book's ``common/gradient.py``) and a gradient check for nets.

``numerical_gradient`` is the book's central difference, one element at a time.
``numerical_gradient_vectorized`` lives in ``reference.gradient_vectorized`` and gives the same
numbers for layered nets much faster.
"""
import numpy as np

from reference._checks import check_numerical_gradient, check_same_shape, check_scalar


def numerical_gradient(f, x, h=1e-4):
    """Central difference: df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h), for x of any rank.

    ``f`` is called with ``x`` itself, which is perturbed in place and restored afterwards, so a
    closure over a net's parameters (``lambda W: net.loss(x, t)``) sees each perturbation.
    x must be a floating array (an integer one could not hold x + h), f must return a scalar.
    """
    check_numerical_gradient("numerical_gradient", f, x, h)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index", "zerosize_ok"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        x[idx] = tmp_val
        grad[idx] = check_scalar("numerical_gradient", "f(x)", fxh1 - fxh2) / (2 * h)
        it.iternext()
    return grad


def relative_error(a, b, floor=1e-30):
    """max |a - b| / max(max |a|, max |b|): the worst error relative to the gradient's scale.

    Scaling by the largest magnitude (not element by element) keeps gradients that are exactly 0
    in theory (a bias before batch norm) from reading as 100% error. 0 for empty arrays.
    """
    check_same_shape("relative_error", "a", a, "b", b)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)), floor)
    return float(np.max(np.abs(a - b)) / scale)


def gradient_check(net, x, t, numerical=None):
    """Compare ``net.gradient(x, t)`` with the numerical gradient, parameter by parameter.

    ``numerical``: a dict of numerical gradients (default: ``net.numerical_gradient(x, t)``).
    Returns {param name: {"max_abs_err": float, "max_rel_err": float}} in ``net.params`` order.
    """
    grad_backprop = net.gradient(x, t)
    grad_numerical = net.numerical_gradient(x, t) if numerical is None else numerical
    report = {}
    for key in net.params:
        a, b = grad_backprop[key], grad_numerical[key]
        if np.shape(a) != np.shape(b):
            raise ValueError(f"gradient_check: {key}: backprop shape {np.shape(a)} != numerical {np.shape(b)}")
        report[key] = {
            "max_abs_err": float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)))) if np.size(a) else 0.0,
            "max_rel_err": relative_error(a, b),
        }
    return report
