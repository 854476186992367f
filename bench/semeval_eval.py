"""Score Newsline's entity timelines on SemEval-2015 Task 4 (TimeLine), track A, at the date level.

Reads the three corpora of ``../shared/corpora/semeval2015_task4_timeline`` (next to the
repository), runs every article of a corpus through ``analyse_article`` and the resolver fold
in-process, then, for each target entity, takes the events ``newsline timeline --entity X``
would show (an event's canonical entities contain X or a canonical name the alias table gives X,
compared as ``readmodel.read.name_key`` does: case, accents and ``-'.`` ignored) and compares
their dates with the entity's gold timeline:

    python bench/semeval_eval.py [--json] [--min-f1 0.3] [--misses] [--corpus corpus_1 ...]
                                 [--anchor explicit,narrative,publication | all]

Metric (per entity, then micro-averaged over all entities of a corpus and of all corpora):

- dates: the set of distinct dates of the entity's events vs the set of distinct dates of its
  dated gold entries; precision, recall and F1 over these sets.
- (date, document): the same with pairs, an event giving one pair per source article, a gold
  entry one pair for the document of its first ``docid-sentence-word`` field.

A date is written at its precision: ``YYYY-MM-DD`` (gold ``YYYY-MM-DD``; Newsline ``day``),
``YYYY-MM`` (gold ``YYYY-MM-XX``; Newsline ``month``, and ``week`` / ``part-of-month`` that lie
within one month), ``YYYY`` (gold ``YYYY-XX-XX``; Newsline ``year``, ``quarter``, ``season``
and sub-month spans across a month boundary, by their start). Gold ``XXXX-XX-XX`` (undated)
entries are ignored, Newsline ``decade`` events are not counted.

The texts are Wikinews sentences in PTB tokens (``June 13 , 2005``, ``Ryanair 's``); they are
detokenised (``--raw-tokens`` keeps them) and given as one line per sentence, with the title,
the DCT at 12:00 UTC as ``published_at`` and language ``en``. One DCT is not ISO upstream
(corpus_2 doc 120578, ``03-02-2009``): its text says February 3, so it is read as DD-MM-YYYY.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scores import prf  # noqa: E402

from processors.analysis.analyse import analyse_article  # noqa: E402
from processors.analysis.entities import alias_rows, entity_key, extract_entities  # noqa: E402
from processors.analysis.temporal import extract_dates  # noqa: E402
from processors.resolution.fold import TimelineState, apply_article  # noqa: E402
from readmodel.read import ANCHORS, DEFAULT_ANCHORS, name_key  # noqa: E402  (the CLI's own matching key)
from schemas.articles import Article, ArticleAnalysed, Mention  # noqa: E402
from schemas.codec import envelope  # noqa: E402
from schemas.identity import canonical_url  # noqa: E402
from schemas.timeline import EventState  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpora" / "semeval2015_task4_timeline"
CORPORA = ("corpus_1", "corpus_2", "corpus_3")
URL_PREFIX = "https://semeval2015-task4.example.org/"
_DCT = re.compile(r'<DCT>\s*<TIMEX3\b[^>]*\bvalue="([^"]*)"')
_DOCID = re.compile(r"<DOCID>\s*([^<\s]+)\s*</DOCID>")
_TITLE = re.compile(r"<EXTRAINFO>(.*?)</EXTRAINFO>", re.S)
_SENTENCE = re.compile(r'<s id="(\d+)">(.*?)</s>', re.S)
_DETOKENISE = (
    (re.compile(r"``\s*|\s*''"), '"'),
    (re.compile(r"\s+([,.;:!?%)\]}]|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b|n't\b|')"), r"\1"),
    (re.compile(r"([(\[{$])\s+"), r"\1"),
)
MONTH_LIKE = frozenset({"week", "part-of-month"})
YEAR_LIKE = frozenset({"quarter", "season"})


@dataclass(frozen=True)
class Document:
    """One track A article: id, title, sentences (by gold sentence number) and creation date."""

    doc_id: str
    title: str
    sentences: tuple[str, ...]
    dct: date


@dataclass(frozen=True)
class GoldEntry:
    """One dated gold timeline entry: its date at gold precision and where its event is."""

    date: str
    doc_id: str
    sentence: int
    word: str


@dataclass
class Score:
    """Set-comparison counts and the scores they give."""

    gold: int = 0
    system: int = 0
    correct: int = 0

    def add(self, other: Score) -> None:
        """Add another entity's counts (micro-averaging)."""
        self.gold += other.gold
        self.system += other.system
        self.correct += other.correct

    @property
    def precision(self) -> float:
        """Correct / system (1.0 when the system gives nothing)."""
        return prf(self.correct, self.system, self.gold)[0]

    @property
    def recall(self) -> float:
        """Correct / gold (1.0 when there is no gold)."""
        return prf(self.correct, self.system, self.gold)[1]

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0.0 when nothing is correct, 1.0 when both are empty)."""
        return prf(self.correct, self.system, self.gold)[2]

    def as_dict(self) -> dict[str, float | int]:
        """Counts and rounded scores, for ``--json``."""
        return {**asdict(self), "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


def score_sets(system: Iterable[object], gold: Iterable[object]) -> Score:
    """Compare two sets of distinct items."""
    found, wanted = set(system), set(gold)
    return Score(gold=len(wanted), system=len(found), correct=len(found & wanted))


@dataclass
class EntityResult:
    """The comparison of one target entity's timeline with its gold."""

    corpus: str
    entity: str
    dates: Score
    pairs: Score
    events: int
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading the corpus

