"""Registry rows: initializers of the book API (see parity.registry.spec.Component).

Initializers are random, so they are compared as distributions, not values (runner:
``parity.runners.initializers``): sample mean, standard deviation and excess kurtosis, and a
two-sample Kolmogorov-Smirnov test, each at a stated false-alarm rate (Bonferroni over all the
initializer tests; see ``parity.runners.initializers.ALPHA``).

``config``: "law", the keyword arguments of the law (the init function and each framework's
builder take them); "weight_init_std", what asks the book's nets for that law where the
implementation has no init module (the book has none: its MultiLayerNet draws the weights).

Each framework builder named here is configured to the book's law:
- "std" (a float):  W = std * randn                 torch normal_(std)   keras RandomNormal(stddev)
- "xavier":          W = randn / sqrt(n_in)          torch normal_(std=1/sqrt(n_in))
                                                      keras VarianceScaling(1, fan_in, untruncated_normal)
- "he":              W = randn * sqrt(2 / n_in)      torch kaiming_normal_(fan_in, relu) on (out, in)
                                                      keras VarianceScaling(2, fan_in, untruncated_normal)
The default-named ones (torch xavier_normal_, keras GlorotNormal / HeNormal) mean something else;
they are measured in the catalogue of differences (``parity.catalogue``), not here.

Cases (the book's weight shapes; n_in = 1000 or 64*5*5 = 1600, large samples so that a truncated
normal of the same variance, KS distance 0.017, is seen): see ``parity.runners.initializers.CASES``.
"""
from parity.registry.spec import Component, Tol, with_known  # noqa: F401

_CASES = ("dense-1000x400", "conv-128x64x5x5")
_CHECKS = ("dtype", "mean", "std", "kurtosis", "ks")

ROWS = (
    Component(
        name="init-std", kind="initializer", reference="init.std_normal",
        builder="book_std", cases=_CASES, checks=_CHECKS,
        config={"law": {"std": 0.01}, "weight_init_std": 0.01},
        note="book float std (TwoLayerNet's 0.01): N(0, 0.01^2)",
    ),
    Component(
        name="init-xavier", kind="initializer", reference="init.xavier",
        builder="book_xavier", cases=_CASES, checks=_CHECKS,
        config={"weight_init_std": "xavier"},
        note="book 'xavier' = N(0, 1/n_in): fan-in only, untruncated (not torch xavier_normal_ / keras GlorotNormal)",
    ),
    Component(
        name="init-he", kind="initializer", reference="init.he",
        builder="book_he", cases=_CASES, checks=_CHECKS,
        config={"weight_init_std": "he"},
        note="book 'he' = N(0, 2/n_in): untruncated (torch kaiming_normal_ fan_in; not keras HeNormal, which is truncated)",
    ),
)

ROWS = with_known(ROWS)  # known differences: parity.catalogue.table
