"""Test-wide settings: numerics (determinism on, TF32 off) for every run of this suite, here; the
options choosing the implementation under test (``--impl``), the device (``--device``) and the
parity report (``--parity-report``), and the fixtures ``impl``, ``impl_spec``, ``device``,
``need_framework`` and ``framework`` come from the shipped pytest plugin (``parity.testing.plugin``).
Installed, the plugin is loaded by its ``pytest11`` entry point under the same name, and the
``pytest_plugins`` line then does nothing."""
from parity import numerics

pytest_plugins = ["parity.testing.plugin"]


def pytest_configure(config):
    numerics.configure(tf32=False)  # for every run of this suite (the plugin does it only under --impl, ...)
