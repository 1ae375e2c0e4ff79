"""The shipped planted faults of ``python -m parity selftest``: each is an edit of a copy of the
reference (``parity.verify.patch``; an edit that no longer fits the reference raises), and the
component ``check`` must name as failing.

Each fault says where it comes from: "seed NNN" for the mistakes visible in the seeds' own code,
"book" for the book's own erratum, "framework default" for a framework's convention written in by
hand (``diagnosis`` then names the framework the semantics check must report), "common" for the
usual slips when writing backprop by hand. ``localized``: for nets, the parameter the gradient
localization must name first (backprop order).
"""
from dataclasses import dataclass

from parity.verify.patch import Edit
from parity.catalogue import derive


@dataclass(frozen=True)
class Fault:
    id: str
    component: str        # the component check must report as failing
    source: str
    what: str
    edits: tuple
    diagnosis: str = ""   # substring the semantics diagnosis must contain ("torch default")
    localized: str = ""   # nets: the first divergent parameter
    status: str = "FAIL"  # how check must report the component: "FAIL", or "error" for a fault that makes it raise


def _variant(key):
    """The edits of the catalogue's diagnosis variant ``key`` (``parity.catalogue.table``)."""
    return derive.variant_edits(derive.variant(key)[0])


# Seed 000's hand-written three-layer sigmoid net, with the line that propagates to layer 1 taken
# as ``da1 = np.dot({GRAD}, W2.T)``: the seed writes da2 (the gradient before the sigmoid of layer
# 2), the book's backprop dz2 (after it). ``seed000_net("dz2")`` is the correct control.
_SEED000 = '''from common.functions import cross_entropy_error, sigmoid, sigmoid_grad, softmax


class ThreeLayerNet:
    """Seed 000's three-layer sigmoid net, hand-written backprop (planted by parity selftest)."""

    def __init__(self, input_size, hidden_size1, hidden_size2, output_size, weight_init_std=0.01):
        self.params = {}
        self.params["W1"] = weight_init_std * np.random.randn(input_size, hidden_size1)
        self.params["b1"] = np.zeros(hidden_size1)
        self.params["W2"] = weight_init_std * np.random.randn(hidden_size1, hidden_size2)
        self.params["b2"] = np.zeros(hidden_size2)
        self.params["W3"] = weight_init_std * np.random.randn(hidden_size2, output_size)
        self.params["b3"] = np.zeros(output_size)

    def predict(self, x):
        W1, W2, W3 = self.params["W1"], self.params["W2"], self.params["W3"]
        b1, b2, b3 = self.params["b1"], self.params["b2"], self.params["b3"]
        z1 = sigmoid(np.dot(x, W1) + b1)
        z2 = sigmoid(np.dot(z1, W2) + b2)
        return softmax(np.dot(z2, W3) + b3)

    def loss(self, x, t):
        return cross_entropy_error(self.predict(x), t)

    def gradient(self, x, t):
        W1, W2, W3 = self.params["W1"], self.params["W2"], self.params["W3"]
        b1, b2, b3 = self.params["b1"], self.params["b2"], self.params["b3"]
        grads = {}
        batch_num = x.shape[0]
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        z2 = sigmoid(a2)
        a3 = np.dot(z2, W3) + b3
        y = softmax(a3)

        dy = (y - t) / batch_num
        grads["W3"] = np.dot(z2.T, dy)
        grads["b3"] = np.sum(dy, axis=0)
        da2 = np.dot(dy, W3.T)
        dz2 = sigmoid_grad(a2) * da2
        grads["W2"] = np.dot(z1.T, dz2)
        grads["b2"] = np.sum(dz2, axis=0)
        da1 = np.dot({GRAD}, W2.T)
        dz1 = sigmoid_grad(a1) * da1
        grads["W1"] = np.dot(x.T, dz1)
        grads["b1"] = np.sum(dz1, axis=0)
        return grads


class _LayeredThreeLayerNet(MultiLayerNet):'''


def seed000_net(grad="da2"):
    """The edit that replaces ThreeLayerNet by seed 000's hand-written net (``grad``: da2 = the
    seed's fault, dz2 = the book)."""
    return (Edit("three_layer_net.py", "class ThreeLayerNet(MultiLayerNet):", _SEED000.replace("{GRAD}", grad)),)


_BN_GRADS = '''            if self.use_batchnorm and idx != self.hidden_layer_num + 1:
                grads[f"gamma{idx}"] = self.layers[f"BatchNorm{idx}"].dgamma
                grads[f"beta{idx}"] = self.layers[f"BatchNorm{idx}"].dbeta
'''

