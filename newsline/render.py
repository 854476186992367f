"""How the CLI prints timelines and dead letters: table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

CSV_FIELDS = ("event_id", "start", "end", "granularity", "summary", "entities", "mentions",
              "sources", "first_reported_at")


def print_timeline(events: list[dict[str, Any]], fmt: str) -> None:
    """Print events as a rich table, a JSON array or CSV."""
    if fmt == "json":
        json.dump(events, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for ev in events:
            writer.writerow({**ev, "entities": "|".join(ev["entities"]),
                             "sources": "|".join(ev["sources"])})
        return
    table = Table(title=f"Newsline timeline ({len(events)} events)", show_lines=False)
    for col in ("start", "end", "granularity", "summary", "sources", "mentions"):
        table.add_column(col, overflow="fold")
    for ev in events:
        table.add_row(ev["start"], ev["end"], ev["granularity"], ev["summary"][:140],
                      str(len(ev["sources"])), str(ev["mentions"]))
    Console(width=max(120, Console().width)).print(table)


def print_dead_letters(letters: list[dict[str, Any]], fmt: str) -> None:
    """Print dead letters as a table or JSON."""
    if fmt == "json":
        json.dump(letters, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(title=f"Dead letters ({len(letters)})")
    for col in ("id", "received_at", "error"):
        table.add_column(col, overflow="fold")
    for d in letters:
        table.add_row(d["id"], d["received_at"], d["error"][:200])
    Console(width=max(120, Console().width)).print(table)
