"""The seeds' three-layer net: input -> hidden1 -> hidden2 -> output, params W1..W3, b1..b3."""
import numpy as np

from reference._checks import check_args
from reference.multi_layer_net import MultiLayerNet


class ThreeLayerNet(MultiLayerNet):
    """784-100-50-10 (ReLU) or 784-50-50-10 (sigmoid) in the seeds."""

    def __init__(self, input_size, hidden_size1, hidden_size2, output_size, weight_init_std=0.01,
                 activation="relu", rng=None, dtype=np.float64):
        check_args("ThreeLayerNet", hidden_size1=hidden_size1, hidden_size2=hidden_size2)
        super().__init__(input_size, [hidden_size1, hidden_size2], output_size, activation=activation,
                         weight_init_std=weight_init_std, rng=rng, dtype=dtype)
