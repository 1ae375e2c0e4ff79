"""The parity report: the tables it computes, the files it writes, the README headline, a short
report run end to end with a framework missing and an experiment that fails, and
``pytest --parity-report`` over a small selection with a planted fault.

End-to-end runs are subprocesses (a missing framework has to be missing at import time) kept
short: a few components, 30 iterations.
"""
import gzip
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

from harness.report import document, html, markdown, summary
from harness.report.collect import DEFAULT_SHORT_ITERS, ReportOptions, plan_iterations
from harness.report.readme import CLOSE, OPEN, update_readme
from harness.report.write import read_results, records_of

ROOT = Path(__file__).resolve().parents[2]


def record(component="Affine", framework="torch", dtype="float64", check="dx", case="c1", status="pass",
           max_abs_err=1e-16, kind="layer", backend="", message="", known_id=""):
    """A record as the report reads it (``dataclasses.asdict(Record)``)."""
    from dataclasses import asdict

    from parity.records import Record

    return asdict(Record(component=component, kind=kind, framework=framework, dtype=dtype, check=check,
                         passed=status == "pass", case=case, backend=backend, max_abs_err=max_abs_err, known_id=known_id,
                         max_rel_err=max_abs_err, rtol=1e-12, atol=1e-14, status=status, message=message))


# --- tables ---------------------------------------------------------------------------------------

def test_matrix_aggregates_cases_and_puts_failures_first():
    recs = [record(check="forward", case="c1", max_abs_err=1e-16),
            record(check="forward", case="c2", max_abs_err=3e-16),
            record(component="Relu", check="dx", status="fail", max_abs_err=0.5, message="Relu-torch-float64-dx: MISMATCH"),
            record(component="Relu", check="dx", case="c2", max_abs_err=1e-17),
            record(component="Sigmoid", check="dx", status="known", max_abs_err=1e-6, message="known difference (x)"),
            record(component="Tanh", framework="numerical", check="forward", status="skipped", message="gradients only")]
    rows = summary.matrix(recs)
    assert [(r["component"], r["status"]) for r in rows] == [("Relu", "fail"), ("Sigmoid", "known"), ("Affine", "pass")]
    assert rows[0]["cases"] == 2 and rows[0]["max_abs_err"] == 0.5 and "MISMATCH" in rows[0]["message"]
    assert rows[2]["cases"] == 2 and rows[2]["max_abs_err"] == 3e-16  # the max over the cases
    assert summary.counts(recs) == {"fail": 1, "known": 1, "pass": 3, "skipped": 1}


def test_worst_residual_is_the_largest_passing_error_per_framework_and_dtype():
    recs = [record(max_abs_err=1e-15), record(check="dW", max_abs_err=4e-15),
            record(check="db", status="fail", max_abs_err=1.0),
            record(framework="keras", backend="torch", max_abs_err=2e-9),
            record(component="init-he", kind="initializer", check="ks", max_abs_err=0.01)]
    worst = summary.worst_residuals(recs)
    assert worst[("torch", "float64")]["check"] == "dW"
    assert worst[("keras[torch]", "float64")]["max_abs_err"] == 2e-9
    assert len(worst) == 2


def test_coverage_names_rows_without_a_counterpart_or_runner_and_unregistered_api():
    from parity.registry import COMPONENTS

    recs = [record(component="Affine", case="a"), record(component="Affine", case="b", check="dW")]
    cov = summary.coverage(recs, ["torch"], no_runner=["SGD"])
    rows = {r["component"]: r for r in cov["rows"]}
    assert set(rows) == {r.name for r in COMPONENTS}
    assert rows["Affine"]["per_framework"]["torch"]["cases"] == 2
    assert "db" in rows["Affine"]["per_framework"]["torch"]["missing_checks"]
    assert rows["Relu"]["per_framework"]["torch"]["cases"] == 0
    assert "no runner parity.runners.optimizers yet" in rows["SGD"]["gaps"]
    # functions the book defines that no row checks are listed by name
    assert "functions.step_function" in cov["unregistered"]
    assert "layers.Affine" not in cov["unregistered"]


