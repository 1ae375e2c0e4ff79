"""The JAX run: the same net, weights, batches and update rule, as a ``jax.jit``-ted train step on
Flax NNX modules and an optax optimizer.

``run_jax(plan, progress=None, device="cpu") -> result dict`` (see ``harness.runners.record``).

Net (``BookNet``): ``nnx.Linear`` (kernel = W), [book batch norm: ``nnx.BatchNorm`` configured by
``parity.backends.jax.layers.book_batch_norm``], activation (``nnx.relu`` / ``sigmoid`` /
``tanh``), ..., ``nnx.Linear``, every module in the plan's dtype (float64 through
``jax_enable_x64``, switched on by ``parity.backends.jax``). One step, mirroring
``reference.trainer.train``, compiled once by ``jax.jit`` on the model's state split with
``nnx.split`` (parameters, batch statistics) and merged back inside it:

    scores = net(x_batch, training=True)                          # batch statistics, updated
    grads = nnx.grad(mean(softmax_cross_entropy_with_integer_labels(scores, t)))  # (y - t) / N
    params = optax.apply_updates(params, tx.update(grads, ...))   # the book's rule (parity optimizers)
    loss = -sum(log(softmax(net(x_batch, training=False))[t] + 1e-7)) / N   # after the update

The convolutional nets (``harness.runners.architecture.layers``, ``ConvNet``): ``nnx.Conv`` on
NHWC (kernel HWIO = W.transpose(2, 3, 1, 0), explicit ``((pad, pad), (pad, pad))`` zeros, the book's
NCHW transposed in and out around it), ``nnx.max_pool`` 2x2, ``nnx.Linear`` on the input flattened
in the book's (C, H, W) order, ReLU, and the plan's dropout masks (``RunPlan.dropout_masks``) as
arguments of the jitted step; their loss after the update runs in training mode (dropout on, fresh
masks), as the book's ``loss``.

NOTE: the gradient comes from optax's cross-entropy, not from the recorded loss: the book's
backward, (y - t) / N, is the exact gradient of the loss WITHOUT the 1e-7.
"""

import numpy as np

from harness.runners.plan import check_initial_weights
from harness.runners.record import RunRecorder, drive

COST = 1.5  # ms/iteration relative to numpy on the report's runs (a jitted step; the first call compiles); for scheduling


def _jax():
    from parity.backends.jax import configure

    return configure()  # jax_enable_x64 on


ACTIVATIONS = ("relu", "sigmoid", "tanh")


def _model_class():
    from flax import nnx

    from parity.backends.jax.layers import HIGHEST, book_batch_norm

    class BookNet(nnx.Module):
        """Linear / [BatchNorm] / activation stack of the book's MultiLayerNet(Extend)."""

        def __init__(self, sizes, activation, use_batchnorm, dtype):
            import jax.numpy as jnp

            dt = jnp.dtype(dtype)
            rngs = nnx.Rngs(0)  # the initial weights are overwritten with the plan's
            self.linears = nnx.List([nnx.Linear(sizes[i - 1], sizes[i], dtype=dt, param_dtype=dt,
                                                precision=HIGHEST, rngs=rngs) for i in range(1, len(sizes))])
            self.norms = nnx.List([book_batch_norm(size, dtype=dtype) for size in sizes[1:-1]]
                                  if use_batchnorm else [])
            self.activation = activation

        def __call__(self, x, training):
            act = getattr(nnx, self.activation)
            last = len(self.linears) - 1
            for i, linear in enumerate(self.linears):
                x = linear(x)
                if i < last:
                    if len(self.norms):
                        x = self.norms[i](x, use_running_average=not training)
                    x = act(x)
            return x

    return BookNet


