"""Bad input raises ValueError naming the layer and the shapes or values it saw."""
import numpy as np
import pytest

from reference.functions import cross_entropy_error
from reference.layers import Affine, BatchNormalization, Convolution, Pooling, SoftmaxWithLoss


def test_affine_shape_mismatch():
    layer = Affine(np.zeros((4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"Affine.*\(5, 6\).*\(4, 3\)"):
        layer.forward(np.zeros((5, 6)))
    with pytest.raises(ValueError, match=r"Affine.*\(2, 12\).*\(4, 3\)"):  # 4-D input, flattened
        layer.forward(np.zeros((2, 3, 2, 2)))


@pytest.mark.parametrize("shape", [(2, 5, 5), (1, 3, 5, 5), (1, 1, 2, 5, 5)], ids=["3-D", "3-channels", "5-D"])
def test_convolution_wrong_rank_or_channels(shape):
    layer = Convolution(np.zeros((3, 2, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"Convolution.*\(N, 2, H, W\).*\(3, 2, 3, 3\).*" + str(shape).replace("(", r"\(").replace(")", r"\)")):
        layer.forward(np.zeros(shape))


def test_convolution_filter_larger_than_input():
    with pytest.raises(ValueError, match=r"Convolution.*\(1, 1, 5, 5\).*\(1, 1, 3, 3\)"):
        Convolution(np.zeros((1, 1, 5, 5)), np.zeros(1)).forward(np.zeros((1, 1, 3, 3)))


def test_pooling_3d_input():
    with pytest.raises(ValueError, match=r"Pooling.*4-D.*\(2, 4, 4\)"):
        Pooling(2, 2).forward(np.zeros((2, 4, 4)))


def test_batchnorm_3d_input():
    layer = BatchNormalization(np.ones(12), np.zeros(12))
    with pytest.raises(ValueError, match=r"BatchNormalization.*\(2, 3, 4\)"):
        layer.forward(np.zeros((2, 3, 4)))


@pytest.mark.parametrize("labels, values", [([0, 1, 7, 2], "max 7"), ([0, -1, 2, 2], "min -1")],
                         ids=["too-large", "negative"])
def test_labels_out_of_range(labels, values):
    x = np.zeros((4, 5))
    with pytest.raises(ValueError, match=r"SoftmaxWithLoss: labels must lie in \[0, 5\).*" + values):
        SoftmaxWithLoss().forward(x, np.array(labels))
    with pytest.raises(ValueError, match=r"cross_entropy_error: labels must lie in \[0, 5\).*" + values):
        cross_entropy_error(np.full((4, 5), 0.2), np.array(labels))


def test_nan_in_inputs():
    x = np.zeros((4, 5))
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"SoftmaxWithLoss: x of shape \(4, 5\).*non-finite.*nan.*at index \(1, 2\)"):
        SoftmaxWithLoss().forward(x, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"cross_entropy_error: y of shape \(4, 5\).*non-finite.*nan.*at index \(1, 2\)"):
        cross_entropy_error(x, np.array([0, 1, 2, 3]))


def test_label_count_mismatch():
    with pytest.raises(ValueError, match=r"SoftmaxWithLoss: labels t have shape \(3,\), expected \(4,\)"):
        SoftmaxWithLoss().forward(np.zeros((4, 5)), np.array([0, 1, 2]))
