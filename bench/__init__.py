"""Benchmarks: `make bench` (python -m bench). Speed and memory, never asserted in tests."""
