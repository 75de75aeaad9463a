# One image for the API and the workers (docker-compose.yml picks the command).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY models models
COPY services services
COPY activities activities
COPY workflows workflows
COPY integrations integrations
COPY api api
COPY cli cli
COPY data data
COPY worker.py ./
RUN pip install --no-cache-dir .
ENV IGNY8_DATA_DIR=/data
VOLUME /data
CMD ["python", "worker.py"]
