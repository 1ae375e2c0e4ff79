#!/usr/bin/env bash
# The README's main command: set up, then generate the parity report on the default data set.
# Extra arguments go to `python -m harness report`; without any, the default report is written to
# reports/latest/ and its headline table into README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$#" -eq 0 ]; then
  exec .venv/bin/python -m harness report --readme README.md
fi
exec .venv/bin/python -m harness report "$@"
