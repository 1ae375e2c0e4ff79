"""Keras on its JAX backend (``KERAS_BACKEND=jax``, tox env ``keras-jax``): the adapter's gradient
path (``jax.vjp`` through a ``StatelessScope``) and the two float64 differences measured there.
The registry's Keras rows run unchanged on this backend (``tests/parity/test_layers.py`` etc.).

Measured on keras 3.15.1 / jax 0.10.2, float64:
- ``ops.tanh`` casts its input to ``result_type(x.dtype, float)``, which Keras maps float64 ->
  float32 on every non-TensorFlow backend (``BIT64_TO_BIT32_DTYPE``); the torch backend's tanh
  skips that cast, the jax backend's does not: Tanh returns float32, 1.1e-7 off the book's values.
- ``BatchNormalization`` computes in ``result_type(x.dtype, "float32")`` = float32 (the same cause
  as on the torch backend): output 3.5e-7, running variance 2.1e-7 off after 3 steps.
"""
import numpy as np
import pytest

from parity.frameworks import keras_backend, missing_reason

pytestmark = [pytest.mark.keras, pytest.mark.jax]


@pytest.fixture(autouse=True)
def _keras_on_jax():
    reason = missing_reason("keras")
    if reason:
        pytest.skip(reason)
    if keras_backend() != "jax":
        pytest.skip(f"keras backend is {keras_backend()!r}; these checks need KERAS_BACKEND=jax")


def test_dense_gradients_come_from_jax_vjp():
    from parity.backends.keras import layers as K

    rng = np.random.default_rng(0)
    W, b, x, dout = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    cp = K.affine({"W": W, "b": b}, {}, "float64")
    out, gin, gp = K.grad(cp.fn, {"x": x}, cp.params, dout)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, x @ W + b, rtol=1e-13)
    np.testing.assert_allclose(gin["x"], dout @ W.T, rtol=1e-13)
    np.testing.assert_allclose(gp["W"], x.T @ dout, rtol=1e-13)
    np.testing.assert_allclose(gp["b"], dout.sum(0), rtol=1e-13)
    np.testing.assert_array_equal(K.variable_numpy(cp.params["W"]), W)  # the scope left W unchanged


def test_batch_norm_moving_statistics_are_assigned_after_the_trace():
    from parity.backends.keras import layers as K

    x = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    cp = K.batch_normalization({"gamma": np.ones(3, np.float32), "beta": np.zeros(3, np.float32)},
                               {"momentum": 0.9}, "float32")
    K.grad(cp.fn, {"x": x}, cp.params, np.ones_like(x))
    state = cp.state()
    np.testing.assert_allclose(state["running_mean"], 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(state["running_var"], 0.1 * x.var(0), rtol=1e-5)


def test_tanh_computes_float64_in_float32():
    from parity import cases
    from parity.backends.keras import layers as K

    a = cases.get("act-random").cast("float64")
    out = K.evaluate(K.tanh({}, {}, "float64").fn, {"x": a["x"]})
    assert out.dtype == np.float32
    assert 1e-8 <= np.abs(out.astype(np.float64) - np.tanh(a["x"])).max() <= 1e-6


def test_float64_batch_norm_runs_at_float32_precision():
    from parity import cases
    from parity.backends.keras import layers as K
    from reference.layers import BatchNormalization

    a = cases.get("bn-2d").cast("float64")
    cp = K.batch_normalization({"gamma": a["gamma"], "beta": a["beta"]}, {"momentum": 0.9}, "float64")
    out = K.evaluate(cp.fn, {"x": a["x"][0]})
    book = BatchNormalization(a["gamma"].copy(), a["beta"].copy(), momentum=0.9).forward(a["x"][0].copy(), True)
    assert out.dtype == np.float64  # cast back: the precision, not the dtype, is float32
    assert 1e-8 <= np.abs(out - book).max() <= 1e-5
