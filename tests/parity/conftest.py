"""The parity tests' helpers live in the shipped package (``parity.testing``: ``check_params``,
``records_for``, ``assert_check``, ``FRAMEWORK_MARKS``, ``framework_param``,
``skip_unless_available``) and their fixtures in its plugin (``parity.testing.plugin``, loaded by
tests/conftest.py). Re-exported here for the tests that import them from this module."""
from parity.testing import (FRAMEWORK_MARKS, assert_check, check_params, framework_param,  # noqa: F401
                            records_for, skip_unless_available)
