"""Read benchmarks: reusegraph's GraphQL endpoint next to hand-written SQL (the floor).

``python -m bench.run`` builds a synthetic data set, starts both servers and measures them
with wrk; ``bench/results/`` keeps what each run found. See ``bench/README.md``.
"""
