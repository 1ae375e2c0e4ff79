"""Tolerances: two tables keyed by dtype, one for values (forward outputs, parameters after an
optimizer step, running statistics), one for gradients; and the scaling with reduction length.

A check passes where |actual - expected| <= atol + rtol * |expected| elementwise.

Why these numbers:
- float64: 1e-12 relative is about 4,500 ulps (eps = 2.2e-16): room for the frameworks summing in
  another order across a few chained operations, and still twelve digits of agreement, far below
  anything a semantic difference (an epsilon of 1e-7 vs 1e-8, a biased variance) produces.
  Gradients chain more operations (and BN's backward divides by std), so one more digit of room.
- float32: PyTorch's ``assert_close`` defaults (rtol 1.3e-6, atol 1e-5): about 10 ulps (eps = 1.2e-7)
  relative plus an absolute floor for values near zero. Gradients: rtol 1e-5, atol 1e-5.
- A sum over K terms accumulates rounding like a random walk, ~sqrt(K) * eps, so both rtol and atol
  grow with sqrt(K) where a row declares a reduction length K (matmul: in_features, conv:
  C*FH*FW, batch statistics: N). K = 1 leaves the base numbers.
"""
from dataclasses import dataclass
import math


@dataclass(frozen=True)
class Tol:
    rtol: float
    atol: float
    reason: str = ""

    def scaled(self, reduction=1):
        """This tolerance for a sum over ``reduction`` terms (both numbers times sqrt(K))."""
        k = math.sqrt(max(1, int(reduction)))
        return Tol(self.rtol * k, self.atol * k, self.reason)


VALUE_TOL = {
    "float64": Tol(1e-12, 1e-14, "float64: ~4,500 ulps for summation-order differences"),
    "float32": Tol(1.3e-6, 1e-5, "float32: torch.testing.assert_close defaults"),
}

GRADIENT_TOL = {
    "float64": Tol(1e-11, 1e-13, "float64 gradients chain more operations than values"),
    "float32": Tol(1e-5, 1e-5, "float32 gradients: ~80 ulps relative, same absolute floor"),
}

# Checks whose numbers are gradients; every other check uses VALUE_TOL.
GRADIENT_CHECKS = ("backward", "dx", "dy", "dW", "db", "dgamma", "dbeta", "grad")


def is_gradient_check(check):
    return check in GRADIENT_CHECKS


def tolerance(dtype, check, reduction=1, override=None):
    """The tolerance for one check: the row's override if it has one for (dtype, check), else the
    table's, scaled by the reduction length."""
    if override is not None:
        return override.scaled(reduction)
    table = GRADIENT_TOL if is_gradient_check(check) else VALUE_TOL
    return table[str(dtype)].scaled(reduction)
