"""Weight initializers drawn with ``keras.initializers`` (any backend), returned in the book's
layout as NumPy arrays.

Every builder has the signature ``builder(shape, dtype, seed, device="cpu", **config) -> np.ndarray``
with ``shape`` the book's weight shape: (n_in, n_out) — the same as ``Dense.kernel`` — or
(FN, C, FH, FW), which Keras holds as HWIO = ``W.transpose(2, 3, 1, 0)``. Keras computes fans
from its own layout: fan_in = shape[-2] * receptive field, fan_out = shape[-1] * receptive field,
so n_in agrees with the book's in both layouts.

``VarianceScaling(scale, mode, distribution)`` draws with variance scale / fan:
- "untruncated_normal": N(0, scale / fan);
- "truncated_normal": a normal cut at 2 standard deviations, its std first divided by
  0.87962566103423978 (the std of a standard normal truncated to [-2, 2]) so the variance is still
  scale / fan — same variance, different shape (excess kurtosis -0.63 instead of 0);
- "uniform": U(-sqrt(3 scale / fan), +sqrt(3 scale / fan)).
GlorotNormal = (1, fan_avg, truncated), HeNormal = (2, fan_in, truncated), LecunNormal =
(1, fan_in, truncated), GlorotUniform = (1, fan_avg, uniform) (Dense's default kernel).

Builders named ``book_*`` are configured to the book's law (registry rows); the others are Keras's
default-named initializers, measured by the catalogue of differences.
"""

from parity.backends.keras import load_keras as keras_module  # noqa: F401  (the package's one import path)

DTYPES = ("float64", "float32")


def _keras_shape(shape):
    if len(shape) == 2:
        return tuple(shape)
    if len(shape) == 4:
        fn, c, fh, fw = shape
        return (fh, fw, c, fn)
    raise ValueError(f"keras initializers: weight shape must be 2-D (in, out) or 4-D (FN, C, FH, FW), got {shape}")


def _draw(initializer, shape, dtype):
    if str(dtype) not in DTYPES:
        raise ValueError(f"keras initializers: dtype must be one of {DTYPES}, got {dtype!r}")
    keras = keras_module()
    a = keras.ops.convert_to_numpy(initializer(_keras_shape(shape), dtype=str(dtype)))
    return a if len(shape) == 2 else a.transpose(3, 2, 0, 1).copy()


# --- configured to the book ----------------------------------------------------------------------

def book_std(shape, dtype, seed, device="cpu", std=0.01):
    """The book's float init: W = std * randn. ``RandomNormal(mean=0, stddev=std)``."""
    keras = keras_module()
    return _draw(keras.initializers.RandomNormal(0.0, std, seed=int(seed)), shape, dtype)


def book_xavier(shape, dtype, seed, device="cpu"):
    """The book's "xavier": N(0, 1 / n_in). ``VarianceScaling(1, "fan_in", "untruncated_normal")``
    — NOT ``GlorotNormal`` (fan-average and truncated)."""
    keras = keras_module()
    init = keras.initializers.VarianceScaling(1.0, "fan_in", "untruncated_normal", seed=int(seed))
    return _draw(init, shape, dtype)


def book_he(shape, dtype, seed, device="cpu"):
    """The book's "he": N(0, 2 / n_in). ``VarianceScaling(2, "fan_in", "untruncated_normal")``
    — NOT ``HeNormal`` (truncated)."""
    keras = keras_module()
    init = keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal", seed=int(seed))
    return _draw(init, shape, dtype)


# --- Keras's own names (as-is) -------------------------------------------------------------------

def glorot_normal(shape, dtype, seed, device="cpu"):
    """``GlorotNormal``: truncated normal, variance 2 / (fan_in + fan_out)."""
    return _draw(keras_module().initializers.GlorotNormal(seed=int(seed)), shape, dtype)


def glorot_uniform(shape, dtype, seed, device="cpu"):
    """``GlorotUniform`` (``Dense``'s default kernel initializer): U(±sqrt(6 / (fan_in + fan_out)))."""
    return _draw(keras_module().initializers.GlorotUniform(seed=int(seed)), shape, dtype)


def he_normal(shape, dtype, seed, device="cpu"):
    """``HeNormal``: truncated normal, variance 2 / fan_in."""
    return _draw(keras_module().initializers.HeNormal(seed=int(seed)), shape, dtype)


def lecun_normal(shape, dtype, seed, device="cpu"):
    """``LecunNormal``: truncated normal, variance 1 / fan_in (the book's "xavier" variance, truncated)."""
    return _draw(keras_module().initializers.LecunNormal(seed=int(seed)), shape, dtype)


def random_normal_default(shape, dtype, seed, device="cpu"):
    """``RandomNormal()`` with its default stddev 0.05."""
    return _draw(keras_module().initializers.RandomNormal(seed=int(seed)), shape, dtype)
