"""Fixtures shared by the parity tests: the implementation under test and framework skips.

- ``impl``: the implementation named by ``--impl`` (``parity.impl.load_implementation``), loaded once.
- ``need_framework(name)``: skips the test with the reason when ``name`` cannot run here
  (not installed, Keras backend missing, cuda requested without a GPU).
- ``framework``: parametrized over the framework plug-ins (torch, keras, jax), each already
  checked by ``need_framework`` and marked with the framework's marker.
"""
import pytest

from parity.frameworks import FRAMEWORKS, device_for, missing_reason
from parity.impl import load_implementation

FRAMEWORK_MARKS = {name: getattr(pytest.mark, name) for name in FRAMEWORKS}  # markers: pyproject.toml


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


# --- component checks: one runner call per (row, framework, dtype), shared by the check tests

def records_for(row, framework, dtype, impl, device):
    """The row's runner (``parity.runners.<kind>s.run``) for (row, framework, dtype), computed once
    per session (``parity.api.cached_records``; ``--parity-report`` reads the same cache)."""
    from parity.api import cached_records

    return cached_records(row, framework, dtype, impl, device)


def check_params(rows, frameworks, with_numerical=False):
    """pytest params (row, framework, dtype, check) with ids like ``Affine-torch-float64-dx``.

    A known difference of the row (``Component.known``) for this framework (and, for Keras, the
    backend this process runs) is marked xfail(strict=True) with its reason: a framework that
    starts to agree turns the test red, so the entry gets removed.
    """
    from parity.backends.plugin import label as plugin_label
    from parity.runners.runner import GRADIENT_CHECKS_NUMERICAL

    params = []
    for row in rows:
        fws = list(frameworks)
        if with_numerical and row.config.get("protocol") in ("layer", "batchnorm"):
            fws.append("numerical")
        for fw in fws:
            label = plugin_label(fw) if fw in FRAMEWORKS else fw
            for dtype in row.dtypes:
                if fw == "numerical" and dtype != "float64":
                    continue
                for check in row.checks:
                    if fw == "numerical" and check not in GRADIENT_CHECKS_NUMERICAL:
                        continue
                    marks = [FRAMEWORK_MARKS[fw]] if fw in FRAMEWORK_MARKS else []
                    reason = row.known_reason(label, dtype, check)
                    if reason:
                        marks.append(pytest.mark.xfail(strict=True, reason=f"known difference: {reason}"))
                    params.append(pytest.param(row, fw, dtype, check, marks=marks,
                                               id=f"{row.name}-{fw}-{dtype}-{check}"))
    return params


def assert_check(records, row, framework, dtype, check):
    """Every case of ``check`` passed; skips (framework missing, component missing) skip the test."""
    mine = [r for r in records if r.check == check]
    assert mine, f"{row.name}-{framework}-{dtype}-{check}: the runner produced no record"
    skipped = [r for r in mine if r.status in ("skipped", "missing")]
    if len(skipped) == len(mine):
        pytest.skip(skipped[0].message)
    bad = [r for r in mine if r.status not in ("pass", "skipped")]
    assert not bad, "\n".join(r.message for r in bad)
