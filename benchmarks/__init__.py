"""One runnable module per benchmark: ``python -m benchmarks.NAME``."""
