"""Which frameworks can run here, and why not: the one place that decides a check is "skipped".

    >>> missing_reason("torch") is None or "not installed" in missing_reason("torch")
    True
"""
import importlib.util
import os

FRAMEWORKS = ("torch", "keras")

# The module each framework needs importable.
_MODULE = {"torch": "torch", "keras": "keras"}


def missing_reason(framework, device="cpu"):
    """None where ``framework`` can run on ``device``, else the reason it cannot (one line).

    Keras runs on the CPU whatever ``device`` says (its checks record device "cpu"); "cuda" needs
    torch with a visible CUDA device. The Keras torch backend needs torch as well.
    """
    if framework not in _MODULE:
        raise ValueError(f"unknown framework {framework!r}; known: {FRAMEWORKS}")
    if importlib.util.find_spec(_MODULE[framework]) is None:
        return f"{framework} is not installed"
    if framework == "keras":
        backend = keras_backend()
        needs = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}.get(backend)
        if needs is None:
            return f"keras backend {backend!r} is not supported here (tensorflow or torch)"
        if importlib.util.find_spec(needs) is None:
            return f"keras backend {backend!r} selected but {needs} is not installed"
    if framework == "torch" and device == "cuda":
        import torch

        if not torch.cuda.is_available():
            return "device cuda requested but torch sees no CUDA device"
    return None


def keras_backend():
    """The Keras backend in use (or that will be used on import): KERAS_BACKEND, default tensorflow."""
    import sys

    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def device_for(framework, device):
    """The device a framework's checks actually run on (Keras: always "cpu")."""
    return device if framework == "torch" else "cpu"
