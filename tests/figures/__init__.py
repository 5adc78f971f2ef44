"""Tests of lib/figures."""
