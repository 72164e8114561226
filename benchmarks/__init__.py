"""Side-by-side benchmarks of amili-async (not part of the test suite).

Run them all with ``python benchmarks/run.py`` (full sizes) or
``python benchmarks/run.py --quick`` (same measurements, reduced sizes).
"""
