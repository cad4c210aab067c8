"""``python -m benchmarks``: run the performance benchmark (see benchmarks/run.py)."""

from .run import main

main()
