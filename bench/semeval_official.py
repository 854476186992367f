"""Score Newsline on SemEval-2015 Task 4 (TimeLine) with the task's own scorer, track A.

Runs the production pipeline on the raw track A texts exactly as ``bench/semeval_eval.py`` does
(``analyse_article``, then the resolver fold, each corpus its own timeline), writes each target
entity's timeline in the task's format, and runs the official scorer of
``../shared/corpora/semeval2015_task4_timeline/official-scorer/`` (Python 2.7) on it:

    python bench/semeval_official.py [--corpus corpus_1 ...] [--out DIR] [--json] [--min-f1 F]

It prints the scorer's micro F1, precision and recall for each corpus and for the three pooled
(the published figures are for the pool: best track A 7.85, best track B 25.36).

What a timeline line is made of (the scorer matches event mentions as strings):

- one line per Newsline event that ``newsline timeline --entity X`` shows
  (``semeval_eval.entity_events``), with every mention of the event on it (coreferent mentions
  share a line);
- rank: events in the order of their written dates, a coarser date first (``2009-XX-XX`` before
  ``2009-01-01``, as the gold ranks them), then by start and end; events whose written dates are
  equal share a rank (simultaneous), ranks start at 1 (0 would mean "not anchored" and be
  ignored); a mention is written once, on its first line (``timeline_lines``);
- date: ``YYYY-MM-DD`` for a day, ``YYYY-MM-XX`` for a month (and a week or part of a month
  inside one month), ``YYYY-XX-XX`` otherwise (``semeval_eval.event_date``); decades are left
  out;
- mention: ``docid-sentence-word``, where the sentence is the gold sentence the mention lies in
  and the word is the mention's event word. A mention dated by a date expression names no event
  word, so this script picks one: the last word of the predicate the analysis ties the date to
  (``processors.analysis.predicates.dated_predicate``: the table's forms, else the clause's
  verb-like word nearest to the date, ``verb_like``), else (``event_word``, when production
  finds none) the token nearest to the date expression, in the same clause, that looks like
  a verb: a past form (``-ed`` or a common irregular one such as ``said``, ``sold``, ``won``) or
  a word right after an auxiliary, a modal or ``to``. A mention with no such token gives no
  line. A mention dated from elsewhere spans its predicate: its last word.
- track B (``--track B``, the task's events given): each given event of a sentence is written
  with the Newsline mention of that sentence whose event word is nearest to it, among those
  that are someone's event (``given_fields``), so it is that mention's event, on its
  timelines, at its date; sentences without such a mention write none.

The three quirks of the scorer's README are handled: the gold folder given to it holds one file
per listed target with ``s&p_500.txt`` left out (its identical ``s_and_p_500.txt`` is scored), a
file is written for every target even when empty, and the corpora are scored separately (the
pool renames files ``corpus_N__name.txt``). Python 2.7 is found as ``$NEWSLINE_PYTHON2``, else
pyenv's newest 2.7, else ``python2.7`` on the PATH; without it the script exits 2 and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from mention_tokens import locate, mention_word  # noqa: E402
from semeval_eval import (  # noqa: E402
    CORPORA,
    CORPUS,
    CorpusRun,
    Document,
    entity_events,
    event_date,
    run_corpus,
)

from processors.analysis.predicates import dated_predicate  # noqa: E402
from schemas.articles import Mention  # noqa: E402
from schemas.timeline import EventState  # noqa: E402

SCORER = CORPUS / "official-scorer"
PUBLISHED = {"best track A (Minard et al., 2015)": 7.85, "best track B (GPLSIUA_1)": 25.36}


@dataclass(frozen=True)
class ScorerResult:
    """The scorer's micro scores (percentages) and its per-timeline lines."""

    f1: float
    precision: float
    recall: float
    lines: tuple[str, ...]


# ---------------------------------------------------------------- event words

