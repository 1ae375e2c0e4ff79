"""One experiment in several frameworks from one plan, the same over several seeds, and the table of
frameworks that can run.

    >>> result = run_experiment(load_experiment("two_layer_relu"), data, ("numpy", "torch"), iters=50)
    >>> result["comparison"]["torch"]["max_abs_dloss"] < 1e-9
    True

Frameworks are registered (``register_runner``): a framework is a module with ``run(plan,
progress=None)`` (the reference's also takes ``impl``, the implementation under test), and, for the
divergence forensics, a ``Trainer`` class (``step``, ``accuracy``, ``params``, ``load_params``,
``trace``); a ``missing_reason()`` in the module overrides ``parity.frameworks.missing_reason``.
Adding a framework is one ``register_runner`` call.

``run_experiment`` returns a JSON-able dict::

    schema "scratch-parity/run/2", experiment (Experiment.as_record()), dataset (the resolver's
    record, or None), dtype, seed, iters, batch_size, iter_per_epoch, schedule_notes,
    batch_indices_sha256, init_sha256 (of the shared plan), impl (the implementation the NumPy
    run trained), frameworks (requested, in order), runs {framework: run result
    (harness.runners.record) or {"framework", "status": "skipped"|"missing"|"failed", "message"}},
    comparison {framework: harness.compare_runs.compare_curves(...)} for every framework other
    than the reference "numpy", explanation {framework: harness.forensics record} for every
    compared run that crossed its tolerance (and, with explain="all", every compared run),
    verdict {framework: harness.compare_runs.verdict(...)}, passed (every verdict passed),
    environment (versions, numerics state, threads per run)
"""
from dataclasses import dataclass
import importlib
import platform

import numpy as np

from harness.compare_runs import compare_all, verdict
from harness.runners.parallel import DataRef, Task, TaskError, execute, resolve_data
from harness.runners.plan import array_sha256, draws, make_plan, params_sha256, schedule_length, validate_data

SCHEMA = "scratch-parity/run/2"
REFERENCE = "numpy"


@dataclass(frozen=True)
class RunnerEntry:
    """A registered framework: its runner module, the function in it, whether it runs the
    implementation under test (the reference does), and a relative cost per iteration (for
    handing the longest tasks out first)."""

    name: str
    module: str
    function: str = "run"
    runs_impl: bool = False
    cost: float = 1.0

    def load(self):
        return importlib.import_module(self.module)

    def run(self):
        return getattr(self.load(), self.function)

    def trainer(self):
        return getattr(self.load(), "Trainer", None)


_RUNNERS = {}
FRAMEWORKS = []  # registered names, in order (a list: registering later updates every importer's view)


def register_runner(name, module, function="run", runs_impl=False, cost=1.0):
    """Add (or replace) framework ``name`` run by ``module.function`` (see the module docstring)."""
    _RUNNERS[name] = RunnerEntry(name, module, function, runs_impl, cost)
    if name not in FRAMEWORKS:
        FRAMEWORKS.append(name)


def _discover():
    """The reference's runner, then one per framework plug-in (``parity.backends.plugin``) that has
    a training runner ``harness/runners/<name>_runner.py`` with ``run_<name>`` and ``COST`` (its
    measured ms/iteration relative to numpy on the report's runs, for scheduling): adding a
    framework's runner is adding that file."""
    import ast
    import importlib.util

    from parity.backends import plugin

    register_runner("numpy", "harness.runners.numpy_runner", "run_numpy", runs_impl=True, cost=1.0)
    for p in plugin.plugins():
        spec = importlib.util.find_spec(f"harness.runners.{p.name}_runner")
        if spec is None or not spec.origin:
            continue
        cost = 1.0
        with open(spec.origin, encoding="utf-8") as f:  # read COST without importing the framework
            for node in ast.parse(f.read()).body:
                if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "COST" for t in node.targets):
                    cost = float(ast.literal_eval(node.value))
        register_runner(p.name, f"harness.runners.{p.name}_runner", f"run_{p.name}", cost=cost)


