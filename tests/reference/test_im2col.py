"""im2col / col2im: the vectorized reference against the book's loop algorithm (``harness.bench``'s
``im2col_loop`` / ``col2im_loop``, the benchmark's baseline), value for value, and col2im as the
adjoint of im2col: <im2col(x), c> = <x, col2im(c)>.

im2col only moves numbers, so it must equal the loop exactly; col2im adds the overlapping
patches in the loop's order (filter position by filter position), so its sums round the same
way and it too must equal the loop exactly, also for a column-major ``col`` (as
Convolution.backward passes it). The adjoint identity holds to float64 rounding of two sums of
about 10^3 products of O(1) numbers: 1e-12 relative leaves a margin of about 100.
"""
import numpy as np
import pytest

from harness.bench import col2im_loop, im2col_loop
from reference.util import col2im, conv_output_size, im2col

# (N, C, H, W, filter_h, filter_w, stride, pad)
SHAPES = [
    (2, 3, 7, 6, 3, 2, 1, 0),
    (2, 2, 8, 8, 3, 3, 2, 1),
    (1, 3, 9, 7, 3, 3, 3, 1),
    (3, 1, 5, 6, 2, 4, 2, 2),
    (2, 2, 6, 6, 2, 2, 2, 0),   # pooling's non-overlapping windows
    (1, 2, 4, 5, 1, 1, 1, 0),   # 1x1 filter: col could alias the input; it must not
    (2, 1, 28, 28, 5, 5, 1, 0),  # SimpleConvNet's convolution
    (2, 3, 5, 5, 5, 5, 1, 2),   # filter as large as the input, padded
    (1, 2, 7, 5, 4, 3, 3, 2),
]
IDS = [f"N{n}-C{c}-{h}x{w}-f{fh}x{fw}-s{s}-p{p}" for n, c, h, w, fh, fw, s, p in SHAPES]
ADJOINT_RTOL = 1e-12


def out_size(shape):
    n, c, h, w, fh, fw, s, p = shape
    return n * conv_output_size(h, fh, s, p) * conv_output_size(w, fw, s, p), c * fh * fw


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_im2col_equals_the_loop(shape, dtype):
    n, c, h, w, fh, fw, s, p = shape
    x = np.random.default_rng(0).standard_normal((n, c, h, w)).astype(dtype)
    col = im2col(x, fh, fw, s, p)
    expected = im2col_loop(x, fh, fw, s, p)
    assert col.shape == expected.shape == out_size(shape) and col.dtype == dtype
    np.testing.assert_array_equal(col, expected)
    assert not np.shares_memory(col, x)  # a copy, as the book's: Convolution keeps it for backward


@pytest.mark.parametrize("order", ["C", "F"], ids=["row-major-col", "column-major-col"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_col2im_equals_the_loop(shape, dtype, order):
    n, c, h, w, fh, fw, s, p = shape
    col = np.asarray(np.random.default_rng(1).standard_normal(out_size(shape)).astype(dtype), order=order)
    img = col2im(col, (n, c, h, w), fh, fw, s, p)
    expected = col2im_loop(np.ascontiguousarray(col), (n, c, h, w), fh, fw, s, p)
    assert img.shape == (n, c, h, w) and img.dtype == dtype
    np.testing.assert_array_equal(img, expected)


def inner_products(shape, im2col_fn, col2im_fn, seed=2):
    """(<im2col(x), c>, <x, col2im(c)>) in float64 for random x and c."""
    n, c, h, w, fh, fw, s, p = shape
    rng = np.random.default_rng(seed)
    x, cols = rng.standard_normal((n, c, h, w)), rng.standard_normal(out_size(shape))
    return float(np.sum(im2col_fn(x, fh, fw, s, p) * cols)), float(np.sum(x * col2im_fn(cols, (n, c, h, w), fh, fw, s, p)))


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_col2im_is_the_adjoint_of_im2col(shape):
    lhs, rhs = inner_products(shape, im2col, col2im)
    assert rhs == pytest.approx(lhs, rel=ADJOINT_RTOL)


# --- the checks catch planted faults ------------------------------------------------------------

def col2im_dropping_overlaps(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """col2im with '=' for '+=': where patches overlap, the last one wins."""
    N, C, H, W = input_shape
    out_h, out_w = conv_output_size(H, filter_h, stride, pad), conv_output_size(W, filter_w, stride, pad)
    buf = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            img[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] = buf[:, :, i, j]
    return img[:, :, pad:H + pad, pad:W + pad]


def im2col_transposed_filter(input_data, filter_h, filter_w, stride=1, pad=0):
    """im2col whose columns run (C, filter_w, filter_h): a filter read transposed."""
    N, C = input_data.shape[:2]
    col = im2col(input_data, filter_h, filter_w, stride, pad)
    return col.reshape(-1, C, filter_h, filter_w).transpose(0, 1, 3, 2).reshape(col.shape)


def test_adjoint_check_catches_a_col2im_that_drops_overlaps():
    lhs, rhs = inner_products(SHAPES[0], im2col, col2im_dropping_overlaps)
    assert rhs != pytest.approx(lhs, rel=ADJOINT_RTOL)


def test_loop_comparison_catches_a_transposed_filter():
    n, c, h, w, fh, fw, s, p = SHAPES[1]
    x = np.random.default_rng(0).standard_normal((n, c, h, w))
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(im2col_transposed_filter(x, fh, fw, s, p), im2col_loop(x, fh, fw, s, p))
