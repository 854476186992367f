"""Take the README's screenshot of the timeline page (docs/timeline.png) in headless Chromium.

    .venv/bin/python scripts/timeline_screenshot.py docs/timeline.png   (or: make screenshot)

The analysts' database is built from the bundled examples with the real analysis, fold and sink
code (processors.store.devdb, no broker), the API serves it read-only on a free loopback port, and
Chromium opens the page, clicks the event with the most sources and takes the picture.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.api import create_app  # noqa: E402
from processors.store.devdb import build_database, read_articles  # noqa: E402
from tests.browser import chromium  # noqa: E402

EXAMPLES = [ROOT / "examples" / "niger-2023.jsonl", ROOT / "examples" / "seed-rtl-2023-09-04.json"]


def serve(duckdb_path: Path) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The API, read-only, on a free loopback port, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(None, [], duckdb_path), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1360)
    parser.add_argument("--height", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "newsline.duckdb"
        build_database(db, read_articles(EXAMPLES))
        server, thread, url = serve(db)
        try:
            with chromium() as browser:
                page = browser.new_page(viewport={"width": args.width, "height": args.height})
                page.goto(url + "/")
                page.wait_for_selector("#timeline li.event")
                page.locator("#timeline li.event.many button").first.click()
                page.wait_for_selector("#detail:not([hidden]) .source")
                page.screenshot(path=str(args.out))
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
