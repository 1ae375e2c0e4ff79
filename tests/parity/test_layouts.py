"""The layout matrix (``parity.layouts``, rows in ``parity.registry.layouts``): every convolution
and max-pooling case x each data format a framework plug-in's layers take (``Plugin.layouts``) x
dtype x check, the framework's own padding argument against the book's layer with the matching
pad. Ids: ``Conv-keras-channels_first-same-s2-even-float64-forward``. A known difference or
refusal of the table xfails strictly (a framework that starts to agree turns it red)."""
import pytest

from parity.backends import plugin
from parity.frameworks import FRAMEWORKS, device_for
from parity.registry import layouts
from parity.testing import check_param
from tests.parity.conftest import assert_check, records_for, skip_unless_available


def _params():
    params = []
    for row in layouts.ROWS:
        fmt, op, case = row.config["data_format"], row.config["op"], row.config["layout"]
        for fw in FRAMEWORKS:
            if fmt not in plugin.get(fw).layouts:
                continue
            label = plugin.label(fw)
            for dtype in row.dtypes:
                for check in row.checks:
                    params.append(check_param(row, fw, label, dtype, check, f"{op}-{fw}-{fmt}-{case}-{dtype}-{check}"))
    return params


@pytest.mark.parametrize("row, framework, dtype, check", _params())
def test_layout_matches(row, framework, dtype, check, impl, device):
    skip_unless_available(framework, device_for(framework, device))
    assert_check(records_for(row, framework, dtype, impl, device), row, framework, dtype, check)


def test_every_plugin_layout_has_its_builders():
    """A plug-in that declares a data format has both builders for it (else its rows would be
    silently uncovered)."""
    import importlib.util

    for p in plugin.plugins():
        if p.missing_reason() or any(importlib.util.find_spec(m) is None for m in p.requires):
            continue
        module = p.module("layer")
        for fmt in p.layouts:
            for op in ("convolution", "pooling"):
                assert callable(getattr(module, f"{op}_{fmt}", None)), f"{p.name}: no {op}_{fmt}"


def test_same_padding_symmetry_as_the_table_says():
    """'same' is symmetric exactly where the total pad is even: 5x5/3x3 s1 (2) and 7x7/3x3 s2 (2),
    uneven for 6x6/3x3 s2 (1) and 5x5/4x4 s1 (3)."""
    from parity.layouts import get

    assert get("same-s1-odd", "Conv").total_pad() == (2, 2) and get("same-s1-odd", "Conv").symmetric
    assert get("same-s2-odd", "Conv").total_pad() == (2, 2) and get("same-s2-odd", "Conv").book_pad == 1
    assert get("same-s2-even", "Conv").total_pad() == (1, 1) and not get("same-s2-even", "Conv").symmetric
    assert get("same-s1-k4-nobias", "Conv").total_pad() == (3, 3)
