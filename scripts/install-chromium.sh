#!/usr/bin/env bash
# Debian's Chromium and its driver for the browser tests (tests/integration/test_web.py drives
# /usr/bin/chromium with Playwright), and a font for screenshots with legible text. Idempotent:
# does nothing when all are installed.
set -euo pipefail

FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
        && [ -e "$FONT" ]; then
    echo "chromium present: $(chromium --version 2>/dev/null | head -1)"
    exit 0
fi
bash "$(dirname "$0")/apt-install.sh" \
    "chromium is missing and apt-get is not available: install Chromium by other means and set NEWSLINE_CHROMIUM to its path" \
    chromium chromium-driver fonts-dejavu-core
echo "installed: $(chromium --version 2>/dev/null | head -1)"
