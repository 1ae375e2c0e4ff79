"""The Keras 3 run: the same net, weights, batches and update rule, as a compiled train step.

``run_keras(plan, progress=None) -> result dict`` (see ``harness.runners.record``), on whichever
backend ``KERAS_BACKEND`` selects (tensorflow or torch).

Net: a ``keras.Model`` over ``Dense`` (kernel = W), [book batch norm], ``Activation``, ...,
``Dense``, every layer in the plan's dtype. Each step calls a custom ``train_step`` (on TensorFlow
wrapped in one ``tf.function`` — the graph ``train_on_batch`` would run, without its per-call
Python; on the torch backend through ``model.train_on_batch`` as torch ops), which does, mirroring
``reference.trainer.train``:

    scores = model(x, training=True)
    grad of mean(sparse_categorical_crossentropy(t, scores, from_logits=True))  # (y - t) / N
    optimizer.apply(grads)                                                       # the book's rule
    return {"loss": -sum(log(softmax(model(x, training=False))[t] + 1e-7)) / N}  # after the update

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
            from parity.backends.keras import autodiff

            x, t = data[0], data[1]
            variables = self.trainable_variables
            if backend not in ("tensorflow", "torch"):
                raise ValueError(f"keras backend {backend!r} is not supported (tensorflow or torch)")
            _, _, grads = autodiff.vjp(lambda: self._gradient_loss(x, t), (), variables)
            if backend == "torch":  # the update itself must not be recorded by autograd
                import torch

                with torch.no_grad():
                    self.optimizer.apply(grads, variables)
            else:
                self.optimizer.apply(grads, variables)
            return {"loss": book_loss(ops, self(x, training=False), t)}

    return BookNet


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


def read_back(params):
    """The variables' values as NumPy arrays, read through the backend tensor (``np.array(variable)``
    hits a NumPy 2 ``__array__`` deprecation on both backends)."""
    def value(v):
        t = v.value
        return t.detach().cpu().numpy() if hasattr(t, "detach") else t.numpy()

    return {key: np.ascontiguousarray(value(v)) for key, v in params.items()}


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
        how = "train_step in one tf.function" if self.backend_name == "tensorflow" else "train_on_batch"
        self.backend = f"keras {keras.__version__} / {self.backend_name} ({how})"
        with floatx(plan.dtype):
            self.model, self.param_map = build_network(plan)
            self.init_sha256 = check_initial_weights("keras", plan.init_params, read_back(self.param_map))
            optimizer, self.optimizer_impl = make_optimizer(plan.optimizer)
            self.model.compile(optimizer=optimizer, jit_compile=False)
        self._step = self._compiled_step() if self.backend_name == "tensorflow" else None

    def _compiled_step(self):
        """The model's train_step as one tf.function: the graph train_on_batch runs, without its
        per-call Python (data adapter, callbacks, logs); measured 5-25% of a step here, the same
        losses bit for bit."""
        import tensorflow as tf

        model = self.model
        return tf.function(lambda x, t: model.train_step((x, t))["loss"], jit_compile=False)

    def step(self, batch_mask):
        x, t = self.plan.x_train[batch_mask], self.plan.t_train[batch_mask]
        with floatx(self.plan.dtype):
            if self._step is not None:
                import tensorflow as tf

                return float(self._step(tf.convert_to_tensor(x), tf.convert_to_tensor(t)))
            logs = self.model.train_on_batch(x, t, return_dict=True)
        return logs["loss"]

    def accuracy(self, which):
        x, t = (self.plan.x_train, self.plan.t_train) if which == "train" else (self.plan.x_test, self.plan.t_test)
        with floatx(self.plan.dtype):
            if self.backend_name == "torch":  # predict_on_batch's np.array(tensor) warns under NumPy 2 there
                import torch

                with torch.no_grad():
                    scores = self.model(x, training=False).detach().cpu().numpy()
            else:
                scores = self.keras.ops.convert_to_numpy(self.model.predict_on_batch(x))
        return np.sum(np.argmax(scores, axis=1) == t) / float(t.shape[0])

    def params(self):
        return {k: np.array(v, copy=True) for k, v in read_back(self.param_map).items()}  # not views of the tensors

    def load_params(self, params):
        for key, variable in self.param_map.items():
            variable.assign(params[key])

    def trace(self, x, t):
        """One forward and backward pass at the current weights, layer by layer (the train step's
        gradient loss); the moving statistics a training-mode batch norm updates are restored.
        Names from ``harness.runners.architecture``."""
        from harness.runners.architecture import layer_names

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
