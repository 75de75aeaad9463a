# One image for the API, the workers and the schema upgrade (docker-compose.yml picks the command:
# `igny8 api`, `igny8 worker`, `igny8 db upgrade`).
FROM python:3.11.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY contracts contracts
COPY core core
COPY models models
COPY migrations migrations
COPY services services
COPY activities activities
COPY workflows workflows
COPY integrations integrations
COPY api api
COPY cli cli
COPY data data
COPY worker.py ./
# With the extras production uses: S3 image storage (IGNY8_STORAGE=s3), OpenTelemetry tracing and
# the offline semantic clustering (IGNY8_CLUSTERING=auto picks it).
RUN pip install --no-cache-dir ".[s3,otel,semantic]" \
    && useradd --system --uid 10001 --home-dir /app igny8 \
    && mkdir -p /data && chown igny8 /data
ENV IGNY8_DATA_DIR=/data PYTHONUNBUFFERED=1
USER igny8
VOLUME /data
# SIGTERM reaches the process directly (exec form): workers shut down gracefully.
CMD ["igny8", "worker"]
