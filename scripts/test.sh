#!/usr/bin/env bash
# The README's test command: set up, then run the default test suite (everything but `slow`).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/parity -k Affine`.
set -euo pipefail
cd "$(dirname "$0")/.."
SETUP_BROWSER=1 bash scripts/setup.sh
# Two workers (pytest-xdist; PARITY_TEST_WORKERS to change): the suite's records, ids and xfails are the
# same in any number of processes, and two keep the default run well under 15 minutes on 2 cores.
exec .venv/bin/python -m pytest -m "not slow" -n "${PARITY_TEST_WORKERS:-2}" "$@"
