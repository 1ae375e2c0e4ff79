"""scratch-parity as a user installs it, tried from outside this repository:

- the pytest plugin (``parity.testing.plugin``): ``pytest --impl FOLDER`` in a project that is not
  this one collects the shipped suite with this repository's ids, and a planted fault turns red;
- ``parity.assert_matches``: passes on a right component, fails with the engine's mismatch
  message and the semantics diagnosis on a wrong one;
- the ``scratch-parity`` console script: ``--version``, help with examples and exit codes, the
  dispatch to both command lines, ``check --json -`` on standard output with a schema;
- the wheel (slow): holds the suite, the plugin entry point and the console script.
"""
import json
import logging
import os
import subprocess
import sys
import zipfile

import pytest

from parity.verify.faults import get as fault
from parity.verify.patch import reference_copy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _outside(tmp_path):
    """A working directory outside the repository, the repository importable (as once installed)."""
    cwd = tmp_path / "user-project"
    cwd.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": ROOT}
    return cwd, env


def _pytest_outside(tmp_path, impl, *args):
    cwd, env = _outside(tmp_path)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "parity.testing.plugin", "-p", "no:cacheprovider",
                           "--impl", str(impl), "-rA", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.torch
def test_plugin_runs_the_shipped_suite_from_another_project_and_a_fault_turns_red(tmp_path):
    pytest.importorskip("torch")
    good = reference_copy(tmp_path / "good" / "common")
    bad = reference_copy(tmp_path / "bad" / "common", fault("affine-db-mean").edits)
    pytest.importorskip("xdist")
    selection = ("-k", "Affine-torch-float64 or softmax-torch-float64-forward")
    report = tmp_path / "parity-report"
    ok = _pytest_outside(tmp_path / "a", good, *selection, "-n", "2", "--parity-report", str(report))
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-2000:]
    from harness.report.write import read_results, records_of

    records = records_of(read_results(report))  # merged from both workers
    assert {(r["component"], r["check"]) for r in records} >= {("Affine", "db"), ("softmax", "forward")}
    passed = [line for line in ok.stdout.replace(os.sep, "/").splitlines() if line.startswith("PASSED ")
              or "] PASSED " in line]
    for test_id in ("test_layers.py::test_layer_matches[Affine-torch-float64-db]",
                    "test_functions.py::test_function_matches[softmax-torch-float64-forward]"):
        assert any(line.endswith(test_id) for line in passed), ok.stdout[-3000:]
    assert len(passed) == 6  # forward, dx, dW, db, dtype of Affine; softmax's forward
    red = _pytest_outside(tmp_path / "b", bad, *selection, "-x")
    assert red.returncode == 1, red.stdout[-3000:]
    assert "FAILED" in red.stdout and "test_layer_matches[Affine-torch-float64-db]" in red.stdout
    assert "MISMATCH" in red.stdout  # the engine's message, not a bare assert


