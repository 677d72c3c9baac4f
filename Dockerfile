# nps-connector: a scheduled sync worker (Kubernetes CronJob, ECS scheduled task, cron + docker).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY connector ./connector
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NPS_CONFIG=/etc/nps-connector/nps-connector.toml \
    NPS_LEDGER__PATH=/data/nps-ledger.sqlite
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 --home-dir /data --create-home nps
USER 10001
WORKDIR /data
# The ledger (SQLite, with its -wal/-shm and .lock files) lives here: mount a persistent volume.
VOLUME ["/data"]
ENTRYPOINT ["nps-connector"]
CMD ["sync"]
