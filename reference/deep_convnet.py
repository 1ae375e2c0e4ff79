"""The book's deep convolutional net (ch08 ``deep_convnet.py``, over 99% on MNIST).

    conv - relu - conv - relu - pool -
    conv - relu - conv - relu - pool -
    conv - relu - conv - relu - pool -
    affine - relu - dropout - affine - dropout - softmax

Six 3x3 convolutions (16, 16, 32, 32, 64, 64 filters; pad 1, but 2 for the fourth), three max
poolings 2x2 stride 2, Affine to ``hidden_size`` (50) and to ``output_size`` (10), the book's
non-inverted Dropout(0.5) after each Affine. He initialization: W = randn * sqrt(2 / fan_in),
fan_in = C*3*3 for a convolution and the input size for an Affine; biases zero. Parameters W1..W6
(convolutions, (FN, C, 3, 3)), W7 (64*4*4, 50) and W8 (50, 10) for 1x28x28 input, b1..b8.

The book hard-codes the fan-ins and the 64*4*4 of W7 for 28x28 input; here they are computed
from the layer shapes, which gives the book's numbers for its input and other sizes for others.
"""
import numpy as np

from reference import params_io
from reference._checks import check_args, check_targets
from reference.gradient import numerical_gradient
from reference.init import init_weight
from reference.layers import Affine, Convolution, Dropout, Pooling, Relu, SoftmaxWithLoss
from reference.util import conv_output_size

