"""``parity check`` on code no one here wrote, as it comes: each fixture reproduces one behaviour
found on real users' code (the book's published ``common/``, folders with broken files, copies of
the reference, nets with other constructors or a random loss), and the verdict must be right:
never green on broken code, never red on the book's own correct numbers."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from parity.verify.patch import Append, Edit, reference_copy
from parity.verify.suite import check
from tests.parity.book_like import book_like_common

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAST = ("torch", "numerical")

pytestmark = pytest.mark.torch


@pytest.fixture(autouse=True)
def _torch():
    pytest.importorskip("torch")


def parity_cli(*args, cwd=ROOT, timeout=600):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "parity", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def statuses(result):
    return {s.component: s.status for s in result.summaries}


def table_rows(stdout):
    """{component: its line's columns} from the CLI's tables (the lines under each ``----`` rule)."""
    rows, inside = {}, False
    for line in stdout.splitlines():
        if line.startswith("---"):
            inside = True
        elif not line.strip():
            inside = False
        elif inside:
            rows[line.split()[0]] = line
    return rows


def write(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(textwrap.dedent(text))
    return str(folder)


# --- the book's own common/: right values, named limits, exit 0 ---------------------------------

def test_book_like_common_exits_0_with_its_limits_named(tmp_path):
    """float64 im2col buffers and running statistics, the pad-ignoring Pooling, the two-activation
    MultiLayerNetExtend, no init module: every value is right, so exit 0, with the notes."""
    folder = book_like_common(tmp_path / "common")
    out = tmp_path / "records.json"
    proc = parity_cli("check", folder, "--frameworks", "torch,numerical", "--json", str(out), "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = table_rows(proc.stdout)
    assert "pass (dtype)" in lines["Convolution"] and "pass (dtype)" in lines["BatchNormalization-train"]
    assert "pass (dtype, limit)" in lines["Pooling"]
    assert {line.split()[1] for line in lines.values()} <= {"pass", "missing"}, lines
    assert "pass" in lines["MultiLayerNetExtend"]
    assert "Convolution: dtype: the implementation returns float64 for float32 input" in proc.stdout
    assert "Pooling: the book's own limit, not a failure: pool-3x3-s2p1" in proc.stdout
    assert "'tanh' rejected (KeyError: 'tanh')" in proc.stdout
    for init in ("init-std", "init-xavier", "init-he"):
        assert "multi_layer_net.py:" in lines[init] and "MultiLayerNet(weight_init_std=" in lines[init]
    data = json.loads(out.read_text())
    assert data["ok"] is True and data["problems"] == []
    summary = {s["component"]: s for s in data["summary"]}
    assert summary["Pooling"]["limits"].startswith("pool-3x3-s2p1: the book's Pooling.forward")
    assert summary["Affine"]["provenance"].startswith("layers.py:")
    pool = [r for r in data["records"] if r["component"] == "Pooling" and r["case"] == "pool-3x3-s2p1"]
    assert pool and {r["status"] for r in pool if r["framework"] == "torch"} == {"limit"}
    conv32 = [r for r in data["records"] if r["component"] == "Convolution" and r["dtype"] == "float32"
              and r["check"] == "forward" and r["framework"] == "torch"]
    assert conv32 and {r["status"] for r in conv32} == {"dtype"}


def test_strict_dtype_turns_the_book_float64_buffers_into_failures(tmp_path):
    folder = book_like_common(tmp_path / "common")
    result = check(folder, frameworks=("torch",), dtypes=("float32",), components=["Convolution", "Affine"],
                   strict_dtype=True)
    assert statuses(result) == {"Convolution": "FAIL", "Affine": "pass"}


def test_book_limit_is_not_granted_to_an_error_elsewhere(tmp_path):
    """Raising on a case the book CAN run is an error, even in a component that has a limit."""
    folder = book_like_common(tmp_path / "common", [Edit(
        "layers.py", "        arg_max = np.argmax(col, axis=1)\n",
        "        if self.pool_h != self.pool_w:\n            raise ValueError('square windows only')\n"
        "        arg_max = np.argmax(col, axis=1)\n")])
    result = check(folder, frameworks=FAST, dtypes=("float64",), components=["Pooling"])
    s = result.summary("Pooling")
    assert s.status == "error" and "square windows only" in s.message and "pool-2x3-s1" in s.first


# --- files that do not import: errors at the top, never missing, never green ------------------------

def test_syntax_error_is_exit_1_with_file_line_and_error_first(tmp_path):
    folder = reference_copy(tmp_path / "common", [Edit("layers.py", "class MulLayer:", "class MulLayer\n")])
    line = open(os.path.join(folder, "layers.py")).read().splitlines().index("class MulLayer") + 1
    out = tmp_path / "records.json"
    proc = parity_cli("check", folder, "--frameworks", "torch,numerical", "--dtypes", "float64",
                      "--components", "Affine,Relu,softmax", "--json", str(out), "--quiet")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    problems = proc.stdout.split("== problems (each fails the check) ==")[1].split("\n\n")[0]
    assert proc.stdout.splitlines()[1] == "== problems (each fails the check) ==", proc.stdout[:800]
    assert f"  layers.py:{line}: SyntaxError: expected ':'" in problems.splitlines(), problems
    assert f"  layers.py:{line}: SyntaxError: expected ':'" in proc.stderr.splitlines()
    lines = table_rows(proc.stdout)
    assert lines["Affine"].split()[1] == "error" and lines["Relu"].split()[1] == "error"
    assert lines["softmax"].split()[1] == "pass"
    assert f"Affine [error]: Affine-torch-float64-forward: could not import layers.py: layers.py:{line}" in proc.stdout
    data = json.loads(out.read_text())
    assert data["ok"] is False
    (syntax,) = [p for p in data["problems"] if p["file"] == "layers.py"]
    assert (syntax["kind"], syntax["line"], syntax["where"]) == ("import-error", line, f"layers.py:{line}")
    assert not [r for r in data["records"] if r["component"] == "Affine" and r["status"] == "missing"]


def test_failing_import_of_a_data_loader_is_an_error_not_missing(tmp_path):
    folder = reference_copy(tmp_path / "common", [Edit("layers.py", "import numpy as np\n",
                                                       "import numpy as np\nfrom dataset.mnist import load_mnist\n")])
    result = check(folder, frameworks=FAST, dtypes=("float64",), components=["Affine", "MultiLayerNet", "softmax"])
    st = statuses(result)
    assert st == {"Affine": "error", "softmax": "pass", "MultiLayerNet": "error"}, st
    assert not result.ok
    where = [p.describe() for p in result.problems]
    assert "layers.py:9: ModuleNotFoundError: No module named 'dataset'" in where
    assert any(w.startswith("multi_layer_net.py:") and "imports layers.py, which does not import" in w for w in where)
    assert "could not import multi_layer_net.py" in result.summary("MultiLayerNet").message


def test_a_folder_none_of_whose_modules_imports_is_never_green(tmp_path):
    folder = write(tmp_path / "common", {"layers.py": "import numpy as np\nfrom dataset.mnist import load_mnist\n",
                                         "functions.py": "def softmax(x)\n    return x\n"})
    result = check(folder, frameworks=FAST, dtypes=("float64",))
    assert not result.ok and len(result.problems) == 2
    assert not result.checked and result.verdict.startswith("FAIL")


def test_nothing_found_is_not_a_green_run(tmp_path):
    folder = write(tmp_path / "common", {"util.py": "def smooth_curve(x):\n    return x\n"})
    result = check(folder, frameworks=FAST, dtypes=("float64",), kinds=("layer", "function"))
    assert not result.ok and "nothing was checked" in result.verdict


# --- what is named is what is tested ------------------------------------------------------------------

_BROKEN_SOFTMAX_WITH_LOSS = '''
class SoftmaxWithLoss:
    """Broken on purpose: the backward forgets to divide by the batch size."""

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        return cross_entropy_error(self.y, t)

    def backward(self, dout=1):
        t = self.t if self.t.size == self.y.size else np.eye(self.y.shape[1])[self.t]
        return (self.y - t) * dout
'''


def test_bare_folder_name_means_the_folder_not_a_package_that_resolves_elsewhere(tmp_path):
    """``check buggy`` where buggy/ has an __init__.py and a sibling common/ exists: buggy's own
    files are checked (its broken SoftmaxWithLoss fails), exactly as ``check ./buggy``."""
    reference_copy(tmp_path / "common")                       # a correct sibling named common
    buggy = reference_copy(tmp_path / "buggy", [Append("layers.py", _BROKEN_SOFTMAX_WITH_LOSS)])
    with open(os.path.join(buggy, "__init__.py"), "w") as f:
        f.write("")
    args = ("--frameworks", "torch,numerical", "--dtypes", "float64", "--components", "SoftmaxWithLoss,MultiLayerNet",
            "--quiet")
    bare, dotted = parity_cli("check", "buggy", *args, cwd=tmp_path), parity_cli("check", "./buggy", *args, cwd=tmp_path)
    assert bare.returncode == dotted.returncode == 1, bare.stdout + bare.stderr
    for proc in (bare, dotted):
        lines = table_rows(proc.stdout)
        assert "FAIL" in lines["SoftmaxWithLoss"] and "FAIL" in lines["MultiLayerNet"]
    unknown = parity_cli("check", "no_such_name", "--quiet", cwd=tmp_path)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "no folder of that name here and no importable module" in unknown.stderr


def test_copy_of_the_reference_importing_reference_is_outside(tmp_path):
    """A copy of reference/ renamed common/, its imports still ``reference.*``, faults edited in:
    the shipped reference is what would run, so nothing passes and each import is named."""
    import shutil

    import reference

    dst = tmp_path / "common"
    shutil.copytree(os.path.dirname(reference.__file__), dst, ignore=shutil.ignore_patterns("__pycache__"))
    text = (dst / "layers.py").read_text().replace("dx = (self.y - self.t) / batch_size", "dx = (self.y - self.t)")
    (dst / "layers.py").write_text(text)
    result = check(str(dst), frameworks=FAST, dtypes=("float64",),
                   components=["Affine", "SoftmaxWithLoss", "softmax", "Adam", "MultiLayerNet", "init-he"])
    st = statuses(result)
    # every module imports reference._checks (the validation helpers) at least
    assert set(st.values()) == {"outside"}, st
    assert not result.ok
    kinds = {p.kind for p in result.problems}
    assert kinds == {"outside-import"}
    described = [p.describe() for p in result.problems]
    assert any(d.startswith("layers.py:") and "imports reference." in d and reference.__path__[0] in d
               for d in described), described
    assert "depends on book code from outside the implementation" in result.summary("SoftmaxWithLoss").message


def test_component_re_exported_from_the_reference_is_outside(tmp_path):
    folder = write(tmp_path / "common", {
        "layers.py": "from reference.layers import Affine  # not the user's\n",
        "functions.py": "import numpy as np\n\ndef relu(x):\n    return np.maximum(0, x)\n"})
    result = check(folder, frameworks=FAST, dtypes=("float64",), components=["Affine", "relu"])
    assert statuses(result) == {"Affine": "outside", "relu": "pass"}
    assert result.problems[0].describe().startswith("layers.py:1: imports reference.layers from ")


# --- initializers: the user's own weights, or missing ------------------------------------------------

def test_initializers_without_init_module_use_the_nets_weights_or_say_missing(tmp_path):
    folder = book_like_common(tmp_path / "common")
    result = check(folder, frameworks=("torch",), dtypes=("float64",), kinds=("initializer",))
    assert statuses(result) == {"init-std": "pass", "init-xavier": "pass", "init-he": "pass"}
    he = result.summary("init-he")
    assert "MultiLayerNet(weight_init_std='he')" in he.provenance
    conv = [r for r in he.records if r.case == "conv-128x64x5x5"]
    assert conv and all(r.status == "skipped" and "fully connected weights only" in r.message for r in conv)
    # the same law written wrongly in the net is caught
    wrong = book_like_common(tmp_path / "wrong", [Edit("multi_layer_net.py", "scale = np.sqrt(2.0 / shape[0])",
                                                       "scale = np.sqrt(1.0 / shape[0])")])
    st = statuses(check(wrong, frameworks=("torch",), dtypes=("float64",), kinds=("initializer",)))
    assert st == {"init-std": "pass", "init-xavier": "pass", "init-he": "FAIL"}
    # neither an init module nor a net: missing, never the shipped reference's law
    bare = write(tmp_path / "bare", {"functions.py": "import numpy as np\n\ndef relu(x):\n    return np.maximum(0, x)\n"})
    st = statuses(check(bare, frameworks=("torch",), dtypes=("float64",), kinds=("initializer",)))
    assert set(st.values()) == {"missing"}


# --- nets: built from their own signature, compared only with the same architecture -------------------

_THREE_LAYER_FIXED = '''
class ThreeLayerNet:
    """A learner's net: the second hidden size is fixed inside, not an argument."""

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, 50), "b2": np.zeros(50),
                       "W3": weight_init_std * np.random.randn(50, output_size), "b3": np.zeros(output_size)}
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Sigmoid()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.layers["Relu2"] = Sigmoid()
        self.layers["Affine3"] = Affine(self.params["W3"], self.params["b3"])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        return np.sum(y == np.argmax(t, axis=1)) / float(x.shape[0])

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db,
                "W3": self.layers["Affine3"].dW, "b3": self.layers["Affine3"].db}
