"""Benchmark of the op-level suite: ``python -m parity.bench [--frameworks torch,keras] [--top 10]``.

Times every registry row x framework x dtype (``parity.api.run_records``) after the frameworks are
imported and warmed up (one untimed Affine check each), and prints the total wall time and the
slowest calls. The Keras backend is the one ``KERAS_BACKEND`` selects. Timings are printed, never
asserted.
"""
import argparse
import time


def time_suite(frameworks=("torch", "keras"), dtypes=("float64", "float32")):
    """[(seconds, component, framework, dtype, n_records)] for every row x framework x dtype."""
    from parity import numerics
    from parity.api import run_records, select
    from parity.frameworks import missing_reason

    numerics.configure()
    frameworks = [fw for fw in frameworks if missing_reason(fw) is None]
    for fw in frameworks:  # imports and first-call set-up stay out of the figures
        run_records("reference", (fw,), ("float64",), ["Affine"])
    timings = []
    for row in select():
        for fw in frameworks:
            for dtype in dtypes:
                start = time.perf_counter()
                records = run_records("reference", (fw,), (dtype,), [row.name])
                timings.append((time.perf_counter() - start, row.name, fw, dtype, len(records)))
    return timings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m parity.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default="torch,keras")
    parser.add_argument("--top", type=int, default=10, help="how many of the slowest calls to list")
    args = parser.parse_args(argv)
    from parity.frameworks import keras_backend

    timings = time_suite(tuple(f for f in args.frameworks.split(",") if f))
    total = sum(t[0] for t in timings)
    print(f"op-level suite: {len(timings)} row x framework x dtype calls, {sum(t[4] for t in timings)} records, "
          f"{total:.1f} s after imports (keras backend: {keras_backend()})")
    print(f"slowest {args.top}:")
    for seconds, name, fw, dtype, n in sorted(timings, reverse=True)[:args.top]:
        print(f"  {seconds * 1000:8.0f} ms  {name}-{fw}-{dtype} ({n} records)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
