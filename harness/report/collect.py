"""Run the parts of the parity report and gather their results in one JSON-able dict.

    >>> results = collect(ReportOptions(quick=True))
    >>> sorted(results)
    ['catalogue', 'dataset', 'durations', 'environment', 'experiments', 'frameworks', 'ops', ...]

Parts, each timed and each allowed to fail on its own (a failed part keeps its reason and the
report still renders): op-level records (``parity.api.run_records`` per component; Keras on
other backends in a subprocess, ``harness.report.keras_backends``), the catalogue of known
differences (``parity.catalogue.measure.measure_all``), the experiments (each framework run on its
own so one framework's failure leaves the others' curves), the seeds sweep, the environment.

The budget (``plan_iterations``): an experiment with an anchor measured on the chosen data set runs
its full schedule; the others run their first ``short_iters`` (default 2,000) iterations, and the
report says "2,000 of 10,000 iterations" beside each. On Fashion-MNIST (the default data set here)
that is two_layer_relu at 10,000 iterations in every framework and the others at 2,000: the
default report then takes under 5 minutes on 2 cores, where every schedule at full length took
~13 minutes (``--full``, ``short_iters=None``). ``iters`` (--iters, --quick) sets every
experiment's length; the seeds sweep runs 5 seeds x 2,000 iterations in float32.
"""
from dataclasses import asdict, dataclass
import time
import traceback

def experiment_frameworks():
    """The registered framework runners (``harness.runners.register_runner``), numpy first."""
    from harness.runners import FRAMEWORKS

    return tuple(FRAMEWORKS)


DEFAULT_SHORT_ITERS = 2000  # unanchored experiments; every one at full length (--full) took ~13 of 13.3 minutes
DEFAULT_SEEDS = 5
DEFAULT_SEED_ITERS = 2000
# float32: in float64 the three frameworks give the same accuracy to the last digit (loss within
# ~1e-13), so a sweep there can only show identical numbers; float32 rounding differs between them
# and lets the equivalence test measure something.
DEFAULT_SEED_DTYPE = "float32"
DEFAULT_SEED_EXPERIMENT = "two_layer_relu"
QUICK = dict(iters=150, seeds=2, seed_iters=100)
SCHEMA = "scratch-parity/report/3"  # 3: ops.record_table and ops.versions, curves in .csv.gz


@dataclass
class ReportOptions:
    """What to run. None for ``iters``: the budget rule (see ``plan_iterations``)."""

    out: str = "reports/latest"
    dataset: str = "auto"
    data_dir: str = None
    frameworks: tuple = None  # None: every registered framework
    experiments: tuple = None  # None: every shipped experiment
    iters: int = None
    short_iters: int = DEFAULT_SHORT_ITERS  # None: full schedules
    seeds: int = DEFAULT_SEEDS
    seed_iters: int = DEFAULT_SEED_ITERS
    seed_experiment: str = DEFAULT_SEED_EXPERIMENT
    seed_dtype: str = DEFAULT_SEED_DTYPE
    dtype: str = "float64"
    op_dtypes: tuple = ("float64", "float32")
    components: tuple = None  # None: every registry row
    keras_backends: tuple = None  # None: every backend that can run here
    impl: str = "reference"
    quick: bool = False
    progress: bool = True
    jobs: int = 1  # processes for the parts, framework runs and replays (joblib loky)
    scheduler: str = None  # a Dask scheduler address instead (joblib's dask backend)

    def __post_init__(self):
        from harness.experiment import experiment_names

        self.frameworks = experiment_frameworks() if self.frameworks is None else tuple(self.frameworks)
        unknown = [f for f in self.frameworks if f not in experiment_frameworks()]
        if unknown or not self.frameworks:
            raise ValueError(f"report frameworks: unknown {unknown or list(self.frameworks)}; "
                             f"use some of {','.join(experiment_frameworks())}")
        if self.experiments is None:
            self.experiments = tuple(experiment_names())
        if self.quick:
            self.iters = self.iters or QUICK["iters"]
            self.seeds = min(self.seeds, QUICK["seeds"])
            self.seed_iters = min(self.seed_iters, QUICK["seed_iters"])
        for name in ("iters", "short_iters", "seed_iters"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"report option {name} must be a positive number of iterations, got {value}")
        if self.seeds < 0:
            raise ValueError(f"report option seeds must be >= 0, got {self.seeds}")
        if self.jobs < 1 and self.jobs != -1:
            raise ValueError(f"report option jobs must be a positive number of processes (or -1), got {self.jobs}")

    @property
    def op_frameworks(self):
        """Op-level frameworks: the framework plug-ins asked for, and "numerical" (the implementation's
        own numerical gradients) when the NumPy reference is among the frameworks."""
        from parity.backends import plugin

        fws = [f for f in self.frameworks if f in plugin.names()]
        return tuple(fws + (["numerical"] if "numpy" in self.frameworks else []))


