"""Helpers of the benchmarks (not benchmarks themselves: `make bench` runs bench/*.py)."""
