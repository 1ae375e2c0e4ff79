"""The parity suite: every registry row x framework x dtype x check, as pytest tests.

Collected by the plugin (``pytest --impl PATH``) from any project, and by this repository's
tests/parity/ (which import these test functions). Modules: test_layers, test_functions,
test_optimizers, test_initializers, test_gradients.
"""