def test_budget_rule_full_where_anchored_on_the_data_set_else_shortened():
    from harness.experiment import load_experiment

    relu, sigmoid = load_experiment("two_layer_relu"), load_experiment("two_layer_sigmoid")
    opts = ReportOptions(short_iters=2000)
    assert plan_iterations(relu, "fashion-mnist", opts, 10000)[0] == 10000
    n, note = plan_iterations(sigmoid, "fashion-mnist", opts, 10000)
    assert n == 2000 and "2,000 of 10,000 iterations" in note
    assert plan_iterations(sigmoid, "mnist", opts, 10000)[0] == 10000
    assert plan_iterations(sigmoid, "fashion-mnist", ReportOptions(), 10000)[0] == DEFAULT_SHORT_ITERS  # default: cut
    assert plan_iterations(relu, "fashion-mnist", ReportOptions(), 10000)[0] == 10000  # anchored: full
    assert plan_iterations(sigmoid, "fashion-mnist", ReportOptions(short_iters=None), 10000)[0] == 10000  # --full
    plateau = load_experiment("three_layer_sigmoid")  # its own floor for a cut run (it learns from ~2,400 on)
    assert plan_iterations(plateau, "fashion-mnist", opts, 10000)[0] == 3000
    assert plan_iterations(plateau, "fashion-mnist", ReportOptions(short_iters=5000), 10000)[0] == 5000
    assert plan_iterations(relu, "fashion-mnist", ReportOptions(iters=50), 10000) == (50, "--iters: 50 of 10,000 iterations")
    with pytest.raises(ValueError, match="frameworks"):
        ReportOptions(frameworks=("numpy", "mxnet"))


def test_report_command_line_cuts_unanchored_experiments_by_default_and_full_runs_all():
    import argparse

    from harness.report.cli import add_arguments, options_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert options_from_args(parser.parse_args([])).short_iters == DEFAULT_SHORT_ITERS == 2000
    assert options_from_args(parser.parse_args(["--short-iters", "500"])).short_iters == 500
    assert options_from_args(parser.parse_args(["--full"])).short_iters is None


def test_op_level_tasks_run_a_row_with_its_own_counterpart_once():
    # the op-level checks are one task per framework and per other Keras backend; the analytic-
    # gradient row names its own counterpart, so it has a task of its own and the others leave it
    # out (each ran it: the report counted its records three times, then six)
    from parity.api import run_records

    from harness.report.collect import merge_ops, ops_tasks
    from harness.runners.parallel import execute

    opts = ReportOptions(frameworks=("numpy", "torch", "keras"), components=("numerical_gradient",),
                         keras_backends=("tensorflow", "torch"), progress=False)
    tasks = ops_tasks(opts, progress=False)
    assert [t.label for t in tasks] == ["op-level checks torch", "op-level checks keras", "op-level checks numerical",
                                        "op-level checks analytic", "op-level checks keras[torch]"]
    merged = merge_ops(tasks, execute(tasks, jobs=1))
    analytic = [r for r in merged["records"] if r["framework"] == "analytic"]
    alone = [r for r in run_records("reference", ("torch",), opts.op_dtypes, ["numerical_gradient"])
             if r.framework == "analytic"]
    assert len(analytic) == len(alone) > 0
    assert merged["error"] is None and merged["backends"]["torch"]["error"] is None


# --- rendering ------------------------------------------------------------------------------------

def _op_results(recs):
    from harness.report.pytest_plugin import op_results

    return op_results(recs, "reference", started=0.0)