def _part(results, name, fn, *args, **kwargs):
    """Run one part; store its value, or its failure with the reason, and its duration."""
    start = time.perf_counter()
    try:
        value = fn(*args, **kwargs)
        error = None
    except Exception as exc:  # noqa: BLE001 - a failed part is reported, the rest still runs
        value, error = None, failure(exc)
    results["durations"][name] = time.perf_counter() - start
    return value, error


def failure(exc):
    """A failure as data: the exception's type and message, and the traceback's last lines."""
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {"error": f"{type(exc).__name__}: {exc}", "traceback": "".join(tb[-6:])}


def collect(options: ReportOptions):
    """Every part of the report as one dict (see the module docstring).

    The op-level checks, the catalogue and every framework run of every experiment and seed are
    independent tasks of one pool (``harness.runners.parallel.execute``: ``options.jobs`` loky
    processes, or a Dask cluster), the replays of runs that parted a second pool; the results do
    not depend on how many processes ran them (each task pins its threads)."""
    from parity import numerics

    from harness.report.environment import environment
    from harness.runners.parallel import Task, TaskError, execute
    from harness.runners.session import finish, run_tasks

    numerics.configure(tf32=False)
    started = time.time()
    results = {"schema": SCHEMA, "options": _options_record(options),
               "created": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
               "durations": {}}
    results["frameworks"] = framework_status(options.frameworks)

    dataset, error = _part(results, "data set", _resolve_dataset, options)
    results["dataset"] = dataset.as_record() if dataset is not None else {"name": None, "error": error}
    data = None
    if dataset is not None:
        data, error = _part(results, "data set load", _load, dataset, options)
        if error:
            results["dataset"]["error"] = error
    parallel = options.jobs != 1 or options.scheduler is not None
    entries = [experiment_entry(results, options, name, data) for name in options.experiments]
    seeds = seeds_entry(results, options, data)
    groups = [(e, e.pop("_specs")) for e in [*entries, seeds] if e.get("_specs")]
    op_tasks = ops_tasks(options, options.progress and not parallel)
    tasks = [*op_tasks, Task(collect_catalogue, {"options": options}, cost=CATALOGUE_COST, label="catalogue")]
    for _, specs in groups:
        tasks += run_tasks(specs, options.progress and not parallel)
    seconds = []
    start = time.perf_counter()
    done = execute(tasks, options.jobs, options.scheduler, progress=options.progress and parallel, desc="report tasks",
                   seconds=seconds)
    results["durations"]["tasks (wall)"] = time.perf_counter() - start
    n_ops = len(op_tasks)
    for task, took in zip(op_tasks, seconds[:n_ops]):
        results["durations"][task.label] = took
    results["durations"]["op-level checks"], results["durations"]["catalogue"] = sum(seconds[:n_ops]), seconds[n_ops]
    ops, catalogue = merge_ops(op_tasks, done[:n_ops]), done[n_ops]
    results["ops"] = ops
    results["catalogue"] = ({"rows": [], "error": {"error": catalogue.error, "traceback": catalogue.traceback}}
                            if isinstance(catalogue, TaskError) else {"rows": catalogue, "error": None})
    results["catalogue"]["rows"] += ops.pop("catalogue_other_backends", [])

    position, pending = n_ops + 1, []
    for entry, specs in groups:
        n = sum(len(s["frameworks"]) for s in specs)
        pending.append((entry, specs, done[position:position + n]))
        results["durations"][entry["_duration_key"]] = sum(seconds[position:position + n])
        position += n
    start = time.perf_counter()
    all_specs = [s for _, specs, _ in pending for s in specs]
    all_done = [v for _, _, values in pending for v in values]
    finished = finish(all_specs, all_done, options.jobs, options.scheduler, explain="parted",
                      progress=options.progress and parallel) if all_specs else []
    results["durations"]["forensics (wall)"] = time.perf_counter() - start
    k = 0
    for entry, specs, _ in pending:
        entry_results = finished[k:k + len(specs)]
        k += len(specs)
        (finish_seeds if entry is seeds else finish_experiment)(entry, entry_results)
    for e in [*entries, seeds]:
        e.pop("_duration_key", None)
    results["experiments"] = entries
    results["seeds"] = seeds
    results["environment"], error = _part(results, "environment", environment)
    if error:
        results["environment"] = {"error": error}
    results["durations"]["total"] = time.time() - started
    return results


