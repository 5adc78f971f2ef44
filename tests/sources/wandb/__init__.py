"""Tests of lib/sources/wandb."""
