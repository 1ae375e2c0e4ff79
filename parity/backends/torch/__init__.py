"""The PyTorch plug-in: ``layers`` (counterparts of the book's layers, configured to the book's
semantics), ``optimizers`` (``make_optimizer``, ``drive``), ``initializers``; eager, autograd.
Checks run on the CPU or, with ``--device cuda``, on a GPU (see ``parity.backends.plugin``)."""
from parity.backends.plugin import Plugin


def _device(device):
    if device != "cuda":
        return None
    import torch

    return None if torch.cuda.is_available() else "device cuda requested but torch sees no CUDA device"


def _environment():
    import torch

    return {"threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
            "cuda_available": torch.cuda.is_available(),
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "tf32_cudnn": torch.backends.cudnn.allow_tf32,
            "deterministic": torch.are_deterministic_algorithms_enabled()}


PLUGIN = Plugin("torch", 1, ("torch",), requirement=_device, devices=("cpu", "cuda"), preload=("torch", "parity.backends.torch.layers"), versions=("torch",), environment=_environment,
                layouts=("channels_first",), about="PyTorch, eager, torch.autograd")
