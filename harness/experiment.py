"""Experiments as declarative TOML files (``harness/experiments/*.toml``), loaded and validated.

One file per seed experiment::

    name = "two_layer_relu"
    description = "..."
    [seed]      id = "002", note = "..."           # the seed document it reproduces
    [[anchors]] seed, dataset, accuracy | accuracy_low + accuracy_high, note
    [network]   kind = "MultiLayerNet" | "MultiLayerNetExtend", input_size, hidden_size_list,
                output_size, activation, weight_init_std (float | "xavier" | "he"), use_batchnorm
                | kind = "SimpleConvNet", input_dim [C, H, W], conv_param {filter_num, filter_size,
                pad, stride}, hidden_size, output_size, weight_init_std
                | kind = "DeepConvNet", input_dim, hidden_size, output_size, weight_init_std,
                dropout_ratio (the book's six convolutions)
    [optimizer] name = "SGD" | "Momentum" | ... | "Adam", lr, and the book's other hyper names
    [schedule]  kind = "sample_batches" (batch_size, iters) | "shuffled_epochs" (batch_size, epochs);
                optional eval_every (evaluate every N iterations instead of once per epoch) and
                eval_size (accuracies on the first N training and N test samples instead of all),
                short_iters_min (where the report cuts the schedule, it keeps at least N iterations)

    >>> load_experiment("two_layer_relu").network["hidden_size_list"]
    [50]

Anything missing, misspelled or of the wrong type raises ValueError naming the file and the key.
"""
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

EXPERIMENTS_DIR = Path(__file__).parent / "experiments"

MLP_KINDS = ("MultiLayerNet", "MultiLayerNetExtend")
CONV_KINDS = ("SimpleConvNet", "DeepConvNet")
NETWORK_KINDS = (*MLP_KINDS, *CONV_KINDS)
ACTIVATIONS = ("relu", "sigmoid", "tanh")
OPTIMIZERS = {  # name -> hyper-parameters it accepts besides lr (the book's names)
    "SGD": (),
    "Momentum": ("momentum",),
    "Nesterov": ("momentum",),
    "AdaGrad": (),
    "RMSprop": ("decay_rate",),
    "Adam": ("beta1", "beta2"),
}
SCHEDULES = {"sample_batches": ("batch_size", "iters"), "shuffled_epochs": ("batch_size", "epochs")}
SCHEDULE_OPTIONS = ("eval_every", "eval_size", "short_iters_min")
DATASETS_FOR_ANCHORS = ("mnist", "fashion-mnist", "mnist-5k")

_TOP = {"name", "description", "seed", "anchors", "network", "optimizer", "schedule"}
_NETWORK = {"kind", "input_size", "hidden_size_list", "output_size", "activation", "weight_init_std",
            "use_batchnorm"}
_CONV_NETWORK = {  # kind -> (allowed keys, required keys)
    "SimpleConvNet": ({"kind", "input_dim", "conv_param", "hidden_size", "output_size", "weight_init_std"},
                      {"kind", "input_dim", "conv_param", "hidden_size", "output_size", "weight_init_std"}),
    "DeepConvNet": ({"kind", "input_dim", "hidden_size", "output_size", "weight_init_std", "dropout_ratio"},
                    {"kind", "input_dim", "hidden_size", "output_size", "weight_init_std", "dropout_ratio"}),
}
_CONV_PARAM = ("filter_num", "filter_size", "pad", "stride")
_ANCHOR = {"seed", "dataset", "accuracy", "accuracy_low", "accuracy_high", "note"}


@dataclass(frozen=True)
class Experiment:
    """A validated experiment. ``anchors``: list of {seed, dataset, low, high, note}."""

    name: str
    description: str
    seed_id: str
    seed_note: str
    network: dict
    optimizer: dict
    schedule: dict
    anchors: list = field(default_factory=list)
    path: str = ""

    @property
    def optimizer_hyper(self):
        """The optimizer's hyper-parameters (lr, ...) without its name."""
        return {k: v for k, v in self.optimizer.items() if k != "name"}

    def as_record(self):
        """JSON-ready dict of everything the run depends on."""
        return {"name": self.name, "description": self.description, "seed_id": self.seed_id,
                "seed_note": self.seed_note, "network": dict(self.network),
                "optimizer": dict(self.optimizer), "schedule": dict(self.schedule),
                "anchors": [dict(a) for a in self.anchors], "path": self.path}


