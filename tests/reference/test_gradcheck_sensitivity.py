"""The gradient check catches planted faults: a backward that drops a factor or a term fails it."""
import numpy as np
import pytest

from reference.layers import Affine, BatchNormalization, Convolution, Sigmoid
from tests.reference.gradcheck import GRAD_RTOL_FLOAT64, gradient_errors
from tests.reference.layer_cases import LAYER_CASES


def _affine_dW_halved(self, dout):
    dx = Affine_backward(self, dout)
    self.dW = 0.5 * self.dW
    return dx


def _sigmoid_without_one_minus(self, dout):
    return dout * self.out  # drops the (1 - out) factor


def _batchnorm_without_mean_term(self, dout):
    dx = BatchNormalization_backward(self, dout)
    return dx + dout.sum(axis=0) / dout.shape[0] * self.gamma / self.std  # forgets dmu's share


def _convolution_db_times_two(self, dout):
    dx = Convolution_backward(self, dout)
    self.db = 2 * self.db
    return dx


Affine_backward = Affine.backward
BatchNormalization_backward = BatchNormalization.backward
Convolution_backward = Convolution.backward

PLANTED = [
    ("Affine-2d", Affine, _affine_dW_halved, "W"),
    ("Sigmoid", Sigmoid, _sigmoid_without_one_minus, "x"),
    ("BatchNormalization-2d", BatchNormalization, _batchnorm_without_mean_term, "x"),
    ("Convolution-s2-p1", Convolution, _convolution_db_times_two, "b"),
]


@pytest.mark.parametrize("case, cls, fault, caught_in", PLANTED, ids=[p[0] + "-planted-fault" for p in PLANTED])
def test_planted_backward_fault_is_caught(monkeypatch, case, cls, fault, caught_in):
    monkeypatch.setattr(cls, "backward", fault)
    arrays, loss, analytic = LAYER_CASES[case](np.random.default_rng(0))
    errors = gradient_errors(loss, arrays, analytic)
    assert errors[caught_in] > 1e3 * GRAD_RTOL_FLOAT64, errors
