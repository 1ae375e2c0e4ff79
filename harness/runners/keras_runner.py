"""The Keras 3 run: the same net, weights, batches and update rule, as a compiled train step.

``run_keras(plan, progress=None) -> result dict`` (see ``harness.runners.record``), on whichever
backend ``KERAS_BACKEND`` selects (tensorflow, torch or jax).

Net: a ``keras.Model`` over ``Dense`` (kernel = W), [book batch norm], ``Activation``, ...,
``Dense``, every layer in the plan's dtype. Each step calls a custom ``train_step`` (on TensorFlow
wrapped in one ``tf.function`` — the graph ``train_on_batch`` would run, without its per-call
Python; on the torch backend through ``model.train_on_batch`` as torch ops; on jax called eagerly,
its gradient by ``jax.vjp`` through ``parity.backends.keras.autodiff``), which does, mirroring
``reference.trainer.train``:

    scores = model(x, training=True)
    grad of mean(sparse_categorical_crossentropy(t, scores, from_logits=True))  # (y - t) / N
    optimizer.apply(grads)                                                       # the book's rule
    return {"loss": -sum(log(softmax(model(x, training=False))[t] + 1e-7)) / N}  # after the update

The convolutional nets (``harness.runners.architecture.layers``, ``ConvNet``): ``Conv2D``
channels-last (kernel HWIO = W.transpose(2, 3, 1, 0); TensorFlow's CPU Conv2D refuses NCHW) with the
book's NCHW transposed in and out around each convolution, ``MaxPooling2D(data_format=
"channels_first")``, ``Dense`` on the input flattened in the book's (C, H, W) order, ReLU, and the
plan's dropout masks (``RunPlan.dropout_masks``) passed into the train step; their loss after the
update runs in training mode (dropout on, fresh masks), as the book's ``loss``.

NOTE: Keras stores an optimizer's learning rate as a variable of ``keras.config.floatx()``
(float32 by default), so in a float64 run lr = 0.1 would act as 0.10000000149011612 and the
trajectory would leave the reference's by ~1e-9 within the first iterations. floatx is set to
the plan's dtype while the model and optimizer are built and trained, and restored afterwards.
"""
import os


import numpy as np

from harness.runners.plan import check_initial_weights
from harness.runners.record import RunRecorder, drive
from parity.backends.keras import floatx

COST = 2.5  # ms/iteration relative to numpy on the report's runs (a compiled step per batch and its dispatch); for scheduling


def _keras():
    from parity import numerics

    numerics.configure()  # environment for TensorFlow before its import, determinism on
    import keras

    if keras.backend.backend() == "tensorflow":
        numerics.configure_tensorflow()
    return keras


def book_loss(ops, scores, t):
    """-sum(log(softmax(scores)[n, t_n] + 1e-7)) / N, the book's cross_entropy_error on labels."""
    y = ops.softmax(scores, axis=-1)
    picked = ops.take_along_axis(y, ops.reshape(t, (-1, 1)), axis=1)
    return -ops.sum(ops.log(picked + 1e-7)) / ops.cast(ops.shape(t)[0], scores.dtype)


def _model_class(keras):
    from keras import ops

    backend = keras.backend.backend()

    class BookNet(keras.Model):
        """Dense/[BatchNorm]/Activation stack with the book's training step (see module doc)."""

        def __init__(self, stack, **kwargs):
            super().__init__(**kwargs)
            self.stack = stack

        def call(self, x, training=False):
            for layer in self.stack:
                x = layer(x, training=training)
            return x

        def _gradient_loss(self, x, t):
            scores = self(x, training=True)
            return ops.mean(keras.losses.sparse_categorical_crossentropy(t, scores, from_logits=True))

        def train_step(self, data):
            x, t = data[0], data[1]
            variables = self.trainable_variables
            from parity.backends.keras import autodiff

            _, _, grads = autodiff.vjp(lambda: self._gradient_loss(x, t), (), variables)
            _apply(self.optimizer, grads, variables)
            return {"loss": book_loss(ops, self(x, training=False), t)}

    return BookNet


