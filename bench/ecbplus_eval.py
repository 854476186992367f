"""Measure Newsline's over- and under-merging of articles on ECB+ (same real-world event or not).

Reads ``../shared/corpora/ecbplus`` (next to the repository): 982 English articles in 43 topics;
each topic has two sub-topics, ``<topic>_ecb`` and ``<topic>_ecbplus``, that report two different
real-world events of the same kind (two rehab check-ins, two Oscar host announcements). Every
article runs through ``analyse_article`` and the resolver fold in-process, then:

    python bench/ecbplus_eval.py [--json] [--min-precision 0.5] [--dates dateline|constant]
                                 [--sample N --seed S] [--examples 10]
                                 [--anchor explicit,narrative,publication | all]

Metric, at the article level. Two articles are *linked* by Newsline when some event has both
among its sources; two articles are *gold* linked when they are in the same gold cluster.

- precision: linked pairs that are gold pairs / linked pairs;
- recall: gold pairs that Newsline links / gold pairs;
- cross-subtopic: linked pairs of one topic but different sub-topics (same kind of event,
  different instance: the hard over-merge); cross-topic: linked pairs of different topics.

Articles have no publication date in ECB+. ``--dates dateline`` (the default) reads one from
the article itself, the same way for every article and without looking at the gold: the first
full date (day, month and year written out) in its first four lines after the source URL line,
else a full date in the source URL (``/2013/may/03/``, ``/2009/11/30/``, ``2010-05-05``), else
the constant ``UNDATED`` (2010-01-01). ``--dates constant`` gives every article ``UNDATED``,
the worst case: all relative dates ("on Tuesday") of all topics fall on the same days.
The source URL line (first line of the ECB+ half) is metadata and is not part of the text.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scores import prf  # noqa: E402

from processors.analysis.analyse import analyse_article  # noqa: E402
from processors.resolution.coreference import MentionRef, compatible, evidence  # noqa: E402
from processors.resolution.fold import TimelineState, apply_article  # noqa: E402
from readmodel.read import ANCHORS  # noqa: E402
from schemas.articles import Article, ArticleAnalysed, Mention  # noqa: E402
from schemas.codec import envelope  # noqa: E402
from schemas.identity import canonical_url  # noqa: E402
from schemas.timeline import EventState  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpora" / "ecbplus"
URL_PREFIX = "https://ecbplus.example.org/"
UNDATED = date(2010, 1, 1)
HEADER_LINES = 4
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_MONTH_NAME = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_MONTH = rf"({_MONTH_NAME})\.?"
_TEXT_DATES = (  # (pattern, order of the groups: m = month name or number, d = day, y = year)
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "mdy"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})\b", re.I), "dmy"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})\s?[/.]\s?(\d{1,2})\s?[/.]\s?(\d{4}|\d{2})\b"), "mdy"),
)
_URL_DATES = (
    (re.compile(rf"/(\d{{4}})/({_MONTH_NAME}|\d{{1,2}})/(\d{{1,2}})(?:/|\b)", re.I), "ymd"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "ymd"),
    (re.compile(r"\b((?:19|20)\d{2})(\d{2})(\d{2})\b"), "ymd"),
)


@dataclass(frozen=True)
class Document:
    """One ECB+ article: id, gold cluster, text (without the URL line) and how it was dated."""

    doc_id: str
    topic: str
    cluster: str
    text: str
    published: date
    dated_by: str  # "text", "url" or "constant"


# ---------------------------------------------------------------- dates and the corpus

def _as_date(groups: tuple[str, ...], order: str) -> date | None:
    parts = dict(zip(order, groups, strict=True))
    month = parts["m"].lower()[:3]
    m = MONTHS.get(month) if month.isalpha() else int(month)
    d, y = int(parts["d"]), int(parts["y"])
    if order == "mdy" and m is not None and m > 12 >= d:  # 21 / 07 / 2013: day first
        m, d = d, m
    y += 2000 if y < 100 else 0
    try:
        return date(y, m, d) if m else None
    except ValueError:
        return None


def first_date(text: str, patterns: Iterable[tuple[re.Pattern[str], str]]) -> date | None:
    """The earliest-placed full date any of the patterns finds in the text (numeric ones M/D/Y)."""
    found = [(match.start(), _as_date(match.groups(), order))
             for pattern, order in patterns for match in pattern.finditer(text)]
    return next((d for _, d in sorted(found, key=lambda x: x[0]) if d is not None), None)


def dateline(lines: list[str]) -> tuple[date, str]:
    """Publication date read from the article itself: header lines, then the URL, else UNDATED."""
    url = lines[0] if lines and lines[0].startswith("http") else ""
    body = lines[1:] if url else lines
    for line in body[:HEADER_LINES]:
        found = first_date(line, _TEXT_DATES)
        if found:
            return found, "text"
    found = first_date(url.replace(" ", ""), _URL_DATES)
    return (found, "url") if found else (UNDATED, "constant")


def read_corpus(root: Path = CORPUS, *, dates: str = "dateline") -> list[Document]:
    """Every article of ``clusters.tsv``, in its order."""
    docs = []
    for row in (root / "clusters.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        doc_id, topic, cluster = row.split("\t")[:3]
        lines = (root / "text" / topic / f"{doc_id}.txt").read_text(encoding="utf-8").splitlines()
        published, how = dateline(lines) if dates == "dateline" else (UNDATED, "constant")
        body = lines[1:] if lines and lines[0].startswith("http") else lines
        docs.append(Document(doc_id, topic, cluster, "\n".join(body), published, how))
    return docs


def sample(docs: list[Document], size: int, seed: int) -> list[Document]:
    """A fixed random subset of whole topics (both sub-topics), about `size` articles."""
    topics = sorted({d.topic for d in docs}, key=int)
    random.Random(seed).shuffle(topics)
    kept: set[str] = set()
    for topic in topics:
        if sum(d.topic in kept for d in docs) >= size:
            break
        kept.add(topic)
    return [d for d in docs if d.topic in kept]


# ---------------------------------------------------------------- running Newsline

def doc_url(doc_id: str) -> str:
    """A stable fake URL for an article."""
    return f"{URL_PREFIX}{doc_id}"


def analyse(doc: Document) -> ArticleAnalysed:
    """What the `analyse` agent makes of an article (published at noon UTC of its date)."""
    art = Article.model_validate({
        "url": doc_url(doc.doc_id), "text": doc.text, "language": "en",
        "published_at": datetime.combine(doc.published, time(12), tzinfo=UTC).isoformat()})
    return analyse_article(envelope(art, source="ecbplus-eval"))


def fold(analysed: Iterable[ArticleAnalysed]) -> TimelineState:
    """The resolver's state after all these articles."""
    state = TimelineState()
    for art in analysed:
        apply_article(state, art)
    return state


