"""The book's simple convolutional net (ch07 ``simple_convnet.py``).

    Conv1 - Relu1 - Pool1 (max 2x2, stride 2) - Affine1 - Relu2 - Affine2 - SoftmaxWithLoss

Parameters: W1 (FN, C, FS, FS), b1 (FN,) of the convolution; W2 (FN * PH * PW, hidden_size), b2 of
the first Affine, whose input is the pooled maps flattened (PH, PW: the pooled height and width);
W3 (hidden_size, output_size), b3. With the book's defaults (1x28x28 input, 30 filters 5x5, pad 0,
stride 1): conv 24x24, pool 12x12, W2 (4320, 100).

    net = SimpleConvNet(rng=np.random.default_rng(0))
    grads = net.gradient(x_batch, t_batch)          # x_batch (N, 1, 28, 28)
"""
from collections import OrderedDict

import numpy as np

from reference import params_io
from reference._checks import check_args, check_targets
from reference.gradient import numerical_gradient
from reference.init import init_weight
from reference.layers import Affine, Convolution, Pooling, Relu, SoftmaxWithLoss
from reference.util import conv_output_size

CONV_PARAM = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}  # the book's default


class SimpleConvNet:
    """conv - relu - pool - affine - relu - affine - softmax.

    input_dim: (C, H, W) of one sample. conv_param: the convolution's filter_num, filter_size, pad,
    stride. weight_init_std: a float std (the book's 0.01), 'he'/'relu' or 'xavier'/'sigmoid' (see
    ``reference.init``). rng: np.random.Generator for the initial weights (default: a fresh one);
    dtype: float64 or float32 (the parameters', and so the computation's).
    """

    PARAM_LAYERS = ("Conv1", "Affine1", "Affine2")  # the layers holding W1/b1, W2/b2, W3/b3

    def __init__(self, input_dim=(1, 28, 28), conv_param=CONV_PARAM, hidden_size=100, output_size=10,
                 weight_init_std=0.01, rng=None, dtype=np.float64):
        check_args("SimpleConvNet", input_dim=input_dim, conv_param=conv_param, hidden_size=hidden_size,
                   output_size=output_size, weight_init_std=weight_init_std, rng=rng, dtype=dtype)
        filter_num = conv_param["filter_num"]
        filter_size = conv_param["filter_size"]
        filter_pad = conv_param["pad"]
        filter_stride = conv_param["stride"]
        channels, height, width = input_dim
        conv_h = conv_output_size(height, filter_size, filter_stride, filter_pad)
        conv_w = conv_output_size(width, filter_size, filter_stride, filter_pad)
        pool_h, pool_w = conv_output_size(conv_h, 2, 2), conv_output_size(conv_w, 2, 2)
        if min(conv_h, conv_w, pool_h, pool_w) < 1:
            raise ValueError(f"SimpleConvNet: conv_param {conv_param} on input {input_dim} gives {conv_h}x{conv_w} "
                             f"maps, too small for the 2x2 pooling")
        pool_output_size = filter_num * pool_h * pool_w
        self.output_size = output_size

        rng = np.random.default_rng() if rng is None else rng
        self.params = {}
        self.params["W1"] = init_weight(weight_init_std, (filter_num, channels, filter_size, filter_size), rng, dtype)
        self.params["b1"] = np.zeros(filter_num, dtype=dtype)
        self.params["W2"] = init_weight(weight_init_std, (pool_output_size, hidden_size), rng, dtype)
        self.params["b2"] = np.zeros(hidden_size, dtype=dtype)
        self.params["W3"] = init_weight(weight_init_std, (hidden_size, output_size), rng, dtype)
        self.params["b3"] = np.zeros(output_size, dtype=dtype)

        self.layers = OrderedDict()
        self.layers["Conv1"] = Convolution(self.params["W1"], self.params["b1"], filter_stride, filter_pad)
        self.layers["Relu1"] = Relu()
        self.layers["Pool1"] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers["Affine1"] = Affine(self.params["W2"], self.params["b2"])
        self.layers["Relu2"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W3"], self.params["b3"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        """Scores (N, output_size) for x (N, C, H, W). train_flg is accepted for the conv nets' common
        API (DeepConvNet's dropout uses it); this net has no layer that behaves differently."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        """Cross-entropy of softmax(predict(x)) against t (labels (N,) or one-hot (N, output_size))."""
        y = self.predict(x, train_flg)
        return self.last_layer.forward(y, t)

    def accuracy(self, x, t, batch_size=100):
        """The fraction of x classified as t, predicting batch_size samples at a time.

        NOTE: the book's loop runs int(N / batch_size) batches and then divides by N, so a last
        partial batch is never predicted and counts as wrong; here every sample counts. The two
        agree whenever batch_size divides N.
        """
        check_args("SimpleConvNet.accuracy", batch_size=batch_size)
        check_targets("SimpleConvNet.accuracy", t, (len(x), self.output_size), batch=True)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        acc = 0
        for i in range(0, x.shape[0], batch_size):
            y = self.predict(x[i:i + batch_size], train_flg=False)
            acc += np.sum(np.argmax(y, axis=1) == t[i:i + batch_size])
        return acc / x.shape[0]

    def numerical_gradient(self, x, t):
        """{"W1": dL/dW1, ...} by central differences (the book's loop), one element at a time."""
        loss_w = lambda w: self.loss(x, t)  # noqa: E731  (the book's closure)
        return {key: numerical_gradient(loss_w, self.params[key]) for key in self.params}

    def gradient(self, x, t):
        """{"W1": dL/dW1, ...} by backpropagation."""
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)

        grads = {}
        for idx, name in enumerate(self.PARAM_LAYERS, start=1):
            grads[f"W{idx}"] = self.layers[name].dW
            grads[f"b{idx}"] = self.layers[name].db
        return grads

    def save_params(self, file_name="params.pkl"):
        """Pickle the params dict (the book's format)."""
        params_io.save_params(self.params, file_name)

    def load_params(self, file_name="params.pkl"):
        """Copy a pickled params dict (the book's format) into params, which the layers hold."""
        params_io.load_params(self.params, file_name, "SimpleConvNet.load_params")
        for idx, name in enumerate(self.PARAM_LAYERS, start=1):
            self.layers[name].W = self.params[f"W{idx}"]
            self.layers[name].b = self.params[f"b{idx}"]
