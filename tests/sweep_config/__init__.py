"""Tests of lib/sweep_config."""
