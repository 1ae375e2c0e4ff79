"""Registry rows: layers of the book API (see parity.registry.spec.Component).

``config`` tells the runner (``parity.runners.runner``) how to drive the book's class:
- protocol "layer": ``cls(**params, **hyper)``, ``forward(*inputs, *constants)``,
  ``backward(dout)`` -> dx (or (dx, dy)); parameter gradients read from ``d<param>``.
- protocol "batchnorm": ``cls(gamma, beta, momentum)``, several ``forward(x, True)`` /
  ``backward(dout)`` steps (every step compared), running statistics after each step, then
  ``forward(x_eval, False)``.
- protocol "dropout": ``cls(dropout_ratio)``; the mask the implementation drew (``.mask``) is
  injected into each framework; ``forward(x, True)``, ``backward``, ``forward(x, False)``.
The framework builders (same name in ``parity.backends.torch.layers`` and
``parity.backends.keras.layers``) say how each framework is configured to the book.

Reduction lengths K (tolerances scale with sqrt(K), see ``parity.tolerances``) are the longest sum
behind any compared number of the case.
"""
import math

from parity.registry.spec import Component, Tol, with_known  # noqa: F401


def _affine_k(case):
    x, W = case.arrays["x"], case.arrays["W"]
    return max(W.shape[0], W.shape[1], x.shape[0])  # x@W: D; dx: M; dW, db: N


def _conv_k(case):
    x, W, dout = case.arrays["x"], case.arrays["W"], case.arrays["dout"]
    FN, C, FH, FW = W.shape
    return max(C * FH * FW, FN * FH * FW, x.shape[0] * dout.shape[2] * dout.shape[3])


def _bn_k(case):
    return case.arrays["x"].shape[1]  # batch statistics and dgamma/dbeta: sums over N


def _loss_k(case):
    return math.prod(case.arrays["x"].shape)  # softmax over C, loss over N


def _pool_k(case):
    return case.hyper["pool_h"] * case.hyper["pool_w"]  # overlapping windows add up in dx


_ACT = ("act-random", "act-batch1", "act-large")