GivenEvents = dict[tuple[str, int], frozenset[int]]
_EVENT_TAG = re.compile(r"<EVENT\b[^>]*>([^<]*)</EVENT>")
_SENTENCE = re.compile(r'<s id="(\d+)">(.*?)</s>', re.S)


def read_given_events(corpus_dir: Path) -> GivenEvents:
    """Track B's annotated events: (doc id, sentence) -> token indices of its ``EVENT`` tags."""
    given: GivenEvents = {}
    for path in (corpus_dir / "corpus_trackB_TimeML").glob("*.tml"):
        source = path.read_text(encoding="utf-8")
        doc_id = path.name.split("_", 1)[0]
        for number, body in _SENTENCE.findall(source):
            tokens = _EVENT_TAG.sub(lambda m: "\x00" + m.group(1).strip(), body).split()
            marked = frozenset(i for i, t in enumerate(tokens) if t.startswith("\x00"))
            if marked:
                given[(doc_id, int(number))] = marked
    return given


def mention_field(doc: Document, mention: Mention) -> str | None:
    """``docid-sentence-word`` for a mention, or None when no event word is found."""
    spot = mention_spot(doc, mention)
    return None if spot is None else token_field(doc, *spot)


def reference_fields(doc: Document, mention: Mention) -> tuple[str, ...]:
    """``docid-sentence-word`` of each of a mention's ``references`` (the article's later words
    for its event: the last token of each)."""
    tokens = [s.split() for s in doc.sentences]
    places = (locate(r, tokens) for r in mention.references)  # type: ignore[arg-type]
    return tuple(token_field(doc, p[0], p[2]) for p in places if p is not None)


def token_field(doc: Document, number: int, index: int) -> str:
    """``docid-sentence-word`` of a token of the gold text."""
    return f"{doc.doc_id}-{number}-{doc.sentences[number].split()[index]}"


def mention_spot(doc: Document, mention: Mention) -> tuple[int, int] | None:
    """(gold sentence, token index) of a mention's event word (``mention_field``), or None."""
    place = locate(mention, [s.split() for s in doc.sentences])
    if place is None:
        return None
    number, first, last = place
    tokens = doc.sentences[number].split()
    word = mention_word(mention, tokens, first, last)
    if mention.anchor == "explicit":  # the predicate the analysis ties it to
        tied = dated_predicate(mention.sentence, mention.start_char - mention.sentence_start,
                               mention.end_char - mention.sentence_start, "en")
        spot = None if tied is None else locate(mention, [s.split() for s in doc.sentences],
                                                (tied.start, tied.end))
        if spot is not None and spot[0] == number:
            word = spot[2]
    return None if word is None else (number, word)


def given_fields(doc: Document, mentions: Iterable[Mention],
                 given: GivenEvents) -> dict[str, tuple[str, ...]]:
    """Track B: mention id -> the given events it writes. Each given event of a sentence goes to
    the Newsline mention of that sentence whose event word (``mention_spot``; else its date
    expression) is nearest to it, the one before on a tie: it is that mention's event, on its
    timelines at its date. A mention that is no one's event (``participants`` empty: a word
    whose arguments name no one) takes none. A sentence where Newsline has no such mention
    writes none of its events; a mention no given event is nearest to writes nothing."""
    tokens = [s.split() for s in doc.sentences]
    by_sentence: dict[int, list[tuple[int, str]]] = {}
    for m in mentions:
        if m.participants == []:  # nobody's event: a given event beside it is another word's
            continue
        spot = mention_spot(doc, m)
        place = locate(m, tokens) if spot is None else None
        if spot is None and place is not None:
            spot = place[:2]
        if spot is not None:
            by_sentence.setdefault(spot[0], []).append((spot[1], m.mention_id))
    fields: dict[str, tuple[str, ...]] = {}
    for number, words in by_sentence.items():
        for index in sorted(given.get((doc.doc_id, number), ())):
            _, owner = min(words, key=lambda w: (abs(w[0] - index), w[0] > index))
            fields[owner] = (*fields.get(owner, ()), token_field(doc, number, index))
    return fields


