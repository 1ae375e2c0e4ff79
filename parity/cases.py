"""Input cases for the layer and function checks: made once in NumPy (float64, fixed seed), then
cast to the dtype under test and converted for each framework.

A case is arrays (inputs, the book's parameters, the upstream gradient ``dout``) plus ``hyper``,
the book constructor's arguments. Each case draws from its own generator, seeded from ``SEED``
and the case id, so cases do not depend on each other or on the order they are made in.

Edge cases pin the kinks and the extremes: exact zeros at ReLU, saturated logits (+-50, +-1000)
for softmax and the losses, ties inside max-pooling windows, batches of one, 4-D input to Affine,
large activations for sigmoid and tanh.

    >>> get("affine-2d").arrays["W"].shape
    (6, 3)
"""
from dataclasses import dataclass, field
from functools import lru_cache
import zlib

import numpy as np

SEED = 20240501


@dataclass(frozen=True)
class Case:
    """id: the case id; arrays: {name: float64 array or int labels}; hyper: constructor arguments;
    no_numerical: why a central-difference gradient is meaningless on this case ("" where it is
    fine): a kink at an input value (ReLU at 0, tied maxima), a fresh random mask per call, or a
    backward that is deliberately not the gradient of the forward (saturated SoftmaxWithLoss)."""

    id: str
    arrays: dict
    hyper: dict = field(default_factory=dict)
    no_numerical: str = ""

    def cast(self, dtype):
        """The arrays in ``dtype`` (floating ones; integer labels kept), fresh copies."""
        return {k: (v.astype(dtype) if np.issubdtype(v.dtype, np.floating) else v.copy())
                for k, v in self.arrays.items()}


def _rng(case_id):
    return np.random.default_rng([SEED, zlib.crc32(case_id.encode())])


def _onehot(labels, classes):
    return np.eye(classes)[labels]


# --- layers ------------------------------------------------------------------------------------

def _affine(rng, x_shape, m):
    d = int(np.prod(x_shape[1:]))
    return {"x": rng.normal(size=x_shape), "W": rng.normal(scale=d ** -0.5, size=(d, m)),
            "b": rng.normal(size=m), "dout": rng.normal(size=(x_shape[0], m))}


def _activation(rng, x):
    return {"x": x, "dout": rng.normal(size=x.shape)}


def _relu_zeros(rng):
    x = rng.normal(size=(4, 6))
    x[rng.random(x.shape) < 0.4] = 0.0  # exact zeros: the book's gradient there is 0
    x[0, :3] = [0.0, -0.0, 0.0]
    return _activation(rng, x)


def _large(rng):
    x = np.concatenate([rng.uniform(-40, 40, 12), [-1000.0, -50.0, -20.0, 20.0, 50.0, 1000.0]]).reshape(3, 6)
    return _activation(rng, x)


def _loss(rng, n, c, onehot, scale=2.0, saturate=False):
    x = rng.normal(scale=scale, size=(n, c))
    labels = rng.integers(0, c, n)
    if saturate:
        x[0, :] = -1000.0
        x[0, labels[0]] = 1000.0  # right class certain: y_t = 1
        if n > 1:
            x[1, :] = 50.0
            x[1, (labels[1] + 1) % c] = 1000.0  # wrong class certain: y_t = 0, log(0 + 1e-7)
        if n > 2:
            x[2, :] = rng.choice([-50.0, 50.0], c)
    t = _onehot(labels, c) if onehot else labels
    return {"x": x, "t": t, "dout": np.asarray(1.0)}


def _batchnorm(rng, shape, steps=3):
    d = int(np.prod(shape[1:]))
    return {"x": rng.normal(loc=1.5, scale=2.0, size=(steps, *shape)),
            "dout": rng.normal(size=(steps, *shape)),
            "x_eval": rng.normal(loc=1.5, scale=2.0, size=shape),
            "gamma": rng.uniform(0.5, 1.5, d), "beta": rng.normal(size=d)}


def _dropout(rng, shape):
    return {"x": rng.normal(size=shape), "dout": rng.normal(size=shape)}


def _conv(rng, n, c, h, w, fn, fh, fw, stride, pad):
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    return {"x": rng.normal(size=(n, c, h, w)), "W": rng.normal(scale=(c * fh * fw) ** -0.5, size=(fn, c, fh, fw)),
            "b": rng.normal(size=fn), "dout": rng.normal(size=(n, fn, oh, ow))}


def _pool(rng, n, c, h, w, ph, pw, stride, pad, ties=False):
    x = rng.integers(-2, 3, size=(n, c, h, w)).astype(np.float64) if ties else rng.normal(size=(n, c, h, w))
    oh, ow = (h + 2 * pad - ph) // stride + 1, (w + 2 * pad - pw) // stride + 1
    return {"x": x, "dout": rng.normal(size=(n, c, oh, ow))}


def _binary(rng, shape):
    return {"x": rng.normal(size=shape), "y": rng.normal(size=shape), "dout": rng.normal(size=shape)}


# --- functions ---------------------------------------------------------------------------------