def test_plugin_leaves_a_project_alone_without_impl(tmp_path):
    """Without --impl (or --parity) the user's own tests run, not the suite, and the plugin sets
    nothing (it loads in every pytest run of an environment it is installed in)."""
    cwd, env = _outside(tmp_path)
    (cwd / "test_mine.py").write_text("import sys\n\ndef test_mine(impl_spec):\n    assert impl_spec == 'reference'\n"
                                      "    assert 'torch' not in sys.modules  # numerics left alone: nothing imported\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "parity.testing.plugin", "-p", "no:cacheprovider",
                           "-q"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout[-2000:]


def test_suite_ids_here_are_the_shipped_suite_ids():
    """tests/parity/ runs the shipped suite's test functions (one copy), so the ids are the same."""
    from parity.testing.suite import test_layers as shipped
    from tests.parity import test_layers as here

    assert here.test_layer_matches is shipped.test_layer_matches


@pytest.mark.torch
def test_assert_matches_passes_a_right_component_and_names_a_wrong_one(tmp_path):
    pytest.importorskip("torch")
    from parity import assert_matches
    from parity.impl import load_implementation

    right = load_implementation(reference_copy(tmp_path / "right"))
    assert assert_matches(right.lookup("layers.Affine").obj, "Affine", framework="torch", dtypes="float64")
    wrong = load_implementation(reference_copy(tmp_path / "wrong", fault("bn-eps-1e-5").edits))
    with pytest.raises(AssertionError) as caught:
        assert_matches(wrong.lookup("layers.BatchNormalization").obj, "BatchNormalization-train",
                       framework="torch", dtypes="float64")
    text = str(caught.value)
    assert "does not match BatchNormalization-train against torch" in text and "MISMATCH" in text
    assert "diagnosis: matches torch and jax default, not the book: bn-epsilon" in text
    with pytest.raises(ValueError, match="unknown component 'Afine'"):
        assert_matches(right.lookup("layers.Affine").obj, "Afine")


def _console(*args, cwd, env, timeout=300):
    return subprocess.run([sys.executable, "-m", "parity.console", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_console_version_help_and_usage_errors(tmp_path):
    cwd, env = _outside(tmp_path)
    from parity import __version__

    for args in (["--version"], ["check", "--version"], ["list", "--version"]):
        proc = _console(*args, cwd=cwd, env=env)
        assert proc.returncode == 0 and proc.stdout.strip() == f"scratch-parity {__version__}", args
    check_help = _console("check", "--help", cwd=cwd, env=env).stdout
    assert "examples:" in check_help and "exit status: 0" in check_help and "(default: 300.0)" in check_help
    run_help = _console("run", "--help", cwd=cwd, env=env).stdout
    assert "scratch-parity run two_layer_relu" in run_help and "exit status: 0" in run_help
    top = _console("--help", cwd=cwd, env=env).stdout
    assert all(c in top for c in ("check", "localize", "selftest", "run", "report", "list", "explain"))
    assert _console(cwd=cwd, env=env).returncode == 2
    assert _console("bogus", cwd=cwd, env=env).returncode == 2


@pytest.mark.torch
def test_console_check_json_to_stdout_with_schema(tmp_path):
    pytest.importorskip("torch")
    cwd, env = _outside(tmp_path)
    folder = reference_copy(tmp_path / "common")
    proc = _console("check", folder, "--frameworks", "torch", "--dtypes", "float64", "--components", "Relu",
                    "--json", "-", cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)  # only the JSON on stdout: the tables and progress went to stderr
    assert data["schema"] == "scratch-parity/check/1" and data["ok"] is True
    assert isinstance(data["records"][0]["versions"], dict)
    assert "[1/1] layer" in proc.stderr and "reading" in proc.stderr.splitlines()[0]
    assert not (cwd / "-").exists()


@pytest.mark.slow
def test_wheel_holds_the_suite_the_plugin_and_the_console_script(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                           str(tmp_path), ROOT], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("scratch_parity-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"parity/testing/plugin.py", "parity/testing/suite/test_layers.py", "parity/console.py"} <= set(names)
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "scratch-parity = parity.console:main" in entry_points
    assert "parity.testing.plugin = parity.testing.plugin" in entry_points


def test_framework_logs_are_quiet_in_the_commands_and_their_children_unless_verbose(tmp_path):
    """The commands quiet the frameworks' logs (parity.logs.quiet) and say so to their children
    through the environment; a child (numerics.configure, as every runner calls it) follows."""
    code = ("import logging, os\nfrom parity import numerics\nnumerics.configure()\n"
            "print(logging.getLogger('tensorflow').level, os.environ.get('TF_CPP_MIN_LOG_LEVEL'))")
    cwd, env = _outside(tmp_path)
    env = {k: v for k, v in env.items() if k not in ("SCRATCH_PARITY_QUIET", "TF_CPP_MIN_LOG_LEVEL")}
    plain = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert plain.stdout.split() == ["0", "2"], plain.stderr[-2000:]  # not asked: loggers as they come
    from parity import logs

    asked = {**env, **logs.QUIET_ENV}
    child = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=asked, capture_output=True, text=True,
                           timeout=120)
    assert child.stdout.split() == [str(logging.ERROR), "3"], child.stderr[-2000:]