def experiment_names(kinds=None):
    """Names of the shipped experiments, sorted; kinds: only those whose network is of one of these
    kinds (e.g. ``MLP_KINDS``)."""
    names = sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.toml"))
    if kinds is None:
        return names
    return [n for n in names if load_experiment(n).network["kind"] in kinds]


def load_experiment(name_or_path):
    """The Experiment named ``name_or_path`` (a shipped name, or a path to a .toml file)."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = EXPERIMENTS_DIR / f"{name_or_path}.toml"
        if not path.exists():
            raise ValueError(f"unknown experiment {name_or_path!r}; known: {', '.join(experiment_names())}")
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"experiment file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    return parse_experiment(raw, str(path))


def parse_experiment(raw, where="<dict>"):
    """Validate a parsed TOML dict; ``where`` names the file in error messages."""
    _keys(raw, _TOP, {"name", "seed", "network", "optimizer", "schedule"}, where, "")
    seed = _table(raw, "seed", where)
    _keys(seed, {"id", "note"}, {"id"}, where, "seed.")
    network = _network(_table(raw, "network", where), where)
    optimizer = _optimizer(_table(raw, "optimizer", where), where)
    schedule = _schedule(_table(raw, "schedule", where), where)
    anchors = [_anchor(a, where, i) for i, a in enumerate(raw.get("anchors", []))]
    return Experiment(name=_typed(raw, "name", str, where), description=raw.get("description", ""),
                      seed_id=_typed(seed, "id", str, where, "seed."), seed_note=seed.get("note", ""),
                      network=network, optimizer=optimizer, schedule=schedule, anchors=anchors,
                      path=where)


def _network(net, where):
    if net.get("kind") not in NETWORK_KINDS:
        raise ValueError(f"{where}: network.kind {net.get('kind')!r} is not one of {NETWORK_KINDS}")
    if net["kind"] in _CONV_NETWORK:
        return _conv_network(net, where)
    _keys(net, _NETWORK, _NETWORK - {"use_batchnorm"}, where, "network.")
    if net["activation"] not in ACTIVATIONS:
        raise ValueError(f"{where}: network.activation {net['activation']!r} is not one of {ACTIVATIONS}")
    sizes = net["hidden_size_list"]
    if not (isinstance(sizes, list) and sizes and all(isinstance(s, int) and s > 0 for s in sizes)):
        raise ValueError(f"{where}: network.hidden_size_list must be a non-empty list of positive ints, got {sizes!r}")
    for key in ("input_size", "output_size"):
        _positive_int(net, key, where, "network.")
    init = net["weight_init_std"]
    if not (isinstance(init, (int, float)) and init > 0 or init in ("xavier", "he", "sigmoid", "relu")):
        raise ValueError(f"{where}: network.weight_init_std must be a positive float, 'xavier' or 'he', got {init!r}")
    batchnorm = net.get("use_batchnorm", False)
    if not isinstance(batchnorm, bool):
        raise ValueError(f"{where}: network.use_batchnorm must be true or false, got {batchnorm!r}")
    if batchnorm and net["kind"] != "MultiLayerNetExtend":
        raise ValueError(f"{where}: network.use_batchnorm needs kind = 'MultiLayerNetExtend'")
    return {**net, "use_batchnorm": batchnorm}


def _conv_network(net, where):
    allowed, required = _CONV_NETWORK[net["kind"]]
    _keys(net, allowed, required, where, "network.")
    dim = net["input_dim"]
    if not (isinstance(dim, list) and len(dim) == 3 and all(isinstance(d, int) and d > 0 for d in dim)):
        raise ValueError(f"{where}: network.input_dim must be [C, H, W] (positive ints), got {dim!r}")
    for key in ("hidden_size", "output_size"):
        _positive_int(net, key, where, "network.")
    init = net["weight_init_std"]
    if not (isinstance(init, (int, float)) and not isinstance(init, bool) and init > 0 or init in ("xavier", "he")):
        raise ValueError(f"{where}: network.weight_init_std must be a positive float, 'xavier' or 'he', got {init!r}")
    if "conv_param" in net:
        cp = net["conv_param"]
        if not isinstance(cp, dict):
            raise ValueError(f"{where}: network.conv_param must be a table, got {cp!r}")
        _keys(cp, set(_CONV_PARAM), set(_CONV_PARAM), where, "network.conv_param.")
        for key in _CONV_PARAM:
            value = cp[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "pad" else 1):
                raise ValueError(f"{where}: network.conv_param.{key} must be an integer >= "
                                 f"{0 if key == 'pad' else 1}, got {value!r}")
    if "dropout_ratio" in net:
        r = net["dropout_ratio"]
        if not isinstance(r, (int, float)) or isinstance(r, bool) or not 0.0 <= r < 1.0:
            raise ValueError(f"{where}: network.dropout_ratio must be in [0, 1), got {r!r}")
    from harness.runners.architecture import layers

    try:
        layers(net)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return dict(net)


def _optimizer(opt, where):
    name = _typed(opt, "name", str, where, "optimizer.")
    if name not in OPTIMIZERS:
        raise ValueError(f"{where}: optimizer.name {name!r} is not one of {tuple(OPTIMIZERS)}")
    _keys(opt, {"name", "lr", *OPTIMIZERS[name]}, {"name", "lr"}, where, "optimizer.")
    for key, value in opt.items():
        if key != "name" and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
            raise ValueError(f"{where}: optimizer.{key} must be a positive number, got {value!r}")
    return {k: (v if k == "name" else float(v)) for k, v in opt.items()}


def _schedule(sched, where):
    kind = _typed(sched, "kind", str, where, "schedule.")
    if kind not in SCHEDULES:
        raise ValueError(f"{where}: schedule.kind {kind!r} is not one of {tuple(SCHEDULES)}")
    _keys(sched, {"kind", *SCHEDULES[kind], *SCHEDULE_OPTIONS}, {"kind", *SCHEDULES[kind]}, where, "schedule.")
    for key in (*SCHEDULES[kind], *(k for k in SCHEDULE_OPTIONS if k in sched)):
        _positive_int(sched, key, where, "schedule.")
    return dict(sched)


def _anchor(anchor, where, i):
    prefix = f"anchors[{i}]."
    _keys(anchor, _ANCHOR, {"seed", "dataset"}, where, prefix)
    if anchor["dataset"] not in DATASETS_FOR_ANCHORS:
        raise ValueError(f"{where}: {prefix}dataset {anchor['dataset']!r} is not one of {DATASETS_FOR_ANCHORS}")
    if "accuracy" in anchor:
        if "accuracy_low" in anchor or "accuracy_high" in anchor:
            raise ValueError(f"{where}: {prefix} give accuracy, or accuracy_low and accuracy_high, not both")
        low = high = anchor["accuracy"]
    elif "accuracy_low" in anchor and "accuracy_high" in anchor:
        low, high = anchor["accuracy_low"], anchor["accuracy_high"]
    else:
        raise ValueError(f"{where}: {prefix} needs accuracy, or accuracy_low and accuracy_high")
    if not (0.0 <= low <= high <= 1.0):
        raise ValueError(f"{where}: {prefix} accuracies must satisfy 0 <= low <= high <= 1, got {low}, {high}")
    return {"seed": str(anchor["seed"]), "dataset": anchor["dataset"], "low": float(low),
            "high": float(high), "note": anchor.get("note", "")}


def _table(raw, key, where):
    value = raw[key]
    if not isinstance(value, dict):
        raise ValueError(f"{where}: [{key}] must be a table, got {type(value).__name__}")
    return value


def _keys(table, allowed, required, where, prefix):
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(prefix + k for k in unknown)}; "
                         f"allowed: {', '.join(sorted(allowed))}")
    missing = sorted(set(required) - set(table))
    if missing:
        raise ValueError(f"{where}: missing key(s) {', '.join(prefix + k for k in missing)}")


def _typed(table, key, kind, where, prefix=""):
    value = table[key]
    if not isinstance(value, kind):
        raise ValueError(f"{where}: {prefix}{key} must be a {kind.__name__}, got {value!r}")
    return value


def _positive_int(table, key, where, prefix):
    value = table[key]
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{where}: {prefix}{key} must be a positive integer, got {value!r}")
