"""The command line: ``python -m harness SUBCOMMAND ...``, subcommands from a table.

    python -m harness list
    python -m harness run two_layer_relu --frameworks numpy,torch,keras --dataset auto \\
        --dtype float64 --iters 1000 --seeds 5 --out runs/ [--impl PATH] [--jobs 2] [--json -]
    python -m harness explain two_layer_relu --framework keras --dtype float32 --iters 1500

Adding a subcommand (e.g. the report) is one call::

    from harness.cli import register
    register("report", "write the parity report", add_arguments=fn(parser), handler=fn(args) -> int)
"""
import argparse
import sys

SUBCOMMANDS = {}  # name -> (help, add_arguments(parser), handler(args) -> exit code)


def register(name, help, add_arguments, handler):
    """Add (or replace) subcommand ``name``."""
    SUBCOMMANDS[name] = (help, add_arguments, handler)


# Examples shown first in each subcommand's --help epilog (%(prog)s: "python -m harness run", ...).
EXAMPLES = {
    "list": ["%(prog)s", "%(prog)s --data-dir ~/data"],
    "run": ["%(prog)s two_layer_relu --iters 500", "%(prog)s two_layer_relu --frameworks numpy,torch --seeds 5 --jobs 2",
            "%(prog)s my_experiment.toml --impl ./common --json - > run.json"],
    "explain": ["%(prog)s two_layer_relu --framework keras --dtype float32 --iters 1500"],
    "report": ["%(prog)s --quick --out /tmp/report", "%(prog)s --out reports/latest --readme README.md"],
}


def build_parser(prog="python -m harness"):
    from parity.console import HelpFormatter, add_version

    parser = argparse.ArgumentParser(prog=prog, formatter_class=HelpFormatter,
                                     description="scratch-parity: full training runs in NumPy, PyTorch, Keras and JAX")
    add_version(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help, add_arguments, handler) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help, description=help, formatter_class=HelpFormatter)
        add_version(p)
        add_arguments(p)
        examples = "\n".join(f"  {e}" for e in EXAMPLES.get(name, ()))
        p.epilog = "\n\n".join(x for x in (examples and "examples:\n" + examples, p.epilog) if x)
        p.set_defaults(handler=handler)
    return parser


def main(argv=None, prog="python -m harness"):
    args = build_parser(prog).parse_args(argv)
    if not getattr(args, "verbose", False):
        from parity import logs

        logs.quiet()
    try:
        return args.handler(args)
    except ValueError as exc:  # bad input: one clear line, exit status 2
        print(f"error: {exc}", file=sys.stderr)
        return 2


# --- list ----------------------------------------------------------------------------------------

def _list_arguments(parser):
    parser.add_argument("--data-dir", default=None, help="directory holding data sets (searched first)")
    parser.epilog = "exit status: 0"


def _list(args):
    from harness.data import DATASETS, resolve_dataset
    from harness.experiment import experiment_names, load_experiment

    print("experiments:")
    for name in experiment_names():
        exp = load_experiment(name)
        anchors = "; ".join(_anchor_text(a) for a in exp.anchors) or "no anchor"
        print(f"  {name:22s} seed {exp.seed_id}  {exp.description}")
        print(f"  {'':22s} anchors: {anchors}")
    print("datasets:")
    for name in DATASETS:
        try:
            found = resolve_dataset(name, args.data_dir, download=False, progress=False)
            print(f"  {name:14s} available: {found.name} ({found.reason})")
        except Exception as exc:  # noqa: BLE001 - a missing data set is reported, not fatal
            print(f"  {name:14s} not available here: {str(exc).splitlines()[0]}")
    return 0


def _anchor_text(anchor):
    acc = f"{anchor['low']:.4f}" if anchor["low"] == anchor["high"] else f"{anchor['low']:.4f}-{anchor['high']:.4f}"
    return f"{acc} on {anchor['dataset']} (seed {anchor['seed']})"


# --- run / explain --------------------------------------------------------------------------------

