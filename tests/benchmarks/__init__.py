"""Benchmarks (`make bench`, `make bench-peers`): run as modules, never collected by pytest."""
