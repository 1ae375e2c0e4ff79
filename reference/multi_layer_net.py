"""The book's fully connected net with any number of hidden layers (``common/multi_layer_net.py``).

Layers: (Affine -> activation) * len(hidden_size_list) -> Affine -> SoftmaxWithLoss.
Parameters ``W1, b1, ..., W{L}, b{L}`` with W{k} shaped (in, out). Weight decay adds
0.5 * lambda * sum(W^2) over every W to the loss and lambda * W to each W's gradient.
"""
from collections import OrderedDict

import numpy as np

from reference._checks import check_args, check_targets
from reference.gradient import numerical_gradient
from reference.init import init_weight
from reference.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss, Tanh

ACTIVATIONS = {"relu": Relu, "sigmoid": Sigmoid, "tanh": Tanh}


def activation_layer(name, where="activation_layer"):
    """A new activation layer by name ('relu', 'sigmoid', 'tanh'); ``where`` names the caller in errors."""
    try:
        return ACTIVATIONS[name]()
    except (KeyError, TypeError):
        raise ValueError(f"{where}: unknown activation {name!r}; use one of {sorted(ACTIVATIONS)}") from None


class MultiLayerNet:
    """input_size -> hidden_size_list -> output_size, with ``activation`` after every hidden Affine.

    weight_init_std: a float std, 'xavier'/'sigmoid' or 'he'/'relu' (see ``reference.init``).
    rng: np.random.Generator for the initial weights (default: a fresh one); dtype: float64/float32.
    """

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu",
                 weight_init_std="relu", weight_decay_lambda=0, rng=None, dtype=np.float64):
        check_args(type(self).__name__, input_size=input_size, hidden_size_list=hidden_size_list,
                   output_size=output_size, weight_init_std=weight_init_std,
                   weight_decay_lambda=weight_decay_lambda, rng=rng, dtype=dtype)
        activation_layer(activation, type(self).__name__)  # an unknown name fails before any weight is drawn
        self.input_size = input_size
        self.output_size = output_size
        self.hidden_size_list = list(hidden_size_list)
        self.hidden_layer_num = len(self.hidden_size_list)
        self.weight_decay_lambda = weight_decay_lambda
        self.params = {}
        self._init_weight(weight_init_std, np.random.default_rng() if rng is None else rng, dtype)

        self.layers = OrderedDict()
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
            self.layers[f"Activation_function{idx}"] = activation_layer(activation, type(self).__name__)
        idx = self.hidden_layer_num + 1
        self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
        self.last_layer = SoftmaxWithLoss()

    def _init_weight(self, weight_init_std, rng, dtype):
        sizes = [self.input_size] + self.hidden_size_list + [self.output_size]
        for idx in range(1, len(sizes)):
            self.params[f"W{idx}"] = init_weight(weight_init_std, (sizes[idx - 1], sizes[idx]), rng, dtype)
            self.params[f"b{idx}"] = np.zeros(sizes[idx], dtype=dtype)

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def weight_decay(self):
        """0.5 * lambda * sum over layers of sum(W^2)."""
        if not self.weight_decay_lambda:
            return 0  # the same value, without summing every W^2
        decay = 0
        for idx in range(1, self.hidden_layer_num + 2):
            decay += 0.5 * self.weight_decay_lambda * np.sum(self.params[f"W{idx}"] ** 2)
        return decay

    def loss(self, x, t):
        y = self.predict(x)
        return self.last_layer.forward(y, t) + self.weight_decay()

    def accuracy(self, x, t):
        y = self.predict(x)
        check_targets(f"{type(self).__name__}.accuracy", t, y, batch=True)
        y = np.argmax(y, axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.sum(y == t) / float(x.shape[0])

    def numerical_gradient(self, x, t):
        loss_W = lambda W: self.loss(x, t)  # noqa: E731  (the book's closure)
        return {key: numerical_gradient(loss_W, self.params[key]) for key in self.params}

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)

        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            affine = self.layers[f"Affine{idx}"]
            grads[f"W{idx}"] = affine.dW + self.weight_decay_lambda * affine.W
            grads[f"b{idx}"] = affine.db
        return grads
