#!/usr/bin/env bash
# Set-up shared by the README's two commands: a virtual environment in .venv with the project and
# everything the report and the tests use, and (where apt is available) Debian's Fashion-MNIST.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# torch is pinned to 2.13.0 in pyproject.toml: its CPU wheel is on local disk here; a looser range
# would pull a multi-GB CUDA build.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[all]"

# apt packages: Debian's Fashion-MNIST (the report's data set when full MNIST is absent), and, when
# asked (SETUP_BROWSER=1, the test command), Chromium for the report's browser test.
apt_install() {
  command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || { echo "setup: no apt-get as root; skipping $*" >&2; return 0; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; } \
    || echo "setup: could not install $* (the project still runs; see README)" >&2
}
[ -d /usr/share/datasets/fashion-mnist ] || apt_install dataset-fashion-mnist
if [ "${SETUP_BROWSER:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi
