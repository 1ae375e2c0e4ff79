"""Initializers drawn with ``flax.nnx.initializers`` (``parity.backends.jax.initializers``) against the
implementation's, as distributions, through the engine's runner (``parity.runners.initializers.run``):
every registry row x dtype passes mean, std, kurtosis, KS and dtype; Flax's default-named
initializers (lecun_normal = Linear's default, he_normal, glorot_normal, variance_scaling
"truncated_normal") are caught when handed in as the book's. Ids ``init-he-jax-float64``.
"""
import pytest

pytest.importorskip("jax", reason="jax is not installed")
pytest.importorskip("flax", reason="flax is not installed")
pytest.importorskip("scipy", reason="initializer checks use scipy.stats")

pytestmark = pytest.mark.jax

from parity.runners import initializers as ci  # noqa: E402
from parity.registry import initializers as rows  # noqa: E402
from parity.registry.spec import Component  # noqa: E402


# builder, the book's law it is mistaken for, the checks that must fail (measured on dense-1000x400,
# float64: truncation gives excess kurtosis -0.64 and KS D 0.017; glorot's fan average: std ratio 1.19).
DEFAULT_NAMED = [
    ("lecun_normal", "init.xavier", {"kurtosis", "ks"}),       # also nnx.Linear / nnx.Conv's default kernel init
    ("he_normal", "init.he", {"kurtosis", "ks"}),
    ("glorot_normal", "init.xavier", {"std", "kurtosis", "ks"}),
    ("variance_scaling_truncated", "init.xavier", {"kurtosis", "ks"}),
]


@pytest.mark.parametrize("builder, reference, expected", DEFAULT_NAMED, ids=[b for b, _, _ in DEFAULT_NAMED])
def test_flax_default_named_initializers_are_detected(builder, reference, expected):
    fake = Component(name="planted", kind="initializer", reference=reference, builder=builder,
                     cases=("dense-1000x400",), checks=("dtype", *ci.STAT_CHECKS))
    records = ci.run(fake, "jax", "float64")
    assert {r.check for r in records if not r.passed} == expected, [r.message for r in records]


def test_flax_normal_default_is_the_books_std_by_coincidence():
    """nnx.initializers.normal() has stddev 1e-2: the TwoLayerNet's weight_init_std."""
    fake = Component(name="planted", kind="initializer", reference="init.std_normal", builder="normal_default",
                     cases=("dense-1000x400",), checks=("dtype", *ci.STAT_CHECKS), config={"weight_init_std": 0.01})
    records = ci.run(fake, "jax", "float64")
    assert all(r.passed for r in records), [r.message for r in records]


def test_conv_fan_in_is_the_books():
    """HWIO fan_in = C * FH * FW, the book's n_in for (FN, C, FH, FW): book_he's std is sqrt(2 / 1600)."""
    import numpy as np

    from parity.backends.jax.initializers import book_he

    w = book_he((128, 64, 5, 5), "float64", 0)
    assert w.shape == (128, 64, 5, 5) and abs(w.std() / np.sqrt(2 / 1600) - 1) < 0.01


def test_bad_shape_and_dtype_name_the_problem():
    from parity.backends.jax.initializers import book_he

    with pytest.raises(ValueError, match=r"weight shape must be 2-D.*\(3, 4, 5\)"):
        book_he((3, 4, 5), "float64", 0)
    with pytest.raises(ValueError, match="dtype must be one of.*float16"):
        book_he((3, 4), "float16", 0)
