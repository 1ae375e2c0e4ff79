"""Every layer and function row x dtype x check against Flax NNX / jax / optax (``parity.backends.jax.layers``),
on the registry's cases, with the registry's tolerances: ids ``Affine-jax-float64-dx``. Each test
asserts every case of its check (the comparison's message names the case and the worst element).

Below: Flax's float32 batch statistics and fast variance, and Flax's / optax's own dropout and
cross-entropy, measured against the book; the builders' Flax-default configurations are measured
by the table of known differences (``parity.catalogue``).
"""
import numpy as np
import pytest

pytest.importorskip("jax", reason="jax is not installed")
pytest.importorskip("flax", reason="flax is not installed")
pytest.importorskip("optax", reason="optax is not installed")

pytestmark = pytest.mark.jax

from parity import cases as case_table  # noqa: E402
from parity.registry import functions, get, layers  # noqa: E402
from tests.parity.jax_support import (  # noqa: E402
    check_case, configured_run, layer_run, max_abs, reference_numbers, stored_mismatch)


BN = "BatchNormalization-train"
# Flax's batch-norm defaults (momentum 0.99, epsilon 1e-5, running variance from ones, float32
# statistics), nnx.max_pool's -inf padding and nnx.Conv's "SAME" are rows of the table of known
# differences (parity.catalogue.table: bn-momentum, bn-epsilon, bn-running-var, bn-stats-float32,
# pooling-pad-value, padding-same-stride2), measured by tests/parity/test_differences.py.


# Flax's float32 statistics take a float64 update by a cast (a FutureWarning today, an error in a
# future JAX, says JAX): that default is what is measured here.
FLOAT32_STATS_WARNING = "ignore:scatter inputs have incompatible types:FutureWarning"


@pytest.mark.filterwarnings(FLOAT32_STATS_WARNING)
def test_flax_batch_norm_stats_are_float32_by_default():
    """nnx.BatchNorm(param_dtype=float64) still creates its running mean / var float32."""
    _, got = configured_run(BN, "bn-2d", "float64", {"stats_dtype": "float32"})
    assert stored_mismatch(got, "float64") == {"running_mean": "float32", "running_var": "float32"}


@pytest.mark.parametrize("dtype, shift, lo, hi", [("float32", 100.0, 1e-4, 1e-2), ("float64", 1e4, 1e-9, 1e-7)],
                         ids=["float32-mean-100", "float64-mean-1e4"])
def test_flax_fast_variance_cancels_when_the_mean_is_large(dtype, shift, lo, hi):
    """use_fast_variance=True (Flax's default) computes E[x^2] - E[x]^2: invisible on the registry's
    zero-mean cases (2e-16), catastrophic where |mean| >> std. Measured on bn-2d's first batch + shift:
    float32 mean 100: forward 7.3e-4; float64 mean 1e4: 7.1e-9. The book configuration (False): rounding."""
    from parity.backends.jax import layers as L
    from reference.layers import BatchNormalization

    case = case_table.get("bn-2d")
    a = case.cast(dtype)
    x = (a["x"][0] + shift).astype(dtype)
    book = BatchNormalization(a["gamma"].copy(), a["beta"].copy(), momentum=0.9).forward(x.copy(), True)
    errs = {}
    for fast in (True, False):
        cp = L.batch_normalization({"gamma": a["gamma"], "beta": a["beta"]}, case.hyper, dtype, use_fast_variance=fast)
        errs[fast] = max_abs(L.evaluate(cp.fn, {"x": x}), book)
    assert lo <= errs[True] <= hi, errs
    assert errs[False] <= 1e-6 if dtype == "float32" else errs[False] <= 1e-12, errs


@pytest.mark.parametrize("case_id", ["dropout-2d", "dropout-4d"])
def test_flax_dropout_is_inverted(case_id):
    """nnx.Dropout: training x * keep / (1 - rate), deterministic identity; the book: x * mask and
    x * (1 - ratio). Kept elements come out scaled 1 / (1 - ratio) (2 at 0.5), test-time output
    1 / (1 - ratio) times the book's."""
    import jax.numpy as jnp
    from flax import nnx

    _, arrays, hyper, ref = reference_numbers(get("Dropout-train"), case_id, "float64")
    ratio, x = hyper["dropout_ratio"], arrays["x"]
    drop = nnx.Dropout(rate=ratio, rngs=nnx.Rngs(0))
    train = np.asarray(drop(jnp.asarray(x), deterministic=False))
    kept = train != 0
    assert np.allclose(train[kept] / x[kept], 1 / (1 - ratio), rtol=1e-12)
    test = np.asarray(drop(jnp.asarray(x), deterministic=True))
    assert np.allclose(test, ref["eval_forward"] / (1 - ratio), rtol=1e-12)


@pytest.mark.parametrize("case_id, lo, hi", [("loss-onehot", 1e-6, 1e-5), ("loss-labels", 1e-7, 1e-5),
                                             ("loss-saturated-labels", 100, 1000)])
def test_optax_cross_entropy_drops_the_books_1e7(case_id, lo, hi):
    """optax.softmax_cross_entropy(_with_integer_labels) is -log softmax from logits, no +1e-7: off
    by ~1e-7 / y_t per row (7.1e-6 on loss-onehot, 1.4e-6 on loss-labels), and where the right
    class has y_t = 0 the book's loss is capped at -log(1e-7) = 16.1 per row while optax's grows
    with the logit gap (233.5 on loss-saturated-labels)."""
    import jax.numpy as jnp
    import optax

    _, arrays, _, ref = reference_numbers(get("SoftmaxWithLoss"), case_id, "float64")
    x, t = jnp.asarray(arrays["x"]), jnp.asarray(arrays["t"])
    per_row = (optax.softmax_cross_entropy(x, t) if t.shape == x.shape
               else optax.softmax_cross_entropy_with_integer_labels(x, t))
    assert lo <= abs(float(jnp.mean(per_row)) - float(ref["forward"])) <= hi


# --- the gradient entry points -------------------------------------------------------------------

def test_grad_names_a_dout_of_the_wrong_shape():
    from parity.backends.jax import layers as L

    _, arrays, hyper, _ = reference_numbers(get("Affine"), "affine-2d", "float64")
    cp = L.affine({"W": arrays["W"], "b": arrays["b"]}, hyper, "float64")
    with pytest.raises(ValueError, match=r"dout has shape \(1, 2\).*Linear has shape"):
        L.grad(cp.fn, {"x": arrays["x"]}, cp.params, np.ones((1, 2)))


def test_grad_refuses_parameters_of_an_unbound_function():
    from parity.backends.jax import layers as L

    cp = L.affine({"W": np.ones((3, 2)), "b": np.zeros(2)}, {}, "float64")
    with pytest.raises(ValueError, match="not bound to a module"):
        L.grad(lambda x: x, {"x": np.ones((1, 3))}, cp.params, np.ones((1, 3)))


def test_planted_wrong_layout_is_caught():
    """A convolution kernel copied in the book's OIHW layout by mistake (reshaped into HWIO) fails."""
    from parity.backends.jax import layers as L

    row = get("Convolution")
    _, arrays, hyper, ref = reference_numbers(row, "conv-s1p0", "float64")
    cp = L.convolution({"W": arrays["W"], "b": arrays["b"]}, hyper, "float64")
    cp.module.kernel[...] = arrays["W"].reshape(cp.module.kernel[...].shape)
    out = L.evaluate(cp.fn, {"x": arrays["x"]})
    got = {"forward": out}
    assert not check_case(row, "conv-s1p0", "float64", "forward", ref, got).passed
