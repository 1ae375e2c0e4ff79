"""Put the report's headline table into a README between two markers::

    <!-- REPORT-HEADLINE -->
    ... replaced ...
    <!-- /REPORT-HEADLINE -->

A README with only the opening marker gets the closing one added after the inserted block.
"""
from pathlib import Path

from harness.report import document, markdown

OPEN, CLOSE = "<!-- REPORT-HEADLINE -->", "<!-- /REPORT-HEADLINE -->"


def headline_markdown(results, report_link):
    ds = results.get("dataset") or {}
    lines = [f"Latest parity report ({results.get('created', '')}, data set {ds.get('name')}, git "
             f"{str((results.get('environment') or {}).get('git_commit', 'unknown'))[:10]}): "
             f"[{report_link}]({report_link})", ""]
    for block in document.headline_blocks(results):
        lines += [markdown.table(block[1], block[2]), ""]
    seeds = document.seeds_line(results.get("seeds") or {})
    if seeds:
        lines += [seeds, ""]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(path, results, report_link):
    """Replace the block between the markers in ``path``; ValueError naming the file if the
    opening marker is missing."""
    path = Path(path)
    text = path.read_text()
    if OPEN not in text:
        raise ValueError(f"{path}: no {OPEN} marker to put the report headline after")
    head, rest = text.split(OPEN, 1)
    tail = rest.split(CLOSE, 1)[1] if CLOSE in rest else rest
    path.write_text(f"{head}{OPEN}\n{headline_markdown(results, report_link)}{CLOSE}{tail}")
    return path
