"""The nets' backprop ``gradient`` against their loop ``numerical_gradient`` (float64, small sizes).

NOTE: backprop differentiates the loss WITHOUT cross_entropy_error's 1e-7 guard (SoftmaxWithLoss's
closed form (y - t) / N), while the numerical gradient sees the guard, a relative difference of
about 1e-7 / y_t by design. These tests therefore take the numerical gradient with the guard
removed (a guard-free cross_entropy_error patched into ``reference.layers``), so the comparison
stays exact at the float64 gradient tolerance; ``test_guard_explains_the_residual`` pins the size of
the difference with the guard in place.
"""
import numpy as np
import pytest

import reference.layers
from reference.layers import BatchNormalization, Relu
from tests.reference.gradcheck import GRAD_RTOL_FLOAT64
from tests.reference.net_cases import NETS, batch


def guard_free_cross_entropy_error(y, t):
    """-sum(log(y[n, t_n])) / N, the loss SoftmaxWithLoss.backward differentiates."""
    n = y.shape[0]
    labels = t.argmax(axis=1) if t.ndim == 2 else t
    return -np.sum(np.log(y[np.arange(n), labels])) / n


def gradient_relative_errors(analytic, numerical):
    """Per parameter ||a - b|| / (||a|| + ||b||)."""
    return {k: float(np.linalg.norm(analytic[k] - numerical[k])
                     / max(np.linalg.norm(analytic[k]) + np.linalg.norm(numerical[k]), 1e-300)) for k in analytic}


def rounding_floor(loss):
    """The absolute noise of a float64 central difference of ``loss``: a few ulps of L over 2h (64 ulps
    here). A gradient that is 0 in theory (a bias before batch norm) is checked against this
    instead of relatively, where its pure rounding noise would read as a 100% error."""
    return 64 * np.spacing(abs(float(loss))) / (2 * 1e-4)


def assert_gradients_close(analytic, numerical, loss, label):
    errors = gradient_relative_errors(analytic, numerical)
    floor = rounding_floor(loss)
    bad = {k: e for k, e in errors.items()
           if not (e < GRAD_RTOL_FLOAT64 or np.max(np.abs(analytic[k] - numerical[k])) < floor)}
    assert not bad, f"{label}: relative errors {bad} above {GRAD_RTOL_FLOAT64:g} (absolute floor {floor:.1e})"


def min_abs_preactivation(net, x):
    """Smallest |input| of any Relu layer in the forward pass: a ReLU kink within h of it
    would make central differences meaningless, so the cases are chosen to keep this large."""
    smallest = np.inf
    out = x
    for layer in net.layers.values():
        if isinstance(layer, Relu):
            smallest = min(smallest, float(np.min(np.abs(out))))
        out = layer.forward(out, True) if isinstance(layer, BatchNormalization) else layer.forward(out)
    return smallest


@pytest.mark.parametrize("one_hot", [False, True], ids=["labels", "one-hot"])
@pytest.mark.parametrize("name", sorted(NETS), ids=lambda n: f"{n}-float64-gradient")
def test_gradient_matches_numerical_gradient(monkeypatch, name, one_hot):
    net = NETS[name](np.float64)
    x, t = batch(one_hot=one_hot)
    assert min_abs_preactivation(net, x) > 1e-3, "case too close to a kink; pick another seed"
    analytic = net.gradient(x, t)
    monkeypatch.setattr(reference.layers, "cross_entropy_error", guard_free_cross_entropy_error)
    numerical = net.numerical_gradient(x, t)
    assert analytic.keys() == numerical.keys() == net.params.keys()
    assert_gradients_close(analytic, numerical, net.last_layer.loss, name)


def test_guard_explains_the_residual():
    """With the 1e-7 guard in the loss, backprop and numerical differ by about 1e-7 / y_t."""
    net = NETS["TwoLayerNet-sigmoid"](np.float64)
    x, t = batch()
    errors = gradient_relative_errors(net.gradient(x, t), net.numerical_gradient(x, t))
    y = net.last_layer.y
    guard_scale = 1e-7 / np.min(y[np.arange(len(t)), t])
    assert max(errors.values()) > GRAD_RTOL_FLOAT64 / 10  # the guard is visible ...
    assert max(errors.values()) < 3 * guard_scale         # ... and explains the whole residual


def test_planted_weight_decay_fault_is_caught(monkeypatch):
    """A net whose gradient forgets the weight-decay term fails the check."""
    net = NETS["MultiLayerNet-weight-decay"](np.float64)
    x, t = batch()
    monkeypatch.setattr(reference.layers, "cross_entropy_error", guard_free_cross_entropy_error)
    numerical = net.numerical_gradient(x, t)
    lam, net.weight_decay_lambda = net.weight_decay_lambda, 0
    analytic = net.gradient(x, t)  # no lambda * W
    net.weight_decay_lambda = lam
    assert gradient_relative_errors(analytic, numerical)["W1"] > 1e-3
