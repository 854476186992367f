"""What each `newsline` subcommand does; `newsline.cli` only parses arguments."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from rich.progress import Progress, SpinnerColumn, TextColumn

from ingest.client import Client, runtime_info
from newsline.render import print_dead_letters, print_timeline
from newsline.settings import Settings
from newsline.sources import SourceError, expand, read_articles

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
log = logging.getLogger(__name__)


def exit_without_teardown(code: int | str | None) -> NoReturn:
    """Exit a stopped worker or sink at once: logs and standard streams flushed, then
    `os._exit`, skipping the interpreter's teardown.

    Everything that must outlive the process is already durable when this runs (offsets
    committed, stores committed and closed), and what the teardown would do is free the heap
    object by object after full garbage collections: with the resolver's state after a fill
    of 10,000 articles that alone took more than 9 s at a load of 15 (py-spy: `gc_collect_main`
    after faust had closed its loop), so Ctrl-C outlasted the stack's 10 s grace and the worker
    was killed.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if code is None:
        os._exit(0)
    if isinstance(code, int):
        os._exit(code)
    print(code, file=sys.stderr, flush=True)  # SystemExit("message"): printed, status 1
    os._exit(1)


def up(settings: Settings, demo: bool) -> int:
    """`newsline up`."""
    from newsline.stack import run_up

    def on_ready(info: dict[str, Any]) -> None:
        if demo:
            client = Client(info["api_url"], info["token"])
            items = [a for f in sorted(EXAMPLES.glob("*.json*")) if "gold" not in f.name
                     for a in read_articles(f, {}) if isinstance(a, dict)]
            result = client.post(items)
            missing = client.wait_visible([a["id"] for a in result.accepted], timeout=180)
            print_timeline(client.timeline(), "table")
            if missing or result.rejected:
                print(f"warning: {len(result.rejected)} rejected, {len(missing)} not visible yet")
        print(f"\nAPI:    {info['api_url']}\nPage:   {info['api_url']}/  (the timeline in a browser)\n"
              f"Docs:   {info['docs_url']}\n"
              f"DuckDB: {info['duckdb']}  (open with .venv/bin/duckdb {info['duckdb']})\n"
              f"Token:  in {settings.runtime_file}\nPress Ctrl-C to stop.", flush=True)

    return run_up(settings, on_ready=on_ready)


def worker(settings: Settings) -> int:
    """`newsline worker`: the faust processors."""
    from processors.app import create_app
    from processors.worker.heap import collect_less_often
    from processors.worker.resolver_state import close_open_stores

    collect_less_often(settings.gc_thresholds)

    app = create_app(str(settings.bootstrap_servers), data_dir=str(settings.data_dir),
                     session_timeout_s=settings.session_timeout_s,
                     heartbeat_s=settings.heartbeat_s,
                     group_instance_id=settings.worker_instance_id,
                     processing_guarantee=settings.processing_guarantee,
                     analyse_processes=settings.analyse_processes,
                     resolver_cache_scale=settings.resolver_cache_scale)
    stopping: list[float] = []
    # The stop's phases at INFO, whatever the worker's log level (faust's handlers drop INFO by
    # default): a handler of this logger's own, on the worker's log like faust's.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False

    @app.on_before_shutdown.connect
    async def consumer_stopped(sender: Any, /, *args: Any, signal: Any = None,
                               **kwargs: Any) -> None:
        stopping.append(time.monotonic())
        log.info("worker stopping: consumer stopped, stopping the agents")

    sys.argv = ["newsline-worker", "worker", "--without-web", "--loglevel",
                os.environ.get("NEWSLINE_WORKER_LOG_LEVEL", "warn")]
    try:
        app.main()
        code: int | str | None = 0
    except SystemExit as done:  # faust's normal way out, after its loop is closed
        code = done.code
    began = time.monotonic()
    log.info("worker stopping: faust stopped%s", f" {began - stopping[0]:.2f}s after its consumer"
             if stopping else "")
    closed = close_open_stores()
    log.info("worker stopping: %d resolver store(s) closed in %.2fs", closed,
             time.monotonic() - began)
    exit_without_teardown(code)


