"""Pinned kinks and extremes: sigmoid and softmax at +-1000, ReLU's gradient at exactly 0."""
import warnings

import numpy as np

from reference.functions import relu_grad, sigmoid, softmax
from reference.layers import Relu

EXTREMES = np.array([-1000.0, -745.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0])


def book_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def test_sigmoid_is_silent_and_equals_the_book_formula():
    for x in (EXTREMES, EXTREMES.astype(np.float32)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = sigmoid(x)
        np.testing.assert_array_equal(y, book_sigmoid(x))
        assert y.dtype == x.dtype
    assert sigmoid(np.array([-1000.0]))[0] == 0.0 and sigmoid(np.array([1000.0]))[0] == 1.0


def test_softmax_at_large_logits_is_finite():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = softmax(np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, -1000.0]]))
    assert np.all(np.isfinite(y))
    np.testing.assert_array_equal(y, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])


def test_relu_gradient_at_zero_book_disagrees_with_itself():
    """NOTE: the book's relu_grad says 1 at 0, its Relu layer's backward says 0. Both are pinned."""
    x = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(relu_grad(x), [0.0, 1.0, 1.0])
    layer = Relu()
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward(np.ones(3)), [0.0, 0.0, 1.0])