CONV_PARAMS = (  # the book's conv_param_1 .. conv_param_6
    {"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
    {"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
    {"filter_num": 32, "filter_size": 3, "pad": 1, "stride": 1},
    {"filter_num": 32, "filter_size": 3, "pad": 2, "stride": 1},
    {"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
    {"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
)


class DeepConvNet:
    """input_dim: (C, H, W) of one sample; conv_param_1..6: each convolution's filter_num,
    filter_size, pad, stride. weight_init_std: 'he' (the book's), a float std or 'xavier'.
    dropout_ratio: of both Dropout layers (the book's 0.5). rng: np.random.Generator for the
    initial weights; dropout_rng: one for the dropout masks (default: NumPy's global state, as the
    book); dtype: float64 or float32.
    """

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param_1=CONV_PARAMS[0], conv_param_2=CONV_PARAMS[1], conv_param_3=CONV_PARAMS[2],
                 conv_param_4=CONV_PARAMS[3], conv_param_5=CONV_PARAMS[4], conv_param_6=CONV_PARAMS[5],
                 hidden_size=50, output_size=10, weight_init_std="he", dropout_ratio=0.5,
                 rng=None, dtype=np.float64, dropout_rng=None):
        conv_params = (conv_param_1, conv_param_2, conv_param_3, conv_param_4, conv_param_5, conv_param_6)
        check_args("DeepConvNet", input_dim=input_dim, hidden_size=hidden_size, output_size=output_size,
                   weight_init_std=weight_init_std, dropout_ratio=dropout_ratio, rng=rng, dtype=dtype,
                   dropout_rng=dropout_rng)
        for conv_param in conv_params:
            check_args("DeepConvNet", conv_param=conv_param)
        self.output_size = output_size
        rng = np.random.default_rng() if rng is None else rng

        self.params = {}
        self.layers = []
        channels, height, width = input_dim
        for idx, conv_param in enumerate(conv_params, start=1):
            fn, fs = conv_param["filter_num"], conv_param["filter_size"]
            self.params[f"W{idx}"] = init_weight(weight_init_std, (fn, channels, fs, fs), rng, dtype)
            self.params[f"b{idx}"] = np.zeros(fn, dtype=dtype)
            self.layers.append(Convolution(self.params[f"W{idx}"], self.params[f"b{idx}"],
                                           conv_param["stride"], conv_param["pad"]))
            self.layers.append(Relu())
            channels = fn
            height = conv_output_size(height, fs, conv_param["stride"], conv_param["pad"])
            width = conv_output_size(width, fs, conv_param["stride"], conv_param["pad"])
            if idx % 2 == 0:  # a pooling after every second convolution
                self.layers.append(Pooling(pool_h=2, pool_w=2, stride=2))
                height, width = conv_output_size(height, 2, 2), conv_output_size(width, 2, 2)
            if min(height, width) < 1:
                raise ValueError(f"DeepConvNet: input {input_dim} is too small: nothing is left after "
                                 f"convolution {idx} and its pooling")

        self.params["W7"] = init_weight(weight_init_std, (channels * height * width, hidden_size), rng, dtype)
        self.params["b7"] = np.zeros(hidden_size, dtype=dtype)
        self.params["W8"] = init_weight(weight_init_std, (hidden_size, output_size), rng, dtype)
        self.params["b8"] = np.zeros(output_size, dtype=dtype)
        self.layers.append(Affine(self.params["W7"], self.params["b7"]))
        self.layers.append(Relu())
        self.layers.append(Dropout(dropout_ratio, rng=dropout_rng))
        self.layers.append(Affine(self.params["W8"], self.params["b8"]))
        self.layers.append(Dropout(dropout_ratio, rng=dropout_rng))
        self.last_layer = SoftmaxWithLoss()

        # the layers holding W1/b1 .. W8/b8: (0, 2, 5, 7, 10, 12, 15, 18) for the book's layout
        self.param_layer_indices = tuple(i for i, layer in enumerate(self.layers)
                                         if isinstance(layer, (Convolution, Affine)))

    def predict(self, x, train_flg=False):
        """Scores (N, output_size) for x (N, C, H, W); train_flg: dropout draws masks (True) or
        scales by 1 - dropout_ratio (False)."""
        for layer in self.layers:
            if isinstance(layer, Dropout):
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=True):
        """Cross-entropy of softmax(predict(x, train_flg)) against t. The book's loss always runs
        in training mode (dropout on), which is the default here."""
        y = self.predict(x, train_flg)
        return self.last_layer.forward(y, t)

    def accuracy(self, x, t, batch_size=100):
        """The fraction of x classified as t (dropout off), predicting batch_size samples at a time.

        NOTE: the book's loop runs int(N / batch_size) batches and then divides by N, so a last
        partial batch is never predicted and counts as wrong; here every sample counts. The two
        agree whenever batch_size divides N.
        """
        check_args("DeepConvNet.accuracy", batch_size=batch_size)
        check_targets("DeepConvNet.accuracy", t, (len(x), self.output_size), batch=True)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        acc = 0
        for i in range(0, x.shape[0], batch_size):
            y = self.predict(x[i:i + batch_size], train_flg=False)
            acc += np.sum(np.argmax(y, axis=1) == t[i:i + batch_size])
        return acc / x.shape[0]

    def numerical_gradient(self, x, t):
        """{"W1": dL/dW1, ...} by central differences of ``loss(x, t)`` (training mode, as ``gradient``).

        NOTE: with dropout active every evaluation draws new masks, and the differences mean
        nothing; compare with ``gradient`` at dropout_ratio=0 or with masks that repeat.
        """
        loss_w = lambda w: self.loss(x, t)  # noqa: E731  (the book's closure)
        return {key: numerical_gradient(loss_w, self.params[key]) for key in self.params}

    def gradient(self, x, t):
        """{"W1": dL/dW1, ...} by backpropagation through ``loss(x, t)`` (training mode)."""
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)

        grads = {}
        for idx, layer_idx in enumerate(self.param_layer_indices, start=1):
            grads[f"W{idx}"] = self.layers[layer_idx].dW
            grads[f"b{idx}"] = self.layers[layer_idx].db
        return grads

    def save_params(self, file_name="params.pkl"):
        """Pickle the params dict (the book's format)."""
        params_io.save_params(self.params, file_name)

    def load_params(self, file_name="params.pkl"):
        """Copy a pickled params dict (the book's format) into params, which the layers hold."""
        params_io.load_params(self.params, file_name, "DeepConvNet.load_params")
        for idx, layer_idx in enumerate(self.param_layer_indices, start=1):
            self.layers[layer_idx].W = self.params[f"W{idx}"]
            self.layers[layer_idx].b = self.params[f"b{idx}"]
