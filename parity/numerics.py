"""Numerics set once for every run: determinism on, TF32 off, and a record of both states.

Frameworks are configured only if they are importable; TensorFlow is configured through its
environment variables before it is imported, so calling this never pays TensorFlow's import.
"""
import importlib.util
import os
import sys

STATE = {}


def configure(tf32=False):
    """Switch on deterministic algorithms everywhere and set TF32 (default off). Returns STATE."""
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


def configure_tensorflow(tf32=False):
    """Op determinism and TF32 for an imported TensorFlow (called by the keras adapter)."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    tf.config.experimental.enable_tensor_float_32_execution(tf32)
    STATE["tf_op_determinism"] = True
    STATE["tf_tf32"] = tf.config.experimental.tensor_float_32_execution_enabled()
    return STATE