def test_html_and_markdown_show_a_failure_first_with_its_colour(tmp_path):
    recs = [record(check="forward"), record(component="Relu", check="dx", status="fail", max_abs_err=0.25,
                                            message="Relu-torch-float64-dx [c1]: MISMATCH planted")]
    blocks = document.build(_op_results(recs), {}, op_only=True)
    page = html.render(blocks, tmp_path)
    md = markdown.render(blocks)
    # first the grid: one coloured cell per component x framework x dtype, linking to the matrix
    assert page.index('<table class="grid">') < page.index('id="1--headline"')
    assert '<td class="g fail" title="Relu torch float64: fail"><a href="#op-relu">✗</a></td>' in page
    assert '<td class="g pass" title="Affine torch float64: pass">' in page and '<a id="op-relu"></a>' in page
    first_row = page.split("<tbody>", 4)[3]  # tables: grid, headline, then the matrix's failures
    assert first_row.startswith('<tr class="fail">') and "Relu" in first_row.split("</tr>")[0]
    assert "MISMATCH planted" in page and "✗ FAIL" in md
    assert "| Relu | layer | torch" in md and "| Affine | layer | torch" not in md  # passing rows: the CSV
    assert "[1 passing rows, and every other: op_matrix.csv.gz](op_matrix.csv.gz)" in md
    # self-contained: inline CSS, no external resources
    assert "<style>" in page and "http://" not in page and "https://" not in page


def test_known_rows_are_shown_once_per_difference_with_their_catalogue_row(tmp_path):
    """Known matrix rows of one difference (component, framework, reason) are one table row naming
    the checks it covers and its catalogue row, not one row each."""
    reason = "Keras adds epsilon inside the square root"
    recs = [record(component="AdaGrad", kind="optimizer", framework="keras", backend="tensorflow", check=c, dtype=d,
                   status="known", max_abs_err=5e-3, message=f"AdaGrad-keras-{d}-{c}: known difference: {reason}",
                   known_id="adagrad-epsilon")
            for c in ("params",) for d in ("float64", "float32")]  # the registry's reason: the same for both
    results = _op_results(recs)
    results["catalogue"] = {"rows": [  # the record's known_id picks the row, not the component
        {"id": "adagrad-initial-accumulator", "component": "AdaGrad", "framework": "keras", "label": "keras[tensorflow]"},
        {"id": "adagrad-epsilon", "component": "AdaGrad", "framework": "keras", "label": "keras[torch]"},
        {"id": "adagrad-epsilon", "component": "AdaGrad", "framework": "keras", "label": "keras[tensorflow]"}],
        "error": None}
    blocks = document.build(results, {}, op_only=True)
    md = markdown.render(blocks)
    known = [line for line in md.splitlines() if line.startswith("| AdaGrad | keras[tensorflow] | ⚠ known")]
    assert len(known) == 1 and "catalogue: adagrad-epsilon" in known[0] and "cat-adagrad-epsilon-keras-tensorflow" in md
    assert "float64 params" in known[0] and "float32 params" in known[0]
    assert "Every checked cell passes" not in md


def test_readme_headline_block_is_replaced_between_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nintro\n\n{OPEN}\n\n## Layout\n")
    results = _op_results([record()])
    results["experiments"] = []
    update_readme(readme, results, "reports/latest/report.md")
    first = readme.read_text()
    assert first.count(OPEN) == 1 and first.count(CLOSE) == 1 and "## Layout" in first
    assert "[reports/latest/report.md](reports/latest/report.md)" in first and "| torch |" in first
    update_readme(readme, results, "reports/latest/report.md")  # again: replaced, not appended
    assert readme.read_text() == first
    (tmp_path / "plain.md").write_text("no marker\n")
    with pytest.raises(ValueError, match="plain.md"):
        update_readme(tmp_path / "plain.md", results, "x")


# --- end to end -----------------------------------------------------------------------------------

