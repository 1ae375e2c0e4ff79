"""The command line: list, a tiny run (files and table), bad input, extension by register()."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness import cli
from tests.harness.runs_support import mnist_5k, need

ROOT = Path(__file__).resolve().parents[2]


def test_list_shows_experiments_and_datasets():
    out = subprocess.run([sys.executable, "-m", "harness", "list"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    for name in ("two_layer_sigmoid", "two_layer_relu", "three_layer_relu", "three_layer_sigmoid",
                 "four_layer_bn_adam", "keras_sigmoid_adam", "mnist-5k", "fashion-mnist", "auto"):
        assert name in out.stdout
    assert "0.8759 on fashion-mnist" in out.stdout


def test_tiny_run_writes_json_and_csv(tmp_path, capsys):
    need("torch")
    mnist_5k()
    code = cli.main(["run", "two_layer_relu", "--frameworks", "numpy,torch", "--dataset", "mnist-5k",
                     "--iters", "30", "--seeds", "2", "--out", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "data set: mnist-5k" in out and "TOST torch vs numpy" in out and "max|Δloss|" in out
    doc = json.loads((tmp_path / "two_layer_relu-mnist-5k-float64.json").read_text())
    assert doc["schema"] == "scratch-parity/results/2" and len(doc["runs"]) == 2
    run = doc["runs"][0]
    assert run["dataset"]["name"] == "mnist-5k" and run["dataset"]["files"]
    assert len(run["runs"]["torch"]["train_loss"]) == 30
    torch_line = next(line for line in out.splitlines() if line.startswith("torch "))
    at_chance = all(r["runs"][fw]["final_test_acc"] < 0.15 for r in doc["runs"] for fw in ("numpy", "torch"))
    assert ("agrees; untrained" in torch_line) == at_chance and ("ok" in torch_line.split()[1]) != at_chance
    assert doc["seed_summary"]["equivalence"]["torch"]["equivalent"]
    loss_csv = (tmp_path / "two_layer_relu-mnist-5k-float64_loss.csv").read_text().splitlines()
    assert loss_csv[0] == "seed,iter,loss_numpy,loss_torch,dloss_torch" and len(loss_csv) == 1 + 2 * 30


def test_bad_input_is_one_clear_line(capsys):
    assert cli.main(["run", "no_such_experiment", "--no-progress"]) == 2
    assert "unknown experiment 'no_such_experiment'" in capsys.readouterr().err
    assert cli.main(["run", "two_layer_relu", "--frameworks", "numpy,mxnet", "--no-progress"]) == 2
    assert "mxnet" in capsys.readouterr().err


def test_register_adds_a_subcommand(capsys, monkeypatch):
    monkeypatch.setattr(cli, "SUBCOMMANDS", dict(cli.SUBCOMMANDS))
    cli.register("hello", "say hello", lambda p: p.add_argument("--who", default="you"),
                 lambda args: print(f"hello {args.who}") or 0)
    assert cli.main(["hello", "--who", "lead"]) == 0
    assert capsys.readouterr().out.strip() == "hello lead"
    with pytest.raises(SystemExit):
        cli.main(["nope"])


def test_explain_says_a_float64_run_never_parted(capsys):
    need("torch")
    mnist_5k()
    code = cli.main(["explain", "two_layer_relu", "--framework", "torch", "--dtype", "float64", "--dataset", "mnist-5k",
                     "--iters", "40", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "torch vs numpy: never parted: no discrete event in 40 steps" in out
    assert "losses bit-identical to the recorded runs" in out
    assert cli.main(["explain", "two_layer_relu", "--framework", "numpy", "--no-progress"]) == 2
    assert "--framework 'numpy'" in capsys.readouterr().err


def test_help_names_the_exit_codes(capsys):
    import harness.report.cli  # noqa: F401 - registers `report`, as python -m harness does

    for command in ("run", "report", "explain"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        assert "exit status: 0" in capsys.readouterr().out


def test_status_column_never_says_ok_beside_chance_accuracy():
    ok = {"status": "ok", "passed": True, "text": "ok"}
    assert cli.short_status(ok) == "ok" and cli.short_status(ok, untrained=True) == "agrees; untrained"
    ref = {"status": "ok", "passed": True, "text": "ok (reference)"}
    assert cli.short_status(ref) == "ok (ref)" and "ok" not in cli.short_status(ref, untrained=True)
    parted = {"status": "parted", "parted_at": 1180, "passed": True, "text": "parted"}
    assert cli.short_status(parted, untrained=True) == "parted@1,180"


def test_a_cut_run_says_its_anchor_is_not_comparable(tmp_path, capsys):
    mnist_5k()
    toml = (Path(cli.__file__).parent / "experiments" / "two_layer_relu.toml").read_text()
    anchored = tmp_path / "anchored.toml"
    anchored.write_text(toml.replace('name = "two_layer_relu"', 'name = "anchored_5k"')
                        + '\n[[anchors]]\nseed = "002"\ndataset = "mnist-5k"\naccuracy = 0.9\nnote = "planted"\n')
    args = ["run", str(anchored), "--frameworks", "numpy", "--dataset", "mnist-5k", "--no-progress",
            "--out", str(tmp_path)]
    cli.main(args + ["--iters", "20"])
    anchor_line = next(line for line in capsys.readouterr().out.splitlines() if "planted" in line)
    assert "not comparable: the anchor is for all 10,000 iterations, this run 20" in anchor_line