'''

_NET_IMPORTS = "from collections import OrderedDict\n\nimport numpy as np\n\nfrom common.layers import *\n"


def test_net_built_from_its_own_signature_with_a_fixed_inner_size(tmp_path):
    folder = reference_copy(tmp_path / "common")
    write(folder, {"three_layer_net.py": _NET_IMPORTS + _THREE_LAYER_FIXED})
    result = check(folder, frameworks=FAST, components=["ThreeLayerNet"])
    s = result.summary("ThreeLayerNet")
    assert s.status == "pass", s.message
    assert any("ThreeLayerNet(input_size=6, hidden_size=5, output_size=3)" in n for n in s.notes), s.notes
    checked = {r.check for r in s.records if r.status == "pass"}
    assert {"W1", "W3", "forward", "predict", "loss", "accuracy"} <= checked


def test_net_with_an_argument_it_cannot_fill_names_it_and_the_factory(tmp_path):
    folder = reference_copy(tmp_path / "common", [Edit(
        "two_layer_net.py", "    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01,",
        "    def __init__(self, n_in, hidden_size, output_size, weight_init_std=0.01,"), Edit(
        "two_layer_net.py", "super().__init__(input_size,", "super().__init__(n_in,")])
    s = check(folder, frameworks=FAST, components=["TwoLayerNet"]).summary("TwoLayerNet")
    assert s.status == "error"
    assert "cannot fill the argument 'n_in'" in s.message and "--net-factory module:function" in s.message
    proc = parity_cli("localize", folder, "--net", "TwoLayerNet")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "'n_in'" in proc.stderr


_MULTI_LAYER_NET_WITH_BATCHNORM = '''
from common.multi_layer_net_extend import MultiLayerNetExtend  # noqa: E402  (after MultiLayerNet exists)