_discover()


def runner_entry(framework):
    try:
        return _RUNNERS[framework]
    except KeyError:
        raise ValueError(f"unknown framework {framework!r}; use some of {','.join(FRAMEWORKS)}") from None


def missing_reason(framework):
    """None if ``framework`` can run here, else why not."""
    entry = runner_entry(framework)
    if framework == REFERENCE:
        return None
    own = getattr(importlib.import_module(entry.module), "missing_reason", None) if _importable(entry) else None
    if own is not None:
        return own()
    from parity.frameworks import missing_reason as parity_missing

    return parity_missing(framework)


def _importable(entry):
    import importlib.util

    return importlib.util.find_spec(entry.module) is not None


def runner(framework):
    return runner_entry(framework).run()


def run_framework(experiment, data, framework, dtype="float64", seed=0, iters=None, perturbation=None,
                  impl="reference", progress=False):
    """One framework's run of ``experiment`` from the shared seeded plan (a worker's unit of work).
    data: arrays or a ``DataRef``."""
    from harness.runners.threads import threads

    reason = missing_reason(framework)
    if reason is not None:
        return {"framework": framework, "status": "skipped", "message": reason}
    plan = make_plan(experiment, resolve_data(data, dtype), dtype, seed, iters)
    if perturbation is not None:
        plan = perturbation.apply(plan)
    entry = runner_entry(framework)
    kwargs = {"impl": impl} if entry.runs_impl else {}
    with _bar(progress, plan.iters, f"{experiment.name} {framework} {dtype} seed {seed}") as bar:
        result = entry.run()(plan, progress=bar, **kwargs)
    result["threads"] = threads()
    return result


def explain_run(experiment, data, framework, dtype="float64", seed=0, iters=None, perturb=None, impl="reference",
                recorded=None, tolerance=None, first_over_tolerance=None):
    """The forensics record (``harness.forensics.replay.explain_plans``) of ``framework`` against the
    reference on the shared plan, replaying up to the first iteration over the tolerance (the whole
    run where it never crossed it)."""
    from harness.forensics.replay import explain_plans

    plan = make_plan(experiment, resolve_data(data, dtype), dtype, seed, iters)
    perturb = perturb or {}
    ref_plan = perturb[REFERENCE].apply(plan) if REFERENCE in perturb else plan
    other_plan = perturb[framework].apply(plan) if framework in perturb else plan
    upto = plan.iters if first_over_tolerance is None else min(plan.iters, first_over_tolerance + 1)
    record = explain_plans(ref_plan, other_plan, framework, REFERENCE, recorded=recorded, iters=upto,
                           impl=impl, tolerance=tolerance)
    record["first_over_tolerance"] = first_over_tolerance
    return record


def run_experiment(experiment, data, frameworks=FRAMEWORKS, dtype="float64", seed=0, iters=None,
                   perturb=None, progress=False, dataset_record=None, impl="reference", jobs=1, scheduler=None,
                   explain="parted"):
    """Run ``experiment`` in each framework from one shared plan and compare with the reference.

    perturb: {framework: harness.runners.plan.Perturbation} planted in that framework only.
    progress: show a tqdm bar per framework run (serial) or per finished task (parallel).
    impl: the implementation the NumPy run trains (default the shipped reference).
    jobs / scheduler: run the frameworks in parallel (``harness.runners.parallel.execute``).
    explain: "parted" (forensics for every run over its tolerance), "all" (every compared run) or
    None (no forensics).
    """
    return run_experiments([dict(experiment=experiment, data=data, frameworks=frameworks, dtype=dtype, seed=seed,
                                 iters=iters, perturb=perturb, dataset_record=dataset_record, impl=impl)],
                           progress=progress, jobs=jobs, scheduler=scheduler, explain=explain)[0]