def detokenise(sentence: str) -> str:
    """Undo PTB tokenisation enough for a news text: ``June 13 , 2005`` -> ``June 13, 2005``."""
    for pattern, replacement in _DETOKENISE:
        sentence = pattern.sub(replacement, sentence)
    return " ".join(sentence.split())


def parse_dct(value: str) -> date:
    """The document creation date; a non-ISO ``DD-MM-YYYY`` (one upstream quirk) is accepted."""
    if re.fullmatch(r"\d{2}-\d{2}-\d{4}", value):
        day, month, year = value.split("-")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(value)


def read_document(path: Path) -> Document:
    """Parse one track A TimeML file (its sentences stay PTB-tokenised here)."""
    source = path.read_text(encoding="utf-8")
    doc_id, dct, title = _DOCID.search(source), _DCT.search(source), _TITLE.search(source)
    if doc_id is None or dct is None:
        raise ValueError(f"{path}: no DOCID or DCT")
    sentences = dict((int(n), _unescape(s)) for n, s in _SENTENCE.findall(source))
    ordered = tuple(sentences.get(i, "") for i in range(max(sentences, default=-1) + 1))
    return Document(doc_id.group(1), _unescape(title.group(1)) if title else "", ordered,
                    parse_dct(dct.group(1)))


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def gold_date(value: str) -> str | None:
    """A gold date at its precision (``YYYY-MM-DD`` / ``YYYY-MM`` / ``YYYY``); None if undated."""
    parts = value.strip().split("-")
    if not parts[0].isdigit():
        return None
    kept = [parts[0]]
    for part in parts[1:3]:
        if not part.isdigit():
            break
        kept.append(part)
    return "-".join(kept)


def read_gold(path: Path) -> list[GoldEntry]:
    """The dated entries of a gold timeline file (first line: the entity)."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) < 3:
            continue
        when = gold_date(fields[1])
        doc_id, sentence, word = fields[2].split("-", 2)
        if when is not None:
            entries.append(GoldEntry(when, doc_id, int(sentence), word))
    return entries


def targets(corpus_dir: Path) -> list[tuple[str, Path]]:
    """The corpus's target entities (from its list) with their gold timeline files."""
    listed = next(corpus_dir.glob("list_target_entities*.txt"))
    names = [n.strip() for n in listed.read_text(encoding="utf-8").splitlines() if n.strip()]
    gold_dir = corpus_dir / "TimeLines_Gold_Standard"
    return [(n, gold_dir / f"{n.lower().replace(' ', '_')}.txt") for n in names]


def read_corpus(corpus_dir: Path) -> list[Document]:
    """Every track A document of one corpus, by document id."""
    paths = sorted((corpus_dir / "corpus_trackA_TimeML").glob("*.tml"))
    return sorted((read_document(p) for p in paths), key=lambda d: int(d.doc_id))


# ---------------------------------------------------------------- running Newsline

def doc_url(corpus: str, doc_id: str) -> str:
    """A stable fake URL for a document."""
    return f"{URL_PREFIX}{corpus}/{doc_id}"


def article(corpus: str, doc: Document, *, raw_tokens: bool = False) -> dict[str, object]:
    """The article a producer would post for a document."""
    tidy = (lambda s: " ".join(s.split())) if raw_tokens else detokenise
    return {
        "url": doc_url(corpus, doc.doc_id), "title": tidy(doc.title),
        "text": "\n".join(tidy(s) for s in doc.sentences if s.strip()),
        "published_at": datetime.combine(doc.dct, time(12), tzinfo=UTC).isoformat(),
        "language": "en",
    }


