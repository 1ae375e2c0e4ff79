"""A pure-NumPy implementation of the API of *Deep Learning from Scratch*'s ``common`` package,
plus the convolutional nets of chapters 7 and 8 (``simple_convnet``, ``deep_convnet``).

Drop-in: ``import reference as common`` and then ``from common.layers import Affine`` style code
works through ``reference.layers`` etc. This package imports NumPy only, never a framework.
"""
from reference import (deep_convnet, functions, gradient, init, layers, multi_layer_net, multi_layer_net_extend,
                       optimizer, params_io, simple_convnet, three_layer_net, trainer, two_layer_net, util)

__all__ = ["deep_convnet", "functions", "gradient", "init", "layers", "multi_layer_net", "multi_layer_net_extend",
           "optimizer", "params_io", "simple_convnet", "three_layer_net", "trainer", "two_layer_net", "util"]
