# A slim image for production: external PostgreSQL (DATABASE_URL), non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY reusegraph ./reusegraph
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 reusegraph
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER reusegraph
WORKDIR /home/reusegraph
ENV REUSEGRAPH_HOST=0.0.0.0 \
    REUSEGRAPH_PORT=8000 \
    REUSEGRAPH_WORKERS=2
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# Run `reusegraph migrate` once per release (e.g. as a job) before starting new replicas.
CMD ["reusegraph", "serve"]