# Estimated costs of the tasks that are not framework runs, in the units of a run's cost (iterations
# x relative cost per iteration; a 10,000-iteration two-layer NumPy run, ~13 s here, is 10,000), so
# that the longest tasks go out first. Measured here (2026-12-02, quiet machine, one thread): the
# op-level checks of jax ~58 s (JAX compiles every eager op once per shape and dtype), keras on its
# jax backend ~60-90 s in its subprocess, keras[torch] ~19 s, keras[tensorflow] ~7 s, torch ~6 s,
# the implementation's numerical gradients ~4 s; the catalogue ~40-60 s.
OPS_COST = {"jax": 45_000, "keras": 6_000, "torch": 5_000, "numerical": 3_000, "analytic": 500}
OPS_COST_DEFAULT = 5_000
KERAS_BACKEND_COST = {"jax": 60_000, "torch": 15_000, "tensorflow": 10_000}
CATALOGUE_COST = 35_000


def _load(dataset, options):
    from harness.runners.parallel import DataRef

    ref = DataRef(dataset.name, options.data_dir)
    ref.load()  # checks the files once here; the same cache serves the runs in this process
    return ref


def _options_record(options):
    record = asdict(options)
    record["op_frameworks"] = list(options.op_frameworks)
    return record


def framework_status(frameworks):
    """{framework: {"available": bool, "reason": None or why not, "version": ...}} (numpy always runs)."""
    import numpy

    from parity.backends.plugin import installed_version

    from harness.runners import missing_reason

    status = {}
    for fw in experiment_frameworks():
        reason = missing_reason(fw) if fw in frameworks else "not requested (--frameworks)"
        version = numpy.__version__ if fw == "numpy" else installed_version(fw)
        entry = {"available": reason is None, "reason": reason, "version": version}
        if fw == "keras":
            from parity.frameworks import keras_backend

            entry["backend"] = keras_backend()
            entry["tensorflow"] = installed_version("tensorflow")
        status[fw] = entry
    return status


# --- op level ------------------------------------------------------------------------------------

def ops_tasks(options, progress=True):
    """The op-level checks as independent tasks: one per op-level framework in a worker's own
    process (Keras there on its default backend), one for the rows that name their own counterpart
    (``config["frameworks"]``: the analytic gradients), one per other Keras backend (a subprocess
    each, ``harness.report.keras_backends``), so two cores share them instead of one task of ~3
    minutes. Each task keeps the records of the frameworks it names, so a row runs once however
    many tasks select it; ``merge_ops`` puts their results together in this order."""
    from parity.api import select

    from harness.runners.parallel import Task

    own = tuple(dict.fromkeys(fw for row in select(options.components) for fw in row.config.get("frameworks", ())))
    tasks = [Task(collect_ops, {"options": options, "frameworks": (fw,), "progress": progress},
                  cost=OPS_COST.get(fw, OPS_COST_DEFAULT), label=f"op-level checks {fw}")
             for fw in (*options.op_frameworks, *own)]
    if "keras" in options.op_frameworks:
        from harness.report.keras_backends import other_backends

        tasks += [Task(collect_keras_backend, {"options": options, "backend": backend},
                       cost=KERAS_BACKEND_COST.get(backend, OPS_COST_DEFAULT), label=f"op-level checks keras[{backend}]")
                  for backend in other_backends(options.keras_backends)]
    return tasks