# ---------------------------------------------------------------- writing timelines

def scorer_date(event: EventState) -> str | None:
    """The event's date in the task's format (``XX`` for the parts it does not give)."""
    when = event_date(event)
    if when is None:
        return None
    parts = when.split("-")
    return "-".join(parts + ["XX"] * (3 - len(parts)))


def timeline_order(event: EventState) -> tuple[str, date, date, str]:
    """Where an event goes on a timeline file: by its written date, a coarser date before the
    finer dates it holds (``2009-XX-XX`` before ``2009-01-01``, as the task's gold ranks them: a
    quarter or a week written as its year or month would otherwise sit inside it), then by
    start, end and id."""
    return ((scorer_date(event) or "").replace("XX", "00"), event.start, event.end, event.event_id)


def timeline_lines(events: Iterable[EventState], fields: dict[str, tuple[str, ...]],
                   anchors: frozenset[str] | None = None) -> list[str]:
    """The lines of one entity's timeline file (without the header): rank, date, mentions.

    ``fields``: Newsline mention id -> the event mentions (``docid-sentence-word``) it writes.
    A mention (``docid-sentence-word``) is written once, on the first line it falls on: the
    scorer reads a word written twice as a second event that the gold does not have (two
    Newsline events can hold mentions with the same event word).
    ``anchors``: only events dated that way (``EventState.anchor``, issue 12 part 2); all if None.
    """
    rows = []
    kept = [e for e in events if anchors is None or getattr(e, "anchor", "explicit") in anchors]
    written: set[str] = set()
    for ev in sorted(kept, key=timeline_order):
        when = scorer_date(ev)
        mentions = sorted({f for m in ev.mention_ids for f in fields.get(m, ())} - written)
        if when and mentions:
            rows.append((when, mentions))
            written.update(mentions)
    lines, rank, previous = [], 0, None
    for when, mentions in rows:
        if when != previous:
            rank, previous = rank + 1, when
        lines.append("\t".join([str(rank), when, *mentions]))
    return lines


def file_name(entity: str) -> str:
    """The timeline file of an entity, as the gold names it (``&`` spelled ``_and_``)."""
    return entity.lower().replace("&", "_and_").replace(" ", "_") + ".txt"


HALVES = ("even", "odd")


def in_half(field: str, half: str | None) -> bool:
    """Whether a ``docid-sentence-word`` mention is in a half of the documents (``even`` or
    ``odd`` document ids; all when ``half`` is None)."""
    return half is None or int(field.split("-", 1)[0]) % 2 == HALVES.index(half)


def half_lines(lines: Iterable[str], half: str | None) -> list[str]:
    """Timeline lines with only the mentions of one half of the documents (lines left empty go)."""
    if half is None:
        return list(lines)
    kept = []
    for line in lines:
        if line.count("\t") < 2:
            continue
        rank, when, *mentions = line.split("\t")
        mine = [m for m in mentions if in_half(m, half)]
        if mine:
            kept.append("\t".join([rank, when, *mine]))
    return kept


