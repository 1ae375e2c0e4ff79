"""The numerical-gradient row: the implementation's ``numerical_gradient`` against closed-form
derivatives, every case and check (ids like ``numerical_gradient-analytic-float64-grad``)."""
import pytest

from parity.registry import COMPONENTS
from parity.testing import assert_check, records_for

ROWS = [r for r in COMPONENTS if r.kind == "gradient"]
PARAMS = [pytest.param(row, fw, dtype, check, id=f"{row.name}-{fw}-{dtype}-{check}")
          for row in ROWS for fw in row.config["frameworks"] for dtype in row.dtypes for check in row.checks]


@pytest.mark.parametrize("row, framework, dtype, check", PARAMS)
def test_numerical_gradient_matches_the_derivative(row, framework, dtype, check, impl, device):
    assert_check(records_for(row, framework, dtype, impl, device), row, framework, dtype, check)
