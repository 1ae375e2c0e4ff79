"""``python -m harness report``: run everything and write the report directory.

    python -m harness report [--out reports/latest] [--dataset auto] [--frameworks numpy,torch,keras]
        [--experiments a,b] [--iters N] [--short-iters N | --full] [--seeds N] [--seed-iters N] [--quick]
        [--keras-backends tensorflow,torch] [--components Affine,Relu] [--readme README.md]
"""
import os
import sys
import time

from harness.cli import register


DEFAULT_JOBS = os.cpu_count() or 1  # the report is the long command: use every core (same content as --jobs 1)


def _split(text):
    return tuple(x.strip() for x in text.split(",") if x.strip()) if text else None


def add_arguments(parser):
    from harness.report.collect import (experiment_frameworks, DEFAULT_SEED_DTYPE, DEFAULT_SEED_EXPERIMENT, DEFAULT_SEED_ITERS,
                                        DEFAULT_SEEDS, DEFAULT_SHORT_ITERS)

    parser.add_argument("--out", default="reports/latest", help="report directory (default reports/latest)")
    parser.add_argument("--dataset", default="auto", help="mnist, fashion-mnist, mnist-5k or auto (default)")
    parser.add_argument("--data-dir", default=None, help="directory holding data sets (searched first)")
    parser.add_argument("--frameworks", default=None,
                        help="comma-separated (default every registered one: " + ",".join(experiment_frameworks()) + ")")
    parser.add_argument("--experiments", default=None, help="comma-separated experiment names or .toml paths (default all)")
    parser.add_argument("--iters", type=int, default=None,
                        help="run every experiment for N iterations (default: each one's full schedule)")
    parser.add_argument("--short-iters", type=int, default=DEFAULT_SHORT_ITERS,
                        help="cut the experiments WITHOUT an anchor on the data set to N iterations (anchored ones "
                             f"keep their full schedule; default {DEFAULT_SHORT_ITERS:,})")
    parser.add_argument("--full", action="store_true",
                        help="every experiment at its full schedule (no --short-iters cut; ~13 minutes on 2 cores "
                             "instead of under 5)")
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help=f"seeds in the sweep (default {DEFAULT_SEEDS}; 0: none)")
    parser.add_argument("--seed-iters", type=int, default=DEFAULT_SEED_ITERS,
                        help=f"iterations per seed in the sweep (default {DEFAULT_SEED_ITERS})")
    parser.add_argument("--seed-experiment", default=DEFAULT_SEED_EXPERIMENT, help="experiment of the seeds sweep")
    parser.add_argument("--seed-dtype", default=DEFAULT_SEED_DTYPE,
                        help=f"dtype of the seeds sweep (default {DEFAULT_SEED_DTYPE}: in float64 the frameworks agree exactly)")
    parser.add_argument("--dtype", default="float64", help="dtype of the experiments (default float64)")
    parser.add_argument("--components", default=None, help="registry rows for the op-level checks (default all)")
    parser.add_argument("--keras-backends", default=None,
                        help="Keras backends to check at op level (default: every one installed; others run in a "
                             "subprocess with KERAS_BACKEND set)")
    parser.add_argument("--impl", default="reference", help="implementation under test (default the reference)")
    parser.add_argument("--quick", action="store_true", help="a 1-2 minute version: short experiments, 2 short seeds")
    parser.add_argument("--readme", default=None, help="README whose REPORT-HEADLINE block gets the headline table")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                        help="processes for the op-level checks, the catalogue and every framework run (joblib loky; "
                             f"default {DEFAULT_JOBS}, the CPUs here; 1: one after another; the report is the same "
                             "for any number)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the tasks on a Dask cluster (joblib's dask backend), e.g. tcp://127.0.0.1:8786")
    parser.add_argument("--threads", type=int, default=None, help="native threads per task (default 1)")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write results.json to PATH ('-': standard output; the progress goes to stderr)")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when a check failed (" + EXIT_CODES + ")")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--verbose", action="store_true", help="let the frameworks' own logs (TensorFlow, absl) through")
    parser.epilog = EXIT_CODES


EXIT_CODES = ("exit status: 0 everything passed; 1 an op-level check failed or errored, a catalogue entry is "
              "stale or its fix failed, a part or an experiment failed, a run diverged or did not pass, or the "
              "seeds' equivalence was not shown; 2 bad input")


def options_from_args(args):
    """The ReportOptions the command line asks for (``--full``: no cut of unanchored experiments)."""
    from harness.report.collect import ReportOptions

    return ReportOptions(
        out=args.out, dataset=args.dataset, data_dir=args.data_dir, frameworks=_split(args.frameworks),
        experiments=_split(args.experiments), iters=args.iters,
        short_iters=None if args.full else args.short_iters, seeds=args.seeds, seed_iters=args.seed_iters,
        seed_experiment=args.seed_experiment, seed_dtype=args.seed_dtype, dtype=args.dtype,
        components=_split(args.components), keras_backends=_split(args.keras_backends), impl=args.impl,
        quick=args.quick, progress=not args.no_progress, jobs=args.jobs, scheduler=args.scheduler)


def handler(args):
    from harness.report.collect import collect
    from harness.report.readme import update_readme
    from harness.report.summary import failures
    from harness.report.write import write_report
    from harness.runners.io import write_json
    from harness.runners.threads import pin_process, set_per_run

    set_per_run(args.threads)
    pin_process()
    out = sys.stderr if args.json == "-" else sys.stdout

    options = options_from_args(args)
    start = time.perf_counter()
    results = collect(options)
    results["command"] = " ".join(["python -m harness report", *sys.argv[2:]]) if sys.argv[1:2] == ["report"] \
        else "python -m harness report"
    paths = write_report(results, options.out)
    from harness.report.summary import counts

    c = counts(results["ops"]["records"])
    print("op-level: " + ", ".join(f"{n} {s}" for s, n in c.items()), file=out)
    for x in results["experiments"]:
        print(f"experiment {x['name']}: {x['status']}" + (f" ({x['error']['error']})" if x.get("error") else ""), file=out)
        for fw, v in ((x.get("result") or {}).get("verdict") or {}).items():
            if v["status"] not in ("ok", "skipped"):
                print(f"  {fw}: {v['text']}" + (f"\n  {fw} why: {v['explanation']}" if v.get("explanation") else ""),
                      file=out)
    print(f"report: {paths['html']} and {paths['markdown']} ({time.perf_counter() - start:.0f} s)", file=out)
    if args.readme:
        link = os.path.relpath(paths["markdown"], os.path.dirname(os.path.abspath(args.readme)))
        print(f"headline written into {update_readme(args.readme, results, link)}", file=out)
    if args.json:
        import json

        write_json(json.loads(open(paths["json"]).read()), args.json)
    failed = failures(results)
    for reason in failed:
        print(f"not passed: {reason}", file=out)
    if failed and args.exit_zero:
        print("--exit-zero: exit 0", file=out)
    return 1 if failed and not args.exit_zero else 0


register("report", "run the parity checks and experiments and write the report (HTML, Markdown, PNG, JSON, CSV)",
         add_arguments, handler)
