"""Facts of the book's API that the engine and every framework plug-in share, read off the shipped
reference (which is the book) so that they are written once.

    >>> optimizer_defaults("Adam")
    {'lr': 0.001, 'beta1': 0.9, 'beta2': 0.999}
    >>> decayed("W2"), decayed("b2")
    (True, False)
"""
import inspect

OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")
EPS = 1e-7  # added to sqrt(h) / sqrt(v) in AdaGrad, RMSprop and Adam, and to y inside the cross-entropy's log


def optimizer_defaults(name):
    """{hyper-parameter: default} of the book's optimizer class ``name`` (its constructor's)."""
    from reference import optimizer

    if name not in OPTIMIZERS:
        raise ValueError(f"unknown book optimizer {name!r}; known: {list(OPTIMIZERS)}")
    return {p.name: p.default for p in inspect.signature(getattr(optimizer, name)).parameters.values()
            if p.default is not inspect.Parameter.empty}


def optimizer_hyper(name, hyper, where="optimizer"):
    """The book's defaults for ``name`` with ``hyper`` over them; ValueError naming an unknown one."""
    defaults = optimizer_defaults(name)
    unknown = set(hyper) - set(defaults)
    if unknown:
        raise ValueError(f"{where} {name}: unknown hyper-parameter(s) {sorted(unknown)}; the book's {name} takes "
                         f"{sorted(defaults)}")
    return {**defaults, **hyper}


def decayed(key):
    """The book's MultiLayerNet adds lambda * W to the gradients of the weights only ("W1", ...)."""
    return key.startswith("W")
