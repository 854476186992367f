"""Where Newsline's false positives come from on SemEval-2015 Task 4 (the official scorer's precision).

``bench/semeval_official.py`` writes each target entity's timeline; every event mention on it
that is not the gold's (``docid-sentence-word`` at the gold's date, on that entity's anchored
lines) costs precision. This diagnosis puts each written mention in the first case that applies:

    python bench/semeval_extras.py                  # tuning half (even document ids), about 10 s
    python bench/semeval_extras.py --half odd       # the held-out half (look, do not tune)
    python bench/semeval_extras.py --examples 5     # with example sentences per cause

- ``right``: a gold mention of the entity at the gold's date (not a false positive);
- ``wrong date``: a gold mention of the entity, at another date;
- ``another target's event``: a gold mention of another target of the corpus, not this one's;
- ``reporting verb``: a verb of saying of the predicate table ("said", "announced"), which the
  gold does not hold for this entity;
- ``annotated event, on no timeline``: a word that track B marks as an event, on no target's
  timeline (an event, but not one of a listed target, or a target's that the gold left out);
- ``not an event``: a word track B does not mark as an event (a wrong predicate or word).

Each case is then split by how the mention came to be on the entity's timeline: its own
sentence names the entity (``names it``), or not (``via its event``: it joined an event whose
other mentions name the entity), and by its anchor and origin (an explicit date, an undated
sentence's main event, a co-event of a sentence: ``co_events`` in
``processors/analysis/mentions.py``). No gold is read by Newsline; this only reads its output.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from semeval_eval import CORPORA, CORPUS, CorpusRun, entity_events, run_corpus, wanted_keys  # noqa: E402
from semeval_official import (  # noqa: E402
    HALVES,
    _anchored,
    file_name,
    in_half,
    mention_field,
    read_given_events,
    reference_fields,
    timeline_lines,
)
from semeval_words import report_forms  # noqa: E402

from processors.analysis.predicates import main_predicate  # noqa: E402
from readmodel.read import name_key  # noqa: E402
from schemas.articles import Mention  # noqa: E402

CASES = ("right", "wrong date", "another target's event", "reporting verb",
         "annotated event, on no timeline", "not an event")
ORIGINS = ("explicit", "undated main", "co-event")


def origin(m: Mention) -> str:
    """How a mention was made: an explicit date, an undated sentence's main predicate, or a
    co-event of its sentence (any other event word of a sentence that gives a mention); a word
    of its ``references`` is counted as ``reference`` (``diagnose``)."""
    if m.anchor == "explicit":
        return "explicit"
    found = main_predicate(m.sentence, "en")
    at = m.start_char - m.sentence_start
    return "undated main" if found is not None and found.start == at else "co-event"


def diagnose(run: CorpusRun, half: str | None) -> tuple[Counter[tuple[str, ...]], dict[str, list[str]]]:
    """Counts by (case, names it / via its event, origin), and examples by case, for a corpus."""
    docs = {d.doc_id: d for d in run.docs}
    given = read_given_events(CORPUS / run.corpus)
    reports = report_forms()
    fields: dict[str, tuple[str, ...]] = {}
    made: dict[str, Mention] = {}
    for art in run.analysed:
        doc = docs[run.docs_by_url[art.canonical_url]]
        for m in art.mentions:
            found = mention_field(doc, m)
            if found:
                fields[m.mention_id], made[m.mention_id] = (found, *reference_fields(doc, m)), m
    gold = {e: _anchored(CORPUS / run.corpus / "TimeLines_Gold_Standard" / file_name(e))
            for e in run.gold}
    counts: Counter[tuple[str, ...]] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for entity in run.gold:
        keys = wanted_keys(entity)
        others = set().union(*(set(g) for e, g in gold.items() if e != entity))
        events = entity_events(run.events, entity)
        by_field: dict[str, Mention] = {}
        for ev in events:
            for mid in ev.mention_ids:
                if mid in fields:
                    mine = keys & {name_key(n) for n in made[mid].entities}
                    for field in fields[mid]:
                        if field not in by_field or mine:
                            by_field[field] = made[mid]
        for line in timeline_lines(events, fields):
            _, when, *written = line.split("\t")
            for field in written:
                if not in_half(field, half):
                    continue
                doc_id, number, word = field.split("-", 2)
                tokens = docs[doc_id].sentences[int(number)].split()
                index = tokens.index(word) if word in tokens else -1
                if field in gold[entity]:
                    case = "right" if gold[entity][field] == when else "wrong date"
                elif field in others:
                    case = "another target's event"
                elif word.lower() in reports:
                    case = "reporting verb"
                elif any(tokens[i] == word for i in given.get((doc_id, int(number)), ())):
                    case = "annotated event, on no timeline"
                else:
                    case = "not an event"
                m = by_field[field]
                names = "names it" if keys & {name_key(n) for n in m.entities} else "via its event"
                how = origin(m) if field == fields[m.mention_id][0] else "reference"
                counts[(case, names, how)] += 1
                if index >= 0:
                    marked = " ".join(f"[{t}]" if i == index else t for i, t in enumerate(tokens))
                    examples[case].append(f"{field} {entity} ({names}, {how}, {when}): {marked}")
    return counts, examples


def main(argv: list[str] | None = None) -> int:
    """Print the causes table for the chosen half."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument("--half", choices=(*HALVES, "all"), default="even")
    parser.add_argument("--examples", type=int, default=0)
    args = parser.parse_args(argv)
    half = None if args.half == "all" else args.half
    total: Counter[tuple[str, ...]] = Counter()
    shown: dict[str, list[str]] = defaultdict(list)
    for corpus in args.corpus:
        counts, examples = diagnose(run_corpus(corpus), half)
        total.update(counts)
        for case, lines in examples.items():
            shown[case].extend(lines)
    written = sum(total.values())
    print(f"mentions written on the targets' timelines ({args.half} half): {written}")
    head = ["names it", "via its event", *ORIGINS]
    print(f"{'case':<34}{'mentions':>9}{'share':>7}" + "".join(f"{h:>15}" for h in head))
    for case in CASES:
        n = sum(v for k, v in total.items() if k[0] == case)
        cols = [sum(v for k, v in total.items() if k[0] == case and h in k) for h in head]
        print(f"{case:<34}{n:>9}{n / max(written, 1):>7.0%}" + "".join(f"{c:>15}" for c in cols))
    for case in CASES:
        for line in shown[case][:args.examples]:
            print(f"  {case}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
