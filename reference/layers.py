"""Layers of the book's ``common/layers.py``: one class per layer, forward and backward side by side.

Conventions (the book's): ``forward`` caches what ``backward`` needs; ``backward(dout)`` returns
the gradient with respect to the input and leaves parameter gradients on the layer (``dW``,
``db``, ``dgamma``, ``dbeta``). No backward here writes into the caller's ``dout`` (the book's
``Relu.backward`` does; that is the one deliberate departure, and it changes no value).
"""
import numpy as np

from reference._checks import (check_affine, check_args, check_batchnorm, check_broadcast, check_conv, check_dout,
                               check_finite, check_pool, check_targets)
from reference.functions import cross_entropy_error, sigmoid, softmax
from reference.util import col2im, conv_output_size, im2col


class MulLayer:
    """out = x * y; dx = dout * y, dy = dout * x."""

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        check_broadcast("MulLayer", x=x, y=y)
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        check_dout("MulLayer", dout, self.x, self.y)
        dx = dout * self.y
        dy = dout * self.x
        return dx, dy


class AddLayer:
    """out = x + y; dx = dy = dout."""

    def forward(self, x, y):
        check_broadcast("AddLayer", x=x, y=y)
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1


class Relu:
    """out = max(0, x); dx = dout where x > 0, else 0 (so the gradient at exactly 0 is 0)."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        # the book's out = x.copy(); out[mask] = 0, value for value (NaN stays NaN, x <= 0 gives 0);
        # np.maximum is branch-free, the masked assignment is slow where the mask is irregular
        return np.maximum(x, 0)

    def backward(self, dout):
        check_dout("Relu", dout, self.mask)
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class Sigmoid:
    """out = 1 / (1 + exp(-x)); dx = dout * (1 - out) * out."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        check_dout("Sigmoid", dout, self.out)
        return dout * (1.0 - self.out) * self.out


