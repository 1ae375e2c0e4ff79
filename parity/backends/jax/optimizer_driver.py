"""The optax side of the optimizer check (``parity.runners.optimizers``): the same contract as
``drive_torch`` / ``drive_keras`` there.

    drive_jax(row, params0, grads, dtype, device) -> ([(params, state)] per step, {what: dtype})

params: {key: NumPy} after each step (book layout: the dict of arrays itself); state: {"<book
state>/<key>": NumPy} (``optimizers.book_state``). The update runs as one ``jax.jit``-ted step
(init once, then ``tx.update`` + ``optax.apply_updates`` per given gradient), as a training
loop runs it. Weight-decay rows (``config["weight_decay_lambda"]``) decay the keys starting
with "W" (the book's MultiLayerNet decays weights only).
"""
import numpy as np

from parity import book
from parity.backends.jax import configure
from parity.backends.jax import optimizers as backend
from parity.backends.jax.layers import jax_device, to_numpy

jax = configure()
import optax  # noqa: E402


def drive_jax(row, params0, grads, dtype, device="cpu", optimizer=None, **config):
    """[(params, state)] per step and the dtypes the optax state holds.

    config: ``make_optimizer``'s catalogue arguments (optax's own defaults, measured by
    ``parity.catalogue``); optimizer: an optax GradientTransformation to drive instead (the
    tests' planted faults); its state is read with the same ``book_state``."""
    name = row.builder
    hyper = row.config.get("hyper", {})
    lam = row.config.get("weight_decay_lambda", 0.0)
    tx = optimizer or backend.make_optimizer(name, weight_decay_lambda=lam, dtype=dtype,
                                             no_decay=[k for k in params0 if not book.decayed(k)], **config, **hyper)
    where = jax_device(device)
    params = {k: jax.device_put(np.asarray(v, dtype=dtype), where) for k, v in params0.items()}
    state = tx.init(params)

    @jax.jit
    def step(params, state, g):
        updates, state = tx.update(g, state, params)
        return optax.apply_updates(params, updates), state

    lr = backend.book_hyper(name, hyper)["lr"]
    out = []
    for g in grads:
        params, state = step(params, state, {k: jax.device_put(np.asarray(v, dtype=dtype), where)
                                             for k, v in g.items()})
        held = {k: to_numpy(v) for k, v in params.items()}
        st = {f"{s}/{k}": v for k in params for s, v in backend.book_state(name, state, k, lr=lr).items()}
        out.append((held, st))
    stored = {f"param {k}": str(v.dtype) for k, v in params.items()}
    stored.update(backend.stored_dtypes(state))
    return out, stored
