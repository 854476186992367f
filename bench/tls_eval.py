"""Score Newsline's timeline as a timeline summary on ML-Crisis (French), the way TLS systems are.

ML-Crisis (La Quatra et al., "Cross-lingual timeline summarization", IEEE AIKE 2021): four
long stories (egypt, libya, syria, yemen), each a folder of French articles by publication day
and a reference timeline. ``bench/mlcrisis_layout.py`` lays it out (the data is not committed);
``NEWSLINE_MLCRISIS`` names the folder:

    NEWSLINE_MLCRISIS=<folder> python bench/tls_eval.py [--topics egypt,libya] [--json]
                                                        [--anchor explicit,...|all] [--misses]

Per topic, every article runs through ``analyse_article`` and the resolver fold in-process (one
timeline per topic, articles published at noon UTC of their folder's day), and two timelines are
scored against the reference with ``tls_scores.py`` (date F1; ROUGE-1/2 F1, concat, agreement,
align+ m:1), both with the budget TLS systems are compared at: k days, k the reference's number
of days, and at most c sentences a day, c its mean sentences a day rounded (at least 1):

- **Newsline**: what a reader's timeline shows (``--anchor``: explicit events by default, as
  the ``timeline`` view), day-precise events only (a coarser date has no day to give). Days are
  ranked by their events' independent sources (distinct original articles), then mentions, then
  date; a day's summary is its events' summaries (each the sentence that reported it), the
  events ranked the same way, repeated sentences once, the first c.
- **baseline** (publication dates, the usual TLS date baseline): the k days on which most
  articles were published (ties to the earlier day), each day's summary the first sentences of
  its articles (Newsline's clean text and sentence splitter), the first sentence of each article
  in file order, then the second..., the first c.

Reference files are read leniently: a day line starts a day even without the dashes before it,
a line ending in a run of dashes ends one (the text before the dashes is kept), a day given twice
has both parts. Means are over topics (macro), as the TLS literature averages over timelines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from itertools import zip_longest
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from tls_scores import MEASURES, Timeline, score_timeline  # noqa: E402

from processors.analysis.analyse import TooLarge, analyse_article  # noqa: E402
from processors.analysis.clean import clean_article  # noqa: E402
from processors.analysis.sentences import split_sentences  # noqa: E402
from processors.resolution.fold import TimelineState, apply_article  # noqa: E402
from readmodel.read import ANCHORS, DEFAULT_ANCHORS  # noqa: E402
from schemas.articles import Article  # noqa: E402
from schemas.codec import envelope  # noqa: E402
from schemas.timeline import EventState  # noqa: E402

ENV = "NEWSLINE_MLCRISIS"
URL_PREFIX = "https://ml-crisis.example.org/"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DASHES = re.compile(r"-{5,}\s*$")
COLUMNS = ("dates", *(f"{m} R{n}" for m in MEASURES for n in (1, 2)))


@dataclass(frozen=True)
class Document:
    """One article of a topic: its publication day, file name and text."""

    day: date
    name: str
    text: str


@dataclass(frozen=True)
class Topic:
    """A topic's articles (by day, then name) and its reference timeline."""

    name: str
    documents: tuple[Document, ...]
    reference: dict[date, list[str]]

    def budget(self) -> tuple[int, int]:
        """(k days, c sentences a day): the reference's day count and its mean sentences a day."""
        sentences = sum(len(s) for s in self.reference.values())
        return len(self.reference), max(1, round(sentences / max(1, len(self.reference))))


# ---------------------------------------------------------------- reading the layout

