"""How fast a gap between two runs grows when nothing discrete happens: |Δloss| ×k per n iterations.

The per-iteration |Δloss| is noisy (it is 0 where both frameworks round a loss alike), so the rate
is fitted to its envelope: the maximum over consecutive blocks, log10 of that against the block's
iteration by least squares. ``factor`` is 10 ** (slope * per): how many times larger the envelope
gets every ``per`` iterations (1.0: flat; 10: an order of magnitude).

    >>> g = growth_rate(1e-7 * 10 ** (np.arange(2000) / 1000))
    >>> round(g["factor"], 3), g["per"]
    (10.0, 1000)
"""
import math

import numpy as np

BLOCKS = 40  # envelope blocks over the fitted range


def growth_rate(dloss, start=0, stop=None):
    """{"factor", "per", "from", "to", "start", "stop", "blocks"} for |Δloss| over [start, stop), or
    None when fewer than 3 blocks have a nonzero gap (bit-identical runs have no rate)."""
    d = np.abs(np.asarray(dloss, dtype=np.float64))[start:stop]
    n = d.size
    if n < 3:
        return None
    block = max(1, n // BLOCKS)
    starts = np.arange(0, n, block)
    envelope = np.maximum.reduceat(np.nan_to_num(d, nan=np.inf), starts)
    keep = (envelope > 0) & np.isfinite(envelope)
    if keep.sum() < 3:
        return None
    x, y = starts[keep] + start, np.log10(envelope[keep])
    slope = float(np.polyfit(x, y, 1)[0])
    per = per_iterations(n)
    return {"factor": float(10 ** (slope * per)), "per": per, "from": float(envelope[keep][0]),
            "to": float(envelope[keep][-1]), "start": int(start), "stop": int(start + n), "blocks": int(keep.sum())}


def per_iterations(n):
    """A round number of iterations to state a rate per: 10, 100, 1,000, ... at most half the range."""
    return int(10 ** max(1, math.floor(math.log10(max(n / 2, 10)))))
