# The production image: an external PostgreSQL 14+ (DATABASE_URL), non-root, pinned.
# Without DATABASE_URL it stops at once and says how to set it; REUSEGRAPH_EMBEDDED=true
# runs a throwaway demo with the embedded PostgreSQL instead (its data dies with the
# container). Dependencies come from requirements/app.lock, hash-checked.
FROM python:3.11-slim AS build
RUN python -m venv /opt/reusegraph
ENV PATH=/opt/reusegraph/bin:$PATH
WORKDIR /src
COPY requirements/app.lock requirements/app.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/app.lock
COPY pyproject.toml README.md ./
COPY reusegraph ./reusegraph
RUN pip install --no-cache-dir --no-deps . && reusegraph --version

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 reusegraph
COPY --from=build /opt/reusegraph /opt/reusegraph
USER reusegraph
WORKDIR /home/reusegraph
ENV PATH=/opt/reusegraph/bin:$PATH \
    REUSEGRAPH_EMBEDDED=false \
    REUSEGRAPH_HOST=0.0.0.0 \
    REUSEGRAPH_PORT=8000 \
    REUSEGRAPH_WORKERS=2
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Run `reusegraph migrate` once per release (a job, or the compose file's `migrate`
# service) before starting new replicas; `reusegraph serve --migrate` does it at start.
CMD ["reusegraph", "serve"]
