"""Code where learners write it: notebooks and scripts read for their definitions (never run),
any class that is a net, ``parity.check(globals())`` in a real kernel, and a class of submissions
at once (joblib loky, a Dask LocalCluster). Every notebook here is written in the seeds' style:
definitions mixed with ``drive.mount``, ``load_mnist``, training loops, plots and magics."""
import json
import os
import subprocess
import sys
import textwrap
import types

import pytest

from parity.impl import load_implementation
from parity.verify.patch import Edit, reference_copy
from parity.verify.suite import check
from tests.parity.book_like import book_like_common

nbformat = pytest.importorskip("nbformat")
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAST = ("torch", "numerical")

pytestmark = pytest.mark.torch


@pytest.fixture(autouse=True)
def _torch():
    pytest.importorskip("torch")


def parity_cli(*args, cwd=ROOT, timeout=600):
    return subprocess.run([sys.executable, "-m", "parity", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": ROOT})


def table_rows(stdout):
    """[(component, its columns)] from the CLI's tables, in order (a name may repeat)."""
    rows, inside = [], False
    for line in stdout.splitlines():
        if line.startswith("---"):
            inside = True
        elif not line.strip():
            inside = False
        elif inside:
            rows.append((line.split()[0], line.split()))
    return rows


# A learner's TwoLayerNet as the seeds write it; GRAD_B2 is where the bug goes.
TWO_LAYER_NET = '''class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers['Affine1'] = Affine(self.params['W1'], self.params['b1'])
        self.layers['Relu1'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W2'], self.params['b2'])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1: t = np.argmax(t, axis=1)
        return np.sum(y == t) / float(x.shape[0])

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W2'], grads['b2'] = self.layers['Affine2'].dW, GRAD_B2
        return grads
'''
BUGGY, FIXED = (TWO_LAYER_NET.replace("GRAD_B2", "self.layers['Affine2'].db * 2"),
                TWO_LAYER_NET.replace("GRAD_B2", "self.layers['Affine2'].db"))
SETUP = ("import sys, os\nsys.path.append(os.pardir)\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
         "from common.layers import *\nfrom collections import OrderedDict\nfrom dataset.mnist import load_mnist")
TRAINING = ("(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)\n"
            "network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)\n"
            "train_size = x_train.shape[0]\n"
            "for i in range(10000):\n    grad = network.gradient(x_train[:100], t_train[:100])\n"
            "plt.plot(network.loss(x_test, t_test))")


def seed_style_notebook(path, cells):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    nb = new_notebook(cells=[new_markdown_cell(c[1:]) if c.startswith("#") else new_code_cell(c) for c in cells])
    nbformat.write(nb, path)
    return str(path)


@pytest.fixture
def learner(tmp_path):
    """The learner's own common/ (book-like) in the parent folder of their chapter notebook."""
    book_like_common(tmp_path / "common")
    return tmp_path


def test_notebook_is_read_not_run_and_its_bugs_named_by_cell_and_parameter(learner):
    nb = seed_style_notebook(learner / "ch05" / "work.ipynb", [
        "# Q2: backprop", "%matplotlib inline\nfrom google.colab import drive\ndrive.mount('/content/drive')",
        SETUP, BUGGY, TRAINING, FIXED, "!pip install tqdm\nprint('done')"])
    out = learner / "records.json"
    proc = parity_cli("check", nb, "--frameworks", "torch,numerical", "--dtypes", "float64", "--json", str(out),
                      "--quiet", cwd=learner / "ch05")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = [cols for name, cols in table_rows(proc.stdout) if name == "TwoLayerNet"]
    assert [(r[1], r[2], r[3]) for r in rows] == [("FAIL", "cell", "4"), ("pass", "cell", "6")], rows
    assert "b2 vs numerical" in " ".join(rows[0])
    affine = [cols for name, cols in table_rows(proc.stdout) if name == "Affine"][0]
    assert affine[1] == "pass" and affine[2].startswith("../common/layers.py:")
    assert "cell 3, line 2: sys.path.append honoured: .." in proc.stdout
    for left in ("cell 2, line 1: %matplotlib inline  -- an IPython magic",
                 "cell 2, line 3: drive.mount('/content/drive')  -- a call",
                 "cell 3, line 7: from dataset.mnist import load_mnist  -- an import that only left-out code uses",
                 "cell 5, line 4: for i in range(10000):", "-- a loop",
                 "cell 5, line 3: train_size = x_train.shape[0]  -- a value computed from left-out work (x_train)",
                 "cell 7, line 1: !pip install tqdm  -- a shell command"):
        assert left in proc.stdout, left
    data = json.loads(out.read_text())
    failed = [r for r in data["records"] if r["component"] == "TwoLayerNet" and r["status"] == "fail"]
    assert failed and {r["provenance"] for r in failed} == {"cell 4"} and {r["check"] for r in failed} == {"b2"}


def test_a_cell_that_does_not_parse_is_named(learner):
    nb = seed_style_notebook(learner / "ch05" / "broken.ipynb", [SETUP, "def softmax(x)\n    return x", FIXED])
    result = check(nb, frameworks=FAST, dtypes=("float64",), components=["softmax", "TwoLayerNet"])
    assert [p.describe() for p in result.problems] == ["cell 2, line 1: SyntaxError: expected ':'"]
    assert not result.ok and result.summary("TwoLayerNet").status == "pass"


def test_a_notebook_without_its_common_folder_says_which_import_failed(tmp_path):
    nb = seed_style_notebook(tmp_path / "alone" / "work.ipynb", [SETUP, FIXED])
    result = check(nb, frameworks=FAST, dtypes=("float64",), components=["TwoLayerNet"])
    assert not result.ok
    assert any(p.describe() == "cell 1, line 5: ModuleNotFoundError: No module named 'common'" for p in result.problems)
    assert "name 'Affine' is not defined" in result.summary("TwoLayerNet").message


def test_a_script_in_the_same_style_is_read_the_same_way(learner):
    script = learner / "ch05" / "train_neuralnet.py"
    script.parent.mkdir(parents=True)
    script.write_text(SETUP + "\n\n" + FIXED + "\n\n" + TRAINING + "\n")
    result = check(str(script), frameworks=FAST, dtypes=("float64",), components=["TwoLayerNet", "Affine"])
    assert result.ok, result.render()
    assert result.summary("TwoLayerNet").provenance == "train_neuralnet.py:9"
    assert [o.where for o in result.left_out if o.why == "a loop"] == ["train_neuralnet.py:49"], result.left_out


# --- any net, whatever its name and constructor ---------------------------------------------------

ANY_NETS = '''import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]


class OneLayerNet:
    """A learner's softmax regression."""

    def __init__(self, input_size, output_size, weight_init_std=0.01):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, output_size), "b1": np.zeros(output_size)}

    def predict(self, x):
        return softmax(np.dot(x, self.params["W1"]) + self.params["b1"])

    def loss(self, x, t):
        return cross_entropy_error(self.predict(x), t)

    def gradient(self, x, t):
        dy = (self.predict(x) - t) / x.shape[0]
        return {"W1": np.dot(x.T, dy), "b1": dy.sum(axis=0)}


class TwoLayerNet_Sigmoid:
    """Softmax in predict and loss, but its gradient differentiates a sigmoid output."""

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size)}

    def predict(self, x):
        z1 = sigmoid(np.dot(x, self.params["W1"]) + self.params["b1"])
        return softmax(np.dot(z1, self.params["W2"]) + self.params["b2"])

    def loss(self, x, t):
        return cross_entropy_error(self.predict(x), t)

    def gradient(self, x, t):
        z1 = sigmoid(np.dot(x, self.params["W1"]) + self.params["b1"])
        y = sigmoid(np.dot(z1, self.params["W2"]) + self.params["b2"])   # not the model of loss()
        dy = (y - t) / x.shape[0]
        dz1 = np.dot(dy, self.params["W2"].T) * z1 * (1 - z1)
        return {"W2": np.dot(z1.T, dy), "b2": dy.sum(axis=0), "W1": np.dot(x.T, dz1), "b1": dz1.sum(axis=0)}


class MyNet:
    """A constructor the book's names cannot fill."""

    def __init__(self, n_in, n_out):
        self.params = {"W": 0.1 * np.random.randn(n_in, n_out), "b": np.zeros(n_out)}

    def predict(self, x):
        return softmax(np.dot(x, self.params["W"]) + self.params["b"])

    def loss(self, x, t):
        return cross_entropy_error(self.predict(x), t)

    def gradient(self, x, t):
        dy = (self.predict(x) - t) / x.shape[0]
        return {"W": np.dot(x.T, dy), "b": dy.sum(axis=0)}


def make_my_net():
    return MyNet(6, 3)
'''


def test_any_class_with_params_loss_and_gradient_is_a_net(tmp_path):
    script = tmp_path / "nets.py"
    script.write_text(ANY_NETS)
    result = check(str(script), frameworks=FAST, kinds=("net",))
    st = {s.component: s.status for s in result.summaries}
    assert st == {"OneLayerNet": "pass", "TwoLayerNet_Sigmoid": "FAIL", "MyNet": "error"}, st
    wrong = result.summary("TwoLayerNet_Sigmoid")
    assert wrong.first == "W2 vs numerical" and "first divergent in backprop order: W2" in wrong.message
    mine = result.summary("MyNet")
    assert "cannot fill the argument 'n_in'" in mine.message and "--net-factory" in mine.message
    with_factory = check(str(script), frameworks=FAST, kinds=("net",), components=["MyNet"],
                         net_factories={"MyNet": f"{script}:make_my_net"})
    assert with_factory.summary("MyNet").status == "pass", with_factory.summary("MyNet").message
    assert with_factory.summary("MyNet").provenance == f"factory {script}:make_my_net"


def test_net_factory_on_the_command_line(tmp_path):
    script = tmp_path / "nets.py"
    script.write_text(ANY_NETS)
    proc = parity_cli("check", str(script), "--kinds", "net", "--components", "MyNet", "--frameworks",
                      "torch,numerical", "--net-factory", f"MyNet={script}:make_my_net", "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [cols[1] for name, cols in table_rows(proc.stdout) if name == "MyNet"] == ["pass"]


# --- live namespaces -----------------------------------------------------------------------------

def _namespace_source():
    ns = {}
    exec(compile(textwrap.dedent('''
        import numpy as np

        class Relu:
            def forward(self, x):
                self.mask = x <= 0
                out = x.copy(); out[self.mask] = 0
                return out

            def backward(self, dout):
                dx = dout.copy(); dx[self.mask] = 0
                return dx

        def softmax(x):
            return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)   # no max shift: overflows at 1000
    '''), "<learner>", "exec"), ns)
    return ns


@pytest.mark.parametrize("kind", ["dict", "SimpleNamespace", "module"])
def test_check_a_live_namespace(kind):
    import parity

    ns = _namespace_source()
    target = {"dict": ns, "SimpleNamespace": types.SimpleNamespace(**ns),
              "module": types.ModuleType("learner_module")}[kind]
    if kind == "module":
        vars(target).update(ns)
    result = parity.check(target, frameworks=FAST, dtypes=("float64",), components=["Relu", "softmax", "Affine"])
    st = {s.component: s.status for s in result.summaries}
    assert st["Relu"] == "pass" and st["Affine"] == "missing"
    assert st["softmax"] in ("FAIL", "error")  # exp(1000) = inf: NaN where the book's shift keeps it finite
    assert "== layers ==" in str(result) and "FAIL" in str(result)
    html = result._repr_html_()
    assert "<table>" in html and ">Relu<" in html and "background" in html
    assert repr(result).startswith("<CheckResult")


def test_parity_check_of_globals_in_a_real_kernel(tmp_path):
    """A notebook executed in an ipykernel kernel by nbclient calls parity.check(globals()); the
    children are forked from the kernel (nothing to re-import), and the result displays as HTML."""
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    cells = [new_code_cell("import numpy as np\nimport parity"),
             new_code_cell(textwrap.dedent('''
                class Relu:
                    def forward(self, x):
                        self.mask = x <= 0
                        out = x.copy(); out[self.mask] = 0
                        return out

                    def backward(self, dout):
                        dx = dout.copy(); dx[self.mask] = 0
                        return dx

                class Sigmoid:
                    def forward(self, x):
                        self.out = 1 / (1 + np.exp(-x))
                        return self.out

                    def backward(self, dout):
                        return dout * (1.0 - self.out)      # the learner forgot * self.out
             ''')),
             new_code_cell("result = parity.check(globals(), frameworks=('torch', 'numerical'), dtypes=('float64',),\n"
                           "                      components=['Relu', 'Sigmoid'])\n"
                           "print({s.component: [s.status, s.provenance, s.first] for s in result.summaries})"),
             new_code_cell("result")]
    nb = new_notebook(cells=cells)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[2].outputs if o.output_type == "stream" and o.name == "stdout")
    found = eval(printed)  # noqa: S307 -- the dict the kernel printed
    assert found["Relu"][:2] == ["pass", "In [2]"]
    assert found["Sigmoid"][:2] == ["FAIL", "In [2]"] and found["Sigmoid"][2].startswith("dx")
    shown = [o for o in nb.cells[3].outputs if o.output_type == "execute_result"][0]
    assert "<table>" in shown["data"]["text/html"] and "Sigmoid" in shown["data"]["text/html"]


# --- a class of submissions ------------------------------------------------------------------------

_CRASH = Edit("layers.py", "        self.original_x_shape = x.shape\n",
              "        import os\n        os._exit(3)\n        self.original_x_shape = x.shape\n")
_HANG = Edit("layers.py", "        self.original_x_shape = x.shape\n", "        while True:\n            pass\n")
COMPONENTS = "Affine,SoftmaxWithLoss,TwoLayerNet"


@pytest.fixture
def a_class(tmp_path):
    """Six submissions: two correct (a folder, a notebook with its common/), one with a planted
    fault, one that kills its process, one that hangs, one that imports a module that is not there."""
    subs = tmp_path / "submissions"
    reference_copy(subs / "s01_correct_folder")
    book_like_common(subs / "s02_notebook" / "common")
    seed_style_notebook(subs / "s02_notebook" / "work.ipynb", [SETUP, FIXED, TRAINING])  # common/ beside it
    reference_copy(subs / "s03_softmax_fault", [Edit("layers.py", "dx = (self.y - self.t) / batch_size",
                                                     "dx = (self.y - self.t)")])
    reference_copy(subs / "s04_crashes", [_CRASH])
    reference_copy(subs / "s05_hangs", [_HANG])
    reference_copy(subs / "s06_missing_import", [Edit("layers.py", "import numpy as np\n",
                                                      "import numpy as np\nimport cupy\n")])
    return subs


EXPECTED = {"s01_correct_folder": True, "s02_notebook": True, "s03_softmax_fault": False, "s04_crashes": False,
            "s05_hangs": False, "s06_missing_import": False}


def _check_rows(result):
    rows = {r.name: r for r in result.rows}
    assert {n: r.ok for n, r in rows.items()} == EXPECTED, {n: r.verdict for n, r in rows.items()}
    assert rows["s03_softmax_fault"].statuses["SoftmaxWithLoss"] == "FAIL"
    assert rows["s03_softmax_fault"].statuses["Affine"] == "pass"
    assert "did not finish" in rows["s04_crashes"].verdict
    assert rows["s05_hangs"].statuses["Affine"] == "timeout" and rows["s05_hangs"].statuses["SoftmaxWithLoss"] == "pass"
    assert rows["s06_missing_import"].statuses["Affine"] == "error"
    assert any("No module named 'cupy'" in p for p in rows["s06_missing_import"].problems)
    return rows


def test_a_class_of_submissions_in_parallel_with_joblib(a_class, tmp_path):
    out = tmp_path / "out"
    proc = parity_cli("check", str(a_class), "--jobs", "2", "--components", COMPONENTS, "--timeout", "6",
                      "--out", str(out), timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 of 6 submissions pass" in proc.stdout
    data = json.loads((out / "batch.json").read_text())
    assert data["schema"] == "scratch-parity/batch/1"
    from parity.verify.batch import BatchResult, Submission

    rows = _check_rows(BatchResult(str(a_class), [Submission(**r) for r in data["submissions"]]))
    # the notebook imports the learner's own common/ beside it; its data loading is left out
    assert rows["s02_notebook"].statuses["TwoLayerNet"] == "pass" and rows["s02_notebook"].statuses["Affine"] == "pass"
    csv = (out / "batch.csv").read_text().splitlines()
    assert csv[0].startswith("submission,verdict,Affine,SoftmaxWithLoss") and len(csv) == 7
    assert "<table" in (out / "batch.html").read_text()


def test_a_class_of_submissions_on_a_dask_local_cluster(a_class):
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    from parity.verify.batch import check_batch

    with dask.config.set({"distributed.worker.daemon": False}):  # workers fork the checks' children
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
            result = check_batch(str(a_class), scheduler=cl.scheduler_address, timeout=6,
                                 components=COMPONENTS.split(","))
    _check_rows(result)
