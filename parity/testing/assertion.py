"""``assert_matches(MyAffine, "Affine", framework="torch")``: one component of the user's against
one framework, for the user's own tests.

The component is checked exactly as ``parity check`` checks it (the registry row's runner: every
input case and check, each dtype), read as a one-name namespace. Passing, known differences
(the row's catalogue of framework-vs-book differences), dtype findings and the book's own limits
are not failures; anything else raises AssertionError with the engine's messages (count and share
of mismatches, worst error and where) and, where the failure matches a framework's default rather
than the book, the semantics diagnosis. Where the framework cannot run here the test is skipped
(pytest) or a RuntimeError says why.
"""
NOT_FAILURES = ("pass", "known", "dtype", "limit", "skipped")
SHOWN = 8  # failing records quoted in the message; the rest are counted


def assert_matches(component, name, framework="torch", dtypes=("float64", "float32"), device="cpu"):
    """Raise AssertionError unless ``component`` computes what the registry row ``name`` checks
    against ``framework`` ("torch", "keras", "jax" or "numerical" for a layer's own numerical
    gradient). ``name``: a registry name (``parity.registry.names()``: "Affine", "softmax", "Adam",
    "Dropout-train") or a book name, meaning all its rows ("Dropout": Dropout-train and
    Dropout-test). Returns the records (``parity.records.Record``) when it passes."""
    from parity import numerics
    from parity.api import FRAMEWORK_CHOICES, _runner
    from parity.impl import load_implementation

    if not isinstance(name, str):
        raise TypeError(f"assert_matches: name must be a registry name such as 'Affine', got {name!r}")
    if framework not in FRAMEWORK_CHOICES:
        raise ValueError(f"assert_matches: unknown framework {framework!r}; choose from {FRAMEWORK_CHOICES}")
    dtypes = (dtypes,) if isinstance(dtypes, str) else tuple(dtypes)
    rows = rows_named(name)
    numerics.ensure_configured()
    impl = load_implementation({rows[0].reference.rpartition(".")[2]: component})
    records, failures = [], []
    for row in rows:
        run = _runner(row.kind)
        if run is None:
            raise ValueError(f"assert_matches: {row.name} has no runner (parity.runners.{row.kind}s)")
        mine = [r for dtype in dtypes if dtype in row.dtypes for r in run(row, framework, dtype, impl, device)]
        if not mine:
            raise ValueError(f"assert_matches: {row.name} is not checked in {dtypes}; its dtypes are {row.dtypes}")
        records += mine
        bad = [r for r in mine if r.status not in NOT_FAILURES]
        if bad:
            failures.append(failure_message(component, row, framework, bad, impl))
    if failures:
        raise AssertionError("\n".join(failures))
    if all(r.status == "skipped" for r in records):
        _skip(f"{name} vs {framework}: {records[0].message}")
    return records


def rows_named(name):
    """The registry rows ``name`` means: the row of that name, else every row checking the book
    name ``name`` ("Dropout"); a ValueError listing both kinds of name otherwise."""
    from parity.registry import COMPONENTS

    rows = [r for r in COMPONENTS if r.name == name] or [r for r in COMPONENTS if r.reference.rpartition(".")[2] == name]
    if not rows:
        raise ValueError(f"assert_matches: unknown component {name!r}; registry names: "
                         f"{sorted(r.name for r in COMPONENTS)}; book names: "
                         f"{sorted({r.reference.rpartition('.')[2] for r in COMPONENTS})}")
    return rows


def failure_message(component, row, framework, bad, impl):
    """The header, the first failing records' messages, and the diagnosis where there is one."""
    from parity.verify.semantics import diagnose

    what = getattr(component, "__qualname__", repr(component))
    lines = [f"{what} does not match {row.name} against {framework}: {len(bad)} check(s) failed"]
    lines += [f"  {r.component}-{r.label}-{r.dtype}-{r.check} [{r.case}] {r.status}: {r.message}" for r in bad[:SHOWN]]
    if len(bad) > SHOWN:
        lines.append(f"  ... and {len(bad) - SHOWN} more")
    try:
        diagnosis = diagnose(impl, row)
    except Exception as e:  # noqa: BLE001 -- the diagnosis is extra; its failure must not hide the mismatch
        diagnosis = f"(no diagnosis: {type(e).__name__}: {e})"
    if diagnosis:
        lines.append(f"diagnosis: {diagnosis}")
    return "\n".join(lines)


def _skip(reason):
    try:
        import pytest
    except ImportError:
        raise RuntimeError(f"assert_matches: cannot check here: {reason}") from None
    pytest.skip(reason)