def analyse_corpus(corpus: str, docs: list[Document], *,
                   raw_tokens: bool = False) -> list[ArticleAnalysed]:
    """Analyse every document of a corpus, as the `analyse` agent would."""
    return [analyse_article(envelope(Article.model_validate(article(corpus, d, raw_tokens=raw_tokens)),
                                     source="semeval-eval")) for d in docs]


def fold(analysed: Iterable[ArticleAnalysed]) -> list[EventState]:
    """The events of the resolver fold over these articles."""
    state = TimelineState()
    for art in analysed:
        apply_article(state, art)
    return list(state.events.values())


@cache
def _alias_keys() -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for alias, name, _ in alias_rows():
        found.setdefault(name_key(alias), set()).add(name_key(name))
    return {key: frozenset(names) for key, names in found.items()}


def wanted_keys(entity: str) -> frozenset[str]:
    """The keys of the names ``--entity ENTITY`` stands for: itself and its aliases' canonical names."""
    key = name_key(entity)
    return _alias_keys().get(key, frozenset()) | {key}


def entity_events(events: Iterable[EventState], entity: str) -> list[EventState]:
    """The events ``newsline timeline --entity ENTITY`` shows (readmodel.read's SQL, in memory)."""
    keys = wanted_keys(entity)
    return [e for e in events if keys & {name_key(name) for name in e.entities}]


def event_date(ev: EventState | Mention) -> str | None:
    """The event's date at the precision the metric compares (see the module docstring)."""
    if ev.granularity == "day":
        return ev.start.isoformat()
    if ev.granularity == "month" or (ev.granularity in MONTH_LIKE
                                     and (ev.start.year, ev.start.month) == (ev.end.year, ev.end.month)):
        return ev.start.isoformat()[:7]
    if ev.granularity in MONTH_LIKE | YEAR_LIKE | {"year"}:
        return str(ev.start.year)
    return None


def event_pairs(ev: EventState, docs_by_url: dict[str, str]) -> set[tuple[str, str]]:
    """(date, document id) for each source of an event."""
    when = event_date(ev)
    return {(when, docs_by_url[url]) for url in ev.sources} if when else set()


def compare(corpus: str, entity: str, events: list[EventState], gold: list[GoldEntry],
            docs_by_url: dict[str, str]) -> EntityResult:
    """Score one entity's events against its gold entries."""
    mine = entity_events(events, entity)
    dates = {d for d in map(event_date, mine) if d}
    pairs = {p for ev in mine for p in event_pairs(ev, docs_by_url)}
    gold_dates = {g.date for g in gold}
    return EntityResult(
        corpus=corpus, entity=entity, dates=score_sets(dates, gold_dates),
        pairs=score_sets(pairs, {(g.date, g.doc_id) for g in gold}), events=len(mine),
        missed=sorted(gold_dates - dates), extra=sorted(dates - gold_dates))


@dataclass
class CorpusRun:
    """Everything one corpus run produced, for scoring and for the miss analysis."""

    corpus: str
    docs: list[Document]
    analysed: list[ArticleAnalysed]
    events: list[EventState]
    gold: dict[str, list[GoldEntry]]
    docs_by_url: dict[str, str]


def run_corpus(corpus: str, root: Path = CORPUS, *, raw_tokens: bool = False) -> CorpusRun:
    """Analyse and fold one corpus; read its targets' gold timelines."""
    docs = read_corpus(root / corpus)
    analysed = analyse_corpus(corpus, docs, raw_tokens=raw_tokens)
    by_url = {canonical_url(doc_url(corpus, d.doc_id)): d.doc_id for d in docs}
    gold = {name: read_gold(path) for name, path in targets(root / corpus)}
    return CorpusRun(corpus, docs, analysed, fold(analysed), gold, by_url)


def evaluate(corpora: Iterable[str] = CORPORA, root: Path = CORPUS, *, raw_tokens: bool = False,
             anchors: tuple[str, ...] = DEFAULT_ANCHORS) -> tuple[list[EntityResult], list[CorpusRun]]:
    """Per-entity results over the given corpora, and the runs behind them.

    `anchors`: the events scored, by how they are dated (``newsline timeline --anchor``).
    """
    if not root.is_dir():
        raise FileNotFoundError(f"SemEval-2015 Task 4 corpus not found at {root}")
    runs = [run_corpus(c, root, raw_tokens=raw_tokens) for c in corpora]
    results = [compare(r.corpus, name, [e for e in r.events if e.anchor in anchors], gold,
                       r.docs_by_url)
               for r in runs for name, gold in r.gold.items()]
    return results, runs


