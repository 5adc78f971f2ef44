"""Tests of lib/analysis."""