# ---------------------------------------------------------------- scoring

Pair = tuple[str, str]


def pair(a: str, b: str) -> Pair:
    """An unordered pair of document ids."""
    return (a, b) if a < b else (b, a)


def linked_pairs(events: Iterable[EventState], doc_of: dict[str, str]) -> set[Pair]:
    """Document pairs that share an event (sources are canonical URLs)."""
    return {pair(a, b) for ev in events
            for a, b in combinations(sorted({doc_of[u] for u in ev.sources}), 2)}


def gold_pairs(cluster_of: dict[str, str]) -> set[Pair]:
    """Document pairs in the same gold cluster."""
    members: dict[str, list[str]] = {}
    for doc, cluster in cluster_of.items():
        members.setdefault(cluster, []).append(doc)
    return {pair(a, b) for docs in members.values() for a, b in combinations(sorted(docs), 2)}


@dataclass
class PairScore:
    """Pairwise counts and the scores they give."""

    linked: int = 0
    gold: int = 0
    correct: int = 0
    cross_subtopic: int = 0
    cross_topic: int = 0

    @property
    def precision(self) -> float:
        """Correct / linked (1.0 when nothing is linked)."""
        return prf(self.correct, self.linked, self.gold)[0]

    @property
    def recall(self) -> float:
        """Correct / gold (1.0 when there is no gold pair)."""
        return prf(self.correct, self.linked, self.gold)[1]

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        return prf(self.correct, self.linked, self.gold)[2]

    def as_dict(self) -> dict[str, float | int]:
        """Counts and rounded scores, for ``--json``."""
        return {"linked": self.linked, "gold": self.gold, "correct": self.correct,
                "cross_subtopic": self.cross_subtopic, "cross_topic": self.cross_topic,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4)}


def score_pairs(linked: set[Pair], cluster_of: dict[str, str], topic_of: dict[str, str],
                keep: Callable[[Pair], bool] = lambda p: True) -> PairScore:
    """Compare Newsline's linked pairs with the gold clusters (only the pairs `keep` accepts)."""
    gold = {p for p in gold_pairs(cluster_of) if keep(p)}
    linked = {p for p in linked if keep(p)}
    wrong = [(a, b) for a, b in linked - gold]
    return PairScore(
        linked=len(linked), gold=len(gold), correct=len(linked & gold),
        cross_subtopic=sum(topic_of[a] == topic_of[b] for a, b in wrong),
        cross_topic=sum(topic_of[a] != topic_of[b] for a, b in wrong))


