"""Activation and loss functions of the book's ``common/functions.py``.

Every function keeps the floating dtype of its input (float32 in, float32 out), so the same code
runs the float32 and the float64 parity checks.
"""
import numpy as np

from reference._checks import check_finite, check_same_shape, check_scores, check_targets


def _float(x):
    """``x`` as a floating array; integer and bool input becomes float64, as NumPy would."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def identity_function(x):
    """y = x."""
    return x


def step_function(x):
    """y = 1 where x > 0 else 0, as int (the book: ``np.array(x > 0, dtype=int)``)."""
    return np.array(np.asarray(x) > 0, dtype=int)


def sigmoid(x):
    """y = 1 / (1 + exp(-x)).

    The book's formula, value for value. For x < about -709 (float64) exp(-x) overflows to inf
    and y becomes exactly 0, which is the right limit, so that overflow is silenced instead of
    warned about.

    >>> sigmoid(np.array([0.0, -1000.0, 1000.0]))
    array([0.5, 0. , 1. ])
    """
    x = _float(x)
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    """dy/dx of the sigmoid at x: (1 - sigmoid(x)) * sigmoid(x)."""
    y = sigmoid(x)
    return (1.0 - y) * y


def relu(x):
    """y = max(0, x)."""
    return np.maximum(0, x)


def relu_grad(x):
    """The book's ``relu_grad``: 1 where x >= 0, else 0.

    NOTE: at exactly 0 this says 1, while the ``Relu`` layer's backward says 0. The book disagrees
    with itself here; both are kept as written and the disagreement is pinned by a test.
    """
    x = _float(x)
    grad = np.zeros_like(x)
    grad[x >= 0] = 1
    return grad


def tanh(x):
    """y = tanh(x)."""
    return np.tanh(x)


def softmax(x):
    """y_k = exp(x_k - max(x)) / sum_i exp(x_i - max(x)), over the last axis.

    Shapes: (C,) -> (C,) or (N, C) -> (N, C). Shifting by the maximum keeps exp from overflowing
    for large logits (±1000).
    """
    x = _float(x)
    check_scores("softmax", x)
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def sum_squared_error(y, t):
    """E = 0.5 * sum((y - t)^2), y and t of the same shape."""
    check_same_shape("sum_squared_error", "y", y, "t", t)
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    """E = -sum(t * log(y + 1e-7)) / N.

    y: probabilities, (C,) or (N, C). t: one-hot of the same shape, or labels (N,) of ints.
    The 1e-7 inside the log is the book's guard against log(0); it is part of the semantics.
    """
    check_targets("cross_entropy_error", t, y)
    if y.ndim == 1:
        t = np.asarray(t)
        t = t.reshape(1, t.size) if t.size == y.size else t.reshape(1)
        y = y.reshape(1, y.size)
    check_finite("cross_entropy_error", y=y)
    # one-hot targets become labels
    if t.size == y.size:
        t = t.argmax(axis=1)
    t = np.asarray(t).astype(np.intp)
    batch_size = y.shape[0]
    delta = np.asarray(1e-7, dtype=y.dtype)
    return -np.sum(np.log(y[np.arange(batch_size), t] + delta)) / batch_size


def softmax_loss(X, t):
    """cross_entropy_error(softmax(X), t)."""
    return cross_entropy_error(softmax(X), t)