FAULTS = (
    # --- layers ----------------------------------------------------------------------------------
    Fault("affine-db-mean", "Affine", "common", "db averaged over the batch instead of summed",
          (Edit("layers.py", "self.dW = np.dot(self.x.T, dout)\n        self.db = np.sum(dout, axis=0)",
                "self.dW = np.dot(self.x.T, dout)\n        self.db = np.mean(dout, axis=0)"),)),
    Fault("relu-grad-at-zero", "Relu", "book (relu_grad)", "gradient 1 at exactly x = 0 (mask x < 0)",
          (Edit("layers.py", "self.mask = (x <= 0)", "self.mask = (x < 0)"),)),
    Fault("sigmoid-layer-backward", "Sigmoid", "common", "backward drops the factor out: dout * (1 - out)",
          (Edit("layers.py", "return dout * (1.0 - self.out) * self.out", "return dout * (1.0 - self.out)"),)),
    Fault("tanh-backward", "Tanh", "common", "backward dout * (1 - out)^2 instead of dout * (1 - out^2)",
          (Edit("layers.py", "return dout * (1.0 - self.out ** 2)", "return dout * (1.0 - self.out) ** 2"),)),
    Fault("softmaxwithloss-not-averaged", "SoftmaxWithLoss", "common", "one-hot backward not divided by N",
          (Edit("layers.py", "dx = (self.y - self.t) / batch_size", "dx = (self.y - self.t)"),)),
    Fault("dropout-inverted", "Dropout-train", "framework default", "inverted dropout (scale at training)",
          _variant("dropout-inverted"), diagnosis="torch and keras and jax default"),
    Fault("bn-eps-1e-5", "BatchNormalization-train", "framework default", "batch-norm eps 1e-5",
          _variant("bn-eps-1e-5"), diagnosis="torch and jax default"),
    Fault("bn-momentum-swapped", "BatchNormalization-train", "framework default",
          "running averages weighted the torch way round", _variant("bn-momentum-swapped"), diagnosis="torch default"),
    Fault("bn-unbiased-running-var", "BatchNormalization-train", "framework default",
          "running variance from the unbiased batch variance", _variant("bn-unbiased-var"), diagnosis="torch default"),
    Fault("bn-backward-no-mean-term", "BatchNormalization-train", "common", "dx without the -dmu/N term",
          (Edit("layers.py", "dx = dxc - dmu / self.batch_size", "dx = dxc"),)),
    Fault("conv-dW-layout", "Convolution", "common", "dW reshaped without the transpose (wrong layout)",
          (Edit("layers.py", "np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)",
                "np.dot(self.col.T, dout).reshape(FN, C, FH, FW)"),)),
    Fault("pooling-argmin", "Pooling", "common", "backward routes the gradient to the window's minimum",
          (Edit("layers.py", "arg_max = np.argmax(col, axis=1)", "arg_max = np.argmin(col, axis=1)"),)),
    Fault("mul-dy", "MulLayer", "common", "dy = dout * y (the inputs not swapped)",
          (Edit("layers.py", "dy = dout * self.x", "dy = dout * self.y"),)),
    # --- functions -------------------------------------------------------------------------------
    Fault("softmax-whole-batch", "softmax", "seed 001", "softmax normalized over the whole batch (no axis)",
          (Edit("functions.py", "return e / np.sum(e, axis=-1, keepdims=True)", "return e / np.sum(e)"),)),
    Fault("ce-delta-1e-4", "cross_entropy_error", "seed 001", "CEE with delta=1e-4 inside the log",
          (Edit("functions.py", "delta = np.asarray(1e-7, dtype=y.dtype)", "delta = np.asarray(1e-4, dtype=y.dtype)"),)),
    Fault("ce-no-delta", "cross_entropy_error", "framework default", "cross-entropy without the 1e-7",
          _variant("ce-no-delta"), diagnosis="torch and jax default"),
    Fault("sigmoid-grad", "sigmoid", "common", "sigmoid_grad = 1 - y (factor y missing)",
          (Edit("functions.py", "return (1.0 - y) * y", "return (1.0 - y)"),)),
    Fault("sse-no-half", "sum_squared_error", "common", "sum of squares without the 0.5",
          (Edit("functions.py", "return 0.5 * np.sum((y - t) ** 2)", "return np.sum((y - t) ** 2)"),)),
    # --- optimizers ------------------------------------------------------------------------------
    Fault("momentum-sign", "Momentum", "common", "v = m*v + lr*g (ascends)",
          (Edit("optimizer.py", "self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]",
                "self.v[key] = self.momentum * self.v[key] + self.lr * grads[key]"),)),
    Fault("nesterov-v-first", "Nesterov", "book (first printing)", "v updated before the parameter step",
          _variant("nesterov-v-first")),
    Fault("adagrad-eps-inside", "AdaGrad", "framework default", "epsilon inside the sqrt (Keras' form)",
          _variant("adagrad-eps-inside"), diagnosis="keras and jax default"),
    Fault("rmsprop-decay-swapped", "RMSprop", "common", "h = (1-d)*h + d*g*g (weights swapped)",
          (Edit("optimizer.py", "self.h[key] *= self.decay_rate\n            self.h[key] += (1 - self.decay_rate)",
                "self.h[key] *= 1 - self.decay_rate\n            self.h[key] += self.decay_rate"),)),
    Fault("adam-no-bias-correction", "Adam", "common", "lr_t = lr (bias correction forgotten)",
          (Edit("optimizer.py", "lr_t = self.lr * math.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)",
                "lr_t = self.lr"),)),
    Fault("adam-torch-eps", "Adam", "framework default", "eps 1e-8 on the bias-corrected sqrt(v_hat)",
          _variant("adam-eps-torch"), diagnosis="torch and jax default"),
    # --- nets (the seeds' own mistakes) ----------------------------------------------------------
    Fault("seed000-da2", "ThreeLayerNet", "seed 000",
          "backprop to layer 1 from da2 (before layer 2's sigmoid) instead of dz2", seed000_net("da2"),
          localized="W1"),
    Fault("seed004-bn-grads-not-collected", "MultiLayerNetExtend", "seed 004",
          "gradient() does not return dgamma / dbeta", (Edit("multi_layer_net_extend.py", _BN_GRADS, ""),),
          localized="gamma3"),
    Fault("seed004-decay-not-in-gradient", "MultiLayerNet", "seed 004",
          "weight decay in the loss, not in the gradient",
          (Edit("multi_layer_net.py", 'grads[f"W{idx}"] = affine.dW + self.weight_decay_lambda * affine.W',
                'grads[f"W{idx}"] = affine.dW'),), localized="W3"),
    Fault("seed004-predict-always-training", "MultiLayerNetExtend", "seed 004",
          "predict calls BatchNorm / Dropout forward without train_flg: batch statistics at test time",
          (Edit("multi_layer_net_extend.py", "x = layer.forward(x, train_flg)", "x = layer.forward(x)"),)),
    # --- convolutional nets (the book's chapters 7 and 8) ------------------------------------------
    Fault("simpleconvnet-dW-transposed", "SimpleConvNet", "common", "the filter gradient reshaped without the transpose",
          (Edit("layers.py", "np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)",
                "np.dot(self.col.T, dout).reshape(FN, C, FH, FW)"),), localized="W1"),
    Fault("simpleconvnet-pooling-spread", "SimpleConvNet", "common",
          "max-pooling backward spreads dout over the window instead of routing it to the maximum",
          (Edit("layers.py", "dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()",
                "dmax[...] = dout.reshape(-1, 1) / pool_size"),), localized="W1"),
    Fault("deepconvnet-col2im-drops-overlaps", "DeepConvNet", "common",
          "col2im assigns each window instead of adding: overlapping 3x3 windows lose gradient",
          (Edit("util.py", "img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]",
                "img[:, :, y:y_max:stride, x:x_max:stride] = col[:, :, y, x, :, :]"),), localized="W5"),
    Fault("conv-output-size-pad-once", "Convolution", "common", "conv_output_size adds pad once, not on both sides",
          (Edit("util.py", "return (input_size + 2 * pad - filter_size) // stride + 1",
                "return (input_size + pad - filter_size) // stride + 1"),), status="error"),
    Fault("seed004-decay-first-3-weights", "MultiLayerNetExtend", "seed 004",
          "weight decay summed over W1..W3 only (range(1, 4)) in a 4-layer net",
          (Edit("multi_layer_net.py", "for idx in range(1, self.hidden_layer_num + 2):\n            decay +=",
                "for idx in range(1, 4):\n            decay +="),), localized="W4"),
)


def get(fault_id):
    for f in FAULTS:
        if f.id == fault_id:
            return f
    raise ValueError(f"no planted fault {fault_id!r}; known: {[f.id for f in FAULTS]}")