def write_run(run: CorpusRun, gold_dir: Path, system_dir: Path, prefix: str = "", *,
              track: str = "A", anchors: frozenset[str] | None = None,
              half: str | None = None, located: set[str] | None = None) -> tuple[int, int]:
    """Write the gold files of a corpus's listed targets and Newsline's timelines for them.

    ``half``: only the mentions of the documents with ``even`` or ``odd`` ids, in both (tune on
    one half, report on the other). ``located`` collects the ``docid-sentence`` of every Newsline
    mention found in the gold tokens. Returns (Newsline mentions in the corpus, those that got an
    event word).
    """
    docs = {d.doc_id: d for d in run.docs}
    given = read_given_events(CORPUS / run.corpus) if track == "B" else None
    fields: dict[str, tuple[str, ...]] = {}
    for art in run.analysed:
        doc = docs[run.docs_by_url[art.canonical_url]]
        tokens = [s.split() for s in doc.sentences]
        for m in art.mentions:
            place = locate(m, tokens)
            if place is not None and located is not None:
                located.add(f"{doc.doc_id}-{place[0]}")
            found = mention_field(doc, m) if given is None else None
            if found:
                fields[m.mention_id] = (found, *reference_fields(doc, m))
        if given is not None:
            fields.update(given_fields(doc, art.mentions, given))
    source = CORPUS / run.corpus / "TimeLines_Gold_Standard"
    for entity in run.gold:
        name = file_name(entity)
        header, *rows = (source / name).read_text(encoding="utf-8").splitlines()
        (gold_dir / f"{prefix}{name}").write_text(
            "\n".join([header, *half_lines(rows, half)]) + "\n", encoding="utf-8")
        lines = half_lines(timeline_lines(entity_events(run.events, entity), fields, anchors), half)
        (system_dir / f"{prefix}{name}").write_text("\n".join([entity, *lines]) + "\n", encoding="utf-8")
    return sum(len(a.mentions) for a in run.analysed), len(fields)


# ---------------------------------------------------------------- the official scorer

def find_python2() -> Path:
    """A Python 2.7 interpreter: ``$NEWSLINE_PYTHON2``, pyenv's newest 2.7, or ``python2.7``."""
    named = os.environ.get("NEWSLINE_PYTHON2")
    if named:
        if not Path(named).is_file():
            raise FileNotFoundError(f"NEWSLINE_PYTHON2={named}: no such file (the official scorer "
                                    "needs Python 2.7)")
        return Path(named)
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))]
    pyenv = shutil.which("pyenv")
    if pyenv:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            roots.insert(0, Path(done.stdout.strip()))
    for root in roots:
        found = sorted((root / "versions").glob("2.7*/bin/python2.7"), reverse=True)
        if found:
            return found[0]
    on_path = shutil.which("python2.7")
    if on_path:
        return Path(on_path)
    raise FileNotFoundError("Python 2.7 not found (the official scorer needs it): set NEWSLINE_PYTHON2, "
                            "or install it with `pyenv install 2.7.18`")


_MICRO = re.compile(r"MICRO-FSCORE\t(\S+)\tMICRO-PRECISION\t(\S+)\tMICRO-RECALL\t(\S+)")


def run_scorer(gold_dir: Path, system_dir: Path, python2: Path, *,
               ordering: bool = False) -> ScorerResult:
    """Run ``evaluation_all.py GOLD SYSTEM`` from its folder, with ``python`` meaning Python 2.7.

    ``ordering``: the scorer's ``--ord`` measure, the order alone (the dates are not compared),
    so that what the dates cost shows beside the full measure."""
    with tempfile.TemporaryDirectory(prefix="semeval-scorer-") as scratch:
        shim = Path(scratch) / "bin"
        shim.mkdir()
        (shim / "python").symlink_to(python2)
        env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}",
               "TMPDIR": scratch, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("PYENV_VERSION", None)
        done = subprocess.run([str(python2), "evaluation_all.py", *(["--ord"] if ordering else []),
                               str(gold_dir.resolve()), str(system_dir.resolve())], cwd=SCORER, env=env,
                              capture_output=True, text=True, check=False)
    found = _MICRO.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"the official scorer failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    lines = tuple(line for line in done.stdout.splitlines() if "\tFSCORE\t" in line)
    f1, precision, recall = (float(v) for v in found.groups())
    return ScorerResult(f1, precision, recall, lines)


@dataclass(frozen=True)
class Overlap:
    """Event mentions on the system's and the gold's anchored lines (rank > 0), compared."""

    gold: int
    system: int
    same_mention: int
    same_mention_and_date: int


