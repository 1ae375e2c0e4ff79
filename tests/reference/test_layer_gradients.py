"""Every layer's backward (dx and its parameter gradients) against central differences, float64."""
import numpy as np
import pytest

from tests.reference.gradcheck import assert_gradients_match
from tests.reference.layer_cases import LAYER_CASES


@pytest.mark.parametrize("name", sorted(LAYER_CASES), ids=lambda name: f"{name}-float64-backward")
def test_backward_matches_numerical_gradient(name):
    arrays, loss, analytic = LAYER_CASES[name](np.random.default_rng(0))
    assert_gradients_match(loss, arrays, analytic, label=name)