class Tanh:
    """out = tanh(x); dx = dout * (1 - out^2)."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        check_dout("Tanh", dout, self.out)
        return dout * (1.0 - self.out ** 2)


class Affine:
    """out = x @ W + b.

    Shapes: W (D, M), b (M,); x of any rank (N, ...) is flattened to (N, D) and dx gets x's
    original shape back. Backward: dx = dout @ W.T, dW = x.T @ dout, db = sum_n dout.
    """

    def __init__(self, W, b):
        check_affine("Affine", W, b)
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.out_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        check_affine("Affine", self.W, self.b, x)
        self.x = x
        self.out_shape = (x.shape[0], self.W.shape[1])
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        check_dout("Affine", dout, self.out_shape)
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class SoftmaxWithLoss:
    """loss = cross_entropy_error(softmax(x), t), averaged over the batch.

    x: scores (N, C); t: one-hot (N, C) or labels (N,). Backward: dx = dout * (y - t) / N, the
    closed form of the softmax + cross-entropy gradient (it ignores the 1e-7 inside the log).
    """

    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        check_finite("SoftmaxWithLoss", x=x)
        check_targets("SoftmaxWithLoss", t, x, batch=True)
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        check_dout("SoftmaxWithLoss", dout, self.loss)
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t.astype(np.intp)] -= 1
            dx = dx / batch_size
        return (dx * dout).astype(self.y.dtype, copy=False)


class Dropout:
    """The book's (non-inverted) dropout.

    Training: out = x * mask, mask = (uniform[0, 1) > dropout_ratio); no rescaling.
    Test: out = x * (1 - dropout_ratio). Backward: dx = dout * mask.
    rng: an np.random.Generator for reproducible masks (default: NumPy's global state, as the book).
    """

    def __init__(self, dropout_ratio=0.5, rng=None):
        check_args("Dropout", dropout_ratio=dropout_ratio, rng=rng)
        self.dropout_ratio = dropout_ratio
        self.rng = rng
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            u = np.random.rand(*x.shape) if self.rng is None else self.rng.random(x.shape)
            self.mask = u > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        check_dout("Dropout", dout, self.mask)
        return dout * self.mask


class BatchNormalization:
    """The book's batch normalization.

    Training: mu, var = mean and biased variance over the batch; xn = (x - mu) / sqrt(var + 10e-7);
    out = gamma * xn + beta; running_mean = momentum * running_mean + (1 - momentum) * mu (same
    for running_var with the biased var), starting from zeros. Test: the running statistics.
    Shapes: x (N, D) or (N, C, H, W); 4-D input is flattened to (N, C*H*W), so statistics are per
    activation, not per channel. gamma, beta: (D,) or scalars.
    """

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        check_batchnorm("BatchNormalization", gamma, beta, momentum, running_mean, running_var)
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.input_shape = None
        self.running_mean = running_mean
        self.running_var = running_var
        self.batch_size = None
        self.xc = None
        self.xn = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        check_batchnorm("BatchNormalization", self.gamma, self.beta, self.momentum, self.running_mean,
                        self.running_var, x)
        self.input_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        out = self._forward(x, train_flg)
        return out.reshape(*self.input_shape)

    def _forward(self, x, train_flg):
        if self.running_mean is None:
            D = x.shape[1]
            self.running_mean = np.zeros(D, dtype=x.dtype)
            self.running_var = np.zeros(D, dtype=x.dtype)

        if train_flg:
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc ** 2, axis=0)
            std = np.sqrt(var + 10e-7)
            xn = xc / std

            self.batch_size = x.shape[0]
            self.xc = xc
            self.xn = xn
            self.std = std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            xc = x - self.running_mean
            xn = xc / np.sqrt(self.running_var + 10e-7)

        return self.gamma * xn + self.beta

    def backward(self, dout):
        check_dout("BatchNormalization", dout, self.input_shape)
        dout = dout.reshape(dout.shape[0], -1)
        dx = self._backward(dout)
        return dx.reshape(*self.input_shape)

    def _backward(self, dout):
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc = dxc + (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        dx = dxc - dmu / self.batch_size

        self.dgamma = dgamma
        self.dbeta = dbeta
        return dx


class Convolution:
    """2-D convolution (cross-correlation) by im2col.

    Shapes: W (FN, C, FH, FW), b (FN,), x (N, C, H, W) -> out (N, FN, OH, OW) with
    OH = (H + 2*pad - FH) // stride + 1. out = col @ W.reshape(FN, -1).T + b.
    """

    def __init__(self, W, b, stride=1, pad=0):
        check_conv("Convolution", W, b, stride, pad)
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.out_shape = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        check_conv("Convolution", self.W, self.b, self.stride, self.pad, x)
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = conv_output_size(H, FH, self.stride, self.pad)
        out_w = conv_output_size(W, FW, self.stride, self.pad)

        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

        self.x = x
        self.out_shape = out.shape
        self.col = col
        self.col_W = col_W
        return out

    def backward(self, dout):
        check_dout("Convolution", dout, self.out_shape)
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)

        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)

        # dcol = dout @ col_W.T, computed as (col_W @ dout.T).T: the same matrix stored column by
        # column, so col2im reads each filter position's (N, C, out_h, out_w) block contiguously
        dcol = np.dot(self.col_W, dout.T).T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class Pooling:
    """Max pooling by im2col.

    x (N, C, H, W) -> out (N, C, OH, OW), OH = (H + 2*pad - pool_h) // stride + 1. Padding is with
    zeros (im2col's). Backward routes dout to the first maximum of each window (argmax), so ties
    go to the earliest position in row-major window order.
    """

    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        check_pool("Pooling", pool_h, pool_w, stride, pad)
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None
        self.out_shape = None
        self.arg_max = None

    def forward(self, x):
        check_pool("Pooling", self.pool_h, self.pool_w, self.stride, self.pad, x)
        N, C, H, W = x.shape
        out_h = conv_output_size(H, self.pool_h, self.stride, self.pad)
        out_w = conv_output_size(W, self.pool_w, self.stride, self.pad)

        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        arg_max = np.argmax(col, axis=1)
        out = col[np.arange(arg_max.size), arg_max]  # np.max(col, axis=1), without a second pass
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

        self.x = x
        self.out_shape = out.shape
        self.arg_max = arg_max
        return out

    def backward(self, dout):
        check_dout("Pooling", dout, self.out_shape)
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))

        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
