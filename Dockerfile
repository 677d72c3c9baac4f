# nps-connector: a scheduled sync worker (Kubernetes CronJob, ECS scheduled task, cron + docker).
# deploy/kubernetes/ and deploy/docker/ use the paths below; tests/test_deploy.py keeps them in step.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY connector ./connector
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NPS_CONFIG=/etc/nps-connector/nps-connector.toml \
    NPS_LEDGER__PATH=/data/nps-ledger.sqlite \
    MPLCONFIGDIR=/tmp/matplotlib
COPY --from=build /install /usr/local
# A fixed uid/gid (10001) so runAsUser/fsGroup in the manifests and volume ownership match.
RUN groupadd --system --gid 10001 nps \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --create-home nps \
    && mkdir -p /etc/nps-connector
USER 10001:10001
WORKDIR /data
# The ledger (SQLite, with its -wal/-shm and .lock files) lives here: mount a persistent volume.
# The root filesystem can be read-only; only /data and /tmp (dry runs, the chart cache of
# `report --format html`) are written.
VOLUME ["/data"]
# SIGTERM (docker stop, Kubernetes) stops a run gracefully: exit 143, progress kept, within 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["nps-connector"]
CMD ["sync"]
