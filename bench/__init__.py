"""Benchmarks of the live coordination stack: they print figures, they are not tests.

See bench/README.md for what each figure measures and how to rerun it.
"""
