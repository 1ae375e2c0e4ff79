"""The JAX plug-in: Flax NNX layers, optax optimizers, ``jax.random`` / ``nnx.initializers``
draws (``layers``, ``optimizers``, ``optimizer_driver``, ``initializers``); gradients by ``jax.vjp``.

Every module of this package calls ``configure()`` before it makes an array: ``jax_enable_x64``
on, without which JAX silently makes every float64 array float32 and a float64 check would compare
float32 numbers. The flag is process-wide. Importing this package itself imports nothing of JAX.
"""
from parity.backends.plugin import Plugin

def _environment():
    import jax

    return {"devices": [str(d) for d in jax.devices()], "x64": bool(jax.config.jax_enable_x64)}


PLUGIN = Plugin("jax", 3, ("jax", "flax", "optax"), preload=("jax", "flax.nnx", "optax"), versions=("jax", "flax", "optax"), environment=_environment,
                layouts=("channels_last",), about="JAX with Flax NNX and optax, jax.vjp")


def configure():
    """``jax_enable_x64`` on (idempotent); returns ``jax``."""
    import jax

    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    return jax