EXIT_CODES = "exit status: 0 every run passed; 1 a run diverged, failed, parted where that fails (float64) or " \
             "ended with a final accuracy outside the margin; 2 bad input"


def _common_run_arguments(parser, jobs_help):
    parser.add_argument("experiment", help="experiment name (see `list`) or path to a .toml file")
    parser.add_argument("--dataset", default="auto", help="mnist, fashion-mnist, mnist-5k or auto (default)")
    parser.add_argument("--data-dir", default=None, help="directory holding data sets (searched first)")
    parser.add_argument("--iters", type=int, default=None, help="cut the schedule to N iterations")
    parser.add_argument("--impl", default="reference",
                        help="implementation the NumPy run trains: a folder with the book's files (default the "
                             "shipped reference)")
    parser.add_argument("--jobs", type=int, default=1, help=jobs_help)
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on a Dask cluster (joblib's dask backend), e.g. tcp://127.0.0.1:8786")
    parser.add_argument("--threads", type=int, default=None,
                        help="native threads per run (default 1: the same rounding serial and parallel)")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="write the results JSON to PATH ('-': standard output, the tables go to stderr)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--verbose", action="store_true", help="let the frameworks' own logs (TensorFlow, absl) through")


def _run_arguments(parser):
    _common_run_arguments(parser, "processes for the framework runs and seeds (joblib loky; default 1)")
    parser.add_argument("--frameworks", default=",".join(_frameworks()),
                        help="comma-separated, from " + ",".join(_frameworks()) + " (numpy is the reference; default all)")
    parser.add_argument("--dtype", default="float64", help="float64 or float32, or both comma-separated")
    parser.add_argument("--seeds", type=int, default=1, help="number of seeds (0..N-1; default 1)")
    parser.add_argument("--seed-start", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--out", default="runs", help="directory for the JSON and CSV results (default runs/)")
    parser.add_argument("--explain", default="parted", choices=("parted", "all", "none"),
                        help="divergence forensics for the runs that parted (default), every run, or none")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when a run failed (" + EXIT_CODES + ")")
    parser.epilog = EXIT_CODES


def _frameworks():
    from harness.runners import FRAMEWORKS

    return list(FRAMEWORKS)


def _setup(args):
    """Threads per run and the stream the human-readable output goes to (stderr under --json -)."""
    from harness.runners.threads import pin_process, set_per_run

    set_per_run(args.threads)
    pin_process()
    return sys.stderr if args.json == "-" else sys.stdout


def _data(args, out):
    from harness.data import resolve_dataset
    from harness.runners import DataRef

    dataset = resolve_dataset(args.dataset, args.data_dir, progress=not args.no_progress)
    print(f"data set: {dataset.name} (asked for {args.dataset}): {dataset.reason}", file=out)
    ref = DataRef(dataset.name, args.data_dir)
    if args.jobs == 1 and args.scheduler is None:
        ref.load()  # loaded here once (and cached) rather than by the first run
    return dataset, ref


def _run(args):
    from harness.compare_runs import summarize_seeds
    from harness.experiment import load_experiment
    from harness.runners import FRAMEWORKS, run_seeds, save_results
    from harness.runners.io import write_json

    out = _setup(args)
    experiment = load_experiment(args.experiment)
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = [f for f in frameworks if f not in FRAMEWORKS]
    if unknown or not frameworks:
        raise ValueError(f"--frameworks: unknown {unknown or frameworks}; use some of {','.join(FRAMEWORKS)}")
    dtypes = [d.strip() for d in args.dtype.split(",")]
    if args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {args.seeds}")
    dataset, data = _data(args, out)
    seeds = range(args.seed_start, args.seed_start + args.seeds)
    passed, documents = True, []
    for dtype in dtypes:
        results = run_seeds(experiment, data, frameworks, dtype, seeds, args.iters, progress=not args.no_progress,
                            dataset_record=dataset.as_record(), jobs=args.jobs, scheduler=args.scheduler,
                            impl=args.impl, explain=None if args.explain == "none" else args.explain)
        summary = summarize_seeds(results) if len(results) > 1 else None
        paths = save_results(results, args.out, f"{experiment.name}-{dataset.name}-{dtype}", summary)
        print(format_table(results, experiment, dataset.name), file=out)
        if summary is not None:
            print(format_seed_summary(summary), file=out)
        print(f"results: {paths['json']} (+ {', '.join(p for k, p in paths.items() if k != 'json')})", file=out)
        passed &= all(r["passed"] for r in results) and (summary is None or summary_passed(summary))
        documents.append(paths["json"])
    if args.json:
        import json

        merged = [json.loads(open(p).read()) for p in documents]
        write_json(merged[0] if len(merged) == 1 else {"schema": merged[0]["schema"], "documents": merged}, args.json)
    if not passed:
        print("some runs did not pass (see the status column)" + (" — --exit-zero: exit 0" if args.exit_zero else ""),
              file=out)
    return 0 if passed or args.exit_zero else 1


def summary_passed(summary):
    """The seeds' equivalence tests: every framework shown equivalent to the reference."""
    return all(t["equivalent"] for t in summary["equivalence"].values())


def format_table(results, experiment, dataset_name):
    """The comparison table of run_experiment results (one block per seed), as text. Runs whose
    accuracy is at chance (``harness.report.document.at_chance``) say "agrees; untrained", not "ok"."""
    from harness.forensics.text import shared_events
    from harness.report.document import CHANCE_FACTOR, at_chance

    lines = []
    classes = experiment.network.get("output_size") or 10
    for r in results:
        untrained = at_chance({"classes": classes,
                               "final_test_acc": {fw: run.get("final_test_acc") for fw, run in r["runs"].items()}})
        ref = r["runs"].get("numpy", {})
        ref_tpi = ref.get("time_per_iter_s")
        impl = "" if r.get("impl", "reference") == "reference" else f"  numpy = {r['impl']}"
        lines.append(f"\n{experiment.name}  {dataset_name}  {r['dtype']}  seed {r['seed']}  {r['iters']} iterations  "
                     f"batch {r['batch_size']}  init sha256 {r['init_sha256'][:12]}{impl}")
        lines.append(f"{'framework':10s} {'status':14s} {'test acc':>8s} {'Δ acc':>8s} {'max|Δloss|':>11s} "
                     f"{'first>tol':>9s} {'ms/iter':>8s} {'×ref':>6s} {'wall s':>7s}")
        for fw in r["frameworks"]:
            run, cmp = r["runs"][fw], r["comparison"].get(fw, {})
            v = r["verdict"][fw]
            tpi = run.get("time_per_iter_s")
            lines.append(
                f"{fw:10s} {short_status(v, untrained):14s} {_fmt(run.get('final_test_acc'), '.4f'):>8s} "
                f"{_fmt(cmp.get('abs_dfinal_test_acc'), '.4f'):>8s} {_fmt(cmp.get('max_abs_dloss'), '.2e'):>11s} "
                f"{_fmt(cmp.get('first_divergent_iter'), 'd'):>9s} {_fmt(tpi and tpi * 1e3, '.3f'):>8s} "
                f"{_fmt(tpi / ref_tpi if tpi and ref_tpi else None, '.2f'):>6s} {_fmt(run.get('wall_s'), '.1f'):>7s}")
            if run.get("message"):
                lines.append(f"{'':10s} {run['message']}")
        for fw, v in r["verdict"].items():
            if v["status"] not in ("ok", "skipped") or v.get("explanation"):
                lines.append(f"  {fw}: {v['text']}")
            if v.get("explanation"):
                lines.append(f"  {fw} why: {v['explanation']}")
        for fw, cmp in r["comparison"].items():
            if cmp["gap_at"]:
                gaps = ", ".join(f"{k}: {v:.1e}" for k, v in cmp["max_gap_upto"].items())
                lines.append(f"  {fw} max |Δloss| up to iteration {gaps} (tolerance {cmp['tolerance']:g})")
        if untrained:
            lines.append(f"  note: every final test accuracy is under {CHANCE_FACTOR:g}/{classes} (chance): the runs "
                         "agree with each other, but the net has not trained (a cut or too short run)")
        shared = shared_events(r.get("explanation", {}))
        if shared:
            lines.append(f"  note: {shared}")
        cut = r.get("full_iters") and r["iters"] < r["full_iters"]
        for anchor in experiment.anchors:
            if anchor["dataset"] == dataset_name:
                lines.append(f"  anchor {_anchor_text(anchor)}: {anchor['note']}" + (
                    f" (not comparable: the anchor is for all {r['full_iters']:,} iterations, this run {r['iters']:,})"
                    if cut else ""))
    return "\n".join(lines)


def short_status(v, untrained=False):
    """The status column: ok, parted@1,180, diverged, failed, missing, skipped (an x where it fails);
    "agrees; untrained" instead of ok where the accuracy is at chance."""
    word = {"parted": f"parted@{v['parted_at']:,}" if v.get("parted_at") is not None else "parted"}.get(v["status"], v["status"])
    if v["status"] == "ok" and v.get("text", "").startswith("ok (reference"):
        word = "ref; untrained" if untrained else "ok (ref)"
    elif v["status"] == "ok" and untrained:
        word = "agrees; untrained"
    return word + ("" if v["passed"] else " ✗")


def format_seed_summary(summary):
    lines = [f"\nfinal test accuracy over seeds {summary['seeds']}:"]
    for fw, s in summary["summary"].items():
        lines.append(f"  {fw:8s} {_fmt(s['mean'], '.4f')} ± {_fmt(s['std'], '.4f')} (n={s['n']})")
    for fw, t in summary["equivalence"].items():
        verdict = "equivalent" if t["equivalent"] else "not shown equivalent"
        lines.append(f"  TOST {fw} vs numpy (paired by seed, margin ±{t['margin'] * 100:g} pp, alpha {t['alpha']}): "
                     f"mean Δ {_fmt(t['mean_diff'], '+.4f')}, p = {_fmt(t['p_value'], '.3g')} -> {verdict}"
                     + (f" ({t['note']})" if t["note"] else ""))
    return "\n".join(lines)


def _explain_arguments(parser):
    _common_run_arguments(parser, "processes (joblib loky; default 1): the two recorded runs side by side")
    parser.add_argument("--framework", required=True, help="the framework to explain against numpy")
    parser.add_argument("--dtype", default="float32", help="float32 (default) or float64")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.epilog = "exit status: 0 explained; 2 bad input"


def _explain(args):
    from harness.experiment import load_experiment
    from harness.forensics.text import details
    from harness.runners import FRAMEWORKS, REFERENCE, run_experiment
    from harness.runners.io import write_json

    out = _setup(args)
    if args.framework not in FRAMEWORKS or args.framework == REFERENCE:
        raise ValueError(f"--framework {args.framework!r}: give one of {','.join(f for f in FRAMEWORKS if f != REFERENCE)}")
    experiment = load_experiment(args.experiment)
    dataset, data = _data(args, out)
    result = run_experiment(experiment, data, (REFERENCE, args.framework), args.dtype, args.seed, args.iters,
                            progress=not args.no_progress, dataset_record=dataset.as_record(), impl=args.impl,
                            jobs=args.jobs, scheduler=args.scheduler, explain="all")
    print(format_table([result], experiment, dataset.name), file=out)
    explanation = result["explanation"].get(args.framework)
    if explanation is None:
        reasons = "; ".join(f"{fw}: {r['status']} {r.get('message') or ''}" for fw, r in result["runs"].items())
        print(f"\nnothing to explain: the runs could not be compared ({reasons})", file=out)
    else:
        print("\n" + details(explanation), file=out)
    if args.json:
        write_json(result, args.json)
    return 0


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


register("list", "show the experiments and which data sets are available", _list_arguments, _list)
register("run", "run an experiment in several frameworks and compare", _run_arguments, _run)
register("explain", "find the step where two frameworks' runs part and name its first discrete event",
         _explain_arguments, _explain)