# ---------------------------------------------------------------- why wrong pairs were linked

@dataclass
class OverMerge:
    """One wrongly linked article pair, with the strongest mention pair that joined them."""

    docs: Pair
    kind: str  # "cross-subtopic" or "cross-topic"
    when: str
    score: float
    direct: bool  # some mention pair of the two is compatible; else only a chain joins them
    shared: list[str] = field(default_factory=list)  # names as "e:Name", keywords as "k:word"
    sentences: tuple[str, str] = ("", "")


def shared_features(a: Mention, b: Mention) -> list[str]:
    """What ``evidence`` counts: names both sentences (or their context) give, shared keywords."""
    names = (set(a.entities) | set(a.context_entities)) & (set(b.entities) | set(b.context_entities))
    return sorted(f"e:{n}" for n in names) + sorted(f"k:{k}" for k in set(a.keywords) & set(b.keywords))


def over_merges(events: Iterable[EventState], mentions: dict[str, tuple[str, MentionRef]],
                cluster_of: dict[str, str], topic_of: dict[str, str]) -> list[OverMerge]:
    """Every wrongly linked pair, explained by its best mention pair (compatible ones first)."""
    best: dict[Pair, OverMerge] = {}
    for ev in events:
        refs = [mentions[m] for m in ev.mention_ids]
        for (da, ra), (db, rb) in combinations(refs, 2):
            if cluster_of[da] == cluster_of[db]:
                continue
            key, ma, mb = pair(da, db), ra.mention, rb.mention
            direct, score = compatible(ra, rb) is not None, evidence(ma, mb).score
            if key in best and (best[key].direct, best[key].score) >= (direct, score):
                continue
            kind = "cross-subtopic" if topic_of[da] == topic_of[db] else "cross-topic"
            first, second = (ma, mb) if key[0] == da else (mb, ma)
            best[key] = OverMerge(key, kind, f"{ev.start}/{ev.end}", score, direct,
                                  shared_features(ma, mb), (first.summary, second.summary))
    return sorted(best.values(), key=lambda o: (not o.direct, -o.score, o.docs))


def causes(merges: Iterable[OverMerge]) -> Counter[str]:
    """How many directly joined wrong pairs each shared name or keyword took part in."""
    return Counter(f for o in merges if o.direct for f in o.shared)


# ---------------------------------------------------------------- the whole run

@dataclass
class Run:
    """Everything one evaluation produced."""

    docs: list[Document]
    state: TimelineState
    score: PairScore
    by_dating: dict[str, PairScore]  # "both dated": both articles dated from text or URL
    merges: list[OverMerge]
    copies: int
    copies_in_cluster: int


def evaluate(root: Path = CORPUS, *, dates: str = "dateline", size: int | None = None,
             seed: int = 0, anchors: tuple[str, ...] = ANCHORS) -> Run:
    """Analyse and fold the corpus (or a seeded subset of whole topics) and score the result.

    `anchors`: the events whose links are scored, by how they are dated (all by default:
    every link the resolver makes).
    """
    if not root.is_dir():
        raise FileNotFoundError(f"ECB+ corpus not found at {root}")
    docs = read_corpus(root, dates=dates)
    if size is not None:
        docs = sample(docs, size, seed)
    analysed = [analyse(d) for d in docs]
    state = fold(analysed)
    doc_of = {canonical_url(doc_url(d.doc_id)): d.doc_id for d in docs}
    cluster_of = {d.doc_id: d.cluster for d in docs}
    topic_of = {d.doc_id: d.topic for d in docs}
    by_version = {a.version_id: doc_of[a.canonical_url] for a in analysed}
    mentions = {m.mention_id: (doc_of[a.canonical_url], MentionRef(m, a.version_id, a.canonical_url,
                                                                    a.language, a.published_at))
                for a in analysed for m in a.mentions}
    events = [e for e in state.events.values() if e.anchor in anchors]
    copies = [(by_version[v], by_version[s.duplicate_of]) for v, s in state.statuses.items()
              if s.duplicate_of]
    linked = linked_pairs(events, doc_of)
    dated = {d.doc_id for d in docs if d.dated_by != "constant"}
    by_dating = {
        "both dated": score_pairs(linked, cluster_of, topic_of, lambda p: dated.issuperset(p)),
        "one undated": score_pairs(linked, cluster_of, topic_of, lambda p: len(dated & set(p)) == 1),
        "both undated": score_pairs(linked, cluster_of, topic_of, lambda p: not dated & set(p))}
    return Run(docs, state, score_pairs(linked, cluster_of, topic_of), by_dating,
               over_merges(events, mentions, cluster_of, topic_of), len(copies),
               sum(cluster_of[a] == cluster_of[b] for a, b in copies))


