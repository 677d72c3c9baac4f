#!/bin/sh
# A long-running container that syncs every 15 minutes by itself (`nps-connector run --every 15m`).
# `docker stop` sends SIGTERM: the run finishes the HubSpot call in flight, records it and exits 143
# within 10 s (docker's default grace period), so no --stop-timeout is needed.
set -eu
docker run -d --restart unless-stopped --name nps-connector \
  --read-only --tmpfs /tmp \
  -v nps-connector-data:/data \
  -v /etc/nps-connector/nps-connector.toml:/etc/nps-connector/nps-connector.toml:ro \
  -v /etc/nps-connector/hubspot-token:/run/secrets/hubspot-token:ro \
  nps-connector:0.1.0 run --every 15m