def sink(settings: Settings, epoch: str | None, stop: threading.Event) -> int:
    """`newsline sink`: the single DuckDB writer."""
    from processors.store.sink import Sink
    from schemas.topics import TOPICS

    Sink(settings.data_dir, str(settings.bootstrap_servers), TOPICS["changelog"].name,
         epoch or "default", settings.sink_batch_max, settings.sink_flush_s,
         settings.sink_publish_s, settings.sink_threads or None,
         settings.sink_memory_limit or None, settings.sink_reopen_changes,
         settings.sink_publish_stretch).run(stop)
    exit_without_teardown(0)


def api(settings: Settings) -> int:
    """`newsline api`: only the ingest API, publishing to --bootstrap-servers."""
    from newsline.serve import parse_tokens, serve_api

    return serve_api(settings, parse_tokens(settings.tokens))


def topics(bootstrap: str, replication: int) -> int:
    """`newsline topics`: create every topic and the processors' first offsets (the compose
    init job, before the processors start)."""
    from newsline.kafka_admin import (
        commit_unset_offsets,
        ensure_topics,
        wait_for_group_coordinator,
    )
    from schemas.topics import TOPICS

    created = ensure_topics(bootstrap, replication=replication)
    wait_for_group_coordinator(bootstrap, "newsline")
    initialised = commit_unset_offsets(bootstrap, "newsline",
                                       [TOPICS["raw"].name, TOPICS["analysed"].name])
    print(json.dumps({"created": created, "offsets_initialised": initialised}))
    return 0


def _client(settings: Settings, args: argparse.Namespace) -> Client:
    if args.api:
        return Client(args.api, args.token)
    try:
        info = runtime_info(settings.data_dir)
    except FileNotFoundError as exc:
        raise SystemExit(f"newsline: {exc} (or pass --api URL --token T)") from exc
    return Client(info["api_url"], args.token or info["token"])


def _batches(paths: list[Path], meta: dict[str, Any], size: int,
             rejected: list[dict[str, Any]]) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """(file, batch) pairs, streamed: a file of any size is never held in memory whole."""
    for path in expand(paths):
        batch: list[dict[str, Any]] = []
        try:
            for item in read_articles(path, meta):
                if isinstance(item, SourceError):
                    rejected.append({"file": str(path), "errors": [
                        {"path": "(line)", "message": str(item)}]})
                    continue
                batch.append(item)
                if len(batch) == size:
                    yield path, batch
                    batch = []
        except SourceError as exc:
            rejected.append({"file": str(path), "errors": [{"path": "(file)",
                                                             "message": str(exc)}]})
        if batch:
            yield path, batch


def post(settings: Settings, args: argparse.Namespace) -> int:
    """`newsline post`: exit 0 only if every article was accepted (and, with --wait, visible)."""
    meta = {"url": args.url, "published_at": args.published_at, "updated_at": args.updated_at,
            "language": args.language, "source": args.source, "title": args.title}
    client = _client(settings, args)
    accepted: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    started = time.monotonic()
    columns = (SpinnerColumn(), TextColumn("posted {task.completed} articles"),
               TextColumn("{task.fields[rate]:.0f}/s"), TextColumn("{task.fields[bad]} rejected"))
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("posting", total=None, rate=0.0, bad=0)
        for path, batch in _batches(args.paths, meta, args.batch_size, rejected):
            result = client.post(batch)
            accepted.extend(result.accepted)
            rejected.extend({"file": str(path), **r} for r in result.rejected)
            done = len(accepted) + len(rejected)
            progress.update(task, completed=done, bad=len(rejected),
                            rate=done / max(time.monotonic() - started, 1e-6))
    for r in rejected:
        where = r.get("item", {}).get("url") if isinstance(r.get("item"), dict) else None
        for e in r["errors"]:
            print(f"rejected {r['file']}{' ' + where if where else ''}: {e['path']}: "
                  f"{e['message']}", file=sys.stderr)
    missing: list[str] = []
    if args.wait and accepted:
        missing = client.wait_visible([a["id"] for a in accepted], timeout=args.timeout)
    elapsed = time.monotonic() - started
    print(json.dumps({"accepted": len(accepted), "rejected": len(rejected),
                      "duplicates": sum(1 for a in accepted if a.get("duplicate")),
                      "not_visible": missing, "seconds": round(elapsed, 2),
                      "ids": [a["id"] for a in accepted]}))
    return 0 if not rejected and not missing else 1