# ---------------------------------------------------------------- output

def _row(label: str, s: PairScore) -> str:
    return (f"{label:<14} {s.linked:>7} {s.correct:>7} {s.gold:>6} {s.precision:>6.3f} "
            f"{s.recall:>6.3f} {s.f1:>6.3f} {s.cross_subtopic:>6} {s.cross_topic:>7}")


def print_table(run: Run) -> None:
    """The scores, then how the articles were dated and what the fold made of them."""
    events = run.state.events.values()
    dated = Counter(d.dated_by for d in run.docs)
    print(f"{len(run.docs)} articles, {len(events)} events, "
          f"{sum(len(e.sources) > 1 for e in events)} of them with 2+ source articles\n")
    print(f"{'article pairs':<14} {'linked':>7} {'correct':>7} {'gold':>6} {'P':>6} {'R':>6} "
          f"{'F1':>6} {'x-sub':>6} {'x-topic':>7}")
    print(_row("all", run.score))
    for label, score in run.by_dating.items():
        print(_row(label, score))
    print("\nx-sub = linked pairs across the ecb/ecbplus sub-topics of one topic; x-topic = across "
          "topics")
    doc_of = {canonical_url(doc_url(d.doc_id)): d for d in run.docs}
    spans = sorted(((len({doc_of[u].cluster for u in e.sources}), len({doc_of[u].topic for u in e.sources}),
                     len(e.sources)) for e in events), reverse=True)
    mixed = [x for x in spans if x[0] > 1]
    print(f"events whose sources span 2+ gold clusters: {len(mixed)}; the largest (clusters, topics, "
          f"articles): {mixed[:5]}")
    print(f"dated by: text {dated['text']}, url {dated['url']}, constant {dated['constant']}; "
          f"copies collapsed: {run.copies} ({run.copies_in_cluster} within their gold cluster)")


def print_merges(run: Run, examples: int) -> None:
    """The strongest wrong links and the names and keywords most often behind wrong links."""
    direct = sum(o.direct for o in run.merges)
    print(f"\nwrongly linked pairs: {len(run.merges)}; {direct} joined by a compatible mention pair "
          f"(a bridge: {sum(o.direct and o.kind == 'cross-subtopic' for o in run.merges)} "
          f"cross-subtopic), {len(run.merges) - direct} only through a chain of merges\n"
          f"\nstrongest bridges")
    for o in run.merges[:examples]:
        print(f"  {o.docs[0]} ~ {o.docs[1]}  {o.kind}  {o.when}  score {o.score:g}  {o.shared}")
        for sentence in o.sentences:
            print(f"      | {sentence[:150]}")
    print("\nnames (e:) and keywords (k:) shared by the most bridges")
    for feature, count in causes(run.merges).most_common(examples * 2):
        print(f"  {count:>5}  {feature}")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; exit 1 when pairwise precision is below ``--min-precision``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--min-precision", type=float, default=None, help="pairwise precision threshold")
    parser.add_argument("--dates", choices=("dateline", "constant"), default="dateline")
    parser.add_argument("--sample", type=int, default=None, help="about N articles (whole topics)")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample")
    parser.add_argument("--examples", type=int, default=10, help="over-merges to show")
    parser.add_argument("--anchor", default="all",
                        help="links through events dated that way only: comma-separated among "
                             f"{', '.join(ANCHORS)}, or all (the default)")
    args = parser.parse_args(argv)
    anchors = ANCHORS if args.anchor == "all" else tuple(args.anchor.split(","))
    run = evaluate(dates=args.dates, size=args.sample, seed=args.seed, anchors=anchors)
    if args.json:
        print(json.dumps({
            "articles": len(run.docs), "events": len(run.state.events), "pairs": run.score.as_dict(),
            "by_dating": {k: v.as_dict() for k, v in run.by_dating.items()},
            "dated_by": dict(Counter(d.dated_by for d in run.docs)), "copies": run.copies,
            "causes": dict(causes(run.merges).most_common(args.examples * 2)),
            "chained": sum(not o.direct for o in run.merges),
            "over_merges": [{"docs": list(o.docs), "kind": o.kind, "when": o.when, "score": o.score,
                             "direct": o.direct, "shared": o.shared} for o in run.merges[:args.examples]],
        }, indent=2))
    else:
        print_table(run)
        print_merges(run, args.examples)
    if args.min_precision is not None and run.score.precision < args.min_precision:
        print(f"pairwise precision {run.score.precision:.3f} < {args.min_precision}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
