"""A pure-NumPy implementation of the API of *Deep Learning from Scratch*'s ``common`` package.

Drop-in: ``import reference as common`` and then ``from common.layers import Affine`` style code
works through ``reference.layers`` etc. This package imports NumPy only, never a framework.
"""
from reference import (functions, gradient, init, layers, multi_layer_net, multi_layer_net_extend,
                       optimizer, three_layer_net, trainer, two_layer_net, util)

__all__ = ["functions", "gradient", "init", "layers", "multi_layer_net", "multi_layer_net_extend",
           "optimizer", "three_layer_net", "trainer", "two_layer_net", "util"]
