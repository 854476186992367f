"""Score the temporal tagger (and dateparser beside it) on TimeML corpora, TempEval-3 task A.

Reads French TimeBank and TempEval-3 platinum from ``../shared/corpora`` (next to the
repository), strips the TIMEX3 tags from ``<TEXT>`` keeping their offsets as gold, runs each
system with the document creation time (DCT) as publication date, and prints strict / relaxed
extraction and value precision, recall and F1:

    python bench/temporal_eval.py [--json] [--no-dateparser] [--min-value-f1 fr=0.8 en=0.8]

Strict = identical span; relaxed = overlapping span (one-to-one, first come); value counts the
relaxed matches whose normalized value equals the gold value, over system and gold counts.

Newsline's output maps to TIMEX3 as follows: ``value`` as is (``mod`` is not scored); an
interval ("du 9 au 12 juin", "de 22h à 5h") becomes its two bounds, as TimeML marks them; a
time of day the tagger left without a date (``T08:00``) is put on the DCT.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scores import prf  # noqa: E402

from processors.analysis.temporal import extract_dates  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpora"
CORPUS_FILES = {
    "fr": ("French TimeBank", "french_timebank/Data/*.tml"),
    "en": ("TempEval-3 platinum", "tempeval3_en_platinum/te3-platinum/*.tml"),
}
_TOKEN = re.compile(r"<[^>]+>|&#?\w+;|[^<&]+")
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
_DCT = re.compile(r"<TIMEX3\b[^>]*functionInDocument=\"CREATION_TIME\"[^>]*>")


@dataclass(frozen=True)
class Span:
    """A temporal expression by character offsets and TIMEX3 value."""

    start: int
    end: int
    value: str


@dataclass(frozen=True)
class TimeMLDocument:
    """The plain text of a TimeML document, its creation date and its gold TIMEX3 spans."""

    name: str
    text: str
    dct: date
    gold: tuple[Span, ...]


@dataclass
class Counts:
    """Match counts, summed over documents."""

    gold: int = 0
    found: int = 0
    strict: int = 0
    relaxed: int = 0
    value: int = 0

    def add(self, other: Counts) -> None:
        """Add another document's counts to these."""
        for name in ("gold", "found", "strict", "relaxed", "value"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def parse_timeml(name: str, source: str) -> TimeMLDocument:
    """Read a TimeML file: text of ``<TEXT>`` without tags, DCT, gold TIMEX3 offsets."""
    dct_tag = _DCT.search(source)
    if dct_tag is None:
        raise ValueError(f"{name}: no CREATION_TIME TIMEX3")
    dct = date.fromisoformat(dict(_ATTRIBUTE.findall(dct_tag.group(0)))["value"][:10])
    body = source[source.index("<TEXT>") + len("<TEXT>") : source.index("</TEXT>")]
    pieces: list[str] = []
    length = 0
    gold: list[Span] = []
    open_timex: list[tuple[int, str]] = []
    for token in _TOKEN.findall(body):
        if token.startswith("<"):
            if token.startswith("<TIMEX3"):
                open_timex.append((length, dict(_ATTRIBUTE.findall(token)).get("value", "")))
            elif token.startswith("</TIMEX3") and open_timex:
                start, value = open_timex.pop()
                gold.append(Span(start, length, value))
            continue
        piece = html.unescape(token) if token.startswith("&") else token
        pieces.append(piece)
        length += len(piece)
    return TimeMLDocument(name, "".join(pieces), dct, tuple(sorted(gold, key=lambda s: s.start)))


def score(gold: Iterable[Span], system: Iterable[Span]) -> Counts:
    """Count strict, relaxed (overlap, one-to-one) and value matches of one document."""
    gold, system = list(gold), list(system)
    counts = Counts(gold=len(gold), found=len(system))
    exact = {(span.start, span.end) for span in gold}
    counts.strict = sum((span.start, span.end) in exact for span in system)
    unmatched = list(gold)
    for found in system:
        partner = next((g for g in unmatched if g.start < found.end and found.start < g.end), None)
        if partner is None:
            continue
        unmatched.remove(partner)
        counts.relaxed += 1
        counts.value += partner.value == found.value
    return counts


# TimeML marks the two bounds of "du 9 au 12 juin" / "from 9 a.m. to 5 p.m." as two TIMEX3
_RANGE = re.compile(
    r"(?:(?:du|de|entre|les|from|between)\s+(?:le\s+)?)?(.+?)"
    r"(?:\s+(?:au|à|et(?:\s+le)?|to|and|through|until)\s+|\s*[-–/]\s*)(.+)",
    re.IGNORECASE,
)


def newsline_value(value: str | None, day: date) -> str:
    """Map a Newsline value to a TIMEX3 one: first bound of a range, a time on ``day``."""
    value = (value or "").split("/")[0]
    return day.isoformat() + value if value.startswith("T") else value


def newsline_spans(document: TimeMLDocument, language: str) -> list[Span]:
    """Run the Newsline tagger with the DCT (noon UTC) as publication time."""
    published = datetime.combine(document.dct, clock(12), tzinfo=UTC)
    found = extract_dates(document.text, published_at=published, language=language)
    spans = []
    for item in found:
        values = (item.value or "").split("/")
        bounds = _RANGE.fullmatch(item.text) if len(values) == 2 else None
        if bounds is None:
            spans.append(Span(item.start_char, item.end_char, newsline_value(item.value, document.dct)))
            continue
        for index, value in enumerate(values, start=1):
            start, end = (item.start_char + offset for offset in bounds.span(index))
            spans.append(Span(start, end, newsline_value(value, document.dct)))
    return spans


def dateparser_spans(document: TimeMLDocument, language: str) -> list[Span]:
    """Run ``dateparser.search.search_dates`` with the DCT as relative base."""
    from dateparser.search import search_dates

    base = datetime.combine(document.dct, clock(12))
    settings = {"RELATIVE_BASE": base}
    try:
        found = search_dates(document.text, languages=[language], settings=settings) or []
    except Exception:  # noqa: BLE001 - a crash on one document counts as finding nothing
        found = []
    spans, cursor = [], 0
    for substring, moment in found:
        start = document.text.find(substring, cursor)
        if start < 0:
            continue
        cursor = start + len(substring)
        spans.append(Span(start, cursor, moment.date().isoformat()))
    return spans


SYSTEMS: dict[str, Callable[[TimeMLDocument, str], list[Span]]] = {
    "newsline": newsline_spans,
    "dateparser": dateparser_spans,
}


def load_corpus(language: str, corpora: Path = CORPORA) -> list[TimeMLDocument]:
    """Load every document of the corpus for a language (error if the folder is missing)."""
    pattern = CORPUS_FILES[language][1]
    paths = sorted(corpora.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no {pattern} under {corpora}")
    return [parse_timeml(path.name, path.read_text(encoding="utf-8")) for path in paths]


def evaluate(language: str, system: str, documents: list[TimeMLDocument]) -> dict:
    """Run one system over one corpus and return its scores as a dict."""
    total = Counts()
    began = time.perf_counter()
    for document in documents:
        total.add(score(document.gold, SYSTEMS[system](document, language)))
    seconds = time.perf_counter() - began
    row = {"corpus": CORPUS_FILES[language][0], "language": language, "system": system}
    for name in ("strict", "relaxed", "value"):
        precision, recall, f1 = prf(getattr(total, name), total.found, total.gold, empty=0.0)
        row.update({f"{name}_p": precision, f"{name}_r": recall, f"{name}_f1": f1})
    row.update(asdict(total))
    row["seconds"] = round(seconds, 2)
    return row


def print_table(rows: list[dict]) -> None:
    """Print the scores as a fixed-width table (percentages)."""
    header = (
        f"{'corpus':<20} {'system':<10} {'strict P/R/F1':>17} {'relaxed P/R/F1':>17} "
        f"{'value P/R/F1':>17} {'gold':>5} {'found':>5} {'sec':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = [
            "/".join(f"{100 * row[f'{name}_{part}']:.1f}" for part in ("p", "r", "f1"))
            for name in ("strict", "relaxed", "value")
        ]
        print(
            f"{row['corpus']:<20} {row['system']:<10} {cells[0]:>17} {cells[1]:>17} "
            f"{cells[2]:>17} {row['gold']:>5} {row['found']:>5} {row['seconds']:>6}"
        )


def parse_thresholds(items: list[str]) -> dict[str, float]:
    """Parse ``fr=0.8 en=0.8`` (fractions or percentages) into a dict."""
    thresholds = {}
    for item in items:
        language, _, number = item.partition("=")
        figure = float(number)
        thresholds[language] = figure / 100 if figure > 1 else figure
    return thresholds


def main(argv: list[str] | None = None) -> int:
    """Evaluate, print, and return 1 if a Newsline value F1 is under its threshold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-dateparser", action="store_true", help="score Newsline only")
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--min-value-f1", nargs="*", default=[], metavar="LANG=F1")
    args = parser.parse_args(argv)
    systems = ["newsline"] if args.no_dateparser else ["newsline", "dateparser"]
    rows = []
    for language in CORPUS_FILES:
        documents = load_corpus(language, args.corpora)
        rows.extend(evaluate(language, system, documents) for system in systems)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)
    failed = [
        f"{row['language']}: value F1 {row['value_f1']:.3f} < {minimum:.3f}"
        for language, minimum in parse_thresholds(args.min_value_f1).items()
        for row in rows
        if row["system"] == "newsline" and row["language"] == language and row["value_f1"] < minimum
    ]
    for failure in failed:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
