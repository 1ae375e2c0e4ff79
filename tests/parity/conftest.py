"""Fixtures shared by the parity tests: the implementation under test and framework skips.

- ``impl``: the implementation named by ``--impl`` (``parity.impl.load_implementation``), loaded once.
- ``need_framework(name)``: skips the test with the reason when ``name`` cannot run here
  (not installed, Keras backend missing, cuda requested without a GPU).
- ``framework``: parametrized over ("torch", "keras"), each already checked by ``need_framework``
  and marked with the framework's marker.
"""
import pytest

from parity.frameworks import FRAMEWORKS, device_for, missing_reason
from parity.impl import load_implementation

FRAMEWORK_MARKS = {"torch": pytest.mark.torch, "keras": pytest.mark.keras}


def skip_unless_available(framework, device="cpu"):
    """pytest.skip with the reason when ``framework`` cannot run on ``device`` here."""
    reason = missing_reason(framework, device)
    if reason:
        pytest.skip(reason)


def framework_param(framework):
    """``pytest.param(framework)`` with the framework's marker (for parametrize lists)."""
    return pytest.param(framework, marks=FRAMEWORK_MARKS[framework], id=framework)


@pytest.fixture(scope="session")
def impl(impl_spec):
    """The loaded implementation under test (``--impl``, default the shipped reference)."""
    return load_implementation(impl_spec)


@pytest.fixture
def need_framework(device):
    """A function: ``need_framework("torch")`` skips the test unless torch can run on ``device``."""
    return lambda framework: skip_unless_available(framework, device)


@pytest.fixture(params=[framework_param(f) for f in FRAMEWORKS])
def framework(request, device):
    """Each framework in turn; skipped with the reason when it cannot run here."""
    skip_unless_available(request.param, device_for(request.param, device))
    return request.param
