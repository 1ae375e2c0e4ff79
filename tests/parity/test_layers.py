"""Every layer row x framework x dtype x check: the shipped suite's test
(``parity.testing.suite.test_layers``, what ``pytest --impl PATH`` runs from any project),
collected here with the same ids: ``test_layer_matches[Affine-torch-float64-dx]``."""
from parity.testing.suite.test_layers import test_layer_matches  # noqa: F401
