"""Gradients through Keras by its backend's own autodiff: the one place the backend is dispatched
on (the parity builders' ``grad``, the training runner's train step and its layer trace, the
catalogue's regularizer gradients all call ``vjp``).

    out, d_inputs, d_variables = vjp(fn, inputs, variables, dout)

- tensorflow: ``tf.GradientTape`` (inputs watched; ``output_gradients=dout``);
- torch: ``torch.autograd.grad`` (no ``.grad`` accumulated on the variables);
- jax: ``jax.vjp`` of a pure function whose variable values come in through a Keras
  ``StatelessScope(state_mapping=...)`` (JAX differentiates only values it is given); variables
  ``fn`` assigns (batch-norm moving statistics) are taken out of the scope as auxiliary output and
  assigned after the trace, as Keras' own JAX trainer does.

``taps``: a list ``fn`` appends intermediate tensors to; their gradients come back too
(tensorflow and torch; JAX differentiates inputs only and refuses taps with a clear error).
"""
from parity.backends.keras import load_keras

keras = load_keras()
ops = keras.ops


def backend():
    return keras.backend.backend()


class _RecordingScope(keras.StatelessScope):
    """A StatelessScope that also keeps the Variables assigned inside it (BN moving statistics),
    so their new values can be returned from a traced function and assigned afterwards."""

    def __init__(self, state_mapping):
        super().__init__(state_mapping=state_mapping)
        self.assigned = {}

    def add_update(self, update):
        super().add_update(update)
        self.assigned[id(update[0])] = update[0]


def _ones_like(out):
    return ops.ones_like(out)


def _tensorflow(fn, inputs, constants, variables, dout, taps):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        for x in inputs:
            tape.watch(x)
        out = fn(*inputs, *constants)
    sources = [*inputs, *(v.value for v in variables), *(taps or [])]
    seed = _ones_like(out) if dout is None else tf.cast(dout, out.dtype)
    grads = tape.gradient(out, sources, output_gradients=seed, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return out, grads


def _torch(fn, inputs, constants, variables, dout, taps):
    import torch

    inputs = [x.detach().requires_grad_(True) for x in inputs]
    out = fn(*inputs, *constants)
    sources = [*inputs, *(v.value for v in variables), *(taps or [])]
    seed = torch.ones_like(out) if dout is None else dout.to(out.dtype)
    grads = torch.autograd.grad(out, sources, grad_outputs=seed, allow_unused=True)
    return out, [torch.zeros_like(s) if g is None else g for s, g in zip(sources, grads)]


def _jax(fn, inputs, constants, variables, dout, taps):
    import jax

    if taps:
        raise ValueError("keras autodiff on the jax backend: gradients of intermediate tensors (taps) are not "
                         "available (jax.vjp differentiates a function's inputs only)")
    variables = list(variables)
    updated = []

    def pure(x_values, p_values):
        with _RecordingScope(list(zip(variables, p_values))) as scope:
            out = fn(*x_values, *constants)
        updated[:] = [v for k, v in scope.assigned.items() if all(k != id(p) for p in variables)]
        return out, [scope.get_current_value(v) for v in updated]

    out, pullback, new_values = jax.vjp(pure, list(inputs), [v.value for v in variables], has_aux=True)
    for variable, value in zip(updated, new_values):
        variable.assign(value)
    seed = _ones_like(out) if dout is None else ops.cast(dout, out.dtype)
    d_inputs, d_params = pullback(seed)
    return out, list(d_inputs) + list(d_params)


_DISPATCH = {"tensorflow": _tensorflow, "torch": _torch, "jax": _jax}


def vjp(fn, inputs=(), variables=(), dout=None, constants=(), taps=None):
    """``fn(*inputs, *constants)`` and its vector-Jacobian product by the backend's autodiff.

    inputs: backend tensors differentiated; constants: passed after them, not differentiated;
    variables: keras Variables ``fn`` reads; dout: the upstream gradient (a tensor shaped like the
    output; None: ones, i.e. the gradient of a scalar loss); taps: see the module docstring.
    Returns (output, [d input ...], [d variable ...]) as backend tensors (plus [d tap ...] where
    ``taps`` is given, as a fourth element).
    """
    run = _DISPATCH.get(backend())
    if run is None:
        raise ValueError(f"keras backend {backend()!r}: gradients implemented for {', '.join(_DISPATCH)}")
    inputs, variables = list(inputs), list(variables)
    out, grads = run(fn, inputs, list(constants), variables, dout, taps)
    n, m = len(inputs), len(variables)
    result = (out, list(grads[:n]), list(grads[n:n + m]))
    return result + (list(grads[n + m:]),) if taps is not None else result
