"""float32 in -> float32 out, for every float function and every layer's forward and backward."""
import numpy as np
import pytest

from reference import functions
from reference.layers import (Affine, AddLayer, BatchNormalization, Convolution, Dropout, MulLayer, Pooling, Relu,
                              Sigmoid, SoftmaxWithLoss, Tanh)
from reference.util import col2im, im2col

F32 = np.float32


def x32(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(F32)


PROBS = np.full((3, 4), 0.25, dtype=F32)
ONE_HOT = np.eye(4, dtype=F32)[[0, 2, 3]]

FUNCTIONS = {
    "identity_function": lambda: functions.identity_function(x32(3, 4)),
    "sigmoid": lambda: functions.sigmoid(x32(3, 4)),
    "sigmoid_grad": lambda: functions.sigmoid_grad(x32(3, 4)),
    "relu": lambda: functions.relu(x32(3, 4)),
    "relu_grad": lambda: functions.relu_grad(x32(3, 4)),
    "tanh": lambda: functions.tanh(x32(3, 4)),
    "softmax-1d": lambda: functions.softmax(x32(4)),
    "softmax-2d": lambda: functions.softmax(x32(3, 4)),
    "sum_squared_error": lambda: functions.sum_squared_error(PROBS, ONE_HOT),
    "cross_entropy_error-onehot": lambda: functions.cross_entropy_error(PROBS, ONE_HOT),
    "cross_entropy_error-labels": lambda: functions.cross_entropy_error(PROBS, np.array([0, 2, 3])),
    "softmax_loss": lambda: functions.softmax_loss(x32(3, 4), np.array([0, 2, 3])),
    "im2col": lambda: im2col(x32(2, 2, 4, 4), 3, 3, stride=1, pad=1),
    "col2im": lambda: col2im(x32(2 * 16, 2 * 9), (2, 2, 4, 4), 3, 3, stride=1, pad=1),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS), ids=lambda n: f"{n}-float32")
def test_function_keeps_float32(name):
    assert np.asarray(FUNCTIONS[name]()).dtype == F32


def _one_input(layer, x, **kwargs):
    out = layer.forward(x, **kwargs)
    return layer, out, {"dx": layer.backward(np.ones_like(out))}


def _two_inputs(layer):
    out = layer.forward(x32(3, 4), x32(3, 4, seed=1))
    dx, dy = layer.backward(np.ones_like(out))
    return layer, out, {"dx": dx, "dy": dy}


def _softmax_with_loss(t):
    layer = SoftmaxWithLoss()
    out = layer.forward(x32(3, 4), t)
    return layer, out, {"dx": layer.backward(F32(1))}


LAYERS = {
    "Affine": (lambda: _one_input(Affine(x32(6, 3), x32(3)), x32(2, 2, 3)), ("dW", "db")),
    "Relu": (lambda: _one_input(Relu(), x32(3, 4)), ()),
    "Sigmoid": (lambda: _one_input(Sigmoid(), x32(3, 4)), ()),
    "Tanh": (lambda: _one_input(Tanh(), x32(3, 4)), ()),
    "SoftmaxWithLoss-labels": (lambda: _softmax_with_loss(np.array([0, 2, 3])), ()),
    "SoftmaxWithLoss-onehot": (lambda: _softmax_with_loss(ONE_HOT), ()),
    "Dropout-train": (lambda: _one_input(Dropout(0.5, rng=np.random.default_rng(0)), x32(3, 4), train_flg=True), ()),
    "Dropout-test": (lambda: (Dropout(0.5), Dropout(0.5).forward(x32(3, 4), train_flg=False), {}), ()),
    "BatchNormalization-2d": (lambda: _one_input(BatchNormalization(np.ones(4, F32), np.zeros(4, F32)), x32(5, 4),
                                                 train_flg=True), ("dgamma", "dbeta")),
    "BatchNormalization-4d": (lambda: _one_input(BatchNormalization(np.ones(8, F32), np.zeros(8, F32)),
                                                 x32(5, 2, 2, 2), train_flg=True), ("dgamma", "dbeta")),
    "BatchNormalization-test": (lambda: _bn_test_mode(), ()),
    "Convolution": (lambda: _one_input(Convolution(x32(3, 2, 3, 3), x32(3), stride=2, pad=1), x32(2, 2, 5, 5)),
                    ("dW", "db")),
    "Pooling": (lambda: _one_input(Pooling(2, 2, stride=2), x32(2, 2, 4, 4)), ()),
    "MulLayer": (lambda: _two_inputs(MulLayer()), ()),
    "AddLayer": (lambda: _two_inputs(AddLayer()), ()),
}


def _bn_test_mode():
    layer = BatchNormalization(np.ones(4, F32), np.zeros(4, F32))
    layer.forward(x32(5, 4), train_flg=True)
    out = layer.forward(x32(5, 4, seed=1), train_flg=False)
    return layer, out, {"running_mean": layer.running_mean, "running_var": layer.running_var}


def not_float32(name):
    """{output name: dtype} for each of the layer case's outputs that is not float32."""
    build, param_grads = LAYERS[name]
    layer, out, grads = build()
    dtypes = {"out": np.asarray(out).dtype, **{k: v.dtype for k, v in grads.items()},
              **{g: np.asarray(getattr(layer, g)).dtype for g in param_grads}}
    return {k: d for k, d in dtypes.items() if d != F32}


@pytest.mark.parametrize("name", sorted(LAYERS), ids=lambda n: f"{n}-float32-forward-backward")
def test_layer_keeps_float32(name):
    assert not not_float32(name)


def test_planted_upcast_is_caught(monkeypatch):
    """A backward that promotes to float64 (the book's np.sqrt-style slip) fails the dtype check."""
    monkeypatch.setattr(Sigmoid, "backward", lambda self, dout: dout * (1.0 - self.out) * np.sqrt(1.0) * self.out)
    assert not_float32("Sigmoid") == {"dx": np.float64}