def timeline(settings: Settings, args: argparse.Namespace) -> int:
    """`newsline timeline`."""
    from readmodel.read import DEFAULT_ANCHORS, read_timeline

    anchors = args.anchor or DEFAULT_ANCHORS
    events = read_timeline(settings.duckdb_path, entity=args.entity, since=args.since,
                           until=args.until, as_of=args.as_of, language=args.language,
                           min_sources=args.min_sources, anchors=anchors)
    print_timeline(events, args.format)
    if args.anchor is None and args.format == "table":
        print("Events with a date in their own sentence only; --anchor all adds those dated from "
              "their passage or their article's day.", file=sys.stderr)
    return 0


def extract(file: str) -> int:
    """`newsline extract`: one JSON line of expressions per input line."""
    from processors.analysis.extract_cli import extract_line

    stream = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
    status = 0
    with stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            out, ok = extract_line(line)
            if not ok:
                print(f"line {number}: {out['error']}", file=sys.stderr)
                status = 1
            print(json.dumps(out, ensure_ascii=False))
    return status


def status(settings: Settings, as_json: bool) -> int:
    """`newsline status`: exit 0 once the stack answers."""
    from newsline.health import stack_status

    report = stack_status(settings)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0 if report.get("api") == "ok" else 1


def dlq(settings: Settings, args: argparse.Namespace) -> int:
    """`newsline dlq`: list dead letters, or replay one through the ingest API."""
    from newsline.health import read_dead_letters, replacement_article, stack_info
    from schemas.codec import Rejection

    try:
        info = stack_info(settings)
    except FileNotFoundError as exc:
        raise SystemExit(f"newsline: {exc} (or pass --bootstrap-servers)") from exc
    letters = read_dead_letters(info["bootstrap_servers"])
    if not args.replay:
        print_dead_letters(letters, args.format)
        return 0
    match = [d for d in letters if d["id"] == args.replay]
    if not match:
        print(f"no dead letter {args.replay!r}", file=sys.stderr)
        return 1
    corrected = None
    if args.with_file:
        try:
            corrected = json.loads(args.with_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"cannot read {args.with_file}: {exc}", file=sys.stderr)
            return 1
    article = replacement_article(match[0], corrected)
    if isinstance(article, Rejection):
        print(f"dead letter {args.replay} still fails: {article.reason}"
              + ("" if corrected else "; supply the corrected article with --with FILE"),
              file=sys.stderr)
        return 1
    result = _client(settings, args).post([article])
    print(json.dumps({"replayed": args.replay, "accepted": [a["id"] for a in result.accepted],
                      "rejected": result.rejected}))
    return 0 if result.accepted else 1


def replay(settings: Settings) -> int:
    """`newsline replay`: rebuild the projections from the changelog and compare them."""
    from processors.store.replay import rebuild_and_compare

    report = rebuild_and_compare(settings.data_dir)
    print(json.dumps(report, indent=2))
    return 0 if report["identical"] else 1



def export(settings: Settings, out_dir: Path) -> int:
    """`newsline export --format parquet DIR`."""
    from readmodel.export import export_parquet

    for path in export_parquet(settings.duckdb_path, out_dir):
        print(path)
    return 0