def _softmax_probs(rng, n, c, saturate):
    a = _loss(rng, n, c, onehot=False, saturate=saturate)
    x = a["x"] - a["x"].max(axis=1, keepdims=True)
    y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    return y, a["t"]


def _ce(rng, onehot, saturate=False, vector=False, n=5, c=4):
    y, labels = _softmax_probs(rng, 1 if vector else n, c, saturate)
    t = _onehot(labels, c) if onehot else labels
    if vector:
        y, t = y[0], t[0] if onehot else labels
    return {"y": y, "t": t}


def _sse(rng, shape):
    return {"y": rng.random(shape), "t": _onehot(rng.integers(0, shape[-1], shape[0]), shape[-1]).reshape(shape)
            if len(shape) == 2 else np.eye(shape[0])[rng.integers(0, shape[0])]}


_KINK = "kink at an input value (ReLU at exactly 0, or tied maxima in a pooling window)"
_MASK = "the book's dropout draws a fresh mask on every forward call"
_GUARD = ("y_t ~ 0: the book's backward (y - t) / N is the gradient of the loss without the 1e-7, "
          "its forward has it, so they differ by y_t / (y_t + 1e-7)")

_MAKERS = {
    # Affine
    "affine-2d": (lambda r: _affine(r, (4, 6), 3), {}, False),
    "affine-4d": (lambda r: _affine(r, (3, 2, 3, 3), 4), {}, False),
    "affine-batch1": (lambda r: _affine(r, (1, 5), 3), {}, False),
    # elementwise activations
    "act-random": (lambda r: _activation(r, r.normal(scale=3.0, size=(4, 7))), {}, False),
    "act-batch1": (lambda r: _activation(r, r.normal(scale=3.0, size=(1, 5))), {}, False),
    "act-large": (_large, {}, False),
    "relu-zeros": (_relu_zeros, {}, _KINK),
    # SoftmaxWithLoss
    "loss-onehot": (lambda r: _loss(r, 5, 4, True), {}, False),
    "loss-labels": (lambda r: _loss(r, 5, 4, False), {}, False),
    "loss-saturated-onehot": (lambda r: _loss(r, 4, 5, True, saturate=True), {}, _GUARD),
    "loss-saturated-labels": (lambda r: _loss(r, 4, 5, False, saturate=True), {}, _GUARD),
    "loss-batch1-labels": (lambda r: _loss(r, 1, 3, False), {}, False),
    # the book's TwoLayerNet shapes (batch 100, 10 classes): the catalogue's porting traps
    "loss-book-labels": (lambda r: _loss(r, 100, 10, False), {}, False),
    "loss-book-saturated-labels": (lambda r: _loss(r, 100, 10, False, saturate=True), {}, _GUARD),
    # BatchNormalization: 3 training steps, then one eval batch
    "bn-2d": (lambda r: _batchnorm(r, (8, 5)), {"momentum": 0.9}, False),
    "bn-4d": (lambda r: _batchnorm(r, (4, 2, 3, 3)), {"momentum": 0.9}, False),
    # Dropout
    "dropout-2d": (lambda r: _dropout(r, (6, 8)), {"dropout_ratio": 0.5}, _MASK),
    "dropout-4d": (lambda r: _dropout(r, (2, 3, 4, 4)), {"dropout_ratio": 0.3}, _MASK),
    # Convolution (stride / pad variants, rectangular filter, batch of one)
    "conv-s1p0": (lambda r: _conv(r, 2, 3, 5, 5, 4, 3, 3, 1, 0), {"stride": 1, "pad": 0}, False),
    "conv-s2p1": (lambda r: _conv(r, 2, 2, 6, 6, 3, 3, 3, 2, 1), {"stride": 2, "pad": 1}, False),
    "conv-rect-s1p2": (lambda r: _conv(r, 2, 2, 4, 5, 3, 2, 3, 1, 2), {"stride": 1, "pad": 2}, False),
    "conv-batch1-s3p1": (lambda r: _conv(r, 1, 3, 7, 7, 2, 3, 3, 3, 1), {"stride": 3, "pad": 1}, False),
    # MNIST-shaped (1x28x28, as the book's convnets) at stride 2: 'same' padding pads (0, 1) on an
    # even side, (1, 1) = the book's pad on an odd one (the catalogue's padding trap)
    "conv-mnist-s2p1": (lambda r: _conv(r, 2, 1, 28, 28, 4, 3, 3, 2, 1), {"stride": 2, "pad": 1}, False),
    "conv-mnist-odd-s2p1": (lambda r: _conv(r, 2, 1, 27, 27, 4, 3, 3, 2, 1), {"stride": 2, "pad": 1}, False),
    # Pooling (max)
    "pool-2x2-s2": (lambda r: _pool(r, 2, 3, 4, 4, 2, 2, 2, 0),
                    {"pool_h": 2, "pool_w": 2, "stride": 2, "pad": 0}, False),
    "pool-3x3-s2p1": (lambda r: _pool(r, 2, 2, 5, 5, 3, 3, 2, 1),
                      {"pool_h": 3, "pool_w": 3, "stride": 2, "pad": 1}, False),
    "pool-2x3-s1": (lambda r: _pool(r, 1, 2, 4, 5, 2, 3, 1, 0),
                    {"pool_h": 2, "pool_w": 3, "stride": 1, "pad": 0}, False),
    "pool-ties-2x2-s2": (lambda r: _pool(r, 2, 2, 4, 4, 2, 2, 2, 0, ties=True),
                         {"pool_h": 2, "pool_w": 2, "stride": 2, "pad": 0}, _KINK),
    "pool-ties-3x3-s1": (lambda r: _pool(r, 1, 2, 5, 5, 3, 3, 1, 0, ties=True),
                         {"pool_h": 3, "pool_w": 3, "stride": 1, "pad": 0}, _KINK),
    # MulLayer / AddLayer
    "binary-random": (lambda r: _binary(r, (3, 4)), {}, False),
    "binary-batch1": (lambda r: _binary(r, (1, 3)), {}, False),
    # functions
    "softmax-2d": (lambda r: {"x": r.normal(scale=3.0, size=(5, 6))}, {}, False),
    "softmax-1d": (lambda r: {"x": r.normal(scale=3.0, size=7)}, {}, False),
    "softmax-saturated": (lambda r: {"x": _loss(r, 4, 5, False, saturate=True)["x"]}, {}, False),
    "ce-onehot": (lambda r: _ce(r, True), {}, False),
    "ce-labels": (lambda r: _ce(r, False), {}, False),
    "ce-saturated": (lambda r: _ce(r, False, saturate=True), {}, False),
    "ce-1d-onehot": (lambda r: _ce(r, True, vector=True), {}, False),
    "ce-book-saturated-onehot": (lambda r: _ce(r, True, saturate=True, n=100, c=10), {}, False),
    "ce-book-saturated-labels": (lambda r: _ce(r, False, saturate=True, n=100, c=10), {}, False),
    "sse-2d": (lambda r: _sse(r, (4, 5)), {}, False),
    "sse-1d": (lambda r: _sse(r, (10,)), {}, False),
    "fn-random": (lambda r: {"x": r.normal(scale=3.0, size=(4, 7))}, {}, False),
    "fn-large": (lambda r: {"x": _large(r)["x"]}, {}, False),
    "fn-zeros": (lambda r: {"x": _relu_zeros(r)["x"]}, {}, _KINK),
    # numerical_gradient: x of rank 1 to 4 and a function with a known derivative
    "ng-cube-1d": (lambda r: {"x": r.uniform(-2, 2, 7)}, {"f": "cube"}, False),
    "ng-sin-2d": (lambda r: {"x": r.uniform(-2, 2, (3, 4))}, {"f": "sin"}, False),
    "ng-cube-3d": (lambda r: {"x": r.uniform(-2, 2, (2, 3, 4))}, {"f": "cube"}, False),
    "ng-sin-4d": (lambda r: {"x": r.uniform(-2, 2, (2, 2, 3, 3))}, {"f": "sin"}, False),
    "ng-closure-2d": (lambda r: {"x": r.uniform(-2, 2, (4, 3))}, {"f": "cube", "closure": True}, False),
}



