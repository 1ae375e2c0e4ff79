"""The work one child process does for ``parity.check.suite.check``: one registry row or one net.

The fork server imports this module once (``suite._preload``), so the numerics configuration
(``parity.numerics.configure``: deterministic algorithms, TF32 off; about a second) is done there
once and every child forked from it inherits it.
"""
from parity import numerics
from parity.api import run_records
from parity.check import netcheck, semantics

numerics.configure()


def _child_setup(variant_dir):
    semantics._DIR = variant_dir  # the parent's copies of the variants


def row_unit(impl, row_name, frameworks, dtypes, device, variant_dir=None):
    """Child: the row's records, and a semantics diagnosis where a check failed."""
    from parity.registry import get

    _child_setup(variant_dir)
    row = get(row_name)
    records = run_records(impl, frameworks, dtypes, [row_name], device)
    diagnosis = ""
    if any(r.status == "fail" for r in records):
        diagnosis = semantics.diagnose(impl, row) or ""
    return records, diagnosis


def net_unit(impl, name, frameworks, variant_dir=None):
    """Child: the net configuration's records, and the gradient localization where a gradient failed."""
    _child_setup(variant_dir)
    records = netcheck.run(impl, name, frameworks)
    localized = [r.message.rpartition("; ")[2] for r in records
                 if r.status == "fail" and "; first divergent" in r.message]
    return records, (localized[0] if localized else "")
