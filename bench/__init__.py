"""Benchmarks: `.venv/bin/python -m bench` runs them all (see bench/README.md)."""
