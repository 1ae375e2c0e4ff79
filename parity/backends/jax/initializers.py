"""Weight initializers drawn with ``flax.nnx.initializers`` (= ``jax.nn.initializers``) from a
``jax.random.key(seed)``, returned in the book's layout as NumPy arrays.

Every builder has the signature ``builder(shape, dtype, seed, device="cpu", **config) -> np.ndarray``
with ``shape`` the book's weight shape: (n_in, n_out) — the same as ``nnx.Linear.kernel`` — or
(FN, C, FH, FW), which ``nnx.Conv`` holds as HWIO = ``W.transpose(2, 3, 1, 0)``. JAX computes
fans from its own layout (``in_axis=-2``, ``out_axis=-1``, the rest receptive field), so n_in
agrees with the book's in both layouts.

``variance_scaling(scale, mode, distribution)`` draws with variance scale / fan:
- "normal": N(0, scale / fan) — untruncated (Keras calls this "untruncated_normal");
- "truncated_normal": a normal cut at 2 standard deviations, its std first divided by
  0.87962566103423978 so the variance is still scale / fan (excess kurtosis -0.63, not 0);
- "uniform": U(+-sqrt(3 scale / fan)).
``lecun_normal`` = (1, fan_in, truncated_normal) — also ``nnx.Linear`` / ``nnx.Conv``'s default
kernel init —, ``he_normal`` = (2, fan_in, truncated_normal), ``glorot_normal`` = ``xavier_normal``
= (1, fan_avg, truncated_normal). ``normal(stddev=1e-2)`` is untruncated.

Builders named ``book_*`` are configured to the book's law (registry rows); the others are
Flax's default-named initializers, measured by the catalogue of differences.
"""
from parity.backends.jax import configure

jax = configure()
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from flax import nnx  # noqa: E402

DTYPES = {"float64": jnp.float64, "float32": jnp.float32}


def _jax_shape(shape):
    if len(shape) == 2:
        return tuple(shape)
    if len(shape) == 4:
        fn, c, fh, fw = shape
        return (fh, fw, c, fn)
    raise ValueError(f"jax initializers: weight shape must be 2-D (in, out) or 4-D (FN, C, FH, FW), got {shape}")


def _draw(initializer, shape, dtype, seed, device="cpu"):
    if str(dtype) not in DTYPES:
        raise ValueError(f"jax initializers: dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    from parity.backends.jax.layers import jax_device

    with jax.default_device(jax_device(device)):
        a = np.asarray(initializer(jax.random.key(int(seed)), _jax_shape(shape), DTYPES[str(dtype)]))
    return a if len(shape) == 2 else a.transpose(3, 2, 0, 1).copy()


# --- configured to the book ----------------------------------------------------------------------

def book_std(shape, dtype, seed, device="cpu", std=0.01):
    """The book's float init: W = std * randn. ``nnx.initializers.normal(stddev=std)`` (untruncated)."""
    return _draw(nnx.initializers.normal(stddev=std), shape, dtype, seed, device)


def book_xavier(shape, dtype, seed, device="cpu"):
    """The book's "xavier": N(0, 1 / n_in). ``variance_scaling(1, "fan_in", "normal")`` — NOT
    ``xavier_normal`` / ``glorot_normal`` (fan-average and truncated) nor ``lecun_normal`` (truncated)."""
    return _draw(nnx.initializers.variance_scaling(1.0, "fan_in", "normal"), shape, dtype, seed, device)


def book_he(shape, dtype, seed, device="cpu"):
    """The book's "he": N(0, 2 / n_in). ``variance_scaling(2, "fan_in", "normal")`` — NOT ``he_normal``
    (truncated)."""
    return _draw(nnx.initializers.variance_scaling(2.0, "fan_in", "normal"), shape, dtype, seed, device)


# --- Flax's own names (as-is) --------------------------------------------------------------------

def lecun_normal(shape, dtype, seed, device="cpu"):
    """``lecun_normal()``: truncated normal, variance 1 / fan_in (the book's "xavier" variance, truncated);
    also what ``nnx.Linear`` and ``nnx.Conv`` draw by default (``linear_default``)."""
    return _draw(nnx.initializers.lecun_normal(), shape, dtype, seed, device)


linear_default = lecun_normal


def he_normal(shape, dtype, seed, device="cpu"):
    """``he_normal()``: truncated normal, variance 2 / fan_in."""
    return _draw(nnx.initializers.he_normal(), shape, dtype, seed, device)


def glorot_normal(shape, dtype, seed, device="cpu"):
    """``glorot_normal()`` (= ``xavier_normal()``): truncated normal, variance 2 / (fan_in + fan_out)."""
    return _draw(nnx.initializers.glorot_normal(), shape, dtype, seed, device)


xavier_normal = glorot_normal


def variance_scaling_truncated(shape, dtype, seed, device="cpu", scale=1.0):
    """``variance_scaling(scale, "fan_in", "truncated_normal")``: the truncated twin of book_xavier (scale 1)."""
    return _draw(nnx.initializers.variance_scaling(scale, "fan_in", "truncated_normal"), shape, dtype, seed, device)


def normal_default(shape, dtype, seed, device="cpu"):
    """``normal()`` with its default stddev 1e-2 (the book's TwoLayerNet std, by coincidence)."""
    return _draw(nnx.initializers.normal(), shape, dtype, seed, device)
