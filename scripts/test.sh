#!/usr/bin/env bash
# Installs everything the tests need (Debian's chromium, the Python packages in .venv), checks
# style, and runs the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup_env.sh requirements-dev.txt
command -v chromium >/dev/null 2>&1 || apt_install chromium

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
OMP_NUM_THREADS=1 WANDB_SILENT=true WANDB_MODE=offline .venv/bin/python -m pytest "$@"
