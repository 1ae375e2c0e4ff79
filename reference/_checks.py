"""Input validation shared by the reference: clear ValueErrors that name the layer and the shapes."""
import numpy as np


def check_finite(where, **arrays):
    """Raise ValueError naming ``where`` and the array if any value is NaN or infinite."""
    for name, a in arrays.items():
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
            bad = np.argwhere(~np.isfinite(a))[0]
            raise ValueError(
                f"{where}: {name} of shape {a.shape} holds a non-finite value "
                f"{float(a[tuple(bad)])!r} at index {tuple(int(i) for i in bad)}"
            )


def check_labels(where, t, y_shape):
    """Raise ValueError unless ``t`` is N integer labels in [0, C) for scores shaped (N, C)."""
    t = np.asarray(t)
    n, c = y_shape[0], y_shape[-1]
    if t.shape != (n,):
        raise ValueError(f"{where}: labels t have shape {t.shape}, expected ({n},) for scores {tuple(y_shape)}")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise ValueError(f"{where}: labels must lie in [0, {c}), got min {t.min()} and max {t.max()}")
    if not (np.issubdtype(t.dtype, np.integer) or np.all(t == np.round(t))):
        raise ValueError(f"{where}: labels must be integers, got dtype {t.dtype}")


def check_matmul(where, x, W):
    """Raise ValueError unless x (N, K) can be multiplied by W (K, M)."""
    if x.shape[1] != W.shape[0]:
        raise ValueError(
            f"{where}: input flattened to {x.shape} does not match W of shape {W.shape} "
            f"({x.shape[1]} != {W.shape[0]})"
        )


def check_same_shape(where, a_name, a, b_name, b):
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{where}: {a_name} has shape {np.shape(a)} but {b_name} has shape {np.shape(b)}")
