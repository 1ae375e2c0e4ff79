"""The command line: ``python -m harness SUBCOMMAND ...``, subcommands from a table.

    python -m harness list
    python -m harness run two_layer_relu --frameworks numpy,torch,keras --dataset auto \\
        --dtype float64 --iters 1000 --seeds 5 --out runs/

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


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m harness",
                                     description="scratch-parity: full training runs in NumPy, PyTorch and Keras")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help, add_arguments, handler) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help, description=help)
        add_arguments(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as exc:  # bad input: one clear line, exit status 2
        print(f"error: {exc}", file=sys.stderr)
        return 2


# --- list ----------------------------------------------------------------------------------------

def _list_arguments(parser):
    parser.add_argument("--data-dir", default=None, help="directory holding data sets (searched first)")


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


# --- run -----------------------------------------------------------------------------------------

def _run_arguments(parser):
    parser.add_argument("experiment", help="experiment name (see `list`) or path to a .toml file")
    parser.add_argument("--frameworks", default="numpy,torch,keras",
                        help="comma-separated, from numpy,torch,keras (numpy is the reference; default all)")
    parser.add_argument("--dataset", default="auto", help="mnist, fashion-mnist, mnist-5k or auto (default)")
    parser.add_argument("--data-dir", default=None, help="directory holding data sets (searched first)")
    parser.add_argument("--dtype", default="float64", help="float64 or float32, or both comma-separated")
    parser.add_argument("--iters", type=int, default=None, help="cut the schedule to N iterations")
    parser.add_argument("--seeds", type=int, default=1, help="number of seeds (0..N-1; default 1)")
    parser.add_argument("--seed-start", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--jobs", type=int, default=1, help="processes for the seeds (joblib loky; default 1)")
    parser.add_argument("--out", default="runs", help="directory for the JSON and CSV results (default runs/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _run(args):
    from harness.compare_runs import summarize_seeds
    from harness.data import resolve_dataset
    from harness.experiment import load_experiment
    from harness.runners import FRAMEWORKS, run_seeds, save_results

    experiment = load_experiment(args.experiment)
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = [f for f in frameworks if f not in FRAMEWORKS]
    if unknown or not frameworks:
        raise ValueError(f"--frameworks: unknown {unknown or frameworks}; use some of {','.join(FRAMEWORKS)}")
    dtypes = [d.strip() for d in args.dtype.split(",")]
    if args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {args.seeds}")
    dataset = resolve_dataset(args.dataset, args.data_dir, progress=not args.no_progress)
    print(f"data set: {dataset.name} (asked for {args.dataset}): {dataset.reason}")
    data = dataset.load(normalize=True, flatten=True, one_hot_label=False)
    seeds = range(args.seed_start, args.seed_start + args.seeds)
    for dtype in dtypes:
        results = run_seeds(experiment, data, frameworks, dtype, seeds, args.iters,
                            progress=not args.no_progress, dataset_record=dataset.as_record(), jobs=args.jobs)
        summary = summarize_seeds(results) if len(results) > 1 else None
        paths = save_results(results, args.out, f"{experiment.name}-{dataset.name}-{dtype}", summary)
        print(format_table(results, experiment, dataset.name))
        if summary is not None:
            print(format_seed_summary(summary))
        print(f"results: {paths['json']} (+ {', '.join(p for k, p in paths.items() if k != 'json')})")
    return 0


def format_table(results, experiment, dataset_name):
    """The comparison table of run_experiment results (one block per seed), as text."""
    lines = []
    for r in results:
        ref = r["runs"].get("numpy", {})
        ref_tpi = ref.get("time_per_iter_s")
        lines.append(f"\n{experiment.name}  {dataset_name}  {r['dtype']}  seed {r['seed']}  {r['iters']} iterations  "
                     f"batch {r['batch_size']}  init sha256 {r['init_sha256'][:12]}")
        lines.append(f"{'framework':10s} {'status':9s} {'test acc':>8s} {'Δ acc':>8s} {'max|Δloss|':>11s} "
                     f"{'first>tol':>9s} {'ms/iter':>8s} {'×ref':>6s} {'wall s':>7s}")
        for fw in r["frameworks"]:
            run, cmp = r["runs"][fw], r["comparison"].get(fw, {})
            tpi = run.get("time_per_iter_s")
            lines.append(
                f"{fw:10s} {run['status']:9s} {_fmt(run.get('final_test_acc'), '.4f'):>8s} "
                f"{_fmt(cmp.get('abs_dfinal_test_acc'), '.4f'):>8s} {_fmt(cmp.get('max_abs_dloss'), '.2e'):>11s} "
                f"{_fmt(cmp.get('first_divergent_iter'), 'd'):>9s} {_fmt(tpi and tpi * 1e3, '.3f'):>8s} "
                f"{_fmt(tpi / ref_tpi if tpi and ref_tpi else None, '.2f'):>6s} {_fmt(run.get('wall_s'), '.1f'):>7s}")
            if run.get("message"):
                lines.append(f"{'':10s} {run['message']}")
        for fw, cmp in r["comparison"].items():
            if cmp["gap_at"]:
                gaps = ", ".join(f"{k}: {v:.1e}" for k, v in cmp["max_gap_upto"].items())
                lines.append(f"  {fw} max |Δloss| up to iteration {gaps} (tolerance {cmp['tolerance']:g})")
        for anchor in experiment.anchors:
            if anchor["dataset"] == dataset_name:
                lines.append(f"  anchor {_anchor_text(anchor)}: {anchor['note']}")
    return "\n".join(lines)


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


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


register("list", "show the experiments and which data sets are available", _list_arguments, _list)
register("run", "run an experiment in several frameworks and compare", _run_arguments, _run)