def _run(cmd, env=None, timeout=400):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_report_renders_with_a_framework_missing_and_an_experiment_failing(tmp_path):
    """Keras made unusable (KERAS_BACKEND=numpy, a backend the suite does not support), an experiment
    whose network does not fit the data: the report is still written, with both reasons, and the
    command exits 1 naming the failed experiment; Keras is still checked on the torch backend in its
    subprocess."""
    pytest.importorskip("torch")
    bad = tmp_path / "bad_input.toml"
    text = (ROOT / "harness/experiments/two_layer_relu.toml").read_text()
    bad.write_text(text.replace('name = "two_layer_relu"', 'name = "bad_input"').replace("input_size = 784", "input_size = 100"))
    out = tmp_path / "report"
    done = _run([sys.executable, "-m", "harness", "report", "--out", str(out), "--experiments", f"two_layer_relu,{bad}",
                 "--components", "Affine,Relu,softmax", "--iters", "30", "--seeds", "2", "--seed-iters", "20",
                 "--keras-backends", "torch", "--no-progress"], env={"KERAS_BACKEND": "numpy"})
    assert done.returncode == 1, done.stderr[-3000:]
    assert "not passed: experiment bad_input" in done.stdout
    results = read_results(out)
    results["ops"]["records"] = records_of(results)
    keras = results["frameworks"]["keras"]
    assert not keras["available"] and "numpy" in keras["reason"]
    labels = {summary.label(r) for r in results["ops"]["records"] if r["status"] != "skipped"}
    assert labels == {"torch", "keras[torch]", "jax", "numerical"}
    assert {r["component"] for r in results["ops"]["records"]} == {"Affine", "Relu", "softmax"}
    skipped = [r for r in results["ops"]["records"] if summary.label(r) == "keras[numpy]"]
    assert skipped and all(r["status"] == "skipped" and "numpy" in r["message"] for r in skipped)
    assert results["ops"]["versions"] and all(isinstance(v, dict) for v in results["ops"]["versions"])
    assert all(isinstance(r["versions"], dict) for r in results["ops"]["records"])  # JSON, not a JSON string
    assert results["schema"] == "scratch-parity/report/3"
    ok, failed = results["experiments"]
    assert ok["status"] == "ok" and ok["result"]["runs"]["keras"]["status"] == "skipped"
    assert ok["result"]["comparison"]["torch"]["max_abs_dloss"] < 1e-9
    assert failed["status"] == "failed" and "(N, 100)" in failed["error"]["error"]
    assert results["seeds"]["status"] == "ok" and results["seeds"]["summary"]["summary"]["torch"]["n"] == 2
    md, page = (out / "report.md").read_text(), (out / "index.html").read_text()
    for text in (md, page):
        assert "This experiment failed" in text and "(N, 100)" in text
        assert "not run: keras backend" in text
        assert "git commit" in text and results["environment"]["git_commit"] in text
    assert (out / "two_layer_relu.png").stat().st_size > 10_000 and not (out / "bad_input.png").exists()
    assert "![two_layer_relu" in md and page.count('<img alt=') == 2  # experiment + seeds, linked
    assert 'src="two_layer_relu.png"' in page and "base64" not in page
    for name in ("op_records.csv.gz", "op_matrix.csv.gz", "catalogue.csv", "experiments.csv", "seeds.csv",
                 "loss_two_layer_relu.csv.gz"):
        assert (out / name).stat().st_size > 0, name
    curve = gzip.decompress((out / "loss_two_layer_relu.csv.gz").read_bytes()).decode().splitlines()
    assert curve[0] == "iter,loss_numpy,dloss_torch,dloss_jax" and len(curve) == 31
    assert "loss_two_layer_relu.csv.gz" in md and "loss_two_layer_relu.csv.gz" in page  # linked from the page


def _faulty_implementation(tmp_path):
    """A book-style copy of the reference whose Affine.dW is 0.1% too large."""
    from parity.verify.patch import Edit, reference_copy

    return reference_copy(tmp_path / "faulty", [Edit("layers.py", "self.dW = np.dot(self.x.T, dout)\n",
                                                     "self.dW = np.dot(self.x.T, dout) * 1.001\n")])


