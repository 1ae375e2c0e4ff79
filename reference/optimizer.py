"""Optimizers of the book's ``common/optimizer.py``.

Each has ``update(params, grads)``: both dicts of arrays under the same keys; the arrays in
``params`` are changed in place. State (v, h, m) starts empty and is created as zeros of each
parameter's shape and dtype at the first update.
"""
import math

import numpy as np

from reference._checks import check_args, check_update


class SGD:
    """W -= lr * g."""

    def __init__(self, lr=0.01):
        check_args("SGD", lr=lr)
        self.lr = lr

    def update(self, params, grads):
        check_update("SGD", params, grads)
        for key in params.keys():
            params[key] -= self.lr * grads[key]


class Momentum:
    """v = momentum * v - lr * g;  W += v."""

    def __init__(self, lr=0.01, momentum=0.9):
        check_args("Momentum", lr=lr, momentum=momentum)
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        check_update("Momentum", params, grads, self.v)
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class Nesterov:
    """Nesterov's accelerated gradient, in the book's corrected ordering.

    W += momentum^2 * v - (1 + momentum) * lr * g, then v = momentum * v - lr * g. With v = -b/lr
    this is PyTorch's SGD(nesterov=True) exactly (b = momentum * b + g; W -= lr * (g + momentum * b)).
    """

    def __init__(self, lr=0.01, momentum=0.9):
        check_args("Nesterov", lr=lr, momentum=momentum)
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        check_update("Nesterov", params, grads, self.v)
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            params[key] += self.momentum * self.momentum * self.v[key]
            params[key] -= (1 + self.momentum) * self.lr * grads[key]
            self.v[key] *= self.momentum
            self.v[key] -= self.lr * grads[key]


class AdaGrad:
    """h += g * g;  W -= lr * g / (sqrt(h) + 1e-7)."""

    def __init__(self, lr=0.01):
        check_args("AdaGrad", lr=lr)
        self.lr = lr
        self.h = None

    def update(self, params, grads):
        check_update("AdaGrad", params, grads, self.h)
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class RMSprop:
    """h = decay_rate * h + (1 - decay_rate) * g * g;  W -= lr * g / (sqrt(h) + 1e-7)."""

    def __init__(self, lr=0.01, decay_rate=0.99):
        check_args("RMSprop", lr=lr, decay_rate=decay_rate)
        self.lr = lr
        self.decay_rate = decay_rate
        self.h = None

    def update(self, params, grads):
        check_update("RMSprop", params, grads, self.h)
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class Adam:
    """Adam with the bias correction folded into the step size (Kingma & Ba, section 2).

    t += 1;  lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t);
    m += (1 - beta1) * (g - m);  v += (1 - beta2) * (g^2 - v);  W -= lr_t * m / (sqrt(v) + 1e-7).
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        check_args("Adam", lr=lr, beta1=beta1, beta2=beta2)
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.iter = 0
        self.m = None
        self.v = None

    def update(self, params, grads):
        check_update("Adam", params, grads, self.m)
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.iter += 1
        # NOTE: math.sqrt keeps lr_t a Python float, which NumPy applies in the parameters' dtype;
        # the book's np.sqrt makes it a float64 scalar that would promote float32 arithmetic.
        lr_t = self.lr * math.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)