def _apply(optimizer, grads, variables):
    """The optimizer's update of ``variables``; on the torch backend outside autograd's recording."""
    from parity.backends.keras import autodiff

    if autodiff.backend() == "torch":
        import torch

        with torch.no_grad():
            optimizer.apply(grads, variables)
    else:
        optimizer.apply(grads, variables)


def _conv_model_class(keras):
    from keras import ops

    backend = keras.backend.backend()

    class ConvNet(keras.Model):
        """The book's conv net from layer specs; ``call(x, training, masks)``: masks, one per dropout
        layer, are used in training mode (eval mode: x * (1 - ratio))."""

        def __init__(self, specs, convs, pools, denses, **kwargs):
            super().__init__(**kwargs)
            self.specs, self.convs, self.pools, self.denses = specs, convs, pools, denses

        def call(self, x, training=False, masks=()):
            convs, pools, denses, masks = iter(self.convs), iter(self.pools), iter(self.denses), iter(masks)
            for spec in self.specs:
                kind = spec["kind"]
                if kind == "conv":
                    x = ops.transpose(next(convs)(ops.transpose(x, (0, 2, 3, 1))), (0, 3, 1, 2))
                elif kind == "pool":
                    x = next(pools)(x)
                elif kind == "affine":
                    x = next(denses)(ops.reshape(x, (ops.shape(x)[0], -1)))
                elif kind == "relu":
                    x = ops.relu(x)
                else:
                    x = x * next(masks) if training else x * (1.0 - spec["ratio"])
            return x

        def _gradient_loss(self, x, t, masks):
            scores = self(x, training=True, masks=masks)
            return ops.mean(keras.losses.sparse_categorical_crossentropy(t, scores, from_logits=True))

        def train_step(self, data):
            x, t, masks = data[0], data[1], tuple(data[2:])
            gradient_masks, loss_masks = masks[:len(masks) // 2], masks[len(masks) // 2:]
            variables = self.trainable_variables
            from parity.backends.keras import autodiff

            _, _, grads = autodiff.vjp(lambda: self._gradient_loss(x, t, gradient_masks), (), variables)
            _apply(self.optimizer, grads, variables)
            return {"loss": book_loss(ops, self(x, training=True, masks=loss_masks), t)}

    return ConvNet


def build_conv_network(plan):
    """(ConvNet, {book key: variable}, {book key: to_book}) holding the plan's initial weights."""
    from harness.runners.architecture import layers

    keras = _keras()
    dtype, specs = plan.dtype, layers(plan.experiment.network)
    convs, pools, denses, params, to_book = [], [], [], {}, {}
    for spec in specs:
        if spec["kind"] == "conv":
            fn, c, fh, fw = spec["shape"]
            layer = keras.layers.Conv2D(fn, (fh, fw), strides=spec["stride"], padding="valid", dtype=dtype,
                                        name=spec["name"])
            # NOTE: explicit zeros for the book's pad, then "valid" ("same" is not the book's pad in general)
            layer = _padded(keras, layer, spec["pad"], dtype)
            layer.build((None, None, None, c))
            conv = layer.conv if hasattr(layer, "conv") else layer
            conv.kernel.assign(plan.init_params[spec["W"]].transpose(2, 3, 1, 0))
            to_book[spec["W"]] = lambda a: a.transpose(3, 2, 0, 1)
            convs.append(layer)
        elif spec["kind"] == "affine":
            conv = layer = keras.layers.Dense(spec["shape"][1], dtype=dtype, name=spec["name"])
            layer.build((None, spec["shape"][0]))
            layer.kernel.assign(plan.init_params[spec["W"]])
            denses.append(layer)
        elif spec["kind"] == "pool":
            pools.append(keras.layers.MaxPooling2D(2, strides=2, data_format="channels_first", dtype=dtype))
            continue
        else:
            continue
        conv.bias.assign(plan.init_params[spec["b"]])
        params[spec["W"]], params[spec["b"]] = conv.kernel, conv.bias
    model = _conv_model_class(keras)(specs, convs, pools, denses, dtype=dtype)
    model(np.zeros((1, *plan.x_train.shape[1:]), dtype=dtype))  # builds the pooling layers
    return model, params, to_book


def _padded(keras, conv, pad, dtype):
    """``conv`` after ZeroPadding2D(pad) (NHWC) as one layer; ``conv`` itself for pad 0."""
    if not pad:
        return conv

    class Padded(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.zero_pad = keras.layers.ZeroPadding2D(pad, dtype=dtype)
            self.conv = conv

        def build(self, shape):
            self.conv.build((shape[0], None if shape[1] is None else shape[1] + 2 * pad,
                             None if shape[2] is None else shape[2] + 2 * pad, shape[3]))

        def call(self, x):
            return self.conv(self.zero_pad(x))

    return Padded(dtype=dtype)


def build_network(plan):
    """(model, {book key: (variable, to_book)}) holding the plan's initial weights."""
    keras = _keras()
    net, dtype = plan.experiment.network, plan.dtype
    sizes = [net["input_size"], *net["hidden_size_list"], net["output_size"]]
    stack, params, batchnorms = [], {}, {}
    for idx in range(1, len(sizes)):
        dense = keras.layers.Dense(sizes[idx], dtype=dtype, name=f"Affine{idx}")
        dense.build((None, sizes[idx - 1]))
        dense.kernel.assign(plan.init_params[f"W{idx}"])
        dense.bias.assign(plan.init_params[f"b{idx}"])
        params[f"W{idx}"], params[f"b{idx}"] = dense.kernel, dense.bias
        stack.append(dense)
        if idx < len(sizes) - 1:
            if net["use_batchnorm"]:
                from parity.backends.keras.layers import book_batch_norm

                bn = book_batch_norm(momentum=0.9, dtype=dtype)
                bn.build((None, sizes[idx]))
                bn.gamma.assign(plan.init_params[f"gamma{idx}"])
                bn.beta.assign(plan.init_params[f"beta{idx}"])
                batchnorms[idx] = bn
                stack.append(bn)
            stack.append(keras.layers.Activation(net["activation"], dtype=dtype))
    for idx, bn in batchnorms.items():  # the book's key order: all W, b first, then gamma, beta
        params[f"gamma{idx}"], params[f"beta{idx}"] = bn.gamma, bn.beta
    model = _model_class(keras)(stack, dtype=dtype)
    model.build((None, sizes[0]))
    return model, params


def read_back(params, to_book=None):
    """The variables' values as NumPy arrays in the book's layout (``to_book``: {key: function}
    where the framework's differs), read through the backend tensor (``np.array(variable)`` hits a
    NumPy 2 ``__array__`` deprecation on both backends)."""
    def value(v):
        t = v.value
        return _numpy(t) if hasattr(t, "detach") or not hasattr(t, "numpy") else t.numpy()  # torch / jax / tf

    to_book = to_book or {}
    return {key: np.ascontiguousarray(to_book.get(key, lambda a: a)(value(v))) for key, v in params.items()}


def make_optimizer(spec):
    """(optimizer, description): parity's book-configured optimizer when available; otherwise
    keras SGD (W -= lr * g) or keras Adam with epsilon 1e-7 (Keras' Adam update is the book's
    formula: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), W -= lr_t * m / (sqrt(v) + eps))."""
    keras = _keras()
    hyper = {k: v for k, v in spec.items() if k != "name"}
    try:
        from parity.backends.keras.optimizers import make_optimizer as parity_optimizer
    except ImportError:
        parity_optimizer = None
    if parity_optimizer is not None:
        return parity_optimizer(spec["name"], **hyper), f"parity.backends.keras.optimizers {spec['name']}"
    if spec["name"] == "SGD":
        return keras.optimizers.SGD(learning_rate=hyper["lr"]), "keras.optimizers.SGD"
    if spec["name"] == "Adam":
        return (keras.optimizers.Adam(learning_rate=hyper["lr"], beta_1=hyper.get("beta1", 0.9),
                                      beta_2=hyper.get("beta2", 0.999), epsilon=1e-7),
                "keras.optimizers.Adam(epsilon=1e-7)")
    raise RuntimeError(f"keras: {spec['name']} with the book's semantics needs parity.backends.keras.optimizers, "
                       "which is not available")


class Trainer:
    """One Keras training run, a step at a time (the runner and the divergence forensics share it).
    Everything runs with ``keras.config.floatx()`` set to the plan's dtype (see the module NOTE)."""

    framework = "keras"

    def __init__(self, plan):
        keras = self.keras = _keras()
        self.plan, self.backend_name = plan, keras.backend.backend()
        how = {"tensorflow": "train_step in one tf.function", "jax": "train_step eager, jax.vjp"}.get(self.backend_name,
                                                                                               "train_on_batch")
        self.backend = f"keras {keras.__version__} / {self.backend_name} ({how})"
        from harness.runners.architecture import is_conv

        self.conv, self.masks, self.to_book = is_conv(plan.experiment.network), plan.dropout_masks(), {}
        with floatx(plan.dtype):
            if self.conv:
                self.model, self.param_map, self.to_book = build_conv_network(plan)
            else:
                self.model, self.param_map = build_network(plan)
            self.init_sha256 = check_initial_weights("keras", plan.init_params, read_back(self.param_map, self.to_book))
            optimizer, self.optimizer_impl = make_optimizer(plan.optimizer)
            self.model.compile(optimizer=optimizer, jit_compile=False)
        self._step = self._scores = self._eval_x = None
        if self.backend_name == "tensorflow":
            self._compile_on_tensorflow()

    def _compile_on_tensorflow(self):
        """``_step``: the model's train_step as one tf.function, the graph train_on_batch runs
        without its per-call Python (data adapter, callbacks, logs; measured 5-25% of a step here,
        the same losses bit for bit), taking the batch's indices and the conv nets' dropout masks;
        ``_scores``: the forward pass in eval mode as one tf.function, for the accuracies. The
        training and test sets are converted to tensors once (``_eval_x``) and each step's batch
        gathered inside the graph: converting a 100 x 784 batch from NumPy on every call cost ~0.7
        ms of a ~1.7 ms step here, predict_on_batch on 60,000 NumPy rows 0.8 s per evaluation."""
        import tensorflow as tf

        model = self.model
        x_train, t_train = tf.convert_to_tensor(self.plan.x_train), tf.convert_to_tensor(self.plan.t_train)
        self._eval_x = {"train": x_train, "test": tf.convert_to_tensor(self.plan.x_test)}
        self._scores = tf.function(lambda x: model(x, training=False), jit_compile=False)
        self._step = tf.function(lambda idx, *masks: model.train_step((tf.gather(x_train, idx),
                                                                       tf.gather(t_train, idx), *masks))["loss"],
                                 jit_compile=False)

    def step(self, batch_mask):
        masks = [] if self.masks is None else [m.astype(self.plan.dtype) for m in self.masks.step()]
        with floatx(self.plan.dtype):
            if self._step is not None:
                import tensorflow as tf

                return float(self._step(*(tf.convert_to_tensor(a) for a in (batch_mask, *masks))))
            x, t = self.plan.x_train[batch_mask], self.plan.t_train[batch_mask]
            if self.conv or self.backend_name == "jax":  # eager torch / jax ops (jax: autodiff.vjp), masks passed in
                ops = self.keras.ops
                return float(self.model.train_step((ops.convert_to_tensor(x), ops.convert_to_tensor(t),
                                                    *(ops.convert_to_tensor(m) for m in masks)))["loss"])
            logs = self.model.train_on_batch(x, t, return_dict=True)
        return logs["loss"]

    def accuracy(self, which):
        x, t = (self.plan.x_train, self.plan.t_train) if which == "train" else (self.plan.x_test, self.plan.t_test)
        keep = self.plan.eval_slice(which)
        x, t = x[keep], t[keep]
        with floatx(self.plan.dtype):
            if self._step is not None:  # TensorFlow: the set converted once, the forward pass in one tf.function
                scores = self._scores(self._eval_x[which][keep]).numpy()
            elif self.backend_name == "torch":  # predict_on_batch's np.array(tensor) warns under NumPy 2 there
                import torch

                with torch.no_grad():
                    scores = self.model(x, training=False).detach().cpu().numpy()
            else:
                scores = self.keras.ops.convert_to_numpy(self.model.predict_on_batch(x))
        return np.sum(np.argmax(scores, axis=1) == t) / float(t.shape[0])

    def params(self):
        return {k: np.array(v, copy=True) for k, v in read_back(self.param_map, self.to_book).items()}  # not views

    def load_params(self, params):
        for key, variable in self.param_map.items():
            value = params[key]
            variable.assign(value.transpose(2, 3, 1, 0) if key in self.to_book else value)  # book -> HWIO

    def trace(self, x, t):
        """One forward and backward pass at the current weights, layer by layer (the train step's
        gradient loss); the moving statistics a training-mode batch norm updates are restored.
        Names from ``harness.runners.architecture``."""
        from harness.runners.architecture import layer_names

        if self.conv or self.backend_name == "jax":  # no per-layer trace of the conv nets, nor on jax (its vjp
            return None  # differentiates inputs only, not intermediate tensors); the forensics say so

        from parity.backends.keras import autodiff

        keras, ops = self.keras, self.keras.ops
        names = layer_names(self.plan.experiment.network)
        stack = list(self.model.stack)
        saved = [(v, read_back({"v": v})["v"]) for v in self.model.non_trainable_variables]
        keys = list(self.param_map)
        variables = [self.param_map[k] for k in keys]
        out, kept, taps = {}, [], []

        def forward():
            h = ops.convert_to_tensor(x)
            for (name, kind), layer in zip(names, stack):
                if kind == "batchnorm":
                    out[f"{name}.mean"] = ops.mean(h, axis=0)
                    out[f"{name}.var"] = ops.var(h, axis=0)
                h = layer(h, training=True)
                kept.append(name)
                taps.append(h)
                out[name] = h
            out["softmax"] = ops.softmax(h, axis=-1)
            return ops.mean(keras.losses.sparse_categorical_crossentropy(ops.convert_to_tensor(t), h,
                                                                         from_logits=True))

        try:
            with floatx(self.plan.dtype):
                _, _, d_variables, d_taps = autodiff.vjp(forward, (), variables, taps=taps)
        finally:
            for variable, value in saved:
                variable.assign(value)
        for name, g in zip(kept, d_taps):
            out[f"d{name}"] = g
        for key, g in zip(keys, d_variables):
            out[f"grad {key}"] = g
        return {k: _numpy(v) for k, v in out.items()}


def _numpy(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def run_keras(plan, progress=None):
    trainer = Trainer(plan)
    recorder = RunRecorder("keras", trainer.backend, plan, progress)
    recorder.init_sha256, recorder.optimizer_impl = trainer.init_sha256, trainer.optimizer_impl
    return drive(plan, recorder, trainer.step, trainer.accuracy)


run = run_keras


def backend_name():
    """The backend Keras will use (without importing it): KERAS_BACKEND, default tensorflow."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


TRAINED_BACKENDS = ("tensorflow", "torch", "jax")  # the backends train_step drives (parity.backends.keras.autodiff)


def missing_reason():
    """Why the Keras run cannot run here, or None: Keras missing (``parity.frameworks``), or a
    backend its train step does not drive."""
    from parity.frameworks import missing_reason as parity_missing

    reason = parity_missing("keras")
    if reason is None and backend_name() not in TRAINED_BACKENDS:
        reason = (f"the Keras training run drives the {' and '.join(TRAINED_BACKENDS)} backends, not "
                  f"KERAS_BACKEND={backend_name()!r}")
    return reason