def test_pytest_parity_report_writes_the_op_level_report_of_the_run(tmp_path):
    pytest.importorskip("torch")
    base = [sys.executable, "-m", "pytest", "tests/parity/test_layers.py", "-q", "-p", "no:cacheprovider",
            "-k", "Affine and torch and float64"]
    clean, faulty = tmp_path / "clean", tmp_path / "faulty-report"
    done = _run(base + [f"--parity-report={clean}"])
    assert done.returncode == 0, done.stdout[-2000:]
    assert "parity report" in done.stdout and str(clean / "index.html") in done.stdout
    recs = records_of(read_results(clean))
    assert recs and {(r["component"], r["framework"], r["dtype"]) for r in recs} == {("Affine", "torch", "float64")}
    assert summary.counts(recs) == {"pass": len(recs)}
    assert "Every checked cell passes" in (clean / "report.md").read_text()

    done = _run(base + [f"--impl={_faulty_implementation(tmp_path)}", f"--parity-report={faulty}"])
    assert done.returncode == 1  # the planted fault fails the tests ...
    md = (faulty / "report.md").read_text()  # ... and the report puts it first
    matrix_table = md.split("## 2. Op-level parity matrix", 1)[1]
    first = [line for line in matrix_table.splitlines() if line.startswith("| Affine")][0]
    assert "| dW |" in first and "✗ FAIL" in first
    assert '<tr class="fail"><td class="s">Affine</td>' in (faulty / "index.html").read_text()


def test_keras_backends_to_run_in_subprocesses(monkeypatch):
    from harness.report import keras_backends

    monkeypatch.setattr("parity.frameworks.keras_backend", lambda: "tensorflow")
    assert keras_backends.other_backends(("tensorflow", "torch")) == ["torch"]
    assert keras_backends.other_backends(("tensorflow",)) == []
    monkeypatch.setattr(keras_backends.importlib.util, "find_spec", lambda name: None if name == "torch" else object())
    assert keras_backends.other_backends() == ["jax"]  # torch not installed: no keras[torch] by default
    assert keras_backends.other_backends(("jax", "torch")) == ["jax", "torch"]
    with pytest.raises(ValueError, match="mxnet"):
        keras_backends.other_backends(("mxnet",))


def test_failures_name_every_reason_the_report_does_not_pass():
    """What makes ``harness report`` exit 1: each planted failure is named; a clean result has none."""
    clean = _op_results([record()])
    clean["experiments"], clean["seeds"] = [], {"status": "not run"}
    assert summary.failures(clean) == []
    bad = _op_results([record(), record(check="dW", status="fail"), record(check="db", status="known")])
    bad["catalogue"] = {"rows": [{"id": "bn-eps", "framework": "torch", "status": "stale"}], "error": None}
    bad["experiments"] = [
        {"name": "x", "status": "failed", "error": {"error": "boom"}},
        {"name": "y", "status": "ok", "result": {"verdict": {
            "torch": {"passed": False, "text": "parted at iteration 0"}, "keras": {"passed": True, "text": "ok"}}}}]
    bad["seeds"] = {"status": "ok", "summary": {"equivalence": {"keras": {"equivalent": False, "p_value": 0.2}}},
                    "runs": [{"seed": 3, "keras": {"verdict": {"passed": False, "text": "diverged at iteration 7"}}}]}
    reasons = summary.failures(bad)
    assert reasons == ["op-level checks: 1 fail, 0 error", "catalogue: bn-eps (torch) stale", "experiment x: boom",
                       "experiment y / torch: parted at iteration 0",
                       "seeds sweep: keras not shown equivalent to numpy (p = 0.2)",
                       "seeds sweep seed 3 / keras: diverged at iteration 7"]


