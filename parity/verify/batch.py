"""A class of submissions at once: ``python -m parity check submissions/`` where each entry is a
folder (a book-style ``common/``, or a folder holding one notebook or script), a notebook or a
script. One row per submission, one column per component, a verdict in each cell.

    >>> result = check_batch("submissions/", jobs=2)
    >>> result.table()          # pandas DataFrame: submission x component -> status
    >>> result.write("out/")    # batch.csv, batch.json, batch.html

A sub-folder holding one notebook is that notebook (it imports the learner's ``common/`` through
its path set-up); else a folder with the book's files (or a ``common/``) is checked as a folder;
else its one script.

Each submission is checked in a child process of its own (``parity.verify.isolate``), all its
components in that child, each under the per-component time limit (SIGALRM, ``isolation=
"process"``), the whole submission under ``submission_timeout``: a submission that crashes, hangs
or imports something missing is reported in its row and the rest go on. The children fork from a
server that imported the frameworks once, so each worker imports them once, not once per
submission.

Parallel: joblib's loky backend (``jobs``), or a Dask cluster through joblib's Dask backend
(``scheduler="tcp://host:8786"``; its workers must be allowed child processes:
``distributed.worker.daemon: False``). No scheduler of our own.

Defaults for a class: torch and the numerical gradients, float64 (every semantic check; Keras and
float32 add framework comparisons, not verdicts on the learner's code): ``frameworks`` and
``dtypes`` change them.
"""
from dataclasses import asdict, dataclass, field
import json
import os

from parity.provenance import BOOK_MODULES

BATCH_FRAMEWORKS = ("torch", "numerical")
BATCH_DTYPES = ("float64",)
SUBMISSION_TIMEOUT = 900.0
COMPONENT_TIMEOUT = 120.0


@dataclass
class Submission:
    """One row: the submission's name, what was checked, the verdict and a status per component."""
    name: str
    path: str
    ok: bool = False
    verdict: str = ""
    statuses: dict = field(default_factory=dict)     # component (with [cell N] where redefined) -> status
    firsts: dict = field(default_factory=dict)       # component -> first failing check, or the error
    problems: list = field(default_factory=list)     # one line each
    seconds: float = 0.0


def is_batch(path):
    """True for a folder that holds no book files itself but submissions: sub-folders, notebooks
    or scripts."""
    if not os.path.isdir(path):
        return False
    here = os.listdir(path)
    if any(f"{m}.py" in here for m in BOOK_MODULES) or os.path.isdir(os.path.join(path, "common")):
        return False
    return any(_entry(os.path.join(path, e)) for e in here)


def _entry(path):
    """What a directory entry holds to check: the path itself, or None where it is no submission."""
    name = os.path.basename(path)
    if name.startswith((".", "_")):
        return None
    if os.path.isfile(path):
        return path if path.endswith((".ipynb", ".py")) else None
    if not os.path.isdir(path):
        return None
    files = os.listdir(path)
    notebooks = sorted(f for f in files if f.endswith(".ipynb") and not f.startswith("."))
    if len(notebooks) == 1:  # the learner's work; it imports their common/ through its path set-up
        return os.path.join(path, notebooks[0])
    if any(f"{m}.py" in files for m in BOOK_MODULES) or os.path.isdir(os.path.join(path, "common")):
        return path
    scripts = sorted(f for f in files if f.endswith(".py") and not f.startswith("."))
    return os.path.join(path, scripts[0]) if len(scripts) == 1 else path


def submissions(folder):
    """[(name, path to check)] of the submissions in ``folder``, sorted by name."""
    out = []
    for entry in sorted(os.listdir(folder)):
        target = _entry(os.path.join(folder, entry))
        if target is not None:
            out.append((entry, target))
    return out


def _label(summary, counts):
    return f"{summary.component} [{summary.provenance}]" if counts[summary.component] > 1 else summary.component


def _check_in_child(path, options):
    """Child: the whole check of one submission, every component in this process."""
    from collections import Counter

    from parity.verify.suite import check

    result = check(path, isolation="process", **options)
    counts = Counter(s.component for s in result.summaries)
    return {"ok": result.ok, "verdict": result.verdict,
            "statuses": {_label(s, counts): s.status for s in result.summaries},
            "firsts": {_label(s, counts): (s.first or (s.message if s.status not in ("pass", "missing", "skipped")
                                                       else "")) for s in result.summaries},
            "problems": [p.describe() for p in result.problems]}


