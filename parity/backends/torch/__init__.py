"""The PyTorch plug-in: ``layers`` (counterparts of the book's layers, configured to the book's
semantics), ``optimizers`` (``make_optimizer``, ``drive``), ``initializers``; eager, autograd.
Checks run on the CPU or, with ``--device cuda``, on a GPU (see ``parity.backends.plugin``)."""
from parity.backends.plugin import Plugin


def _device(device):
    if device != "cuda":
        return None
    import torch

    return None if torch.cuda.is_available() else "device cuda requested but torch sees no CUDA device"


PLUGIN = Plugin("torch", 1, ("torch",), requirement=_device, devices=("cpu", "cuda"), preload=("torch", "parity.backends.torch.layers"), versions=("torch",),
                about="PyTorch, eager, torch.autograd")