# Known differences come from the table of known differences (parity.catalogue.table): its rows
# that leave a residual under the builder's own configuration, e.g. Keras' torch backend computing
# float64 matmul / mean / batch norm in float32 (rows float64-compute-*).
ROWS = (
    Component(
        name="Affine", kind="layer", reference="layers.Affine", builder="affine",
        cases=("affine-2d", "affine-4d", "affine-batch1"),
        checks=("forward", "dx", "dW", "db", "dtype"), reduction=_affine_k,
        config={"protocol": "layer", "inputs": ("x",), "params": ("W", "b")},
        note="torch Linear.weight = W.T; keras Dense.kernel = W; 4-D x flattened to (N, D)",
    ),
    Component(
        name="Relu", kind="layer", reference="layers.Relu", builder="relu",
        cases=("act-random", "act-batch1", "relu-zeros"), checks=("forward", "dx"),
        config={"protocol": "layer", "inputs": ("x",)},
        note="gradient at exactly 0 is 0 in the book's layer, torch.relu and keras relu (both backends)",
    ),
    Component(
        name="Sigmoid", kind="layer", reference="layers.Sigmoid", builder="sigmoid",
        cases=_ACT, checks=("forward", "dx"),
        config={"protocol": "layer", "inputs": ("x",)},
        note="saturates to exactly 0 / 1 at +-1000 in all three",
    ),
    Component(
        name="Tanh", kind="layer", reference="layers.Tanh", builder="tanh",
        cases=_ACT, checks=("forward", "dx"),
        config={"protocol": "layer", "inputs": ("x",)},
    ),
    Component(
        name="SoftmaxWithLoss", kind="layer", reference="layers.SoftmaxWithLoss",
        builder="softmax_with_loss",
        cases=("loss-onehot", "loss-labels", "loss-saturated-onehot", "loss-saturated-labels",
               "loss-batch1-labels"),
        checks=("forward", "dx"), reduction=_loss_k,
        config={"protocol": "layer", "inputs": ("x",), "constants": ("t",)},
        note="forward = -sum(log(y_t + 1e-7)) / N in framework ops; dx = autodiff of the framework's "
             "cross-entropy from logits, whose gradient (y - t) / N is the book's backward (which drops the 1e-7)",
    ),
    Component(
        name="BatchNormalization-train", kind="layer", reference="layers.BatchNormalization",
        builder="batch_normalization",
        cases=("bn-2d", "bn-4d"),
        checks=("forward", "dx", "dgamma", "dbeta", "running_mean", "running_var", "dtype"),
        reduction=_bn_k, config={"protocol": "batchnorm", "inputs": ("x",), "params": ("gamma", "beta")},
        note="3 training steps compared step by step; torch: F.batch_norm for the output and gradients, "
             "running stats updated book-style (biased var, 0.9*old + 0.1*batch, eps 1e-6); keras: "
             "BatchNormalization(momentum=0.9, epsilon=1e-6, moving stats from zeros); 4-D flattened to (N, C*H*W)",
    ),
    Component(
        name="BatchNormalization-eval", kind="layer", reference="layers.BatchNormalization",
        builder="batch_normalization",
        cases=("bn-2d", "bn-4d"), checks=("eval_forward",), reduction=_bn_k,
        config={"protocol": "batchnorm", "inputs": ("x",), "params": ("gamma", "beta")},
        note="inference with the running statistics left by the 3 training steps",
    ),
    Component(
        name="Dropout-train", kind="layer", reference="layers.Dropout", builder="dropout",
        cases=("dropout-2d", "dropout-4d"), checks=("forward", "dx", "dtype"),
        config={"protocol": "dropout", "inputs": ("x",)},
        note="the implementation's mask injected; book train = x * mask (not inverted: frameworks "
             "divide by 1 - ratio)",
    ),
    Component(
        name="Dropout-test", kind="layer", reference="layers.Dropout", builder="dropout",
        cases=("dropout-2d", "dropout-4d"), checks=("eval_forward",),
        config={"protocol": "dropout", "inputs": ("x",)},
        note="book test = x * (1 - ratio) (frameworks: identity)",
    ),
    Component(
        name="Convolution", kind="layer", reference="layers.Convolution",
        builder="convolution",
        cases=("conv-s1p0", "conv-s2p1", "conv-rect-s1p2", "conv-batch1-s3p1"),
        checks=("forward", "dx", "dW", "db", "dtype"), reduction=_conv_k,
        config={"protocol": "layer", "inputs": ("x",), "params": ("W", "b")},
        note="W (FN, C, FH, FW) = torch OIHW; keras HWIO = W.transpose(2, 3, 1, 0) on NHWC; padding explicit zeros",
    ),
    Component(
        name="Pooling", kind="layer", reference="layers.Pooling", builder="pooling",
        cases=("pool-2x2-s2", "pool-3x3-s2p1", "pool-2x3-s1", "pool-ties-2x2-s2", "pool-ties-3x3-s1"),
        checks=("forward", "dx"), reduction=_pool_k,
        config={"protocol": "layer", "inputs": ("x",)},
        note="max; the book pads with zeros (torch/keras would pad with -inf: explicit zero pad); "
             "ties: the gradient goes to the first maximum of the window in row-major order",
        book_limits={"pool-3x3-s2p1": "the book's Pooling.forward sizes its output without pad "
                                      "(out_h = 1 + (H - pool_h) / stride) while im2col pads, so any pad > 0 "
                                      "fails to reshape: the book's Pooling does not support padding"},
    ),
    Component(
        name="MulLayer", kind="layer", reference="layers.MulLayer", builder="mul",
        cases=("binary-random", "binary-batch1"), checks=("forward", "dx", "dy"),
        config={"protocol": "layer", "inputs": ("x", "y")},
    ),
    Component(
        name="AddLayer", kind="layer", reference="layers.AddLayer", builder="add",
        cases=("binary-random", "binary-batch1"), checks=("forward", "dx", "dy"),
        config={"protocol": "layer", "inputs": ("x", "y")},
    ),
)

ROWS = with_known(ROWS)  # known differences: parity.catalogue.table