def _layout_case(layout):
    """Arrays and the book's hyper-parameters for one ``parity.layouts.Layout``: the book's pad
    is ``layout.book_pad``; without bias b is zeros; pooling input is shifted negative so that
    windows whose values are all negative (where zero and -inf padding differ) occur."""
    n, c, (h, w), (fh, fw) = layout.batch, layout.channels, layout.size, layout.kernel
    oh, ow = layout.output_size()
    if layout.op == "Conv":
        def make(rng):
            a = _conv(rng, n, c, h, w, layout.filters, fh, fw, layout.stride, layout.book_pad)
            if not layout.bias:
                a["b"] = np.zeros_like(a["b"])
            return a
        return make, {"stride": layout.stride, "pad": layout.book_pad}

    def make(rng):
        return {"x": rng.normal(loc=-0.5, size=(n, c, h, w)), "dout": rng.normal(size=(n, c, oh, ow))}
    return make, {"pool_h": fh, "pool_w": fw, "stride": layout.stride, "pad": layout.book_pad}


def _layout_makers():
    from parity.layouts import LAYOUTS

    return {layout.case_id: (*_layout_case(layout), False) for layout in LAYOUTS}


_MAKERS.update(_layout_makers())

CASE_IDS = tuple(_MAKERS)


@lru_cache(maxsize=None)
def get(case_id):
    """The case ``case_id`` (made once, float64)."""
    try:
        make, hyper, no_numerical = _MAKERS[case_id]
    except KeyError:
        raise ValueError(f"no input case {case_id!r}; known: {', '.join(CASE_IDS)}") from None
    arrays = {k: np.asarray(v) for k, v in make(_rng(case_id)).items()}
    for a in arrays.values():
        a.setflags(write=False)
    return Case(case_id, arrays, dict(hyper), no_numerical or "")