def collect_ops(options, frameworks=None, progress=True):
    """Records of every selected registry row for ``frameworks`` (default the options' op-level
    frameworks, or a row's own counterpart such as "analytic"), per component (progress bar), in
    this process; only those frameworks' records (a row that names its own counterpart gives them
    whatever framework is asked). Returns {"records": [dict], "no_runner": [row names],
    "backends": {the Keras backend here: ...}, "error": None}."""
    from parity import numerics
    from parity.api import FRAMEWORK_CHOICES, _runner, run_records, select
    from parity.frameworks import keras_backend

    numerics.configure(tf32=False)  # as in the report's own process (it imports torch: records list its version)
    frameworks = options.op_frameworks if frameworks is None else tuple(frameworks)
    asked = tuple(fw for fw in frameworks if fw in FRAMEWORK_CHOICES)  # not "analytic": its rows name it themselves
    rows = select(options.components)
    records, no_runner = [], []
    label = "op-level checks " + ",".join(frameworks)
    for row in _progress(rows, options.progress and progress, label, "component"):
        if _runner(row.kind) is None:
            no_runner.append(row.name)
            continue
        records += [r for r in run_records(options.impl, asked, options.op_dtypes, [row.name]) if r.framework in frameworks]
    backends = {keras_backend(): {"in_process": True, "error": None}} if "keras" in frameworks else {}
    return {"records": [asdict(r) for r in records], "no_runner": no_runner, "backends": backends, "error": None}


def collect_keras_backend(options, backend):
    """Keras on another backend, in a subprocess: {"records", "backends": {backend: ...},
    "catalogue_other_backends": [rows]}."""
    from harness.report.keras_backends import run_backend

    sub = run_backend(backend, options)
    return {"records": sub["records"], "no_runner": [], "error": None, "catalogue_other_backends": sub["catalogue"],
            "backends": {backend: {"in_process": False, "error": sub["error"], "seconds": sub["seconds"]}}}


def merge_ops(tasks, done):
    """The op-level part of the results from the tasks' results (``ops_tasks`` order): records in
    task order, the backends, and the first failed task's error (the others' records are kept)."""
    from harness.runners.parallel import TaskError

    out = {"records": [], "no_runner": [], "backends": {}, "error": None, "catalogue_other_backends": []}
    for task, value in zip(tasks, done):
        if isinstance(value, TaskError):
            out["error"] = out["error"] or {"error": f"{task.label}: {value.error}", "traceback": value.traceback}
            continue
        out["records"] += value["records"]
        out["no_runner"] += [name for name in value["no_runner"] if name not in out["no_runner"]]
        out["backends"].update(value["backends"])
        out["catalogue_other_backends"] += value.get("catalogue_other_backends", [])
    return out


def collect_catalogue(options):
    """The table of known differences measured for the frameworks asked (list of dicts,
    ``parity.catalogue.measure.measure_all``'s rows); a framework that cannot run here gets its
    rows as "skipped" with the reason."""
    from parity.backends import plugin
    from parity.catalogue.measure import ids_for, measure_all

    return [dict(row) for row in measure_all(frameworks=tuple(f for f in options.frameworks if f in plugin.names()),
                                             ids=ids_for(options.components))]


def _progress(items, enabled, desc, unit):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit=unit, mininterval=0.5)


# --- experiments ---------------------------------------------------------------------------------

def _resolve_dataset(options):
    from harness.data import resolve_dataset

    return resolve_dataset(options.dataset, options.data_dir, progress=options.progress)


def plan_iterations(experiment, dataset_name, options, full_iters):
    """(iterations to run, why). --iters wins; an experiment anchored on this data set runs its
    full schedule; the others run ``short_iters`` of it, or the experiment's own
    ``schedule.short_iters_min`` where that is more (a net that sits on a plateau until then)."""
    if options.iters is not None:
        n = min(options.iters, full_iters)
        return n, ("--quick" if options.quick else "--iters") + f": {n:,} of {full_iters:,} iterations"
    if options.short_iters is None:
        return full_iters, f"full schedule ({full_iters:,} iterations)"
    if any(a["dataset"] == dataset_name for a in experiment.anchors):
        return full_iters, f"full schedule ({full_iters:,} iterations): anchored on {dataset_name}"
    n = min(max(options.short_iters, experiment.schedule.get("short_iters_min", 0)), full_iters)
    if n == full_iters:
        return n, f"full schedule ({full_iters:,} iterations)"
    return n, f"{n:,} of {full_iters:,} iterations (no anchor on {dataset_name}: shortened to fit the budget; --full runs all)"


