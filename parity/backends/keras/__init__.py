"""Keras 3 adapter (any backend): ``layers``, ``optimizers``, ``initializers`` submodules (import them directly).

On the JAX backend, importing this package turns on ``jax_enable_x64`` (``parity.backends.jax.configure``)
before Keras makes any array: without it JAX truncates every float64 tensor, Keras' included, to float32.
"""
from contextlib import contextmanager

from parity.frameworks import keras_backend

if keras_backend() == "jax":
    from parity.backends.jax import configure as _configure_jax

    _configure_jax()


@contextmanager
def floatx(dtype):
    """``keras.config.floatx()`` set to ``dtype`` inside the block (yields ``keras``), restored after.

    Keras makes optimizer learning rates and some Python-float constants in floatx, so a float64
    model is only updated in float64 inside such a block.
    """
    from parity.backends.keras.initializers import keras_module

    keras = keras_module()
    previous = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield keras
    finally:
        keras.config.set_floatx(previous)
