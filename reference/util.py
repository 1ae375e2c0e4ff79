"""Helpers of the book's ``common/util.py``: im2col / col2im for convolution, data shuffling,
curve smoothing."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reference._checks import check_args, check_im2col, check_same_length


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    """out = (in + 2*pad - filter) // stride + 1."""
    return (input_size + 2 * pad - filter_size) // stride + 1


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Unfold image patches into rows.

    input_data: (N, C, H, W). Returns col: (N*out_h*out_w, C*filter_h*filter_w), one row per
    output position, its columns ordered (C, filter_h, filter_w) like a flattened filter.
    The windows are a strided view of the padded image (no copy), copied into col once, in the
    row order. The book fills a zero buffer filter position by filter position and then
    transposes it: the same numbers, with two passes over col instead of one.
    """
    check_im2col("im2col", input_data.shape, filter_h, filter_w, stride, pad)
    N, C, H, W = input_data.shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)

    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant") if pad else input_data
    # windows[n, c, i, j] is the filter_h x filter_w patch whose top left corner is img[n, c, i*stride, j*stride]
    windows = sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]
    col = windows.transpose(0, 2, 3, 1, 4, 5).copy()  # (N, out_h, out_w, C, filter_h, filter_w), the one copy
    return col.reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """Fold rows back into images, adding overlapping patches (the adjoint of im2col).

    col: (N*out_h*out_w, C*filter_h*filter_w); input_shape: (N, C, H, W). Returns (N, C, H, W).
    One vectorized add per filter position (filter_h * filter_w of them), each over every output
    position at once, in the book's order (so the sums round exactly as the book's).
    """
    check_im2col("col2im", input_shape, filter_h, filter_w, stride, pad, col)
    N, C, H, W = input_shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)

    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]

    return img[:, :, pad:H + pad, pad:W + pad]


def shuffle_dataset(x, t, rng=None):
    """Shuffle x and t with the same permutation. rng: a np.random.Generator (default: a new one)."""
    check_same_length("shuffle_dataset", x=x, t=t)
    rng = np.random.default_rng() if rng is None else rng
    permutation = rng.permutation(x.shape[0])
    return x[permutation], t[permutation]


def smooth_curve(x):
    """Smooth a loss curve with an 11-point Kaiser window (beta 2), reflecting at the ends."""
    window_len = 11
    check_args("smooth_curve", curve_length=len(x))
    s = np.r_[x[window_len - 1:0:-1], x, x[-1:-window_len:-1]]
    w = np.kaiser(window_len, 2)
    y = np.convolve(w / w.sum(), s, mode="valid")
    return y[5:len(y) - 5]
