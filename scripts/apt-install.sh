#!/usr/bin/env bash
# Install Debian packages for the test tools (used by install-chromium.sh and
# install-compose-check.sh once they found their tool missing).
# Usage: apt-install.sh "what to do without apt-get" PACKAGE...
set -euo pipefail

hint=$1
shift
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$hint" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
# --no-install-recommends: only what the tests use (docker-compose's config check needs no
# Docker engine, which is only recommended).
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
