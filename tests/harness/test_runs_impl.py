"""The user's own net in the runs: ``--impl FOLDER`` trains the folder's MultiLayerNet with its own
optimizer as the NumPy run, from the plan's weights and batches; a planted fault is caught by the
curve comparison at the first iteration, and a net that cannot be driven is reported, never
replaced by the shipped reference."""
import json
from pathlib import Path
import shutil

import pytest

from harness import cli
from harness.experiment import load_experiment
from harness.runners import run_experiment
from tests.harness.runs_support import mnist_5k, need

ROOT = Path(__file__).resolve().parents[2]


def user_folder(tmp_path, name="common", edit=None):
    """A copy of the reference as a user's book-style folder (``from common.x import``), with
    ``edit(folder)`` applied."""
    folder = tmp_path / name
    folder.mkdir()
    for path in (ROOT / "reference").glob("*.py"):
        if path.name != "__init__.py":
            text = path.read_text().replace("from reference.", "from common.").replace("import reference.", "import common.")
            (folder / path.name).write_text(text)
    if edit is not None:
        edit(folder)
    return folder


def _replace(folder, file, old, new):
    path = folder / file
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not once in {file}"
    path.write_text(text.replace(old, new))


def planted_dw(folder):
    _replace(folder, "layers.py", "self.dW = np.dot(self.x.T, dout)\n", "self.dW = np.dot(self.x.T, dout) * 1.001\n")


def _run(impl, dtype="float64", frameworks=("numpy", "torch"), iters=30):
    return run_experiment(load_experiment("two_layer_relu"), mnist_5k(), frameworks, dtype, seed=0, iters=iters,
                          impl=str(impl))


def test_user_copy_of_the_reference_trains_exactly_like_it(tmp_path):
    need("torch")
    result = _run(user_folder(tmp_path))
    assert result["impl"].endswith("common") and result["runs"]["numpy"]["impl"] == result["impl"]
    assert "common" in result["runs"]["numpy"]["backend"]
    assert result["comparison"]["torch"]["first_divergent_iter"] is None and result["passed"]


def test_planted_fault_in_the_users_net_is_caught_at_the_first_iteration(tmp_path):
    need("torch")
    result = _run(user_folder(tmp_path, edit=planted_dw))
    cmp, v = result["comparison"]["torch"], result["verdict"]["torch"]
    assert cmp["first_divergent_iter"] == 0
    assert v["status"] == "parted" and v["parted_at"] == 0 and not v["passed"] and not result["passed"]
    why = result["explanation"]["torch"]
    assert why["outcome"] == "step-difference" and why["from_identical_weights"]["first_over_tolerance"]["name"] == "grad W2"


def test_missing_optimizer_is_reported_not_replaced(tmp_path):
    def no_sgd(folder):
        _replace(folder, "optimizer.py", "class SGD:", "class PlainSGD:")

    result = _run(user_folder(tmp_path, edit=no_sgd), frameworks=("numpy",))
    run = result["runs"]["numpy"]
    assert run["status"] == "missing" and "no optimizer.SGD" in run["message"] and run["train_loss"] == []
    assert not result["passed"] and result["verdict"]["numpy"]["text"] == "missing"


def test_net_that_builds_float64_cannot_run_float32(tmp_path):
    def no_dtype(folder):  # the book's signature: no rng, no dtype, so the weights are float64
        _replace(folder, "multi_layer_net.py", "class MultiLayerNet:", "class _Net:")
        with open(folder / "multi_layer_net.py", "a") as fh:
            fh.write("\n\nclass MultiLayerNet(_Net):\n"
                     "    def __init__(self, input_size, hidden_size_list, output_size, activation='relu',\n"
                     "                 weight_init_std='relu', weight_decay_lambda=0):\n"
                     "        super().__init__(input_size, hidden_size_list, output_size, activation, weight_init_std,\n"
                     "                         weight_decay_lambda)\n")

    result = _run(user_folder(tmp_path, edit=no_dtype), dtype="float32", frameworks=("numpy",))
    run = result["runs"]["numpy"]
    assert run["status"] == "failed" and "float64" in run["message"] and "takes no dtype" in run["message"]


def test_cli_run_impl_exits_1_on_the_fault_and_writes_json_to_stdout(tmp_path, capsys):
    need("torch")
    folder = user_folder(tmp_path, edit=planted_dw)
    args = ["run", "two_layer_relu", "--frameworks", "numpy,torch", "--dataset", "mnist-5k", "--iters", "20",
            "--impl", str(folder), "--out", str(tmp_path / "runs"), "--no-progress", "--json", "-"]
    assert cli.main(args) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)  # stdout holds the JSON only; the table went to stderr
    assert doc["schema"] == "scratch-parity/results/2" and doc["runs"][0]["impl"] == str(folder)
    assert doc["runs"][0]["verdict"]["torch"]["status"] == "parted" and isinstance(doc["runs"][0]["environment"], dict)
    assert "parted@0 ✗" in captured.err and "numpy = " in captured.err
    assert cli.main(args[:-2] + ["--exit-zero"]) == 0
