"""Benchmarks: each script prints its figures as medians, next to a baseline measured in the same run."""
