#!/usr/bin/env bash
# Make `docker-compose` (Debian's 1.29) available for tests/unit/test_compose.py, which runs
# `docker-compose config` to validate docker-compose.yml offline (no Docker engine needed).
# Idempotent: does nothing when a docker-compose is already on the PATH.
set -euo pipefail

if command -v docker-compose >/dev/null 2>&1; then
    echo "docker-compose present: $(docker-compose version --short 2>/dev/null || echo unknown)"
    exit 0
fi
bash "$(dirname "$0")/apt-install.sh" \
    "docker-compose is missing and apt-get is not available: install docker-compose 1.29 (or newer) by other means" \
    docker-compose
echo "installed: $(docker-compose version --short 2>/dev/null || echo unknown)"
