"""The command line: ``python -m parity {check,selftest,localize}`` (also ``scratch-parity check``, ...).

    python -m parity check PATH_OR_MODULE [--frameworks torch,keras,numerical] [--dtypes float64,float32]
                           [--components Affine,Adam,...] [--kinds layer,net] [--json FILE]
                           [--timeout SECONDS] [--device cpu]
    python -m parity selftest [--frameworks torch,numerical] [--faults id,id]
    python -m parity localize PATH_OR_MODULE [--net MultiLayerNet]

``check`` exits 0 when no component failed, raised or timed out (missing and skipped components
do not count), 1 otherwise, 2 for a usage error (an unknown component, a path that holds no
book-style package). ``selftest`` exits 0 when every shipped fault was caught.
"""
from parity.console import HelpFormatter, add_version
import argparse
import json
import math
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
JSON_SCHEMA = "scratch-parity/check/1"
CHECK_EPILOG = """examples:
  %(prog)s ./common                              every check, every framework installed, both dtypes
  %(prog)s lesson.ipynb --frameworks torch --dtypes float64 --components Affine,Adam
  %(prog)s ./common --json - > records.json      the records as JSON on standard output
  %(prog)s submissions/ --jobs 4 --out table/    a folder of submissions: one row each

exit status: 0 no component failed, raised or timed out (missing and skipped ones do not count);
1 one did; 2 bad input (an unknown component, a path holding no book-style package)."""
SELFTEST_EPILOG = """examples:
  %(prog)s                                       every shipped fault (torch, if installed, and numerical)
  %(prog)s --faults affine-dW-transposed

exit status: 0 every planted fault was caught; 1 one was missed; 2 an unknown fault id."""
LOCALIZE_EPILOG = """examples:
  %(prog)s ./common --net MultiLayerNetExtend

exit status: 0 no gradient and no forward gap out of tolerance; 1 one is (the first is named); 2 bad input."""


def _list(text):
    return tuple(x.strip() for x in text.split(",") if x.strip())


def _clean(value):
    """JSON without NaN / inf (strict readers reject them): None instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _record(record):
    """A Record's fields, ``versions`` as a JSON object (the Record holds it as a JSON string)."""
    from dataclasses import asdict

    fields = {k: _clean(v) for k, v in asdict(record).items()}
    if fields.get("versions"):
        fields["versions"] = json.loads(fields["versions"])
    return fields


def write_json(path, result):
    """{"schema", "impl", "ok", "verdict", "problems": [the implementation's problems, first],
    "summary": [one per component], "records": [every Record's fields]}; path "-": standard output."""
    from dataclasses import asdict

    problems = [{**asdict(p), "where": p.where} for p in result.problems]
    summary = [{k: _clean(v) for k, v in asdict(s).items() if k != "records"} for s in result.summaries]
    document = {"schema": JSON_SCHEMA, "impl": result.impl, "ok": result.ok, "verdict": result.verdict,
                "problems": problems, "summary": summary, "records": [_record(r) for r in result.records]}
    text = json.dumps(document, indent=1, allow_nan=False, default=str)
    if path == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    else:
        with open(path, "w") as f:
            f.write(text)