def test_writer_output_is_small_and_the_same_bytes_when_nothing_changed(tmp_path):
    """A report of 2,000 records and a 20,000-iteration experiment stays far under the 2 MB the
    committed report may take (the curves gzipped at the stated precision, the page linking its
    PNG), and writing the same results twice gives the same bytes in every file but the one line
    that says when it was generated."""
    import random

    from harness.report.write import write_report

    rng = random.Random(0)
    records = [record(component=f"C{i % 40}", check=("dx", "dW", "db", "forward")[i % 4], case=f"c{i}",
                      max_abs_err=rng.random() * 1e-15) for i in range(2000)]
    for r in records:
        r["versions"] = json.dumps({"python": "3.11.7", "numpy": "2.4.6", "torch": "2.13.0+cpu"})
        r["message"] = f"{r['component']}-torch-float64-{r['check']} [{r['case']}]: ok: 0 / 12 elements outside ..."
    n = 20_000
    loss = [2.3 * 0.9999 ** i + rng.random() * 1e-3 for i in range(n)]
    run = {"status": "ok", "train_loss": loss, "eval_iters": [0, n - 1], "train_acc": [0.1, 0.9],
           "test_acc": [0.1, 0.9], "time_per_iter_s": 1e-3, "wall_s": 20.0}
    results = {"schema": "scratch-parity/report/3", "created": "2026-01-01 00:00:00 UTC", "durations": {"total": 1.0},
               "options": {"impl": "reference", "op_frameworks": ["torch"], "frameworks": ["numpy", "torch"]},
               "frameworks": {"numpy": {"available": True, "version": "2"}, "torch": {"available": True, "version": "2"}},
               "ops": {"records": records, "backends": {}, "error": None, "no_runner": []},
               "catalogue": {"rows": [], "error": None}, "seeds": None, "environment": {},
               "experiments": [{"name": "big", "status": "ok", "iters_note": "20,000 iterations",
                                "result": {"runs": {"numpy": run, "torch": {**run, "train_loss": [v + 1e-15 for v in loss]}},
                                           "comparison": {"torch": {"dloss": [1e-16] * n}}}}]}
    a, b = tmp_path / "a", tmp_path / "b"
    write_report(results, a, op_only=True)
    from harness.report import write

    write._loss_csv(results["experiments"][0]["result"], a / "loss_big.csv.gz")
    write_report(results, b, op_only=True)
    write._loss_csv(results["experiments"][0]["result"], b / "loss_big.csv.gz")
    total = sum(p.stat().st_size for p in a.iterdir())
    assert total < 600_000, {p.name: p.stat().st_size for p in a.iterdir()}
    assert (a / "loss_big.csv.gz").stat().st_size < 200_000
    curve = gzip.decompress((a / "loss_big.csv.gz").read_bytes()).decode().splitlines()
    assert len(curve) == n + 1 and 5e-16 < float(curve[1].split(",")[2]) < 2e-15  # every iteration, Δ kept
    for p in a.iterdir():
        assert p.read_bytes() == (b / p.name).read_bytes(), p.name
    doc = read_results(a)
    assert len(records_of(doc)) == 2000
    assert all("message" not in r for r in records_of(doc))  # passing: the CSV has the message
    assert doc["ops"]["versions"] == [{"python": "3.11.7", "numpy": "2.4.6", "torch": "2.13.0+cpu"}]


def test_a_run_at_chance_accuracy_is_never_ok():
    """A run whose final test accuracy is at chance (a cut run that did not learn) says the
    frameworks agree and that it did not train, never "ok"; a cut run's anchor is not comparable."""
    x = {"name": "two_layer_relu", "status": "ok", "iters": 60, "full_iters": 10_000, "classes": 10,
         "final_test_acc": {"numpy": 0.1, "torch": 0.1}, "verdicts": {"torch": {"passed": True, "status": "ok"}}}
    status, cls = document.experiment_status(x)
    assert "not trained" in status and "ok" not in status and cls == "skipped"
    assert document.is_cut(x) and not document.is_cut({**x, "iters": 10_000})
    trained = {**x, "final_test_acc": {"numpy": 0.56, "torch": 0.56}}
    assert document.experiment_status(trained) == (document.MARK["ok"], "pass")
