"""Weight initializers by name, as the book's MultiLayerNet uses them.

- a float (or a string like "0.01"): W = std * randn(n_in, n_out)
- "xavier" (also "sigmoid"): W = randn(n_in, n_out) / sqrt(n_in)   (the book's Xavier: fan-in only)
- "he" (also "relu"): W = randn(n_in, n_out) * sqrt(2 / n_in)
Biases are zeros. Every function takes an explicit np.random.Generator.
"""
import numpy as np

from reference._checks import check_args

SCALES = {"xavier": lambda n_in: np.sqrt(1.0 / n_in), "he": lambda n_in: np.sqrt(2.0 / n_in)}
ALIASES = {"sigmoid": "xavier", "relu": "he"}


def weight_scale(init, n_in):
    """The standard deviation that ``init`` gives a layer with ``n_in`` inputs."""
    check_args("weight_scale", weight_init_std=init, n_in=n_in)
    name = ALIASES.get(str(init).lower(), str(init).lower())
    if name in SCALES:
        return SCALES[name](n_in)
    return float(init)


def init_weight(init, shape, rng, dtype=np.float64):
    """Draw weights of ``shape`` (n_in first; for conv (FN, C, FH, FW), n_in = C*FH*FW)."""
    check_args("init_weight", shape=shape, generator=rng, dtype=dtype)
    n_in = shape[0] if len(shape) == 2 else int(np.prod(shape[1:]))
    return (weight_scale(init, n_in) * rng.standard_normal(shape)).astype(dtype)


def std_normal(shape, rng, std=0.01, dtype=np.float64):
    """W = std * randn(shape)."""
    return init_weight(std, shape, rng, dtype)


def xavier(shape, rng, dtype=np.float64):
    """W = randn(shape) / sqrt(n_in)."""
    return init_weight("xavier", shape, rng, dtype)


def he(shape, rng, dtype=np.float64):
    """W = randn(shape) * sqrt(2 / n_in)."""
    return init_weight("he", shape, rng, dtype)
