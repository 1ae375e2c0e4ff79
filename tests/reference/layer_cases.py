"""One builder per layer configuration for the gradient checks: small float64 inputs away from kinks.

A builder takes a Generator and returns ``(arrays, loss, analytic)``:
- arrays: {name: array} the numerical gradient perturbs in place (the input and the layer's own
  parameter arrays, which the layer holds by reference);
- loss(): L = sum(forward(...) * dout) for a fixed random dout;
- analytic: {name: gradient} from one forward and ``backward(dout)`` (dx and dW, db, ...).
"""
import numpy as np

from reference.layers import (Affine, AddLayer, BatchNormalization, Convolution, Dropout, MulLayer,
                              Pooling, Relu, Sigmoid, SoftmaxWithLoss, Tanh)


def away_from_zero(rng, shape):
    """Normal-ish values with |v| >= 0.1, so ReLU's kink at 0 is never within h of an input."""
    return np.sign(rng.standard_normal(shape)) * (0.1 + rng.random(shape))


def distinct_positive(rng, shape):
    """A permutation of 0.01, 0.02, ...: positive (zero padding never wins a max) and at least
    0.01 apart (no pooling ties, and no argmax switch under a 1e-4 perturbation)."""
    size = int(np.prod(shape))
    return (rng.permutation(size) + 1.0).reshape(shape) * 0.01


def _single_input(layer_factory, x_maker, shape, params=(), forward_kwargs=None):
    """Builder for a layer with one input x and parameter attributes ``params`` (names on the layer)."""
    forward_kwargs = forward_kwargs or {}

    def build(rng):
        layer, arrays = layer_factory(rng)
        arrays["x"] = x_maker(rng, shape)
        out = layer.forward(arrays["x"].copy(), **forward_kwargs)
        dout = rng.standard_normal(out.shape)
        dout_before = dout.copy()
        analytic = {"x": layer.backward(dout)}
        np.testing.assert_array_equal(dout, dout_before, err_msg="backward wrote into the caller's dout")
        analytic.update({name: getattr(layer, "d" + name) for name in params})

        def loss():
            return float(np.sum(layer.forward(arrays["x"], **forward_kwargs) * dout))
        return arrays, loss, analytic
    return build


def _affine(rng, d_in=4, d_out=3):
    W, b = rng.standard_normal((d_in, d_out)), rng.standard_normal(d_out)
    return Affine(W, b), {"W": W, "b": b}


def _conv(fn, c, fh, fw, stride, pad):
    def factory(rng):
        W, b = rng.standard_normal((fn, c, fh, fw)), rng.standard_normal(fn)
        return Convolution(W, b, stride=stride, pad=pad), {"W": W, "b": b}
    return factory


def _batchnorm(d):
    def factory(rng):
        gamma, beta = 1.0 + 0.5 * rng.standard_normal(d), rng.standard_normal(d)
        return BatchNormalization(gamma, beta), {"gamma": gamma, "beta": beta}
    return factory


def _dropout_fixed_mask(rng):
    """Dropout whose mask is the same on every forward: the rng is re-seeded before each call."""
    class FixedMaskDropout(Dropout):
        def forward(self, x, train_flg=True):
            self.rng = np.random.default_rng(1234)
            return super().forward(x, train_flg)
    return FixedMaskDropout(0.4), {}


def _softmax_with_loss(one_hot):
    """SoftmaxWithLoss: L = loss * dout for a scalar dout.

    NOTE: backward is the closed form (y - t) / N, the derivative WITHOUT the 1e-7 inside the log;
    the forward's exact derivative is that times y_t / (y_t + 1e-7) per sample. The analytic side
    applies that factor, so the check is exact and stays at 1e-7 (an uncorrected comparison would
    differ by about 1e-7 / y_t, by design, not by error).
    """
    def build(rng):
        n, c = 4, 5
        arrays = {"x": rng.standard_normal((n, c))}
        labels = rng.integers(0, c, n)
        t = np.eye(c)[labels] if one_hot else labels
        layer = SoftmaxWithLoss()
        layer.forward(arrays["x"].copy(), t)
        dout = 1.7
        y_t = layer.y[np.arange(n), labels]
        analytic = {"x": layer.backward(dout) * (y_t / (y_t + 1e-7))[:, None]}

        def loss():
            return float(layer.forward(arrays["x"], t) * dout)
        return arrays, loss, analytic
    return build


def _two_inputs(layer_cls):
    def build(rng):
        arrays = {"x": rng.standard_normal((3, 4)), "y": rng.standard_normal((3, 4))}
        layer = layer_cls()
        out = layer.forward(arrays["x"].copy(), arrays["y"].copy())
        dout = rng.standard_normal(out.shape)
        dx, dy = layer.backward(dout)

        def loss():
            return float(np.sum(layer.forward(arrays["x"], arrays["y"]) * dout))
        return arrays, loss, {"x": dx, "y": dy}
    return build


def _no_params(layer_cls):
    return lambda rng: (layer_cls(), {})


LAYER_CASES = {
    "Affine-2d": _single_input(_affine, away_from_zero, (5, 4), ("W", "b")),
    "Affine-4d": _single_input(lambda rng: _affine(rng, d_in=2 * 2 * 3), away_from_zero, (3, 2, 2, 3), ("W", "b")),
    "Relu": _single_input(_no_params(Relu), away_from_zero, (4, 5)),
    "Sigmoid": _single_input(_no_params(Sigmoid), away_from_zero, (4, 5)),
    "Tanh": _single_input(_no_params(Tanh), away_from_zero, (4, 5)),
    "SoftmaxWithLoss-onehot": _softmax_with_loss(one_hot=True),
    "SoftmaxWithLoss-labels": _softmax_with_loss(one_hot=False),
    "BatchNormalization-2d": _single_input(_batchnorm(3), away_from_zero, (6, 3), ("gamma", "beta"),
                                           {"train_flg": True}),
    "BatchNormalization-4d": _single_input(_batchnorm(2 * 2 * 2), away_from_zero, (5, 2, 2, 2), ("gamma", "beta"),
                                           {"train_flg": True}),
    "Dropout-fixed-mask": _single_input(_dropout_fixed_mask, away_from_zero, (4, 5), (), {"train_flg": True}),
    "Convolution-s1-p0": _single_input(_conv(3, 2, 3, 3, 1, 0), away_from_zero, (2, 2, 5, 5), ("W", "b")),
    "Convolution-s2-p1": _single_input(_conv(3, 2, 3, 3, 2, 1), away_from_zero, (2, 2, 5, 6), ("W", "b")),
    "Convolution-s1-p2-3x2": _single_input(_conv(2, 3, 3, 2, 1, 2), away_from_zero, (1, 3, 4, 4), ("W", "b")),
    "Convolution-s3-p1-2x2": _single_input(_conv(2, 1, 2, 2, 3, 1), away_from_zero, (2, 1, 7, 7), ("W", "b")),
    "Pooling-2x2-s2": _single_input(lambda rng: (Pooling(2, 2, stride=2), {}), distinct_positive, (2, 2, 4, 6)),
    "Pooling-3x3-s2-p1": _single_input(lambda rng: (Pooling(3, 3, stride=2, pad=1), {}), distinct_positive,
                                       (1, 2, 5, 5)),
    "Pooling-2x3-s1": _single_input(lambda rng: (Pooling(2, 3, stride=1), {}), distinct_positive, (2, 1, 3, 4)),
    "MulLayer": _two_inputs(MulLayer),
    "AddLayer": _two_inputs(AddLayer),
}
