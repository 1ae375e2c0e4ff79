"""Values the seeds (and the book) print, recomputed by the reference."""
import numpy as np
import pytest

from reference.functions import cross_entropy_error, identity_function, sigmoid, softmax, sum_squared_error
from reference.gradient import numerical_gradient
from reference.layers import Affine, Sigmoid

NETWORK = {
    "W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), "b1": np.array([0.1, 0.2, 0.3]),
    "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), "b2": np.array([0.1, 0.2]),
    "W3": np.array([[0.1, 0.3], [0.2, 0.4]]), "b3": np.array([0.1, 0.2]),
}
FORWARD_EXPECTED = [0.31682708, 0.69627909]  # seed 001, printed to 8 decimals
Y_BOOK = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
T_BOOK = np.eye(10)[2]


def test_three_layer_forward_with_functions():
    x = np.array([1.0, 0.5])
    z1 = sigmoid(x @ NETWORK["W1"] + NETWORK["b1"])
    z2 = sigmoid(z1 @ NETWORK["W2"] + NETWORK["b2"])
    y = identity_function(z2 @ NETWORK["W3"] + NETWORK["b3"])
    np.testing.assert_allclose(y, FORWARD_EXPECTED, rtol=0, atol=5e-9)  # printed to 8 decimals


def test_three_layer_forward_with_layers():
    x = np.array([[1.0, 0.5]])
    layers = [Affine(NETWORK["W1"], NETWORK["b1"]), Sigmoid(), Affine(NETWORK["W2"], NETWORK["b2"]), Sigmoid(),
              Affine(NETWORK["W3"], NETWORK["b3"])]
    for layer in layers:
        x = layer.forward(x)
    np.testing.assert_allclose(x[0], FORWARD_EXPECTED, rtol=0, atol=5e-9)


def test_softmax_book_example():
    np.testing.assert_allclose(softmax(np.array([0.3, 2.9, 4.0])), [0.01821127, 0.24519181, 0.73659691],
                               rtol=0, atol=5e-9)  # printed to 8 decimals


def test_cross_entropy_error_book_example():
    # -log(0.6 + 1e-7), as the book prints it; one rounding of log, so equal to a few ulps.
    assert cross_entropy_error(Y_BOOK, T_BOOK) == pytest.approx(0.510825457099338, rel=1e-15)
    assert cross_entropy_error(Y_BOOK[None], np.array([2])) == pytest.approx(0.510825457099338, rel=1e-15)


@pytest.mark.parametrize("label", [np.array([2]), np.array(2)], ids=["label-array", "label-scalar"])
def test_cross_entropy_error_1d_with_label(label):
    assert cross_entropy_error(Y_BOOK, label) == pytest.approx(0.510825457099338, rel=1e-15)


def test_sum_squared_error_book_example():
    assert sum_squared_error(Y_BOOK, T_BOOK) == pytest.approx(0.09750000000000003, rel=1e-15)


def test_numerical_gradient_of_sum_of_squares():
    """Central differences are exact for a quadratic up to rounding: (6, 8) at (3, 4)."""
    grad = numerical_gradient(lambda x: x[0] ** 2 + x[1] ** 2, np.array([3.0, 4.0]))
    np.testing.assert_allclose(grad, [6.0, 8.0], rtol=1e-10)  # rounding ~eps*25/h ~ 5e-11 relative
