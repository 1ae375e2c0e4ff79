"""The parity suite as a library: what the tests of this repository and the shipped pytest plugin
(``parity.testing.plugin``) share, and the assertion for users' own tests.

- ``assert_matches(MyAffine, "Affine", framework="torch")``: one component against one framework
  (``parity.testing.assertion``); an AssertionError with the engine's mismatch messages and the
  semantics diagnosis ("matches torch default, not the book: ...").
- ``check_params(rows, frameworks)``: the suite's pytest params, ids ``Affine-torch-float64-dx``,
  known differences as strict xfails; ``records_for`` (one runner call per key and session) and
  ``assert_check`` (every case of one check passed).
- ``FRAMEWORK_MARKS``, ``framework_param``, ``skip_unless_available``: the framework markers and skips.

The component x framework x dtype tests themselves are the modules of ``parity.testing.suite``.
"""
import pytest

from parity.frameworks import FRAMEWORKS, missing_reason

from parity.testing.assertion import assert_matches

FRAMEWORK_MARKS = {name: getattr(pytest.mark, name) for name in FRAMEWORKS}  # registered by the plugin


def skip_unless_available(framework, device="cpu"):
    """pytest.skip with the reason when ``framework`` cannot run on ``device`` here."""
    reason = missing_reason(framework, device)
    if reason:
        pytest.skip(reason)


def framework_param(framework):
    """``pytest.param(framework)`` with the framework's marker (for parametrize lists)."""
    return pytest.param(framework, marks=FRAMEWORK_MARKS[framework], id=framework)


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
                    params.append(check_param(row, fw, label, dtype, check, f"{row.name}-{fw}-{dtype}-{check}"))
    return params


def check_param(row, fw, label, dtype, check, id):
    """``pytest.param(row, fw, dtype, check)`` with the framework's marker, and a strict xfail with
    its reason where (label, dtype, check) is one of the row's known differences."""
    marks = [FRAMEWORK_MARKS[fw]] if fw in FRAMEWORK_MARKS else []
    reason = row.known_reason(label, dtype, check)
    if reason:
        marks.append(pytest.mark.xfail(strict=True, reason=f"known difference: {reason}"))
    return pytest.param(row, fw, dtype, check, marks=marks, id=id)


def assert_check(records, row, framework, dtype, check):
    """Every case of ``check`` passed; skips (framework missing, component missing) skip the test."""
    mine = [r for r in records if r.check == check]
    assert mine, f"{row.name}-{framework}-{dtype}-{check}: the runner produced no record"
    skipped = [r for r in mine if r.status in ("skipped", "missing")]
    if len(skipped) == len(mine):
        pytest.skip(skipped[0].message)
    bad = [r for r in mine if r.status not in ("pass", "skipped")]
    assert not bad, "\n".join(r.message for r in bad)


__all__ = ["assert_matches", "check_params", "records_for", "assert_check", "FRAMEWORK_MARKS",
           "framework_param", "skip_unless_available"]
