"""JAX adapter: Flax NNX layers, optax optimizers, ``jax.random`` / ``nnx.initializers`` draws
(``layers``, ``optimizers``, ``optimizer_driver``, ``initializers``; import them directly).

Importing this package turns on ``jax_enable_x64`` (``configure()``): without it JAX silently
makes every float64 array float32, so a float64 check would compare float32 numbers. The flag is
process-wide and is set before any JAX array is made by these modules.
"""


def configure():
    """``jax_enable_x64`` on (idempotent); returns ``jax``."""
    import jax

    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    return jax


configure()
