"""The headless import path `lib.importance` kept for scripts and outside checks; the code lives in
`lib.analysis.importance`."""

from lib.analysis.importance import parameter_importance

__all__ = ["parameter_importance"]
