"""Numerics set once for every run: determinism on, TF32 off, and a record of both states.

Frameworks are configured only if they are importable; TensorFlow is configured through its
environment variables before it is imported, so calling this never pays TensorFlow's import.
"""
from contextlib import contextmanager
import importlib.util
import os
import sys

STATE = {}


def configure(tf32=False):
    """Switch on deterministic algorithms everywhere and set TF32 (default off). Returns STATE."""
    from parity import logs

    logs.apply_if_asked()  # a child of a command that keeps the frameworks' logs off the terminal
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    os.environ.setdefault("TF_CUDNN_DETERMINISTIC", "1")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN reorders float sums on CPU
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    STATE["tf_deterministic_ops"] = os.environ["TF_DETERMINISTIC_OPS"] == "1"
    STATE["tf_onednn_opts"] = os.environ["TF_ENABLE_ONEDNN_OPTS"] != "0"

    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        STATE["torch_deterministic"] = torch.are_deterministic_algorithms_enabled()
        STATE["torch_tf32_matmul"] = torch.backends.cuda.matmul.allow_tf32
        STATE["torch_tf32_cudnn"] = torch.backends.cudnn.allow_tf32
    if "tensorflow" in sys.modules:  # already imported: configure it directly as well
        configure_tensorflow(tf32)
    STATE["tf32"] = tf32
    return STATE


def ensure_configured():
    """``configure()`` once per process (the library entry ``parity.run_checks`` calls this, so it
    runs with the same numerics as the CLI and the tests); STATE afterwards."""
    if "tf32" not in STATE:
        configure()
    return STATE


def configure_tensorflow(tf32=False):
    """Op determinism and TF32 for an imported TensorFlow (called by the keras adapter)."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    tf.config.experimental.enable_tensor_float_32_execution(tf32)
    STATE["tf_op_determinism"] = True
    STATE["tf_tf32"] = tf.config.experimental.tensor_float_32_execution_enabled()
    return STATE


@contextmanager
def torch_tf32(enabled):
    """torch's TF32 switches (cuBLAS matmul and cuDNN convolution) set to ``enabled`` inside the
    block and restored after; STATE follows. TF32 keeps 10 mantissa bits of float32's 23, so a
    float32 matmul on an Ampere-or-later GPU can differ from full float32 by ~1e-3 relative."""
    import torch

    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = enabled
    STATE["torch_tf32_matmul"] = STATE["torch_tf32_cudnn"] = enabled
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before
        STATE["torch_tf32_matmul"], STATE["torch_tf32_cudnn"] = before
