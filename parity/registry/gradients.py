"""Registry rows: the book's numerical gradient (``common/gradient.py``), a component like any other.

Every seed rewrites ``numerical_gradient(f, x)``; the nets' gradient checks rest on it. It is
checked against functions whose derivatives are known in closed form (runner:
``parity.runners.gradients``), on x of rank 1 to 4: the gradient (accuracy of a central difference
with h = 1e-4), that ``f`` sees the perturbation when it ignores its argument and reads x through
a closure (the book's ``lambda W: net.loss(x, t)``: x must be perturbed in place), and that x is
left exactly as it was. There is no framework counterpart: the derivative is analytic.
"""
from parity.registry.spec import Component

ROWS = (
    Component(
        name="numerical_gradient", kind="gradient", reference="gradient.numerical_gradient",
        builder="numerical_gradient",
        cases=("ng-cube-1d", "ng-sin-2d", "ng-cube-3d", "ng-sin-4d", "ng-closure-2d"),
        checks=("grad", "x_restored"), dtypes=("float64",),
        config={"frameworks": ("analytic",)},
        note="central difference (f(x + h) - f(x - h)) / 2h with h = 1e-4 against the closed-form derivative",
    ),
)
