"""The numerical-gradient row: the shipped suite's test (``parity.testing.suite.test_gradients``),
collected here with the same ids (``numerical_gradient-analytic-float64-grad``). Planted faults in
it are in ``test_check_real_code.py``."""
from parity.testing.suite.test_gradients import test_numerical_gradient_matches_the_derivative  # noqa: F401
