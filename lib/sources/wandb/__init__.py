"""W&B sources: live projects and sweeps through the API, and local `wandb/` folders.

Live (the API):
- `api`: the entry points `load_wandb_source`, `load_wandb`, `fetch_sweep`.
- `spec`: what users paste, read into a `WandbSpec`.
- `hosts`, `auth`: which key may go to which server; where a key comes from, and its digest.
- `fetch`: the requests (paged runs, sweep configs); `build`: the runs as a `Sweep`.
- `errors`: failures as messages, a rule table; `snapshot`: fetch time and Parquet snapshots.
- `cache`: fetched sweeps kept in memory, keyed on the key's digest.

Local folders:
- `local`: the entry point `load_wandb_folder`, each run folder read, resumed runs merged.
- `folders`: finding run folders; `run_files`: an online run's `files/`; `debug_log`: a run
  killed before its first record.
- `run_log`: reading `.wandb` files (cache, workers), with `run_log_frames` (framing),
  `run_log_proto` (the protobuf `Record` class) and `run_log_replay` (records into a `RunLog`).
"""
