"""The book's extended fully connected net (``common/multi_layer_net_extend.py``): MultiLayerNet
plus optional batch normalization and dropout.

Layers per hidden layer k: Affine{k} -> [BatchNorm{k}] -> activation -> [Dropout{k}]; then the last
Affine and SoftmaxWithLoss. Batch-norm parameters are ``gamma{k}`` (ones) and ``beta{k}`` (zeros).
``predict``/``loss`` take ``train_flg`` (default False: running statistics, no dropout), and
``gradient`` runs the forward pass with ``train_flg=True``.
"""
from collections import OrderedDict

import numpy as np

from reference._checks import check_args, check_targets
from reference.gradient import numerical_gradient
from reference.layers import Affine, BatchNormalization, Dropout, SoftmaxWithLoss
from reference.multi_layer_net import MultiLayerNet, activation_layer


class MultiLayerNetExtend(MultiLayerNet):
    """MultiLayerNet with ``use_batchnorm`` and ``use_dropout`` (ratio ``dropout_ration``, the book's
    spelling). ``dropout_rng``: a Generator for reproducible dropout masks."""

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu",
                 weight_init_std="relu", weight_decay_lambda=0, use_dropout=False,
                 dropout_ration=0.5, use_batchnorm=False, rng=None, dtype=np.float64, dropout_rng=None):
        check_args(type(self).__name__, input_size=input_size, hidden_size_list=hidden_size_list,
                   output_size=output_size, weight_init_std=weight_init_std,
                   weight_decay_lambda=weight_decay_lambda, dropout_ration=dropout_ration, rng=rng,
                   dtype=dtype, dropout_rng=dropout_rng)
        activation_layer(activation, type(self).__name__)  # an unknown name fails before any weight is drawn
        self.use_dropout = use_dropout
        self.use_batchnorm = use_batchnorm
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
            if self.use_batchnorm:
                size = self.hidden_size_list[idx - 1]
                self.params[f"gamma{idx}"] = np.ones(size, dtype=dtype)
                self.params[f"beta{idx}"] = np.zeros(size, dtype=dtype)
                self.layers[f"BatchNorm{idx}"] = BatchNormalization(self.params[f"gamma{idx}"], self.params[f"beta{idx}"])
            self.layers[f"Activation_function{idx}"] = activation_layer(activation, type(self).__name__)
            if self.use_dropout:
                self.layers[f"Dropout{idx}"] = Dropout(dropout_ration, rng=dropout_rng)
        idx = self.hidden_layer_num + 1
        self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        for key, layer in self.layers.items():
            if "Dropout" in key or "BatchNorm" in key:
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        y = self.predict(x, train_flg)
        return self.last_layer.forward(y, t) + self.weight_decay()

    def accuracy(self, x, t):
        y = self.predict(x, train_flg=False)
        check_targets(f"{type(self).__name__}.accuracy", t, y, batch=True)
        y = np.argmax(y, axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.sum(y == t) / float(x.shape[0])

    def numerical_gradient(self, x, t):
        """NOTE: as in the book, this evaluates the loss with train_flg=True, so batch statistics are
        used and the running averages move with every evaluation; dropout must be off (or its
        masks fixed) for the result to mean anything."""
        loss_W = lambda W: self.loss(x, t, train_flg=True)  # noqa: E731
        return {key: numerical_gradient(loss_W, self.params[key]) for key in self.params}

    def gradient(self, x, t):
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)

        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            affine = self.layers[f"Affine{idx}"]
            grads[f"W{idx}"] = affine.dW + self.weight_decay_lambda * affine.W
            grads[f"b{idx}"] = affine.db
            if self.use_batchnorm and idx != self.hidden_layer_num + 1:
                grads[f"gamma{idx}"] = self.layers[f"BatchNorm{idx}"].dgamma
                grads[f"beta{idx}"] = self.layers[f"BatchNorm{idx}"].dbeta
        return grads
