"""How the CLI prints timelines and dead letters: table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

CSV_FIELDS = ("event_id", "start", "end", "granularity", "summary", "expression", "entities",
              "mentions", "sources", "first_reported_at", "anchor")
SUMMARY_CHARS = 140
CUT = "…"


def _word_start(text: str, at: int) -> int:
    """The start of the first word that begins at or after `at`."""
    if at <= 0 or text[at - 1] == " ":
        return max(at, 0)
    space = text.find(" ", at)
    return len(text) if space < 0 else space + 1


def _find_words(text: str, wanted: str) -> int:
    """Where `wanted` first occurs as whole words in `text` ("mai" is not in "maison"), or -1."""
    at = text.find(wanted)
    while at >= 0:
        before = text[at - 1] if at else " "
        after = text[at + len(wanted)] if at + len(wanted) < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return at
        at = text.find(wanted, at + 1)
    return -1


def clip(summary: str, expression: str | None,
         limit: int = SUMMARY_CHARS) -> tuple[str, tuple[int, int] | None]:
    """Cut a summary to about `limit` characters at word boundaries, marking each cut with "…"
    and keeping the dated expression in view; return the text and the expression's span in it."""
    wanted = " ".join(expression.split()) if expression else ""
    at = _find_words(summary, wanted) if wanted else -1
    span = (at, at + len(wanted)) if at >= 0 else None
    room = limit - 2  # the cut marks
    start = 0
    if span and span[1] > room:  # open a third of the room before the expression, or fill it
        start = min(_word_start(summary, min(span[0] - room // 3, len(summary) - room)), span[0])
    end = len(summary)
    if end - start > room:
        space = summary.rfind(" ", start, start + room + 1)
        end = space if space > start else start + room  # one overlong word is cut inside
        if span and span[1] > end:
            end = span[1]
    text = summary[start:end].rstrip(",;: ")
    prefix = CUT + " " if start else ""
    suffix = " " + CUT if end < len(summary) and not text.endswith(CUT) else ""
    if span is None or span[1] > start + len(text):
        return prefix + text + suffix, None
    shift = len(prefix) - start
    return prefix + text + suffix, (span[0] + shift, span[1] + shift)


def summary_cell(summary: str, expression: str | None, limit: int = SUMMARY_CHARS) -> Text:
    """The summary for the terminal table, with its dated expression highlighted."""
    text, span = clip(summary, expression, limit)
    cell = Text(text)
    if span:
        cell.stylize("bold yellow", *span)
    return cell


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
    anchored = any(ev.get("anchor", "explicit") != "explicit" for ev in events)
    for col in ("start", "end", "granularity", "summary", "sources", "mentions",
                *(("anchor",) if anchored else ())):
        table.add_column(col, overflow="fold")
    for ev in events:
        table.add_row(ev["start"], ev["end"], ev["granularity"],
                      summary_cell(ev["summary"], ev.get("expression")),
                      str(len(ev["sources"])), str(ev["mentions"]),
                      *((ev.get("anchor", "explicit"),) if anchored else ()))
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
