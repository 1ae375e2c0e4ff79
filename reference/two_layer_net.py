"""The seeds' two-layer net: input -> hidden -> output, params W1, b1, W2, b2."""
import numpy as np

from reference._checks import check_args
from reference.multi_layer_net import MultiLayerNet


class TwoLayerNet(MultiLayerNet):
    """784-50-10 in the seeds: W = weight_init_std * randn, biases zero, softmax + cross-entropy."""

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01,
                 activation="relu", rng=None, dtype=np.float64):
        check_args("TwoLayerNet", hidden_size=hidden_size)
        super().__init__(input_size, [hidden_size], output_size, activation=activation,
                         weight_init_std=weight_init_std, rng=rng, dtype=dtype)
