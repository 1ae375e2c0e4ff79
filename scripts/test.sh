#!/usr/bin/env bash
# The README's test command: set up, then run the default test suite (everything but `slow`).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/parity -k Affine`.
set -euo pipefail
cd "$(dirname "$0")/.."
SETUP_BROWSER=1 bash scripts/setup.sh
exec .venv/bin/python -m pytest -m "not slow" "$@"