def cmd_check(args):
    from parity.verify.suite import check

    from parity.impl import load_implementation
    from parity.verify import batch
    from parity.verify.progress import CheckProgress, wants_bar

    out = sys.stderr if args.json == "-" else sys.stdout  # the tables; standard output is the JSON's

    timeout = None if args.timeout == 0 else args.timeout
    factories = {}
    for given in args.net_factory:
        name, sep, spec = given.partition("=")
        if not sep:
            name, spec = given.rpartition(":")[2], given
        factories[name] = spec
    if args.batch or batch.is_batch(args.impl):
        return _cmd_batch(args, timeout, factories)
    if not args.quiet:
        print(f"parity check: reading {args.impl} ...", file=sys.stderr, flush=True)
    try:
        impl = load_implementation(args.impl)
    except ValueError as e:
        print(f"parity check: {e}", file=sys.stderr)
        return EXIT_USAGE
    progress = None if args.quiet else CheckProgress(wants_bar(sys.stderr, args.progress))
    if impl.problems:  # first, before any check runs: the user sees the cause at once
        print(f"parity check: {impl.name}: {len(impl.problems)} problem(s) in its files:", file=sys.stderr)
        for p in impl.problems:
            print(f"  {p.describe()}", file=sys.stderr)
    try:
        result = check(impl, frameworks=_list(args.frameworks), dtypes=_list(args.dtypes),
                       components=_list(args.components) if args.components else None,
                       kinds=_list(args.kinds) if args.kinds else None, device=args.device,
                       timeout=timeout, progress=progress and progress.done,
                       on_start=progress and progress.start, on_unit=progress and progress.begin,
                       strict_dtype=args.strict_dtype, net_factories=factories)
    except ValueError as e:
        print(f"parity check: {e}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if progress is not None:
            progress.close()
    print(f"implementation: {result.impl}", file=out)
    print(result.render(), file=out)
    if args.json:
        write_json(args.json, result)
        if args.json != "-":
            print(f"records written to {args.json}", file=out)
    return EXIT_OK if result.ok else EXIT_FAIL


def _cmd_batch(args, timeout, factories):
    """A folder of submissions: one row each, in parallel (``parity.verify.batch``)."""
    from parity.verify import batch

    frameworks = _list(args.frameworks) if args.frameworks_given else batch.BATCH_FRAMEWORKS
    dtypes = _list(args.dtypes) if args.dtypes_given else batch.BATCH_DTYPES
    progress = None if args.quiet else (
        lambda r: print(f"  {r.name:<30} {'ok' if r.ok else 'FAIL'}  ({r.seconds:.1f} s)", file=sys.stderr, flush=True))
    try:
        result = batch.check_batch(args.impl, jobs=args.jobs, scheduler=args.scheduler or None, frameworks=frameworks,
                                   dtypes=dtypes, timeout=timeout or batch.COMPONENT_TIMEOUT, progress=progress,
                                   strict_dtype=args.strict_dtype, net_factories=factories,
                                   components=_list(args.components) if args.components else None,
                                   kinds=_list(args.kinds) if args.kinds else None)
    except ValueError as e:
        print(f"parity check: {e}", file=sys.stderr)
        return EXIT_USAGE
    print(result.render())
    if args.out:
        print(f"table written to {result.write(args.out)}/batch.csv, batch.json, batch.html")
    return EXIT_OK if result.ok else EXIT_FAIL


def cmd_selftest(args):
    from parity.verify import faults as fault_table
    from parity.verify.selftest import render, selftest

    chosen = None
    if args.faults:
        try:
            chosen = [fault_table.get(f) for f in _list(args.faults)]
        except ValueError as e:
            print(f"parity selftest: {e}", file=sys.stderr)
            return EXIT_USAGE
    progress = None if args.quiet else (
        lambda o: print(f"  {o.fault.id:<32} {o.status:<8} {'caught' if o.caught else 'MISSED'}",
                        file=sys.stderr, flush=True))
    result = selftest(chosen, frameworks=_list(args.frameworks) if args.frameworks else None, progress=progress)
    print(render(result))
    return EXIT_OK if result.ok else EXIT_FAIL


def cmd_localize(args):
    from parity.verify import netbuild, netcheck, nets
    from parity.impl import load_implementation

    try:
        impl = load_implementation(args.impl)
        cfg = netbuild.config(args.net)
    except ValueError as e:
        print(f"parity localize: {e}", file=sys.stderr)
        return EXIT_USAGE
    found = impl.lookup(cfg.reference)
    if found.status != "found":
        print(f"parity localize: {found.message}", file=sys.stderr)
        return EXIT_USAGE if found.status == "missing" else EXIT_FAIL
    try:
        built = netbuild.build(found.obj, cfg)
    except Exception as e:  # noqa: BLE001 -- NetBuildError, or the user's constructor raised
        print(f"parity localize: {cfg.name} ({found.provenance}): {e}", file=sys.stderr)
        return EXIT_FAIL
    x, t = netcheck.data()
    print(f"{cfg.name} of {impl.name} ({found.provenance}), built as {built.call}")
    for note in built.notes:
        print(f"  {note}")
    rand = netbuild.randomness(built.net, x, t)
    if rand.note:
        print(f"  {rand.note}")
    if not rand.fixed:
        return EXIT_FAIL
    try:
        loc = nets.localize_gradients(built.net, x, t, seed=rand.seed)
    except Exception as e:  # noqa: BLE001
        print(f"parity localize: {cfg.name}.gradient raised {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_FAIL
    print(f"gradients in backprop order (relative error; tolerance {nets.NET_GRAD_RTOL:g})")
    print(f"  {'param':<8} {'layer':<22} {'vs numerical':>13} {'vs torch':>10}")
    for p in loc.params:
        print(f"  {p.param:<8} {p.layer:<22} {p.numerical:>13.2e} {p.torch:>10.2e}  {p.problem}")
    if loc.torch_note:
        print(f"  (torch not compared: {loc.torch_note})")
    print(loc.describe())
    twin, why = netbuild.reference_twin(built.net)
    if twin is None:
        print(f"forward not compared with the reference: {why}")
        return EXIT_OK if loc.first_divergent is None else EXIT_FAIL
    fwd = nets.localize_forward(built.net, twin, x, copy_weights=False)
    if not fwd.note:
        print("forward, layer by layer against the reference net of the same architecture (relative gap, its change):")
        for g in fwd.layers:
            print(f"  {g.layer:<22} {g.gap:>10.2e} {g.rate:>+10.2e}")
    print(fwd.describe())
    return EXIT_OK if loc.first_divergent is None and fwd.first_jump is None else EXIT_FAIL


def parser(prog="python -m parity"):
    p = argparse.ArgumentParser(prog=prog, description="check an implementation of the book's API",
                                formatter_class=HelpFormatter)
    add_version(p)
    sub = p.add_subparsers(dest="command", required=True)

    def command(name, help, epilog):
        parser = sub.add_parser(name, help=help, description=help, epilog=epilog, formatter_class=HelpFormatter)
        add_version(parser)
        return parser

    c = command("check", "run every applicable check against an implementation", CHECK_EPILOG)
    c.add_argument("impl", help="a folder holding a book-style package (layers.py, functions.py, ...) "
                                "or a dotted module name ('reference')")
    c.add_argument("--frameworks", default=None, help="comma list of the framework plug-ins (torch, keras, jax) "
                   "and numerical (default all; for a batch of submissions torch,numerical)")
    c.add_argument("--dtypes", default=None, help="comma list of float64, float32 (default both; batch: float64)")
    c.add_argument("--components", default="", help="comma list of registry names and net names (default: all)")
    c.add_argument("--kinds", default="", help="comma list of layer, layout, function, optimizer, initializer, net (default: all but layout)")
    c.add_argument("--json", default="", metavar="FILE",
                   help="write the records to FILE as JSON ('-': standard output, the tables go to stderr)")
    c.add_argument("--timeout", type=float, default=300.0,
                   help="seconds per component, each run in a child process (0: in this process, no limit)")
    c.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    c.add_argument("--quiet", action="store_true", help="no progress on stderr")
    c.add_argument("--progress", action="store_true",
                   help="a progress bar ([n/N], time left) even where stderr is not a terminal")
    c.add_argument("--verbose", action="store_true", help="let the frameworks' own logs (TensorFlow, absl) through")
    c.add_argument("--strict-dtype", action="store_true",
                   help="a dtype finding (float32 in, float64 out, values right) fails the component")
    c.add_argument("--net-factory", action="append", default=[], metavar="[NAME=]MODULE:FUNCTION",
                   help="a function that builds a net small (input_size 6, output_size 3) where its constructor "
                        "cannot be filled from the book's argument names; MODULE may be a path to a .py file")
    c.add_argument("--batch", action="store_true",
                   help="IMPL is a folder of submissions (folders, notebooks, scripts): one row each "
                        "(detected when the folder holds no book files of its own)")
    c.add_argument("--jobs", type=int, default=1, help="submissions checked in parallel (joblib loky workers)")
    c.add_argument("--scheduler", default="", metavar="ADDRESS",
                   help="check the submissions on this Dask scheduler (tcp://host:8786) instead")
    c.add_argument("--out", default="", metavar="DIR", help="batch: write batch.csv, batch.json, batch.html there")
    c.set_defaults(fn=cmd_check)

    s = command("selftest", "plant the shipped faults in copies of the reference and check each", SELFTEST_EPILOG)
    s.add_argument("--frameworks", default="", help="default: torch (if installed) and numerical")
    s.add_argument("--faults", default="", help="comma list of fault ids (default: all)")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(fn=cmd_selftest)

    lo = command("localize", "per-parameter gradient errors and layer-by-layer forward gaps of a net", LOCALIZE_EPILOG)
    lo.add_argument("impl")
    lo.add_argument("--net", default="MultiLayerNet", help="TwoLayerNet, ThreeLayerNet, MultiLayerNet, MultiLayerNetExtend")
    lo.set_defaults(fn=cmd_localize)
    return p


def main(argv=None, prog="python -m parity"):
    from parity import logs, numerics

    args = parser(prog).parse_args(argv)
    if not getattr(args, "verbose", False):
        logs.quiet()
    if args.command == "check":
        args.frameworks_given, args.dtypes_given = args.frameworks is not None, args.dtypes is not None
        from parity.backends import plugin

        args.frameworks = args.frameworks or ",".join((*plugin.names(), "numerical"))
        args.dtypes = args.dtypes or "float64,float32"
    numerics.configure()
    return args.fn(args)
