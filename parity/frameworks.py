"""Which frameworks can run here, and why not: the one place that decides a check is "skipped".
The frameworks are the plug-ins of ``parity/backends/`` (``parity.backends.plugin``).

    >>> missing_reason("torch") is None or "not installed" in missing_reason("torch")
    True
"""
from parity.backends import plugin


def frameworks():
    """The framework plug-ins' names, in their order ("torch", "keras", "jax")."""
    return plugin.names()


FRAMEWORKS = frameworks()


def missing_reason(framework, device="cpu"):
    """None where ``framework`` can run on ``device``, else the reason it cannot (one line)."""
    return plugin.get(framework).missing_reason(device)


def keras_backend():
    """The Keras backend in use (or that will be used on import): KERAS_BACKEND, default tensorflow."""
    from parity.backends.keras import backend_name

    return backend_name()


def device_for(framework, device):
    """The device a framework's checks actually run on (the CPU where it has no other)."""
    return plugin.get(framework).device_for(device)
