"""Debian's headless Chromium, driven by Playwright (its bundled driver; never its own browsers).

`make test` installs the `chromium` and `chromium-driver` packages (scripts/install-chromium.sh).
The flags keep Chromium off the network it would otherwise call at start (this machine has none);
Playwright gives every launch a fresh, empty user data directory of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path(os.environ.get("NEWSLINE_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium; fails (never skips) when the Debian package is missing."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `bash scripts/install-chromium.sh` "
                           "(make test does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
