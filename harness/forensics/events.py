"""Discrete events between two traces of the same step: where rounding stops being continuous.

Two runs that differ only by rounding stay within a few ulps of each other as long as every
function on the way is continuous. A *discrete* event turns an ulp into a jump:

- ``relu-flip``: a ReLU input (pre-activation) positive in one trace and <= 0 in the other — the
  unit passes its gradient in one framework and blocks it in the other (the book's mask is
  ``x <= 0``, so 0 itself blocks, as in both frameworks);
- ``saturation``: a bounded output exactly at its bound in one trace only (sigmoid 0 or 1, tanh
  ±1, a softmax probability underflowed to 0): its derivative is exactly 0 there and not in the other;
- ``argmax-tie``: the argmax over a window or a row differs (a max-pool window whose two largest
  values are tied to rounding, a prediction flipped) — pooling routes the gradient to a
  different input.

Which layer kind gets which detector is data (``DETECTORS``): kind -> (which tensor is tested:
the layer's "input" or its "output", detector). Adding the max pool of a conv net is a row.

    >>> sign_flips(np.array([[1e-7, -2.0]]), np.array([[-3e-8, -2.0]]))
    [((0, 0), 1e-07, -3e-08)]
"""
import numpy as np

MAX_POSITIONS = 5  # positions kept per event (the count says how many there were)


def sign_flips(a, b):
    """[(index, a value, b value)] where ``a > 0`` and ``b > 0`` disagree, closest to 0 first."""
    where = np.argwhere((np.asarray(a) > 0) != (np.asarray(b) > 0))
    return _positions(where, a, b)


def at_bound(bounds):
    """A detector: positions where exactly one of ``a``, ``b`` equals one of ``bounds``."""
    def detect(a, b):
        a, b = np.asarray(a), np.asarray(b)
        on_a = np.isin(a, bounds)
        on_b = np.isin(b, bounds)
        return _positions(np.argwhere(on_a != on_b), a, b)

    detect.bounds = tuple(bounds)
    return detect


def argmax_ties(a, b, axis=-1):
    """[(index of the row/window, (argmax in a, its two largest values), (argmax in b, ...))] where
    the argmax along ``axis`` differs: a tie (to rounding) broken differently."""
    a, b = np.moveaxis(np.asarray(a), axis, -1), np.moveaxis(np.asarray(b), axis, -1)
    ia, ib = np.argmax(a, axis=-1), np.argmax(b, axis=-1)
    out = []
    for index in np.argwhere(ia != ib)[:MAX_POSITIONS]:
        index = tuple(int(i) for i in index)
        top_a, top_b = np.sort(a[index])[-2:][::-1], np.sort(b[index])[-2:][::-1]
        out.append((index, (int(ia[index]), [float(v) for v in top_a]), (int(ib[index]), [float(v) for v in top_b])))
    return out


def argmax_ties_count(a, b, axis=-1):
    return int(np.sum(np.argmax(a, axis=axis) != np.argmax(b, axis=axis)))


def _positions(where, a, b):
    a, b = np.asarray(a), np.asarray(b)
    picked = [tuple(int(i) for i in w) for w in where]
    picked.sort(key=lambda idx: min(abs(float(a[idx])), abs(float(b[idx]))))
    return [(idx, float(a[idx]), float(b[idx])) for idx in picked]


# layer kind -> (event type, tensor tested: "input" or "output", detector, what the values are)
DETECTORS = {
    "relu": ("relu-flip", "input", sign_flips, "pre-activation"),
    "sigmoid": ("saturation", "output", at_bound((0.0, 1.0)), "sigmoid output"),
    "tanh": ("saturation", "output", at_bound((-1.0, 1.0)), "tanh output"),
    "softmax": ("saturation", "output", at_bound((0.0,)), "softmax probability"),
    "maxpool": ("argmax-tie", "output-argmax", argmax_ties, "max-pool window"),
}


def detect(trace_a, trace_b, layers):
    """The discrete events between two traces of one step, in the order the step computes them.

    layers: [(name, kind)] in forward order (``harness.runners.architecture.layer_names``), plus
    the loss's softmax. Returns [{"type", "layer", "tensor", "what", "count", "positions":
    [{"index", "a", "b"}]}] (positions: at most MAX_POSITIONS, closest to the threshold first).
    """
    events = []
    previous = "x"
    for name, kind in [*layers, ("softmax", "softmax")]:
        spec = DETECTORS.get(kind)
        if spec is not None:
            kind_name, which, detector, what = spec
            tensor = previous if which == "input" else name
            if tensor in trace_a and tensor in trace_b:
                found = detector(trace_a[tensor], trace_b[tensor])
                if found:
                    events.append({"type": kind_name, "layer": name, "tensor": tensor, "what": what,
                                   "count": len(found), "positions": [_position(p) for p in found[:MAX_POSITIONS]]})
        previous = name
    return events


def _position(p):
    index, a, b = p
    return {"index": list(index), "a": a, "b": b}
