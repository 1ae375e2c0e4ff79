"""Property-based parity against torch over shapes and value ranges (bounded: 25 examples each,
no deadline): Affine, softmax, SoftmaxWithLoss, Relu/Sigmoid, a small Convolution. Inputs drawn by
hypothesis are run through the same drivers and tolerances as the registry checks."""
import numpy as np
import pytest

pytest.importorskip("torch", reason="the properties compare against torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

from parity.runners.runner import drive_framework, drive_reference  # noqa: E402
from parity.compare import compare  # noqa: E402
from parity.impl import load_implementation  # noqa: E402
from parity.registry import get  # noqa: E402
from parity.tolerances import tolerance  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
DTYPES = st.sampled_from(["float64", "float32"])


def _check(row, arrays, hyper, dtype, reduction, impl_spec="reference"):
    arrays = {k: (v.astype(dtype) if v.dtype.kind == "f" else v) for k, v in arrays.items()}
    impl = load_implementation(impl_spec)
    ref = drive_reference(impl.get(row.reference), row, arrays, hyper)
    got = drive_framework("torch", row, arrays, hyper, dtype, "cpu", ref)
    for check in row.checks:
        if check == "dtype":
            continue
        c = compare(f"{row.name}-torch-{dtype}-{check} [hypothesis]", got[check], ref[check],
                    tolerance(dtype, check, reduction, row.override(dtype, check)))
        assert c.passed, c.message() + f"\narrays: { {k: v.tolist() for k, v in arrays.items()} }"


@st.composite
def rng_and_scale(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1))), draw(st.sampled_from([1e-3, 1.0, 30.0]))


@SETTINGS
@given(st.integers(1, 6), st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(1, 5),
       rng_and_scale(), DTYPES)
def test_affine_any_shape(n, feature_shape, m, rs, dtype):
    rng, scale = rs
    d = int(np.prod(feature_shape))
    arrays = {"x": rng.normal(scale=scale, size=(n, *feature_shape)), "W": rng.normal(size=(d, m)),
              "b": rng.normal(size=m), "dout": rng.normal(size=(n, m))}
    _check(get("Affine"), arrays, {}, dtype, max(d, m, n))


@SETTINGS
@given(st.integers(1, 6), st.integers(2, 8), rng_and_scale(), st.booleans(), DTYPES)
def test_softmax_with_loss(n, c, rs, onehot, dtype):
    rng, scale = rs
    labels = rng.integers(0, c, n)
    arrays = {"x": rng.normal(scale=scale, size=(n, c)), "t": np.eye(c)[labels] if onehot else labels,
              "dout": np.asarray(1.0)}
    _check(get("SoftmaxWithLoss"), arrays, {}, dtype, n * c)


@SETTINGS
@given(st.integers(1, 5), st.integers(1, 9), rng_and_scale(), DTYPES)
def test_softmax(n, c, rs, dtype):
    rng, scale = rs
    _check(get("softmax"), {"x": rng.normal(scale=scale * 10, size=(n, c))}, {}, dtype, c)


@SETTINGS
@given(st.sampled_from(["Relu", "Sigmoid"]), st.integers(1, 5), st.integers(1, 6), rng_and_scale(), DTYPES)
def test_elementwise(name, n, d, rs, dtype):
    rng, scale = rs
    x = rng.normal(scale=scale * 10, size=(n, d))
    _check(get(name), {"x": x, "dout": rng.normal(size=x.shape)}, {}, dtype, 1)


@SETTINGS
@given(st.integers(1, 2), st.integers(1, 3), st.integers(3, 6), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 2), st.integers(0, 1), rng_and_scale(), DTYPES)
def test_convolution_small(n, c, hw, fn, k, stride, pad, rs, dtype):
    rng, scale = rs
    out = (hw + 2 * pad - k) // stride + 1
    arrays = {"x": rng.normal(scale=scale, size=(n, c, hw, hw)), "W": rng.normal(size=(fn, c, k, k)),
              "b": rng.normal(size=fn), "dout": rng.normal(size=(n, fn, out, out))}
    _check(get("Convolution"), arrays, {"stride": stride, "pad": pad}, dtype, max(c * k * k, fn * k * k, n * out * out))
