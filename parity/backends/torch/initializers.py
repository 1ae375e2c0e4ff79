"""Weight initializers drawn with ``torch.nn.init``, returned in the book's layout as NumPy arrays.

Every builder has the signature ``builder(shape, dtype, seed, device="cpu", **config) -> np.ndarray``:
``shape`` is the book's weight shape — (n_in, n_out) for Affine, (FN, C, FH, FW) for Convolution —
and the result has that shape and ``dtype``. Torch keeps a Linear weight as (out, in) = W.T and a
conv weight as OIHW = the book's layout, so its fan_in is ``W.shape[1] * receptive field`` of the
*torch* tensor; each builder draws into the torch-layout tensor and transposes back.

Builders named ``book_*`` are configured to the book's law (registry rows, must match);
the others are torch's default-named initializers (the catalogue of differences measures them).

    >>> book_he((500, 200), "float64", seed=0).std()   # ~ sqrt(2 / 500) = 0.0632
"""
import math

import numpy as np
import torch

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def _torch_shape(shape):
    """The torch layout of a book weight shape: (in, out) -> (out, in); 4-D conv is unchanged."""
    if len(shape) == 2:
        return (shape[1], shape[0])
    if len(shape) == 4:
        return tuple(shape)
    raise ValueError(f"torch initializers: weight shape must be 2-D (in, out) or 4-D (FN, C, FH, FW), got {shape}")


def _to_book(t, shape):
    a = t.detach().cpu().numpy()
    return a.T.copy() if len(shape) == 2 else a


def n_in(shape):
    """The book's n_in: shape[0] for (in, out), C*FH*FW for (FN, C, FH, FW)."""
    return shape[0] if len(shape) == 2 else int(np.prod(shape[1:]))


def _draw(shape, dtype, seed, device, fill, layout="torch"):
    """Make an empty tensor in torch layout (or the book's layout when ``layout == "book"``), fill
    it with ``fill(tensor, generator)``, return it in the book's layout."""
    if str(dtype) not in DTYPES:
        raise ValueError(f"torch initializers: dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    gen = torch.Generator(device=device).manual_seed(int(seed))
    tshape = _torch_shape(shape) if layout == "torch" else tuple(shape)
    t = torch.empty(tshape, dtype=DTYPES[str(dtype)], device=device)
    with torch.no_grad():
        fill(t, gen)
    if layout == "book":
        return t.detach().cpu().numpy()
    return _to_book(t, shape)


# --- configured to the book ----------------------------------------------------------------------

def book_std(shape, dtype, seed, device="cpu", std=0.01):
    """The book's float init: W = std * randn. ``normal_(mean=0, std=std)``."""
    return _draw(shape, dtype, seed, device, lambda t, g: torch.nn.init.normal_(t, 0.0, std, generator=g))


def book_xavier(shape, dtype, seed, device="cpu"):
    """The book's "xavier": W = randn / sqrt(n_in) (fan-in only). ``normal_(std=1/sqrt(n_in))``
    — NOT ``xavier_normal_``, which uses sqrt(2 / (fan_in + fan_out))."""
    std = 1.0 / math.sqrt(n_in(shape))
    return _draw(shape, dtype, seed, device, lambda t, g: torch.nn.init.normal_(t, 0.0, std, generator=g))


def book_he(shape, dtype, seed, device="cpu"):
    """The book's "he": W = randn * sqrt(2 / n_in).
    ``kaiming_normal_(mode="fan_in", nonlinearity="relu")`` on the torch-layout weight (out, in)."""
    return _draw(shape, dtype, seed, device,
                 lambda t, g: torch.nn.init.kaiming_normal_(t, mode="fan_in", nonlinearity="relu", generator=g))


# --- torch's own names (as-is) -------------------------------------------------------------------

def xavier_normal(shape, dtype, seed, device="cpu"):
    """``xavier_normal_`` (gain 1): normal, std = sqrt(2 / (fan_in + fan_out)) — fan-average."""
    return _draw(shape, dtype, seed, device, lambda t, g: torch.nn.init.xavier_normal_(t, generator=g))


def xavier_uniform(shape, dtype, seed, device="cpu"):
    """``xavier_uniform_`` (gain 1): U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    return _draw(shape, dtype, seed, device, lambda t, g: torch.nn.init.xavier_uniform_(t, generator=g))


def kaiming_normal(shape, dtype, seed, device="cpu"):
    """``kaiming_normal_`` with its defaults (fan_in, leaky_relu with a=0, i.e. gain sqrt(2)) on the
    torch-layout weight: the same law as the book's "he"."""
    return _draw(shape, dtype, seed, device, lambda t, g: torch.nn.init.kaiming_normal_(t, generator=g))


def kaiming_normal_book_layout(shape, dtype, seed, device="cpu"):
    """``kaiming_normal_(mode="fan_in", nonlinearity="relu")`` applied to a tensor in the BOOK's
    layout (in, out): torch reads fan_in from dim 1, which there is n_out (a layout trap)."""
    return _draw(shape, dtype, seed, device,
                 lambda t, g: torch.nn.init.kaiming_normal_(t, mode="fan_in", nonlinearity="relu", generator=g),
                 layout="book")


def trunc_normal(shape, dtype, seed, device="cpu", std=0.01):
    """``trunc_normal_(std=std)`` with its default bounds a=-2, b=2 — absolute values, not multiples
    of std, so for std <= 0.5 hardly anything is cut off."""
    return _draw(shape, dtype, seed, device, lambda t, g: torch.nn.init.trunc_normal_(t, std=std, generator=g))


def linear_default(shape, dtype, seed, device="cpu"):
    """What ``torch.nn.Linear(in, out)`` / ``Conv2d`` draw by default for the weight:
    ``kaiming_uniform_(a=sqrt(5))`` = U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    return _draw(shape, dtype, seed, device,
                 lambda t, g: torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5), generator=g))
