#!/usr/bin/env bash
# The README's main command: set up, then generate the parity report on the default data set.
# Extra arguments go to `python -m harness report`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m harness report "$@"
