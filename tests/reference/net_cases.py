"""Small nets and batches for the net-level gradient tests (the seeds' classes, tiny sizes)."""
import numpy as np

from reference.multi_layer_net import MultiLayerNet
from reference.multi_layer_net_extend import MultiLayerNetExtend
from reference.three_layer_net import ThreeLayerNet
from reference.two_layer_net import TwoLayerNet

N, D, C = 6, 5, 4


def batch(seed=0, dtype=np.float64, one_hot=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)).astype(dtype)
    labels = rng.integers(0, C, N)
    return x, (np.eye(C, dtype=dtype)[labels] if one_hot else labels)


NETS = {
    "TwoLayerNet-relu": lambda dtype: TwoLayerNet(D, 7, C, weight_init_std=0.5, rng=np.random.default_rng(1), dtype=dtype),
    "TwoLayerNet-sigmoid": lambda dtype: TwoLayerNet(D, 7, C, weight_init_std=0.5, activation="sigmoid",
                                                     rng=np.random.default_rng(1), dtype=dtype),
    "ThreeLayerNet-tanh": lambda dtype: ThreeLayerNet(D, 6, 5, C, weight_init_std=0.5, activation="tanh",
                                                      rng=np.random.default_rng(2), dtype=dtype),
    "ThreeLayerNet-relu": lambda dtype: ThreeLayerNet(D, 6, 5, C, weight_init_std=0.5,
                                                      rng=np.random.default_rng(2), dtype=dtype),
    "MultiLayerNet-weight-decay": lambda dtype: MultiLayerNet(D, [6, 5, 4], C, weight_decay_lambda=0.1,
                                                              rng=np.random.default_rng(4), dtype=dtype),
    "MultiLayerNetExtend-batchnorm": lambda dtype: MultiLayerNetExtend(D, [6, 5], C, use_batchnorm=True,
                                                                       weight_decay_lambda=0.05,
                                                                       rng=np.random.default_rng(4), dtype=dtype),
    "MultiLayerNetExtend-batchnorm-sigmoid": lambda dtype: MultiLayerNetExtend(
        D, [6], C, activation="sigmoid", use_batchnorm=True, rng=np.random.default_rng(5), dtype=dtype),
}