def check_submission(name, path, options, submission_timeout=SUBMISSION_TIMEOUT):
    """The Submission row of one entry (never raises for the submission's faults)."""
    from parity.verify.isolate import run_isolated
    from parity.verify.suite import _preload

    row = Submission(name, path)
    outcome = run_isolated(_check_in_child, (path, options), timeout=submission_timeout,
                           preload=_preload(options.get("frameworks", BATCH_FRAMEWORKS)))
    row.seconds = outcome.seconds
    if outcome.status == "ok":
        for key, value in outcome.value.items():
            setattr(row, key, value)
    else:
        row.verdict = f"{outcome.status.upper()}: the check of this submission did not finish: {outcome.error.splitlines()[0]}"
    return row


@dataclass
class BatchResult:
    folder: str
    rows: list = field(default_factory=list)

    @property
    def ok(self):
        return bool(self.rows) and all(r.ok for r in self.rows)

    def table(self):
        """pandas DataFrame: one row per submission (its verdict first), one column per component."""
        import pandas as pd

        columns = []
        for r in self.rows:
            columns += [c for c in r.statuses if c not in columns]
        data = [{"submission": r.name, "verdict": "ok" if r.ok else "FAIL", **{c: r.statuses.get(c, "") for c in columns}}
                for r in self.rows]
        return pd.DataFrame(data, columns=["submission", "verdict", *columns]).set_index("submission")

    def render(self):
        """The text table (components in columns, abbreviated) and each failing row's reasons."""
        df = self.table()
        lines = [df.to_string(), ""]
        for r in self.rows:
            if not r.ok:
                lines.append(f"{r.name}: {r.verdict}")
                lines += [f"    problem: {p}" for p in r.problems[:5]]
                lines += [f"    {c}: {r.statuses[c]}: {why}" for c, why in r.firsts.items()
                          if why and r.statuses.get(c) not in ("pass", "missing", "skipped")][:8]
        ok = sum(r.ok for r in self.rows)
        lines.append(f"{ok} of {len(self.rows)} submissions pass")
        return "\n".join(lines)

    def write(self, out):
        """batch.csv, batch.json (every row with its reasons) and batch.html in ``out``."""
        os.makedirs(out, exist_ok=True)
        df = self.table()
        df.to_csv(os.path.join(out, "batch.csv"))
        with open(os.path.join(out, "batch.json"), "w") as f:
            json.dump({"schema": "scratch-parity/batch/1", "folder": self.folder, "ok": self.ok,
                       "submissions": [asdict(r) for r in self.rows]}, f, indent=1)
        colours = {"pass": "#d9f2d9", "FAIL": "#f8d0d0", "error": "#f8d0d0", "timeout": "#f8d0d0",
                   "outside": "#f8d0d0", "ok": "#d9f2d9"}
        styled = df.style.map(lambda v: f"background-color: {colours.get(v, '#eeeeee' if v else '#ffffff')}")
        with open(os.path.join(out, "batch.html"), "w") as f:
            f.write(f"<html><head><meta charset='utf-8'><title>scratch-parity: {self.folder}</title></head><body>"
                    f"<h1>{self.folder}</h1>{styled.to_html()}</body></html>")
        return out


def _collect(rows, progress):
    out = []
    for row in rows:
        out.append(row)
        if progress is not None:
            progress(row)
    return out


def check_batch(folder, jobs=1, scheduler=None, frameworks=BATCH_FRAMEWORKS, dtypes=BATCH_DTYPES,
                timeout=COMPONENT_TIMEOUT, submission_timeout=SUBMISSION_TIMEOUT, progress=None, **options):
    """Every submission of ``folder`` checked, in parallel (joblib loky ``jobs``, or the Dask
    cluster at ``scheduler``); a BatchResult. ``options`` go to ``parity.verify.suite.check``."""
    from joblib import Parallel, delayed, parallel_config

    entries = submissions(folder)
    if not entries:
        raise ValueError(f"{folder!r} holds no submissions (folders, notebooks .ipynb or scripts .py)")
    opts = dict(frameworks=tuple(frameworks), dtypes=tuple(dtypes), timeout=timeout, **options)
    tasks = (delayed(check_submission)(name, path, opts, submission_timeout) for name, path in entries)
    if scheduler:
        from dask.distributed import Client

        client = Client(scheduler)
        try:
            with parallel_config(backend="dask", wait_for_workers_timeout=60):
                done = Parallel(return_as="generator")(tasks)
                rows = _collect(done, progress)
        finally:
            client.close()
    elif jobs == 1:
        rows = _collect((check_submission(name, path, opts, submission_timeout) for name, path in entries), progress)
    else:
        rows = _collect(Parallel(n_jobs=jobs, backend="loky", return_as="generator")(tasks), progress)
    return BatchResult(folder, rows)
    if progress is not None:
        for row in rows:
            progress(row)
    return BatchResult(folder, rows)
