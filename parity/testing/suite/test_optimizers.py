"""Every optimizer row x framework x dtype x check: parameters and the book's state (v, h, m) after
each of 24 given gradients, and the dtypes the framework's optimizer holds. Ids:
``Adam-torch-float64-params``. Known differences (Keras' epsilon inside the sqrt, Keras' decoupled
weight decay) are strict xfails."""
import pytest

from parity.frameworks import FRAMEWORKS, device_for
from parity.registry import optimizers
from parity.testing import assert_check, check_params, records_for, skip_unless_available


@pytest.mark.parametrize("row, framework, dtype, check", check_params(optimizers.ROWS, FRAMEWORKS))
def test_optimizer_matches(row, framework, dtype, check, impl, device):
    skip_unless_available(framework, device_for(framework, device))
    assert_check(records_for(row, framework, dtype, impl, device), row, framework, dtype, check)
