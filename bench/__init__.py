"""Benchmarks for fakefiles, measured against a bare Starlette reference in the same run.

``python -m bench.run`` (``make bench``) prints one table and writes ``bench/results/*.json``;
see ``bench/README.md``.
"""