class MultiLayerNet(MultiLayerNetExtend):
    """A learner's MultiLayerNet with batch norm always on: 7 layers for two hidden layers."""

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
                 weight_decay_lambda=0):
        super().__init__(input_size, hidden_size_list, output_size, activation=activation,
                         weight_init_std=weight_init_std, weight_decay_lambda=weight_decay_lambda, use_batchnorm=True)
'''


_SCALE_LAYER = '''
class Scale:
    """A layer the book's nets do not have."""

    def forward(self, x):
        return 2.0 * x

    def backward(self, dout):
        return 2.0 * dout
'''


def test_forward_is_compared_only_with_the_same_architecture(tmp_path):
    """A net with batch norm that calls itself MultiLayerNet is compared with a reference of ITS
    architecture (no false FAIL); a layer the book lacks means no forward comparison, and why."""
    with_bn = reference_copy(tmp_path / "bn", [Append("multi_layer_net.py", _MULTI_LAYER_NET_WITH_BATCHNORM)])
    s = check(with_bn, frameworks=FAST, components=["MultiLayerNet"]).summary("MultiLayerNet")
    assert s.status == "pass", s.message
    assert {r.check: r.status for r in s.records if r.framework == "reference"} == {"forward": "pass", "predict": "pass"}
    scaled = reference_copy(tmp_path / "scale", [Append("layers.py", _SCALE_LAYER), Edit(
        "multi_layer_net.py", '        self.last_layer = SoftmaxWithLoss()\n',
        '        self.layers["Scale"] = Scale()\n        self.last_layer = SoftmaxWithLoss()\n'), Edit(
        "multi_layer_net.py", "from common.layers import Affine,", "from common.layers import Scale, Affine,")])
    s = check(scaled, frameworks=FAST, components=["MultiLayerNet"]).summary("MultiLayerNet")
    assert s.status == "pass", s.message
    assert {r.check: r.status for r in s.records if r.framework == "reference"} == {"forward": "skipped",
                                                                                    "predict": "skipped"}
    assert any("Scale (Scale)" in n for n in s.notes), s.notes


# --- a random loss: detected, fixed, said -------------------------------------------------------------

def test_stochastic_loss_is_detected_and_checked_with_the_same_mask(tmp_path):
    dropout_on = Edit("multi_layer_net_extend.py", "    def loss(self, x, t, train_flg=False):\n",
                      "    def loss(self, x, t, train_flg=True):\n")
    defaults = Edit("multi_layer_net_extend.py", "use_dropout=False,", "use_dropout=True,")
    good = reference_copy(tmp_path / "good", [dropout_on, defaults])
    s = check(good, frameworks=FAST, components=["MultiLayerNetExtend"]).summary("MultiLayerNetExtend")
    assert s.status == "pass", s.message
    assert any("the training loss is random" in n and "same mask" in n for n in s.notes), s.notes
    bad = reference_copy(tmp_path / "bad", [dropout_on, defaults, Edit(
        "layers.py", "        return dout * self.mask\n", "        return dout\n")])
    s = check(bad, frameworks=FAST, components=["MultiLayerNetExtend"]).summary("MultiLayerNetExtend")
    assert s.status == "FAIL" and "first divergent in backprop order" in s.message


# --- the user's numerical_gradient is a component -------------------------------------------------------

_CENTRAL = "fxh1 - fxh2) / (2 * h)"
NUMERICAL_GRADIENT_FAULTS = {
    "forward-difference": ((Edit("gradient.py", "        x[idx] = tmp_val - h\n        fxh2 = f(x)\n",
                                 "        x[idx] = tmp_val\n        fxh2 = f(x)\n"),
                            Edit("gradient.py", _CENTRAL, "fxh1 - fxh2) / h")), "grad"),
    "divisor-h": ((Edit("gradient.py", _CENTRAL, "fxh1 - fxh2) / h"),), "grad"),
    "x-not-restored": ((Edit("gradient.py", "        x[idx] = tmp_val\n        grad[idx]", "        grad[idx]"),),
                       "x_restored"),
    "perturbs-a-copy": ((Edit("gradient.py", "    grad = np.zeros_like(x)\n",
                              "    grad = np.zeros_like(x)\n    x = x.copy()\n"),), "grad [ng-closure-2d]"),
}


@pytest.mark.parametrize("fault", list(NUMERICAL_GRADIENT_FAULTS))
def test_numerical_gradient_faults_are_caught(tmp_path, fault):
    edits, first = NUMERICAL_GRADIENT_FAULTS[fault]
    folder = reference_copy(tmp_path / "common", edits)
    s = check(folder, frameworks=FAST, components=["numerical_gradient"]).summary("numerical_gradient")
    assert s.status == "FAIL" and s.first.startswith(first), (s.first, s.message)


def test_numerical_gradient_of_the_reference_and_a_1d_only_rewrite(tmp_path):
    assert check("reference", frameworks=FAST, components=["numerical_gradient"]).summary(
        "numerical_gradient").status == "pass"
    folder = reference_copy(tmp_path / "common", [Append("gradient.py", '''
def numerical_gradient(f, x):
    """A seed's rewrite: 1-D only."""
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
''')])
    s = check(folder, frameworks=FAST, components=["numerical_gradient"]).summary("numerical_gradient")
    assert s.status in ("FAIL", "error") and "2d" in s.first


# --- the library entry configures numerics as the CLI does ---------------------------------------------

def test_run_checks_configures_numerics_before_tensorflow_is_imported():
    code = ("import os, parity\n"
            "df = parity.run_checks(frameworks=('numerical',), dtypes=('float64',), components=['Relu'])\n"
            "from parity import numerics\n"
            "print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'), numerics.STATE.get('tf_onednn_opts'),"
            " numerics.STATE.get('torch_deterministic'))\n")
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**env, "PYTHONPATH": ROOT})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "False", "True"]
