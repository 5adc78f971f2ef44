"""Tests of lib/sources/optuna."""
