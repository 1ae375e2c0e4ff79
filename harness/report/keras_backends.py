"""Keras on a second backend: the op-level checks and the catalogue in a subprocess.

Keras picks its backend once per process (``KERAS_BACKEND``), so the report checks Keras on the
backend it imported in-process and on each other backend in a child process:

    python -m harness.report.keras_backends --backend torch --out records.json [--impl reference]
        [--dtypes float64,float32] [--components Affine,Relu]

The child writes {"records": [Record as dict], "catalogue": [measure_all rows]} as JSON.
"""
import argparse
from dataclasses import asdict
import importlib.util
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time

BACKENDS = ("tensorflow", "torch", "jax")  # every backend Keras 3 runs on (tox envs keras-<backend>)
SCHEMA = "scratch-parity/keras-backend-records/1"
_NEEDS = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}


def other_backends(asked=None):
    """The Keras backends to run in subprocesses: those asked (None: every backend whose package is
    installed) other than the one this process uses."""
    from parity.frameworks import keras_backend

    if asked is None:
        asked = tuple(b for b in BACKENDS if importlib.util.find_spec(_NEEDS[b]) is not None)
    unknown = [b for b in asked if b not in BACKENDS]
    if unknown:
        raise ValueError(f"--keras-backends: unknown {unknown}; use some of {','.join(BACKENDS)}")
    return [b for b in asked if b != keras_backend()]


def run_backend(backend, options, timeout=900):
    """Run the Keras checks on ``backend`` in a child process; {"records": [dict], "catalogue": [dict],
    "error": None or {"error": reason}, "seconds"}. A child that fails leaves its reason."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "records.json"
        cmd = [sys.executable, "-m", "harness.report.keras_backends", "--backend", backend, "--out", str(out),
               "--impl", str(options.impl), "--dtypes", ",".join(options.op_dtypes)]
        if options.components:
            cmd += ["--components", ",".join(options.components)]
        env = {**os.environ, "KERAS_BACKEND": backend}
        if options.progress:
            print(f"op-level checks: keras on the {backend} backend (subprocess)", file=sys.stderr, flush=True)
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                                  cwd=Path(__file__).resolve().parents[2])
        except subprocess.TimeoutExpired:
            return _failed(f"keras[{backend}] checks took longer than {timeout} s", start)
        if done.returncode != 0 or not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return _failed(f"keras[{backend}] subprocess exited with {done.returncode}: {' | '.join(tail)}", start)
        data = json.loads(out.read_text())
    return {"records": data["records"], "catalogue": data["catalogue"], "error": None,
            "seconds": time.perf_counter() - start}


def _failed(reason, start):
    return {"records": [], "catalogue": [], "error": {"error": reason}, "seconds": time.perf_counter() - start}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m harness.report.keras_backends", description=__doc__)
    parser.add_argument("--backend", required=True, choices=BACKENDS)
    parser.add_argument("--out", required=True)
    parser.add_argument("--impl", default="reference")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--components", default=None)
    args = parser.parse_args(argv)
    if os.environ.get("KERAS_BACKEND") != args.backend:
        raise SystemExit(f"set KERAS_BACKEND={args.backend} before starting this process (Keras reads it on import)")
    from parity import numerics
    from parity.api import run_records
    from parity.catalogue.measure import ids_for, measure_all
    from parity.frameworks import missing_reason

    numerics.configure(tf32=False)
    components = args.components.split(",") if args.components else None
    records = [r for r in run_records(args.impl, ("keras",), tuple(args.dtypes.split(",")), components)
               if r.framework == "keras"]  # not the rows with their own counterpart: the report runs those once
    catalogue = (measure_all(frameworks=("keras",), ids=ids_for(components)) if missing_reason("keras") is None
                 else [])
    Path(args.out).write_text(json.dumps({"schema": SCHEMA, "records": [asdict(r) for r in records],
                                          "catalogue": [dict(r) for r in catalogue]}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
