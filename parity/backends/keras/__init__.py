"""The Keras 3 plug-in (any backend: tensorflow, torch, jax): ``layers``, ``optimizers``,
``initializers``; gradients by the backend's own autodiff (``autodiff``).

``KERAS_BACKEND`` selects the backend (default tensorflow); the records name the framework
``keras[<backend>]``. Each Keras backend is its own tox env and its own column of the report.
On the JAX backend, ``load_keras()`` turns on ``jax_enable_x64`` before Keras makes any array:
without it JAX truncates every float64 tensor, Keras' included, to float32. Every module of this
package imports Keras through it.
"""
from contextlib import contextmanager
import os
import sys

from parity.backends.plugin import Plugin

BACKEND_MODULES = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}


def backend_name():
    """The Keras backend in use (or that will be used on import): KERAS_BACKEND, default tensorflow."""
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def _backend_installed(device):
    backend = backend_name()
    needs = BACKEND_MODULES.get(backend)
    if needs is None:
        return f"keras backend {backend!r} is not supported here ({', '.join(BACKEND_MODULES)})"
    import importlib.util

    if importlib.util.find_spec(needs) is None:
        return f"keras backend {backend!r} selected but {needs} is not installed"
    return None


def _environment():
    """The backend, and TensorFlow's TF32 switch and GPUs where it is imported (importing it costs seconds)."""
    out = {"backend": backend_name()}
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        out.update(tf32=tf.config.experimental.tensor_float_32_execution_enabled(),
                   gpus=len(tf.config.list_physical_devices("GPU")))
    return out


PLUGIN = Plugin("keras", 2, ("keras",), variant=backend_name, requirement=_backend_installed,
                preload=("keras",), versions=("keras", "tensorflow"), environment=_environment, layouts=("channels_first", "channels_last"), about="Keras 3 on the backend KERAS_BACKEND selects")


def load_keras():
    """``keras``, imported after the numerics its backend needs: JAX's x64 switch, TensorFlow's
    op determinism (``parity.numerics``)."""
    if backend_name() == "jax":
        from parity.backends.jax import configure

        configure()
    import keras

    from parity import numerics

    if keras.backend.backend() == "tensorflow" and "tf_op_determinism" not in numerics.STATE:
        numerics.configure_tensorflow()
    return keras


@contextmanager
def floatx(dtype):
    """``keras.config.floatx()`` set to ``dtype`` inside the block (yields ``keras``), restored after.

    Keras makes optimizer learning rates and some Python-float constants in floatx, so a float64
    model is only updated in float64 inside such a block.
    """
    keras = load_keras()
    previous = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield keras
    finally:
        keras.config.set_floatx(previous)
