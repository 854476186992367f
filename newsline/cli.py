"""The `newsline` command line. Names and outputs here are a contract that scripts depend on."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import date, datetime
from pathlib import Path

from newsline import commands
from newsline.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k, v in {
        "data_dir": getattr(args, "data_dir", None),
        "bootstrap_servers": getattr(args, "bootstrap_servers", None),
        "api_host": getattr(args, "api_host", None),
        "api_port": getattr(args, "api_port", None),
    }.items() if v is not None}
    return Settings(**overrides)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def _anchors(text: str) -> tuple[str, ...]:
    from readmodel.read import ANCHORS

    if text.strip() == "all":
        return ANCHORS
    chosen = tuple(dict.fromkeys(a.strip() for a in text.split(",") if a.strip()))
    unknown = [a for a in chosen if a not in ANCHORS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: anchors are {', '.join(ANCHORS)} or all")
    return chosen


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset (e.g. Z or +02:00)")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsline", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def cmd(name: str, help_text: str, data_dir: bool = True) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text)
        if data_dir:
            c.add_argument("--data-dir", type=Path, help="default ./data or NEWSLINE_DATA_DIR")
        return c

    up = cmd("up", "Run the stack in the foreground (embedded broker unless one is given).")
    up.add_argument("--bootstrap-servers", help="use this Kafka; start no broker")
    up.add_argument("--api-host")
    up.add_argument("--api-port", type=int)
    up.add_argument("--demo", action="store_true",
                    help="post the bundled examples and print the timeline once ready")
    for name, text in (("worker", "Run the faust processors."), ("sink", "Run the DuckDB sink.")):
        c = cmd(name, text)
        c.add_argument("--bootstrap-servers", required=True)
        if name == "sink":
            c.add_argument("--epoch", default=None, help="log identity (set by `newsline up`)")
    api = cmd("api", "Serve only the ingest API (the docker compose `api` service).")
    api.add_argument("--bootstrap-servers", help="default NEWSLINE_BOOTSTRAP_SERVERS")
    api.add_argument("--api-host")
    api.add_argument("--api-port", type=int)
    topics = cmd("topics", "Create every Newsline topic on a Kafka cluster.", data_dir=False)
    topics.add_argument("--bootstrap-servers", required=True)
    topics.add_argument("--replication", type=int, default=1)

    post = cmd("post", "Post article files (.json, .jsonl, .txt, .html) or folders of them.")
    post.add_argument("paths", nargs="+", type=Path)
    post.add_argument("--api", help="API URL (default: from DATA_DIR/newsline.json)")
    post.add_argument("--token")
    post.add_argument("--wait", action="store_true", help="return once visible to analysts")
    post.add_argument("--timeout", type=float, default=180.0)
    post.add_argument("--batch-size", type=int, default=50)
    for flag in ("url", "published-at", "updated-at", "language", "source", "title"):
        post.add_argument(f"--{flag}", help=f"{flag} for .txt/.html files")

    tl = cmd("timeline", "Print the timeline.")
    tl.add_argument("--entity")
    tl.add_argument("--since", type=_day, help="YYYY-MM-DD: events ending on or after it")
    tl.add_argument("--until", type=_day, help="YYYY-MM-DD: events starting on or before it")
    tl.add_argument("--as-of", type=_instant, help="ISO instant with offset, e.g. 2023-09-05T00:00Z")
    tl.add_argument("--language", help="ISO 639-1: events reported in that language")
    tl.add_argument("--min-sources", type=int, default=1,
                    help="events with at least N independent sources (copies do not count)")
    tl.add_argument("--anchor", type=_anchors, default=None, metavar="A[,A...]|all",
                    help="events dated that way: explicit (a date in their own sentence, the "
                         "default), narrative (the passage's last date), publication (the "
                         "article's day), none; `all` for every one")
    tl.add_argument("--format", choices=("table", "json", "csv"), default="table")

    ex = cmd("extract", "Tag dated expressions in JSONL articles (FILE or - for stdin).",
             data_dir=False)
    ex.add_argument("file")

    st = cmd("status", "Say whether the stack answers, with counts and consumer lag.")
    st.add_argument("--json", action="store_true")
    st.add_argument("--bootstrap-servers", help="when no DATA_DIR/newsline.json (docker compose)")
    st.add_argument("--api-host")
    st.add_argument("--api-port", type=int)

    dlq = cmd("dlq", "List dead letters (messages rejected by the processors).")
    dlq.add_argument("--format", choices=("table", "json"), default="table")
    dlq.add_argument("--replay", metavar="ID",
                     help="post dead letter ID again through the API, if today's code accepts it")
    dlq.add_argument("--with", dest="with_file", type=Path, metavar="FILE",
                     help="with --replay: post this corrected article (or envelope) instead")
    dlq.add_argument("--api", help="API URL (default: from DATA_DIR/newsline.json)")
    dlq.add_argument("--token")
    dlq.add_argument("--bootstrap-servers", help="when no DATA_DIR/newsline.json (docker compose)")

    cmd("replay", "Rebuild every DuckDB projection from the changelog and compare.")
    export = cmd("export", "Write the analysts' tables as Parquet files into DIR.")
    export.add_argument("--format", choices=("parquet",), default="parquet")
    export.add_argument("out_dir", type=Path, metavar="DIR")
    cmd("export-schemas", "Rewrite the JSON Schemas in schemas/json/.", data_dir=False)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `newsline` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("NEWSLINE_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet = logging.getLevelName(os.environ.get("NEWSLINE_WORKER_LOG_LEVEL", "WARNING").upper())
    for noisy in ("kafka", "aiokafka", "faust", "mode", "httpx", "uvicorn"):
        logging.getLogger(noisy).setLevel(quiet if noisy in ("aiokafka", "faust", "mode")
                                          else logging.WARNING)
    settings = _settings(args)
    if args.command == "up":
        return commands.up(settings, demo=args.demo)
    if args.command == "worker":
        return commands.worker(settings)
    if args.command == "sink":
        stop = threading.Event()

        def on_signal(*_: object) -> None:
            # Graceful: finish the batch in hand. Every batch commits atomically, so if the
            # broker is gone and the consumer hangs, exiting hard after a grace period is safe.
            stop.set()
            deadline = threading.Timer(10.0, os._exit, [0])
            deadline.daemon = True
            deadline.start()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        return commands.sink(settings, args.epoch, stop)
    if args.command == "api":
        return commands.api(settings)
    if args.command == "topics":
        return commands.topics(args.bootstrap_servers, args.replication)
    if args.command == "post":
        return commands.post(settings, args)
    if args.command == "timeline":
        return commands.timeline(settings, args)
    if args.command == "extract":
        return commands.extract(args.file)
    if args.command == "status":
        return commands.status(settings, as_json=args.json)
    if args.command == "dlq":
        return commands.dlq(settings, args)
    if args.command == "replay":
        return commands.replay(settings)
    if args.command == "export":
        return commands.export(settings, args.out_dir)
    if args.command == "export-schemas":
        from schemas.export import write_all

        for path in write_all():
            print(path)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
