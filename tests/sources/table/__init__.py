"""Tests of lib/sources/table."""