def read_reference(text: str) -> dict[date, list[str]]:
    """A reference timeline in the tilse format, read leniently (module docstring)."""
    days: dict[date, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        line = line.strip()
        if _DAY.fullmatch(line):
            current = days.setdefault(date.fromisoformat(line), [])
            continue
        ended = _DASHES.search(line)
        kept = line[:ended.start()].strip() if ended else line
        if current is not None and kept.strip("- "):
            current.append(kept)
        if ended:
            current = None
    return days


def read_topic(root: Path, name: str, language: str = "fr") -> Topic:
    """One topic of the layout ``bench/mlcrisis_layout.py`` writes."""
    documents = tuple(
        Document(date.fromisoformat(path.parent.name), path.name, path.read_text(encoding="utf-8"))
        for path in sorted((root / language / name).glob("*/*.txt")))
    reference = read_reference((root / language / "reference" / f"{name}.txt").read_text(encoding="utf-8"))
    return Topic(name, documents, reference)


def topic_names(root: Path, language: str = "fr") -> list[str]:
    """The topics that have a reference timeline and an article folder."""
    return sorted(p.stem for p in (root / language / "reference").glob("*.txt")
                  if (root / language / p.stem).is_dir())


# ---------------------------------------------------------------- the two timelines

def doc_url(topic: str, doc: Document) -> str:
    """A stable fake URL for an article."""
    return f"{URL_PREFIX}{topic}/{doc.day.isoformat()}/{doc.name}"


def article(topic: str, doc: Document, language: str = "fr") -> Article:
    """The article a producer would post (published at noon UTC of its day)."""
    return Article.model_validate({
        "url": doc_url(topic, doc), "text": doc.text, "language": language,
        "published_at": datetime.combine(doc.day, time(12), tzinfo=UTC).isoformat()})


def newsline_events(topic: Topic, language: str = "fr") -> tuple[list[EventState], int]:
    """The events of the resolver fold over the topic's analysed articles, and how many articles
    were dead-lettered as the `analyse` agent would (a clean text over ``MAX_ANALYSED_CHARS``)."""
    state, dead = TimelineState(), 0
    for doc in topic.documents:
        try:
            analysed = analyse_article(envelope(article(topic.name, doc, language), source="tls-eval"))
        except TooLarge:
            dead += 1
            continue
        apply_article(state, analysed)
    return list(state.events.values()), dead


def heaviest_first(events: Iterable[EventState]) -> tuple[int, int]:
    """The sort key of a day's (or one event's) events, heaviest first: most independent sources
    (distinct original articles), then most mentions."""
    group = list(events)
    return -len({url for e in group for url in e.sources}), -sum(len(e.mention_ids) for e in group)


def newsline_timeline(events: Iterable[EventState], k: int, c: int,
                      anchors: Sequence[str] = DEFAULT_ANCHORS) -> dict[date, list[str]]:
    """The k heaviest days of the day-precise events a reader sees, c sentences each."""
    by_day: dict[date, list[EventState]] = {}
    for ev in events:
        if ev.granularity == "day" and ev.anchor in anchors:
            by_day.setdefault(ev.start, []).append(ev)
    ranked = sorted(by_day, key=lambda d: (heaviest_first(by_day[d]), d))
    timeline = {}
    for day in ranked[:k]:
        ordered = sorted(by_day[day], key=lambda e: (heaviest_first([e]), e.event_id))
        timeline[day] = list(dict.fromkeys(e.summary for e in ordered))[:c]
    return timeline


def sentences_of(text: str, language: str = "fr") -> list[str]:
    """An article's sentences, as Newsline cleans and splits it."""
    clean = clean_article(text=text, html=None, language=language).text
    return [clean[a:b] for a, b in split_sentences(clean)]


def baseline_timeline(documents: Iterable[Document], k: int, c: int,
                      language: str = "fr") -> dict[date, list[str]]:
    """The k days with most published articles, each day's articles' first sentences in turn."""
    by_day: dict[date, list[Document]] = {}
    for doc in documents:
        by_day.setdefault(doc.day, []).append(doc)
    ranked = sorted(by_day, key=lambda d: (-len(by_day[d]), d))
    timeline = {}
    for day in ranked[:k]:
        # every article's first sentence, then every article's second...
        turns = zip_longest(*(sentences_of(d.text, language) for d in by_day[day]))
        timeline[day] = list(dict.fromkeys(s for turn in turns for s in turn if s is not None))[:c]
    return timeline


# ---------------------------------------------------------------- scoring and reporting

def misses(system: Timeline, reference: Timeline, events: Iterable[EventState]) -> dict[str, int]:
    """Where date F1 is lost. Reference days the summary lacks: Newsline had a day-precise event
    on them (ranked out) or none (never dated). Chosen days the reference lacks: a day from a
    reference day (off by one), or outside the reference's first to last day, or neither."""
    dated = {e.start for e in events if e.granularity == "day"}
    missed, extra = set(reference) - set(system), set(system) - set(reference)
    off_by_one = {d for d in extra if any(abs((d - r).days) == 1 for r in reference)}
    outside = {d for d in extra if reference and not min(reference) <= d <= max(reference)}
    return {"reference days missed": len(missed), "missed, ranked out": len(missed & dated),
            "missed, never dated": len(missed - dated), "chosen days not in the reference": len(extra),
            "extra, off by one day": len(off_by_one), "extra, outside the reference's span": len(outside)}


def evaluate_topic(topic: Topic, anchors: Sequence[str] = DEFAULT_ANCHORS,
                   language: str = "fr") -> dict[str, object]:
    """Both timelines of one topic, scored."""
    k, c = topic.budget()
    events, dead = newsline_events(topic, language)
    mine = newsline_timeline(events, k, c, anchors)
    base = baseline_timeline(topic.documents, k, c, language)
    return {
        "articles": len(topic.documents), "dead-lettered": dead, "reference days": k, "sentences a day": c,
        "events": len(events), "day events shown": sum(
            e.granularity == "day" and e.anchor in anchors for e in events),
        "newsline days": len(mine), "baseline days": len(base),
        "newsline": score_timeline(mine, topic.reference),
        "baseline": score_timeline(base, topic.reference),
        "newsline misses": misses(mine, topic.reference, [e for e in events if e.anchor in anchors]),
        # the days only: the summaries are the collection's sentences, which are not committed
        "newsline chosen days": [d.isoformat() for d in sorted(mine)],
    }


def mean(found: dict[str, dict[str, object]], system: str) -> dict[str, float]:
    """The macro mean over topics of each column's F1."""
    rows = [found[t][system] for t in found]
    return {col: sum(r[col]["F1"] for r in rows) / len(rows)  # type: ignore[index]
            for col in COLUMNS}


def evaluate(root: Path, topics: Sequence[str], anchors: Sequence[str] = DEFAULT_ANCHORS,
             language: str = "fr") -> dict[str, object]:
    """Every topic, and the means."""
    found = {t: evaluate_topic(read_topic(root, t, language), anchors, language) for t in topics}
    return {"language": language, "anchors": list(anchors), "topics": found,
            "mean": {s: mean(found, s) for s in ("newsline", "baseline")}}


def print_report(result: dict[str, object], show_misses: bool = False) -> None:
    """One row per topic and system, F1 x100 of each measure."""
    topics, means = result["topics"], result["mean"]
    assert isinstance(topics, dict) and isinstance(means, dict)
    print(f"{'':<20}{'date':>7}" + "".join(f"{m:>16}" for m in MEASURES))
    print(f"{'F1 x100':<20}{'F1':>7}" + "".join(f"{'R1':>8}{'R2':>8}" for _ in MEASURES))
    for name, row in topics.items():
        print(f"{name} ({row['articles']} articles, k={row['reference days']}, c={row['sentences a day']}, "
              f"{row['day events shown']} day events, {row['newsline days']} days of k)")
        for system in ("newsline", "baseline"):
            print(f"  {system:<18}" + "".join(f"{100 * row[system][c]['F1']:>8.1f}" for c in COLUMNS))
        if show_misses:
            print("  " + ", ".join(f"{k} {v}" for k, v in row["newsline misses"].items()))
    print("mean over topics")
    for system in ("newsline", "baseline"):
        print(f"  {system:<18}" + "".join(f"{100 * means[system][c]:>8.1f}" for c in COLUMNS))


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; exit 2 when the layout is not there."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    from_env = os.environ.get(ENV)
    parser.add_argument("--root", type=Path, default=Path(from_env) if from_env else None,
                        help=f"the layout folder (default: ${ENV})")
    parser.add_argument("--topics", default="all", help="all, or a list: egypt,libya")
    parser.add_argument("--anchor", default=",".join(DEFAULT_ANCHORS),
                        help="anchors of the events shown: explicit (default), a list, or all")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="where date F1 is lost, per topic")
    args = parser.parse_args(argv)
    if args.root is None or not (args.root / "fr" / "reference").is_dir():
        print(f"no ML-Crisis layout ({ENV} or --root): see bench/mlcrisis_layout.py", file=sys.stderr)
        return 2
    topics = topic_names(args.root) if args.topics == "all" else args.topics.split(",")
    anchors = ANCHORS if args.anchor == "all" else tuple(args.anchor.split(","))
    result = evaluate(args.root, topics, anchors)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_report(result, args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
