"""Keras 3 adapter (any backend): ``layers``, ``optimizers``, ``initializers`` submodules (import them directly)."""
from contextlib import contextmanager


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
