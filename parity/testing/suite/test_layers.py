"""Every layer row x framework (torch, keras, jax, and the implementation's own numerical gradient)
x dtype x check: forward, dx (dy), dW, db, dgamma, dbeta, running statistics, inference, dtype.
Ids: ``Affine-torch-float64-dx``. Each test asserts every input case of its check with the
comparison's message (count and share of mismatches, worst error and where)."""
import pytest

from parity.frameworks import FRAMEWORKS, device_for
from parity.registry import layers
from parity.testing import assert_check, check_params, records_for, skip_unless_available


@pytest.mark.parametrize("row, framework, dtype, check", check_params(layers.ROWS, FRAMEWORKS, with_numerical=True))
def test_layer_matches(row, framework, dtype, check, impl, device):
    if framework != "numerical":
        skip_unless_available(framework, device_for(framework, device))
    assert_check(records_for(row, framework, dtype, impl, device), row, framework, dtype, check)