def _conv_model_class():
    import jax.numpy as jnp
    from flax import nnx

    from parity.backends.jax.layers import HIGHEST

    class ConvNet(nnx.Module):
        """The book's conv net from layer specs; ``masks``: one per dropout layer (training mode)."""

        def __init__(self, specs, dtype):
            dt = jnp.dtype(dtype)
            rngs = nnx.Rngs(0)
            # NOTE: zeros, not Flax's default initializers: the plan's weights overwrite them, and
            # the default draws (truncated normal per shape, op by op) took ~17 s to build this net.
            zeros = {"kernel_init": nnx.initializers.zeros_init(), "bias_init": nnx.initializers.zeros_init()}
            self.ratios = [s["ratio"] for s in specs if s["kind"] == "dropout"]
            modules = []
            for spec in specs:
                if spec["kind"] == "conv":
                    fn, c, fh, fw = spec["shape"]
                    p = spec["pad"]
                    modules.append(nnx.Conv(c, fn, (fh, fw), strides=spec["stride"], padding=((p, p), (p, p)),
                                            dtype=dt, param_dtype=dt, precision=HIGHEST, rngs=rngs, **zeros))
                elif spec["kind"] == "affine":
                    modules.append(nnx.Linear(*spec["shape"], dtype=dt, param_dtype=dt, precision=HIGHEST, rngs=rngs,
                                              **zeros))
            self.modules = nnx.List(modules)
            self.kinds = tuple(s["kind"] for s in specs)

        def __call__(self, x, training, masks=()):
            modules, masks, ratios = iter(self.modules), iter(masks), iter(self.ratios)
            for kind in self.kinds:
                if kind == "conv":
                    x = jnp.transpose(next(modules)(jnp.transpose(x, (0, 2, 3, 1))), (0, 3, 1, 2))
                elif kind == "affine":
                    x = next(modules)(x.reshape(x.shape[0], -1))
                elif kind == "relu":
                    x = nnx.relu(x)
                elif kind == "pool":
                    x = jnp.transpose(nnx.max_pool(jnp.transpose(x, (0, 2, 3, 1)), (2, 2), strides=(2, 2)),
                                      (0, 3, 1, 2))
                else:
                    ratio = next(ratios)
                    x = x * next(masks) if training else x * (1.0 - ratio)
            return x

    return ConvNet


def build_conv_network(plan, device="cpu"):
    """(ConvNet, {book key: the nnx.Variable holding it}, {key: to_book}) with the plan's weights."""
    jax = _jax()
    from harness.runners.architecture import layers
    from parity.backends.jax.layers import jax_device

    specs = layers(plan.experiment.network)
    with jax.default_device(jax_device(device)):
        model = _conv_model_class()(specs, plan.dtype)
        variables, to_book = {}, {}
        for spec, module in zip([s for s in specs if "W" in s], model.modules):
            W = plan.init_params[spec["W"]]
            if spec["kind"] == "conv":
                W = W.transpose(2, 3, 1, 0)
                to_book[spec["W"]] = lambda a: a.transpose(3, 2, 0, 1)
            module.kernel[...] = jax.numpy.asarray(W)
            module.bias[...] = jax.numpy.asarray(plan.init_params[spec["b"]])
            variables[spec["W"]], variables[spec["b"]] = module.kernel, module.bias
    return model, variables, to_book


def build_network(plan, device="cpu"):
    """(BookNet, {book key: the nnx.Variable holding it}) with the plan's initial weights."""
    jax = _jax()
    from parity.backends.jax.layers import jax_device

    net = plan.experiment.network
    if net["activation"] not in ACTIVATIONS:
        raise ValueError(f"jax runner: activation {net['activation']!r} is not one of {ACTIVATIONS}")
    sizes = [net["input_size"], *net["hidden_size_list"], net["output_size"]]
    with jax.default_device(jax_device(device)):
        model = _model_class()(sizes, net["activation"], net["use_batchnorm"], plan.dtype)
        variables = {}
        for idx, linear in enumerate(model.linears, start=1):
            linear.kernel[...] = jax.numpy.asarray(plan.init_params[f"W{idx}"])
            linear.bias[...] = jax.numpy.asarray(plan.init_params[f"b{idx}"])
            variables[f"W{idx}"], variables[f"b{idx}"] = linear.kernel, linear.bias
        for idx, bn in enumerate(model.norms, start=1):  # the book's key order: all W, b, then gamma, beta
            bn.scale[...] = jax.numpy.asarray(plan.init_params[f"gamma{idx}"])
            bn.bias[...] = jax.numpy.asarray(plan.init_params[f"beta{idx}"])
            variables[f"gamma{idx}"], variables[f"beta{idx}"] = bn.scale, bn.bias
    return model, variables


