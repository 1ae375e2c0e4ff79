"""Every function row x framework x dtype x check: the shipped suite's test
(``parity.testing.suite.test_functions``), collected here with the same ids:
``test_function_matches[softmax-torch-float32-forward]``."""
from parity.testing.suite.test_functions import test_function_matches  # noqa: F401
