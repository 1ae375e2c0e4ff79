"""The pytest plugin shipped with scratch-parity (entry point ``pytest11``: ``parity.testing.plugin``).

From any project, once scratch-parity is installed::

    pytest --impl ./common                   # the whole parity suite on the book-style folder ./common
    pytest --impl lesson.ipynb -k Affine -x  # a notebook, a selection; -n 4 (xdist) works too
    pytest --impl ./common --parity-report parity-report/   # and the op-level report
    pytest --parity --impl ./common tests/   # the parity suite and the project's own tests

Options: ``--impl PATH`` (the implementation: a folder, notebook, script or dotted module; default
the shipped reference), ``--device cpu|cuda``, ``--parity-report DIR``, ``--parity`` (collect the
parity suite besides the paths given). The suite (``parity.testing.suite``) is collected instead of
the current directory when ``--impl`` is given and no path is named (and no ``testpaths`` are
configured), or with ``--parity``. Its ids and known-difference xfails are those of the
scratch-parity repository: ``test_layer_matches[Affine-torch-float64-dx]``.

Fixtures: ``impl_spec`` (what ``--impl`` named), ``impl`` (it, loaded), ``device``,
``need_framework`` (``need_framework("torch")`` skips unless torch runs here) and ``framework``
(each framework plug-in in turn, skipped with the reason where it cannot run).

Settings: determinism on and TF32 off (``parity.numerics.configure``), once, at configure time,
when ``--impl``, ``--parity`` or ``--parity-report`` is given (this repository's tests/conftest.py
sets them for every run of its own suite); a pytest run that asks for none of them is left alone.
"""
from pathlib import Path

import pytest

SUITE = Path(__file__).parent / "suite"
REPORT_PLUGIN = "harness.report.pytest_plugin"  # --parity-report: needs scratch-parity[harness]
MARKERS = {"torch": "needs PyTorch", "keras": "needs Keras (any backend)", "jax": "needs JAX, Flax and optax"}


def pytest_addoption(parser):
    group = parser.getgroup("scratch-parity")
    group.addoption("--impl", default=None, metavar="PATH",
                    help="implementation of the book API under test: a folder holding a book-style package "
                         "(layers.py, functions.py, ...), a notebook, a script or a dotted module name "
                         "(default: the shipped reference); alone, it runs the parity suite")
    group.addoption("--device", default="cpu", choices=["cpu", "cuda"],
                    help="device for framework counterparts (cuda: torch only; skips without a GPU; default cpu)")
    group.addoption("--parity-report", default=None, metavar="DIR",
                    help="write the op-level parity report of this run to DIR")
    group.addoption("--parity", action="store_true",
                    help="collect the shipped parity suite besides the paths given")


def pytest_configure(config):
    if in_use(config):  # installed, the plugin loads in every pytest run: the others are left alone
        from parity import numerics

        numerics.configure(tf32=False)
    for name, what in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {what}")
    if config.getoption("--parity-report"):
        try:
            config.pluginmanager.import_plugin(REPORT_PLUGIN)
        except ImportError as e:
            raise pytest.UsageError(f"--parity-report needs the report writer: pip install "
                                    f"'scratch-parity[harness]' ({e})") from e
    if _collect_suite(config):
        named = list(config.args) if config.args_source == config.ArgsSource.ARGS else []
        config.args = [*named, str(SUITE)]
        config.args_source = config.ArgsSource.ARGS


def in_use(config):
    """The parity suite or report was asked for (--impl, --parity, --parity-report)."""
    return any(config.getoption(o) not in (None, False) for o in ("--impl", "--parity", "--parity-report"))


def _collect_suite(config):
    """--parity; or --impl with no path named and no testpaths (the user's project, not this repo)."""
    if config.getoption("--parity"):
        return True
    return config.getoption("--impl") is not None and config.args_source == config.ArgsSource.INVOCATION_DIR


@pytest.fixture(scope="session")
def impl_spec(request):
    """What --impl named (default: the shipped reference)."""
    return request.config.getoption("--impl") or "reference"


@pytest.fixture(scope="session")
def device(request):
    return request.config.getoption("--device")


@pytest.fixture(scope="session")
def impl(impl_spec):
    """The loaded implementation under test (``--impl``, default the shipped reference)."""
    from parity.impl import load_implementation

    return load_implementation(impl_spec)


@pytest.fixture
def need_framework(device):
    """A function: ``need_framework("torch")`` skips the test unless torch can run on ``device``."""
    from parity.testing import skip_unless_available

    return lambda framework: skip_unless_available(framework, device)


def _framework_params():
    from parity.frameworks import FRAMEWORKS
    from parity.testing import framework_param

    return [framework_param(f) for f in FRAMEWORKS]


@pytest.fixture(params=_framework_params())
def framework(request, device):
    """Each framework in turn; skipped with the reason when it cannot run here."""
    from parity.frameworks import device_for
    from parity.testing import skip_unless_available

    skip_unless_available(request.param, device_for(request.param, device))
    return request.param
