"""Results as data: every check produces one Record; a list of them becomes a pandas DataFrame.

Fields (the report and ``python -m parity check`` read these):
component, kind, framework ("reference" for checks without a framework), backend (keras backend,
"" otherwise), device, dtype, check (forward, dx, dW, db, dgamma, dbeta, running_mean,
running_var, eval_forward, step_k/param, state_k/...), case (input case id), passed, max_abs_err,
max_rel_err, rtol, atol, n_mismatch, n_total, worst_index, message, err_vs_float64 (float32 only:
framework's error against the float64 reference), ref_rounding (float32 reference vs float64
reference: the size of plain float32 rounding), impl, seed, versions (JSON string), provenance (where the implementation's component is defined:
"layers.py:88"), dtype_finding (where the values agree but a dtype does not: which side returned
which dtype), known_id (the table row of a known difference, ``parity.catalogue``), limit (where the case is one the book's own code cannot run: why), status:

- "pass"; "fail"; "known": a failure listed in the row's ``known`` differences (reason in the
  message); "dtype": the values agree after casting, the dtype does not (a finding, failing only
  under ``strict_dtype``); "limit": the implementation raised on a case the book's own code cannot
  run either (the row's ``book_limits``), a note, not a failure;
- "error": the implementation raised, or its file did not import; "outside": the component, or
  book code its module imports, comes from outside the implementation (not the user's code);
- "missing": the implementation lacks it; "skipped": not applicable or the framework is absent.
"""
from dataclasses import asdict, dataclass
import json


@dataclass
class Record:
    component: str
    kind: str
    framework: str
    dtype: str
    check: str
    passed: bool
    case: str = "default"
    backend: str = ""
    device: str = "cpu"
    max_abs_err: float = 0.0
    max_rel_err: float = 0.0
    rtol: float = 0.0
    atol: float = 0.0
    n_mismatch: int = 0
    n_total: int = 0
    worst_index: str = ""
    message: str = ""
    err_vs_float64: float = float("nan")
    ref_rounding: float = float("nan")
    impl: str = "reference"
    seed: int = 0
    status: str = ""
    versions: str = ""
    provenance: str = ""
    dtype_finding: str = ""
    limit: str = ""
    known_id: str = ""

    def __post_init__(self):
        if not self.status:
            self.status = "pass" if self.passed else "fail"

    @classmethod
    def from_comparison(cls, comparison, **fields):
        """A record from a ``parity.compare.Comparison`` plus the identifying fields. A dtype
        mismatch whose values agree gets status "dtype"."""
        if comparison.reason == "dtype" and comparison.values_agree:
            fields.setdefault("status", "dtype")
        return cls(
            passed=comparison.passed,
            max_abs_err=comparison.max_abs_err,
            max_rel_err=comparison.max_rel_err,
            rtol=comparison.rtol,
            atol=comparison.atol,
            n_mismatch=comparison.n_mismatch,
            n_total=comparison.n_total,
            worst_index=str(comparison.worst_index),
            message=comparison.message(),
            **fields,
        )

    @property
    def label(self):
        """The framework as tables name it: ``torch``, ``keras[tensorflow]``."""
        from parity.backends.plugin import label

        return label(self.framework, self.backend)

    @property
    def test_id(self):
        """The pytest-style id: ``Affine-torch-float64-dx``."""
        return f"{self.component}-{self.label}-{self.dtype}-{self.check}"


def versions(framework=None):
    """Versions of what produced a framework's records (``parity.backends.plugin.versions``)."""
    from parity.backends.plugin import names, versions as plugin_versions

    if framework in names():
        return plugin_versions(framework)
    out = plugin_versions()  # the implementation's own checks (numerical, analytic): Python and NumPy
    return {k: out[k] for k in ("python", "numpy")}


def to_dataframe(records):
    """A pandas DataFrame with one row per record (columns in the Record field order)."""
    import pandas as pd

    rows = [asdict(r) for r in records]
    columns = list(Record.__dataclass_fields__)
    return pd.DataFrame(rows, columns=columns)


def to_json(records, path):
    with open(path, "w") as f:
        json.dump([asdict(r) for r in records], f, indent=1, default=str)
