"""Benchmark tooling: fan-out load client, reference server and class setup helper."""
