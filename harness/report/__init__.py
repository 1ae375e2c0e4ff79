"""The parity report: ``python -m harness report`` (``cli``) runs the parts (``collect``) and writes
index.html, report.md, PNG plots, results.json.gz and CSV tables (``write``); ``pytest
--parity-report=DIR`` writes the op-level part from a test run (``pytest_plugin``).

    from harness.report import ReportOptions, collect, write_report
    write_report(collect(ReportOptions(quick=True)), "reports/quick")
"""
from harness.report.collect import ReportOptions, collect
from harness.report.write import write_report

__all__ = ["ReportOptions", "collect", "write_report"]
