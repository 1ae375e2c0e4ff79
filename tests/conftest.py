"""Test-wide settings: numerics (determinism on, TF32 off) are set here once, and the options that
choose the implementation under test, the device and the parity report are registered here."""
import pytest

from parity import numerics

pytest_plugins = ["harness.report.pytest_plugin"]  # --parity-report=DIR writes the op-level report


def pytest_addoption(parser):
    group = parser.getgroup("scratch-parity")
    group.addoption("--impl", default="reference",
                    help="implementation of the book API under test: a directory holding a "
                         "book-style package (layers.py, functions.py, ...) or a dotted module name")
    group.addoption("--device", default="cpu", choices=["cpu", "cuda"],
                    help="device for framework counterparts (cuda: torch only; skips without a GPU)")
    group.addoption("--parity-report", default=None, metavar="DIR",
                    help="write the op-level parity report of this run to DIR")


def pytest_configure(config):
    numerics.configure(tf32=False)


@pytest.fixture(scope="session")
def impl_spec(request):
    """What --impl named (default: the shipped reference)."""
    return request.config.getoption("--impl")


@pytest.fixture(scope="session")
def device(request):
    return request.config.getoption("--device")
