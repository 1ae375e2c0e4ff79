"""Test-wide settings come from the shipped pytest plugin (``parity.testing.plugin``): numerics
(determinism on, TF32 off) and the options choosing the implementation under test (``--impl``),
the device (``--device``) and the parity report (``--parity-report``), and the fixtures ``impl``,
``impl_spec``, ``device``, ``need_framework`` and ``framework``. Installed, the plugin is loaded by
its ``pytest11`` entry point under the same name, and this line then does nothing."""
pytest_plugins = ["parity.testing.plugin"]
