"""``pytest --parity-report=DIR``: the op-level part of the parity report from the test run.

The parity tests share their runner calls through ``parity.api.CACHE`` (one list of Records per
component x framework x dtype x implementation x device); at the end of the session this plugin
writes the matrix, coverage, headline counts and environment of exactly those records to DIR
(index.html, report.md, results.json.gz, op_records.csv.gz, op_matrix.csv.gz). Under pytest-xdist each
worker leaves its records in DIR/.workers/ and the controller merges them.

Loaded by ``parity.testing.plugin`` when ``--parity-report`` is given; the option is registered there.
"""
from dataclasses import asdict
import json
from pathlib import Path
import time

OPTION = "--parity-report"
WORKER_SCHEMA = "scratch-parity/worker-records/1"


def _records():
    from parity.api import CACHE

    return [asdict(r) for recs in CACHE.values() for r in recs]


def op_results(records, impl, started):
    """The results dict ``write_report(..., op_only=True)`` renders."""
    from parity.api import _runner
    from parity.registry import COMPONENTS

    from harness.report.collect import framework_status
    from parity.backends import plugin
    from harness.report.environment import environment
    from harness.report.summary import label

    labels = sorted({label(r) for r in records})
    from harness.report.collect import SCHEMA

    return {"schema": SCHEMA, "command": "pytest --parity-report",
            "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "durations": {"total": time.time() - started},
            "options": {"impl": impl, "op_frameworks": sorted({lb.split("[")[0] for lb in labels})},
            "frameworks": framework_status(("numpy", *plugin.names())),
            "ops": {"records": records, "backends": {}, "error": None,
                    "no_runner": [row.name for row in COMPONENTS if _runner(row.kind) is None]},
            "catalogue": {"rows": [], "error": None}, "experiments": [], "seeds": None,
            "environment": environment()}


def pytest_sessionstart(session):
    session.config._parity_report_started = time.time()


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    out = config.getoption(OPTION, default=None)
    if not out:
        return
    out = Path(out)
    workers = out / ".workers"
    if hasattr(config, "workerinput"):  # an xdist worker: leave the records for the controller
        workers.mkdir(parents=True, exist_ok=True)
        (workers / f"{config.workerinput['workerid']}.json").write_text(
            json.dumps({"schema": WORKER_SCHEMA, "records": _records()}, default=str))
        return
    records = _records()
    if workers.is_dir():
        for path in sorted(workers.glob("*.json")):
            records += json.loads(path.read_text())["records"]
            path.unlink()
        workers.rmdir()
    from harness.report.write import write_report

    results = op_results(records, config.getoption("--impl", default=None) or "reference",
                         getattr(config, "_parity_report_started", time.time()))
    paths = write_report(results, out, op_only=True)
    config._parity_report_paths = paths


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    paths = getattr(config, "_parity_report_paths", None)
    if paths:
        from harness.report.write import read_results, records_of

        n = len(records_of(read_results(Path(paths["json"]).parent)))
        terminalreporter.write_line(f"parity report ({n} records): {paths['html']} and {paths['markdown']}")
