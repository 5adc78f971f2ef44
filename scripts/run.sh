#!/usr/bin/env bash
# Installs the app's packages in .venv and opens Sweepscope: on the demo, or on the sweep named by
# the first argument (a wandb/ folder, a runs table, an Optuna storage URL or a W&B project/sweep),
# read from where you run this. Other arguments pass to `streamlit run`.
#   bash scripts/run.sh                      # the demo
#   bash scripts/run.sh ./wandb              # your runs, next to your training code
#   bash scripts/run.sh sqlite:///study.db   # an Optuna study (its latest study, or add #name)
#   bash scripts/run.sh entity/project       # W&B (the key from WANDB_API_KEY or the Load page)
set -euo pipefail
caller_dir=$PWD
cd "$(dirname "$0")/.."

allow() {  # let the app read this folder (the app's own folder is always allowed)
  export SWEEPSCOPE_ALLOWED_DIRS="$1${SWEEPSCOPE_ALLOWED_DIRS:+:$SWEEPSCOPE_ALLOWED_DIRS}"
}

if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
  named=$1
  shift
  if [[ "$named" == sqlite:///* && "${named#sqlite:///}" != /* ]]; then
    named="sqlite:///$caller_dir/${named#sqlite:///}"  # a relative file: from where you ran this
  fi
  if [[ "$named" == sqlite:///* ]]; then
    file=${named#sqlite:///}
    allow "$(dirname "${file%%#*}")"
  elif [ -e "$caller_dir/$named" ] || [ -e "$named" ]; then
    named=$(cd "$caller_dir" && realpath -- "$named")
    if [ -d "$named" ]; then allow "$named"; else allow "$(dirname "$named")"; fi
  fi
  export SWEEPSCOPE_SOURCE="$named"
fi

source scripts/setup_env.sh requirements.txt
exec .venv/bin/streamlit run streamlit_app.py "$@"