def micro(results: Iterable[EntityResult]) -> tuple[Score, Score]:
    """Micro-averaged (dates, pairs) scores."""
    dates, pairs = Score(), Score()
    for r in results:
        dates.add(r.dates)
        pairs.add(r.pairs)
    return dates, pairs


# ---------------------------------------------------------------- where the misses come from

MISS_CAUSES = {  # checked in this order, for each missed gold (date, document) pair
    "filtered": "the tagger dates the event's sentence, Newsline keeps no mention (background, decade)",
    "implicit-dct": "no dated mention in the event's sentence; gold anchors it to the DCT",
    "implicit-other": "no dated mention in the event's sentence; gold date from context",
    "other-date": "the event's sentence has dated mentions, none with the gold date",
    "resolution": "a mention with the gold date names the entity; its event has another date",
    "misnamed": "dated mention found; its sentence writes the target (or a word of it, or its "
                "initials) but Newsline extracts another name or none",
    "not-named": "dated mention found; its sentence does not write the target (pronoun, ...)",
}
_GENERIC_WORDS = frozenset({"us", "index", "of", "the", "stock", "markets", "united", "states"})


def _sentence_of(mention: Mention, sentences: list[str]) -> int | None:
    """The gold sentence number a mention's sentence lies in (sentences are detokenised)."""
    flat = " ".join(mention.sentence.split())
    return next((i for i, s in enumerate(sentences) if s and (flat in s or s in flat)), None)


def _written_in(sentence: str, target: str) -> bool:
    """Whether the sentence writes the target's name, a word of it or its initials (GM, USAF)."""
    words = entity_key(target).split()
    initials = "".join(w[0] for w in words if w not in ("of", "the"))
    written = set(entity_key(sentence).split())
    return bool((set(words) - _GENERIC_WORDS) & written) or initials in written


def _dated_expressions(sentences: list[str], numbers: set[int], dct: date) -> bool:
    """Whether the tagger finds any dated expression (any role, any granularity) there."""
    noon = datetime.combine(dct, time(12), tzinfo=UTC)
    return any(e.start is not None for n in numbers
               for e in extract_dates(sentences[n], published_at=noon, language="en"))


def miss_causes(run: CorpusRun, entity: str) -> list[tuple[str, GoldEntry]]:
    """Why each missed gold (date, document) pair of an entity was missed, one cause each."""
    keys = wanted_keys(entity)
    hits = {p for ev in entity_events(run.events, entity) for p in event_pairs(ev, run.docs_by_url)}
    arts = {run.docs_by_url[a.canonical_url]: a for a in run.analysed}
    docs = {d.doc_id: d for d in run.docs}
    wanted: dict[tuple[str, str], set[int]] = {}
    for g in run.gold[entity]:
        if (g.date, g.doc_id) not in hits and g.doc_id in docs:
            wanted.setdefault((g.date, g.doc_id), set()).add(g.sentence)
    found = []
    for (when, doc_id), numbers in wanted.items():
        sentences = [detokenise(s) for s in docs[doc_id].sentences]
        near = [m for m in arts[doc_id].mentions if _sentence_of(m, sentences) in numbers]
        dated = [m for m in near if event_date(m) == when]
        names = {name_key(n) for m in dated for n in m.entities}
        if not near and _dated_expressions(sentences, numbers, docs[doc_id].dct):
            cause = "filtered"
        elif not near:
            cause = "implicit-dct" if when == docs[doc_id].dct.isoformat() else "implicit-other"
        elif not dated:
            cause = "other-date"
        elif keys & names:
            cause = "resolution"
        elif any(_written_in(m.sentence, entity) for m in dated):
            cause = "misnamed"
        else:
            cause = "not-named"
        found.append((cause, GoldEntry(when, doc_id, min(numbers), "")))
    return found


def print_misses(results: list[EntityResult], runs: list[CorpusRun], examples: int = 3) -> None:
    """Counts of the causes of missed gold pairs with examples, and how targets are named."""
    causes: dict[str, list[tuple[str, GoldEntry]]] = {c: [] for c in MISS_CAUSES}
    for run in runs:
        for entity in run.gold:
            for cause, g in miss_causes(run, entity):
                causes[cause].append((f"{run.corpus} {entity}", g))
    print(f"\nmissed gold (date, document) pairs by cause ({sum(map(len, causes.values()))})")
    for cause, items in causes.items():
        print(f"{len(items):>5}  {cause:<15}{MISS_CAUSES[cause]}")
        for who, g in items[:examples]:
            print(f"{'':<22}{who} {g.date} doc {g.doc_id} sentence {g.sentence}")
    extra = [(d, r.missed) for r in results for d in r.extra]
    near = sum(any(d.startswith(m) or m.startswith(d) for m in missed) for d, missed in extra)
    print(f"\nNewsline dates not in the gold: {len(extra)}; {near} of them are a coarser or finer "
          "form of a gold date Newsline missed for the same entity")
    print("\nthe targets' exact names in all sentences of their corpus, and what Newsline extracts")
    for run in runs:
        for entity in run.gold:
            print(f"  {run.corpus} {entity}: {target_naming(run.docs, entity)}")


