#!/usr/bin/env bash
# Installs the app's packages in .venv and opens Sweepscope on the demo sweep.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup_env.sh requirements.txt
exec .venv/bin/streamlit run streamlit_app.py "$@"