def mention_overlap(gold_dir: Path, system_dir: Path) -> Overlap:
    """How many system mentions are gold mentions of their entity, and at the gold's date."""
    def anchored(path: Path) -> set[tuple[str, str]]:
        rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
        return {(m, r[1]) for r in rows if len(r) > 2 and r[0].strip() != "0" for m in r[2:]}
    gold = system = mention = both = 0
    for path in gold_dir.iterdir():
        wanted, given = anchored(path), anchored(system_dir / path.name)
        gold, system, both = gold + len(wanted), system + len(given), both + len(wanted & given)
        mention += len({m for m, _ in given} & {m for m, _ in wanted})
    return Overlap(gold, system, mention, both)


LOSSES = ("right", "wrong date", "wrong word", "other entity", "no mention")


def _anchored(path: Path) -> dict[str, str]:
    """mention -> date of the anchored lines (rank > 0) of a timeline file."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return {m: r[1] for r in rows if len(r) > 2 and r[0].strip() != "0" for m in r[2:]}


def _sentence(field: str) -> str:
    return "-".join(field.split("-", 2)[:2])


def losses(gold_dir: Path, system_dir: Path, located: set[str]) -> dict[str, int]:
    """Each anchored gold mention in the first of ``LOSSES`` that applies: written with the
    gold's word and date (``right``; its order may still differ), with another date, its
    sentence in the entity's timeline with another word only, a Newsline mention in its sentence
    that the entity's timeline does not hold (``other entity``), or no Newsline mention in its
    sentence at all; and the system's extra mentions, in a sentence where the gold has an event
    of the entity or not."""
    counts = dict.fromkeys((*LOSSES, "extra, gold sentence", "extra, other sentence"), 0)
    for path in gold_dir.iterdir():
        gold, mine = _anchored(path), _anchored(system_dir / path.name)
        mine_sentences = {_sentence(m) for m in mine}
        gold_sentences = {_sentence(m) for m in gold}
        for m, when in gold.items():
            if m in mine:
                counts["right" if mine[m] == when else "wrong date"] += 1
            elif _sentence(m) in mine_sentences:
                counts["wrong word"] += 1
            else:
                counts["other entity" if _sentence(m) in located else "no mention"] += 1
        for m in set(mine) - set(gold):
            counts["extra, gold sentence" if _sentence(m) in gold_sentences
                   else "extra, other sentence"] += 1
    return counts


def score(corpora: Sequence[str], out: Path, python2: Path, *, track: str = "A",
          anchors: frozenset[str] | None = None, half: str | None = None,
          runs: dict[str, CorpusRun] | None = None,
          worded: list[tuple[int, int]] | None = None,
          lost: dict[str, dict[str, int]] | None = None,
          ordering: bool = False) -> dict[str, ScorerResult]:
    """Write and score each corpus, then the pool of all given corpora (when more than one).

    ``worded`` collects, per corpus, (Newsline mentions, mentions that got an event word);
    ``lost``, per corpus, where the gold mentions are lost (``losses``); ``ordering``: the
    scorer's order-only measure (``run_scorer``).
    """
    results: dict[str, ScorerResult] = {}
    for stale in (out / "all", *(out / c for c in corpora)):
        shutil.rmtree(stale, ignore_errors=True)  # a kept --out folder is written afresh
    pool_gold, pool_system = out / "all" / "gold", out / "all" / "system"
    for folder in (pool_gold, pool_system):
        folder.mkdir(parents=True, exist_ok=True)
    for corpus in corpora:
        run = (runs or {}).get(corpus) or run_corpus(corpus)
        gold, system = out / corpus / "gold", out / corpus / "system"
        for folder in (gold, system):
            folder.mkdir(parents=True, exist_ok=True)
        located: set[str] = set()
        counts = write_run(run, gold, system, track=track, anchors=anchors, half=half,
                           located=located)
        if lost is not None:
            lost[corpus] = losses(gold, system, located)
        if worded is not None:
            worded.append(counts)
        write_run(run, pool_gold, pool_system, prefix=f"{corpus}__", track=track, anchors=anchors,
                  half=half)
        results[corpus] = run_scorer(gold, system, python2, ordering=ordering)
    if len(corpora) > 1:
        results["all"] = run_scorer(pool_gold, pool_system, python2, ordering=ordering)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run Newsline and the official scorer; exit 1 below ``--min-f1``, 2 without Python 2.7."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument("--track", choices=("A", "B"), default="A",
                        help="A: event words picked from raw text; B: track B's given events, each "
                             "written with the Newsline mention of its sentence nearest to it")
    parser.add_argument("--anchor", default="all",
                        help="events written, by how they are dated: comma-separated among explicit, "
                             "narrative, publication, none; or all (default)")
    parser.add_argument("--half", choices=HALVES, default=None,
                        help="score only the documents with even (the tuning half) or odd ids")
    parser.add_argument("--ord", action="store_true",
                        help="the scorer's order-only measure (dates not compared)")
    parser.add_argument("--out", type=Path, default=None, help="keep the timelines written here")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--per-entity", action="store_true", help="print the scorer's lines too")
    parser.add_argument("--min-f1", type=float, default=None, help="micro F1 threshold (percent)")
    args = parser.parse_args(argv)
    try:
        python2 = find_python2()
    except FileNotFoundError as missing:
        print(missing, file=sys.stderr)
        return 2
    if not SCORER.is_dir():
        print(f"official scorer not found at {SCORER}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="semeval-official-") as scratch:
        out = args.out or Path(scratch)
        anchors = None if args.anchor == "all" else frozenset(args.anchor.split(","))
        worded: list[tuple[int, int]] = []
        lost: dict[str, dict[str, int]] = {}
        results = score(args.corpus, out, python2, track=args.track, anchors=anchors,
                        half=args.half, worded=worded, lost=lost, ordering=args.ord)
        pool = out / ("all" if len(args.corpus) > 1 else args.corpus[0])
        overlap = mention_overlap(pool / "gold", pool / "system")
    if args.json:
        print(json.dumps({"track": args.track, "ordering only": args.ord,
                          "overlap": overlap.__dict__, "losses": lost,
                          "mentions": sum(n for n, _ in worded),
                          "with an event word": sum(w for _, w in worded),
                          **{k: {"f1": r.f1, "precision": r.precision, "recall": r.recall}
                             for k, r in results.items()}}, indent=2))
    else:
        print(f"{'corpus':<10} {'F1':>7} {'P':>7} {'R':>7}   "
              f"(official scorer, micro, percent; event words: track {args.track}"
              f"{'; order only' if args.ord else ''})")
        for name, r in results.items():
            print(f"{name:<10} {r.f1:>7.2f} {r.precision:>7.2f} {r.recall:>7.2f}")
            if args.per_entity:
                print("\n".join(f"    {line}" for line in r.lines))
        why = "verb-like word in their clause" if args.track == "A" else "given event nearest to them"
        print(f"Newsline mentions: {sum(n for n, _ in worded)}, with an event word: "
              f"{sum(w for _, w in worded)} (the others: no {why}, or not found in the tokens)")
        print(f"anchored event mentions: gold {overlap.gold}, Newsline {overlap.system}; "
              f"{overlap.same_mention} of Newsline's are gold mentions of their entity, "
              f"{overlap.same_mention_and_date} of them at the gold's date")
        print("where the gold's anchored mentions go (first that applies), and Newsline's extra ones:")
        print(f"{'corpus':<10}" + "".join(f"{k:>23}" for k in next(iter(lost.values()))))
        for name, counts in lost.items():
            print(f"{name:<10}" + "".join(f"{v:>23}" for v in counts.values()))
        print("published (all three corpora): " + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items()))
    pooled = results.get("all") or next(iter(results.values()))
    if args.min_f1 is not None and pooled.f1 < args.min_f1:
        print(f"official micro F1 {pooled.f1:.2f} < {args.min_f1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