def run_experiments(specs, progress=False, jobs=1, scheduler=None, explain="parted"):
    """``run_experiment`` for each spec (a dict of its arguments), every framework run of every spec
    in one pool, then the forensics of the runs that parted in a second. Results in spec order."""
    specs = prepare(specs)
    tasks = run_tasks(specs, progress and jobs == 1 and scheduler is None)
    done = execute(tasks, jobs, scheduler, progress=progress and (jobs != 1 or scheduler is not None))
    return finish(specs, done, jobs, scheduler, explain, progress)


def prepare(specs):
    """Specs with their defaults filled in and checked: an unknown framework, a misplaced
    perturbation or data that does not fit the network raises ValueError here, before any work."""
    specs = [_normalized(s) for s in specs]
    for s in specs:
        (x_train, _), _ = data = resolve_data(s["data"])
        validate_data(s["experiment"], data, s["dtype"])
        draws(s["experiment"], x_train.shape[0], s["dtype"], s["seed"], s["iters"])
    return specs


def run_tasks(specs, progress=False):
    """One ``Task`` per framework run of every prepared spec, in spec then framework order."""
    tasks = []
    for s in specs:
        plan_iters = s["iters"] or _schedule_length(s)
        for fw in s["frameworks"]:
            perturbation = (s["perturb"] or {}).get(fw)
            tasks.append(Task(run_framework, dict(experiment=s["experiment"], data=s["data"], framework=fw,
                                                  dtype=s["dtype"], seed=s["seed"], iters=s["iters"],
                                                  perturbation=perturbation, impl=s["impl"], progress=progress),
                              cost=plan_iters * runner_entry(fw).cost * _width(s["experiment"]),
                              label=f"{s['experiment'].name} {fw} {s['dtype']} seed {s['seed']}"))
    return tasks


def finish(specs, done, jobs=1, scheduler=None, explain="parted", progress=False):
    """The results of the specs from their tasks' values (``run_tasks`` order): compared, explained
    (a second pool of forensics tasks) and judged."""
    results, position = [], 0
    for s in specs:
        runs = {}
        for fw in s["frameworks"]:
            value = done[position]
            position += 1
            runs[fw] = value if not isinstance(value, TaskError) else {
                "framework": fw, "status": "failed", "message": value.error, "traceback": value.traceback}
        results.append(_assemble(s, runs))
    _explain(specs, results, explain, jobs, scheduler, progress)
    for result in results:
        _judge(result)
    return results


def _normalized(spec):
    s = {"frameworks": FRAMEWORKS, "dtype": "float64", "seed": 0, "iters": None, "perturb": None,
         "dataset_record": None, "impl": "reference", **spec}
    s["frameworks"] = tuple(s["frameworks"])
    for fw in s["frameworks"]:
        runner_entry(fw)  # unknown names raise here, before any work
    unknown = set(s["perturb"] or {}) - set(s["frameworks"])
    if unknown:
        raise ValueError(f"perturbation for {sorted(unknown)}, which are not among the frameworks {s['frameworks']}")
    s["impl"] = str(getattr(s["impl"], "name", s["impl"]))
    return s


def _schedule_length(spec):
    sched = spec["experiment"].schedule
    if sched["kind"] == "sample_batches":
        return sched["iters"]
    return sched["epochs"] * 600  # an estimate for ordering only (60,000 / 100)


def _width(experiment):
    from harness.runners.architecture import multiply_adds

    net = experiment.network
    return multiply_adds(net) / 39_200 * (1.5 if net.get("use_batchnorm") else 1.0)


def _assemble(s, runs):
    (x_train, _), _ = data = resolve_data(s["data"])
    init_params, batch_indices, notes = draws(s["experiment"], x_train.shape[0], s["dtype"], s["seed"], s["iters"])
    ran = {fw: r for fw, r in runs.items() if r.get("status") in ("ok", "diverged")}
    return {
        "schema": SCHEMA,
        "experiment": s["experiment"].as_record(),
        "dataset": s["dataset_record"],
        "dtype": s["dtype"],
        "seed": s["seed"],
        "iters": int(batch_indices.shape[0]),
        "full_iters": schedule_length(s["experiment"].schedule, x_train.shape[0]),
        "batch_size": int(batch_indices.shape[1]),
        "iter_per_epoch": max(x_train.shape[0] / batch_indices.shape[1], 1),
        "schedule_notes": list(notes),
        "batch_indices_sha256": array_sha256(batch_indices),
        "init_sha256": params_sha256(init_params),
        "impl": s["impl"],
        "frameworks": list(s["frameworks"]),
        "runs": runs,
        "comparison": compare_all(ran, s["dtype"], REFERENCE) if REFERENCE in ran else {},
        "explanation": {},
        "environment": environment(),
    }