def read_back(variables, to_book=None):
    """The framework's parameters as NumPy arrays in the book's layout (Linear.kernel = W; a
    conv kernel through ``to_book``)."""
    to_book = to_book or {}
    return {key: np.ascontiguousarray(to_book.get(key, lambda a: a)(np.array(var[...], copy=True)))
            for key, var in variables.items()}


def make_optimizer(spec, dtype):
    """(optax GradientTransformation, description): parity's book-configured optimizer."""
    from parity.backends.jax.optimizers import make_optimizer as parity_optimizer

    hyper = {k: v for k, v in spec.items() if k != "name"}
    return parity_optimizer(spec["name"], dtype=dtype, **hyper), f"parity.backends.jax.optimizers {spec['name']}"


def run_jax(plan, progress=None, device="cpu"):
    jax = _jax()
    import flax
    import jax.numpy as jnp
    import optax
    from flax import nnx

    from parity.backends.jax.layers import jax_device

    recorder = RunRecorder("jax", f"jax {jax.__version__}, flax {flax.__version__} (nnx), optax "
                                  f"{optax.__version__} ({device}, jit)", plan, progress)
    from harness.runners.architecture import is_conv

    conv, masks = is_conv(plan.experiment.network), plan.dropout_masks()
    if conv:
        model, variables, to_book = build_conv_network(plan, device)
    else:
        (model, variables), to_book = build_network(plan, device), {}
    recorder.init_sha256 = check_initial_weights("jax", plan.init_params, read_back(variables, to_book))
    tx, recorder.optimizer_impl = make_optimizer(plan.optimizer, plan.dtype)

    graphdef, params, stats = nnx.split(model, nnx.Param, nnx.BatchStat)
    opt_state = tx.init(params)
    where = jax_device(device)
    x_train, t_train = jax.device_put(plan.x_train, where), jax.device_put(plan.t_train, where)
    x_test, t_test = jax.device_put(plan.x_test, where), jax.device_put(plan.t_test, where)

    def forward(m, x, training, masks):
        return m(x, training, masks) if conv else m(x, training)

    # NOTE: the training set is an argument, not a closure: a captured array is embedded in the
    # compiled program as a constant (25 MB for mnist-5k), and XLA's compile of the conv nets'
    # step then took ~19 s instead of ~1 s here.
    @jax.jit
    def train_step(params, stats, opt_state, idx, masks, x_train, t_train):
        x, t = x_train[idx], t_train[idx]
        model = nnx.merge(graphdef, params, stats)
        gradient_masks, loss_masks = masks[:len(masks) // 2], masks[len(masks) // 2:]

        def gradient_loss(m):
            return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(forward(m, x, True, gradient_masks), t))

        grads = nnx.grad(gradient_loss)(model)  # d/d Param; the batch statistics update in model
        params = nnx.state(model, nnx.Param)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        nnx.update(model, params)
        y = jax.nn.softmax(forward(model, x, conv, loss_masks), axis=1)  # conv nets: training mode, as the book
        picked = jnp.take_along_axis(y, t.reshape(-1, 1), axis=1)[:, 0]
        return params, nnx.state(model, nnx.BatchStat), opt_state, -jnp.sum(jnp.log(picked + 1e-7)) / t.shape[0]

    @jax.jit
    def hits(params, stats, x, t):
        return jnp.sum(jnp.argmax(nnx.merge(graphdef, params, stats)(x, False), axis=1) == t)

    state = {"params": params, "stats": stats, "opt": opt_state}

    def step(batch_mask):
        drawn = [] if masks is None else [jax.device_put(m.astype(plan.dtype), where) for m in masks.step()]
        state["params"], state["stats"], state["opt"], loss = train_step(
            state["params"], state["stats"], state["opt"], jax.device_put(np.asarray(batch_mask), where), drawn,
            x_train, t_train)
        return float(loss)

    def accuracy(which):
        x, t = (x_train, t_train) if which == "train" else (x_test, t_test)
        keep = plan.eval_slice(which)
        x, t = x[keep], t[keep]
        return int(hits(state["params"], state["stats"], x, t)) / float(t.shape[0])

    result = drive(plan, recorder, step, accuracy)
    nnx.update(model, state["params"], state["stats"])  # the trained weights back in the module
    return result
