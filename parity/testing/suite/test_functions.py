"""Every function row x framework x dtype x check (forward; dx where the book has a gradient
function). Ids: ``softmax-torch-float32-forward``."""
import pytest

from parity.frameworks import FRAMEWORKS, device_for
from parity.registry import functions
from parity.testing import assert_check, check_params, records_for, skip_unless_available


@pytest.mark.parametrize("row, framework, dtype, check", check_params(functions.ROWS, FRAMEWORKS))
def test_function_matches(row, framework, dtype, check, impl, device):
    skip_unless_available(framework, device_for(framework, device))
    assert_check(records_for(row, framework, dtype, impl, device), row, framework, dtype, check)