def _explain(specs, results, mode, jobs, scheduler, progress):
    """The forensics of the runs to explain, as one more pool of tasks."""
    if not mode:
        return
    tasks, where = [], []
    for s, result in zip(specs, results):
        for fw, cmp in result["comparison"].items():
            if mode != "all" and cmp["first_divergent_iter"] is None:
                continue
            entry = runner_entry(fw)
            if entry.trainer() is None or runner_entry(REFERENCE).trainer() is None:
                result["explanation"][fw] = {"error": f"{fw}'s runner has no Trainer to replay its steps"}
                continue
            recorded = {"reference": result["runs"][REFERENCE]["train_loss"], "other": result["runs"][fw]["train_loss"]}
            upto = cmp["first_divergent_iter"]
            tasks.append(Task(explain_run, dict(experiment=s["experiment"], data=s["data"], framework=fw, dtype=s["dtype"],
                                                seed=s["seed"], iters=s["iters"], perturb=s["perturb"], impl=s["impl"],
                                                recorded=recorded, tolerance=cmp["tolerance"], first_over_tolerance=upto),
                              cost=(result["iters"] if upto is None else upto) * (entry.cost + 1.5),
                              label=f"explain {s['experiment'].name} {fw} {s['dtype']} seed {s['seed']}"))
            where.append((result, fw))
    done = execute(tasks, jobs, scheduler, progress=progress and len(tasks) > 1, desc="forensics")
    for (result, fw), value in zip(where, done):
        result["explanation"][fw] = value if not isinstance(value, TaskError) else {"error": value.error,
                                                                                     "traceback": value.traceback}


def _judge(result):
    from harness.forensics.text import one_line

    verdicts = {}
    for fw, run in result["runs"].items():
        cmp = result["comparison"].get(fw)
        explanation = result["explanation"].get(fw)
        v = verdict(run, cmp if fw != REFERENCE else None, explanation if explanation and "outcome" in explanation else None)
        if explanation:
            v["explanation"] = one_line(explanation)
        verdicts[fw] = v
    result["verdict"] = verdicts
    result["passed"] = all(v["passed"] for v in verdicts.values())


def run_seeds(experiment, data, frameworks=FRAMEWORKS, dtype="float64", seeds=range(5), iters=None,
              progress=False, dataset_record=None, jobs=1, scheduler=None, impl="reference", explain="parted"):
    """run_experiment for each seed (each seed: its own initial weights and batches, shared by the
    frameworks), every framework run of every seed in one pool of ``jobs`` processes."""
    specs = [dict(experiment=experiment, data=data, frameworks=frameworks, dtype=dtype, seed=s, iters=iters,
                  dataset_record=dataset_record, impl=impl) for s in seeds]
    return run_experiments(specs, progress=progress, jobs=jobs, scheduler=scheduler, explain=explain)


def environment():
    from parity.backends.plugin import versions as plugin_versions

    versions = {**plugin_versions(), "platform": platform.platform()}
    from parity import numerics

    from harness.runners.threads import per_run

    return {"versions": versions, "numerics": dict(numerics.STATE), "threads_per_run": per_run()}


def _bar(enabled, total, desc):
    import contextlib

    if not enabled:
        return contextlib.nullcontext()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="it", leave=True, mininterval=0.5)


__all__ = ["DataRef", "FRAMEWORKS", "REFERENCE", "explain_run", "missing_reason", "register_runner", "run_experiment",
           "run_experiments", "run_framework", "run_seeds", "runner", "runner_entry"]
