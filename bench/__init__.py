"""Ish CD's benchmarks with their targets: ``make bench`` (``python -m bench``).

One run starts a fresh server on a free port, measures end-to-end run
latency, run throughput, the process-spawn floor and GET-run requests/s
against a bare FastAPI endpoint, prints each figure beside its target and
writes them all to ``bench/results/latest.json``. See docs/benchmarks.md.
"""
