"""Every initializer row x framework x dtype: the framework's weights against the implementation's,
as distributions (mean, std, kurtosis, KS, dtype). Ids: ``init-he-torch-float32``."""
import pytest

from parity.frameworks import FRAMEWORKS, missing_reason
from parity.registry import initializers as rows
from parity.testing import FRAMEWORK_MARKS


def _cases():
    for row in rows.ROWS:
        for framework in FRAMEWORKS:
            for dtype in row.dtypes:
                yield pytest.param(row, framework, dtype, id=f"{row.name}-{framework}-{dtype}",
                                   marks=FRAMEWORK_MARKS[framework])


@pytest.mark.parametrize("row, framework, dtype", list(_cases()))
def test_book_configured_initializer_matches(row, framework, dtype, impl_spec, device):
    pytest.importorskip("scipy", reason="initializer checks use scipy.stats")
    from parity.runners import initializers as ci

    reason = missing_reason(framework, device if framework == "torch" else "cpu")
    if reason:
        pytest.skip(reason)
    records = ci.run(row, framework, dtype, impl=impl_spec, device=device if framework == "torch" else "cpu")
    assert len(records) == len(row.cases) * len(row.checks)
    failed = [r.message for r in records if not r.passed]
    assert not failed, "\n".join(failed)