def target_naming(docs: list[Document], entity: str) -> str:
    """How often the target's exact name is recognised where written, and what is extracted there."""
    keys, spelled = wanted_keys(entity), entity_key(entity)
    pattern = re.compile(rf"\b{re.escape(spelled)}\b")
    sentences = [detokenise(s) for d in docs for s in d.sentences]
    counts: dict[str, int] = {}
    written = missed = initial = 0
    for sentence in sentences:
        if not pattern.search(entity_key(sentence)):
            continue
        names = {e.name for e in extract_entities(sentence, "en")}
        written += 1
        if not keys & {name_key(n) for n in names}:
            missed += 1
            initial += entity_key(sentence).startswith(spelled)
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
    return (f"written in {written} sentences, missed in {missed} ({initial} at sentence start); "
            f"names there: {top}")


# ---------------------------------------------------------------- output

def _row(label: str, dates: Score, pairs: Score, events: int | str) -> str:
    return (f"{label:<30} {events:>6} {dates.gold:>5} {dates.system:>5} {dates.correct:>5} "
            f"{dates.precision:>6.3f} {dates.recall:>6.3f} {dates.f1:>6.3f}   "
            f"{pairs.gold:>5} {pairs.system:>5} {pairs.correct:>5} "
            f"{pairs.precision:>6.3f} {pairs.recall:>6.3f} {pairs.f1:>6.3f}")


def print_table(results: list[EntityResult], corpora: Iterable[str]) -> None:
    """One table per corpus, then the micro-averages over everything."""
    head = (f"{'entity':<30} {'events':>6} {'gold':>5} {'sys':>5} {'ok':>5} {'P':>6} {'R':>6} "
            f"{'F1':>6}   {'gold':>5} {'sys':>5} {'ok':>5} {'P':>6} {'R':>6} {'F1':>6}")
    banner = f"{'':<37}{'---------- dates ----------':<44}{'------ (date, document) ------'}"
    for corpus in corpora:
        rows = [r for r in results if r.corpus == corpus]
        print(f"\n{corpus}\n{banner}\n{head}")
        for r in rows:
            print(_row(r.entity[:30], r.dates, r.pairs, r.events))
        print(_row("micro-average", *micro(rows), sum(r.events for r in rows)))
    dates, pairs = micro(results)
    print(f"\nall corpora ({len(results)} entities)\n{head}")
    print(_row("micro-average", dates, pairs, sum(r.events for r in results)))


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; exit 1 when the micro date F1 is below ``--min-f1``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--min-f1", type=float, default=None, help="micro date F1 threshold")
    parser.add_argument("--corpus", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument("--raw-tokens", action="store_true", help="keep the PTB tokenisation")
    parser.add_argument("--misses", action="store_true", help="print the causes of missed gold entries")
    parser.add_argument("--anchor", default=",".join(DEFAULT_ANCHORS),
                        help="events scored, by how they are dated: comma-separated among "
                             f"{', '.join(ANCHORS)}, or all (default: explicit, as the timeline)")
    args = parser.parse_args(argv)
    anchors = ANCHORS if args.anchor == "all" else tuple(args.anchor.split(","))
    results, runs = evaluate(args.corpus, raw_tokens=args.raw_tokens, anchors=anchors)
    dates, pairs = micro(results)
    if args.json:
        print(json.dumps({
            "entities": [{"corpus": r.corpus, "entity": r.entity, "events": r.events,
                          "dates": r.dates.as_dict(), "pairs": r.pairs.as_dict(),
                          "missed": r.missed, "extra": r.extra} for r in results],
            "micro": {"dates": dates.as_dict(), "pairs": pairs.as_dict()},
        }, indent=2))
    else:
        print_table(results, args.corpus)
    if args.misses:
        print_misses(results, runs)
    if args.min_f1 is not None and dates.f1 < args.min_f1:
        print(f"micro date F1 {dates.f1:.3f} < {args.min_f1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
