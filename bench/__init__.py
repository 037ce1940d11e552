"""Benchmarks: each prints its figure, a floor measured in the same run, and their ratio."""
