"""Benchmarks: each one measured against its physical floor in the same run (see README.md)."""
