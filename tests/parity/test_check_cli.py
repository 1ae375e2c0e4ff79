"""``python -m parity check``: passes on the reference and on a book-style folder copy of it, exit
codes, the JSON it writes, missing vs failed, and ``pytest --impl`` really switching the tests to
another implementation."""
import json
import os
import subprocess
import sys

import pytest

from parity.verify.faults import get as fault
from parity.verify.patch import reference_copy
from parity.verify.suite import check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAST = ("torch", "numerical")

pytestmark = pytest.mark.torch


@pytest.fixture(autouse=True)
def _torch():
    pytest.importorskip("torch")


def parity_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "parity", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_book_style_folder_copy_of_reference_passes_every_component(tmp_path):
    folder = reference_copy(tmp_path / "common")
    text = open(os.path.join(folder, "layers.py")).read()
    assert "from common.functions import" in text and "reference" not in text.split('"""', 2)[2]
    result = check(folder, frameworks=FAST, dtypes=("float64",))
    assert result.impl == folder
    statuses = {s.component: s.status for s in result.summaries}
    assert result.ok, {s.component: s.message for s in result.failing}
    assert set(statuses.values()) == {"pass"}, statuses
    for name in ("Affine", "BatchNormalization-train", "softmax", "Adam", "init-he", "TwoLayerNet",
                 "MultiLayerNetExtend"):
        assert name in statuses


def test_cli_on_reference_exits_0_and_writes_the_records(tmp_path):
    out = tmp_path / "records.json"
    proc = parity_cli("check", "reference", "--frameworks", "torch,numerical", "--dtypes", "float64,float32",
                      "--components", "Affine,sigmoid,MultiLayerNet", "--json", str(out), "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "== layers ==" in proc.stdout and "== nets ==" in proc.stdout and "summary: 3 pass" in proc.stdout
    data = json.loads(out.read_text())
    assert data["ok"] is True and data["impl"] == "reference"
    assert [s["component"] for s in data["summary"]] == ["Affine", "sigmoid", "MultiLayerNet"]
    fields = {"component", "framework", "check", "passed", "max_abs_err", "max_rel_err", "status", "dtype",
              "case", "message"}
    for rec in data["records"]:
        assert fields <= set(rec)
    affine = [r for r in data["records"] if r["component"] == "Affine"]
    assert {r["framework"] for r in affine} == {"torch", "numerical"}
    assert {r["dtype"] for r in affine} == {"float64", "float32"}
    assert {("torch", "dW"), ("numerical", "dW")} <= {(r["framework"], r["check"]) for r in affine}
    net = [r for r in data["records"] if r["component"] == "MultiLayerNet"]
    assert {"W1", "b1", "W3", "forward", "predict"} <= {r["check"] for r in net}


def test_cli_on_a_faulty_copy_exits_1_names_the_check_and_diagnoses(tmp_path):
    folder = reference_copy(tmp_path / "common", fault("bn-eps-1e-5").edits + fault("affine-db-mean").edits)
    out = tmp_path / "records.json"
    proc = parity_cli("check", folder, "--frameworks", "torch,numerical", "--dtypes", "float64",
                      "--components", "Affine,BatchNormalization-train,Relu", "--json", str(out), "--quiet")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = {}
    for line in proc.stdout.splitlines():
        if line.strip():
            lines.setdefault(line.split()[0], line)  # the table line, not the details below it
    assert "FAIL" in lines["Affine"] and "db [affine-2d] vs torch float64" in lines["Affine"]
    assert "FAIL" in lines["BatchNormalization-train"] and "pass" in lines["Relu"]
    assert "matches torch and jax default, not the book: bn-epsilon" in proc.stdout
    data = json.loads(out.read_text())
    assert data["ok"] is False
    failed = {(r["component"], r["check"]) for r in data["records"] if r["status"] == "fail"}
    assert ("Affine", "db") in failed and ("BatchNormalization-train", "forward") in failed
    assert not any(r["status"] == "fail" for r in data["records"] if r["component"] == "Relu")


def test_missing_components_are_missing_not_failed(tmp_path):
    folder = tmp_path / "common"
    folder.mkdir()
    (folder / "functions.py").write_text(
        "import numpy as np\n\n"
        "def softmax(x):\n"
        "    x = x - x.max(axis=-1, keepdims=True)\n"
        "    return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)\n\n"
        "def relu(x):\n"
        "    return np.maximum(0, x)\n")
    result = check(str(folder), frameworks=FAST, dtypes=("float64",), kinds=("layer", "function", "net"))
    statuses = {s.component: s.status for s in result.summaries}
    assert statuses["softmax"] == statuses["relu"] == "pass"
    assert statuses["Affine"] == statuses["sigmoid"] == statuses["(nets)"] == "missing"
    assert result.ok
    # the same folder with a wrong relu: failed, not missing, and the exit status says so
    (folder / "functions.py").write_text((folder / "functions.py").read_text().replace("np.maximum(0, x)",
                                                                                       "np.maximum(0.01 * x, x)"))
    proc = parity_cli("check", str(tmp_path / "common"), "--frameworks", "torch", "--dtypes", "float64",
                      "--components", "relu,Affine", "--quiet")
    assert proc.returncode == 1
    assert "FAIL" in [line for line in proc.stdout.splitlines() if line.startswith("relu ")][0]
    assert "missing" in [line for line in proc.stdout.splitlines() if line.startswith("Affine ")][0]


def test_usage_errors_exit_2():
    assert parity_cli("check", "reference", "--components", "NoSuchLayer", "--quiet").returncode == 2
    proc = parity_cli("check", "/no/such/folder/", "--quiet")
    assert proc.returncode == 2 and "no such file or directory" in proc.stderr


def test_pytest_impl_option_switches_the_parity_tests(tmp_path):
    """``pytest --impl FOLDER`` runs tests/parity against FOLDER: a copy with a wrong db fails the
    Affine db test, the unedited copy passes it."""
    good = reference_copy(tmp_path / "good")
    bad = reference_copy(tmp_path / "bad", fault("affine-db-mean").edits)
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/parity/test_layers.py",
            "-k", "Affine-torch-float64-db"]
    ok = subprocess.run(args + ["--impl", good], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and "1 passed" in ok.stdout, ok.stdout[-2000:]
    failed = subprocess.run(args + ["--impl", bad], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1 and "1 failed" in failed.stdout, failed.stdout[-2000:]
    assert "Affine-torch-float64-db" in failed.stdout