def full_length(experiment, data):
    """The experiment's full schedule length on ``data`` (iterations)."""
    from harness.runners.plan import schedule_length

    (x_train, _), _ = data
    return schedule_length(experiment.schedule, x_train.shape[0])


def experiment_entry(results, options, name, data):
    """One experiment's entry before it runs: {"name", "status", "error", "iters_note", "result"} and the
    prepared spec under "_specs" (none where it cannot run: no data, a bad file, data that does not fit)."""
    from harness.runners.session import prepare

    entry = {"name": name, "status": "failed", "error": None, "iters_note": "", "result": None,
             "_duration_key": f"experiment {name}"}
    if data is None:
        entry["error"] = {"error": "no data set: " + str((results["dataset"].get("error") or {}).get("error"))}
        return entry
    try:
        from harness.experiment import load_experiment

        experiment = load_experiment(name)
        entry["name"] = experiment.name
        full = full_length(experiment, data.load())
        iters, entry["iters_note"] = plan_iterations(experiment, results["dataset"]["name"], options, full)
        entry["full_iters"] = full
        entry["_specs"] = prepare([dict(experiment=experiment, data=data, frameworks=options.frameworks,
                                        dtype=options.dtype, seed=0, iters=iters, dataset_record=results["dataset"],
                                        impl=options.impl)])
    except Exception as exc:  # noqa: BLE001 - reported in the experiment's section
        entry["error"] = failure(exc)
    return entry


def finish_experiment(entry, results):
    """Put the finished result into the entry; an experiment where every framework failed is failed."""
    result = results[0]
    runs = result["runs"]
    if all(r.get("status") in ("failed", "skipped", "missing") for r in runs.values()) and \
            any(r.get("status") == "failed" for r in runs.values()):
        entry["error"] = {"error": "every framework failed: " + "; ".join(f"{fw}: {r.get('message')}"
                                                                          for fw, r in runs.items())}
        return
    entry["result"] = result
    entry["status"] = "ok"


def seeds_entry(results, options, data):
    """Seeds sweep: ``seeds`` runs of ``seed_experiment`` (``seed_iters`` each), before it runs."""
    from harness.runners.session import prepare

    entry = {"experiment": options.seed_experiment, "seeds": list(range(options.seeds)),
             "iters": options.seed_iters, "dtype": options.seed_dtype, "status": "failed", "error": None,
             "summary": None, "runs": [], "_duration_key": "seeds sweep"}
    if options.seeds == 0:
        entry.update(status="not run", error={"error": "--seeds 0"})
        return entry
    if data is None:
        entry["error"] = {"error": "no data set"}
        return entry
    try:
        from harness.experiment import load_experiment

        experiment = load_experiment(options.seed_experiment)
        full = full_length(experiment, data.load())
        iters = min(options.seed_iters, full)
        entry["iters"], entry["full_iters"] = iters, full
        entry["_specs"] = prepare([dict(experiment=experiment, data=data, frameworks=options.frameworks,
                                        dtype=options.seed_dtype, seed=s, iters=iters,
                                        dataset_record=results["dataset"], impl=options.impl)
                                   for s in entry["seeds"]])
    except Exception as exc:  # noqa: BLE001 - reported in the seeds section
        entry["error"] = failure(exc)
    return entry


def finish_seeds(entry, runs):
    """Mean ± std and TOST over the finished seeds, each seed's verdicts and explanations."""
    from harness.compare_runs import summarize_seeds

    try:
        entry["summary"] = summarize_seeds(runs)
        entry["runs"] = [{"seed": r["seed"], "init_sha256": r["init_sha256"], "passed": r["passed"],
                          **{fw: {**{k: run.get(k) for k in ("status", "final_train_acc", "final_test_acc", "message")},
                                  "verdict": r["verdict"][fw], "explanation": r["explanation"].get(fw),
                                  "max_abs_dloss": (r["comparison"].get(fw) or {}).get("max_abs_dloss")}
                             for fw, run in r["runs"].items()}} for r in runs]
        entry["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported in the seeds section
        entry["error"] = failure(exc)
