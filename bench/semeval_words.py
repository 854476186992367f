"""Where Newsline's event word differs from the gold's word in the same sentence (SemEval-2015 Task 4).

The official scorer (``bench/semeval_official.py``) counts a mention only when its word is the
gold's. This diagnosis looks at every mention Newsline writes on an entity's timeline in a
sentence where the gold has an anchored event of that entity, and puts the ones whose word is not
a gold word of the sentence in the first case that applies:

    python bench/semeval_words.py                  # tuning half (even document ids)
    python bench/semeval_words.py --half odd       # the held-out half (look, do not tune)
    python bench/semeval_words.py --examples 5     # with example sentences per case

Cases (``g`` is the gold word of the sentence nearest to Newsline's word ``w``):

- ``light verb``: ``w`` is an auxiliary, a copula or a light verb (``has``, ``was``, ``made``,
  ``took``, ``expected``...) and ``g`` follows it: the event is its complement;
- ``reporting verb -> reported``: ``w`` is a verb of saying of the predicate table (kind
  ``report``) and ``g`` comes after it (the reported event);
- ``reported -> reporting verb``: ``g`` is a verb of saying, ``w`` is not;
- ``noun event``: ``g`` is not verb-like (``mention_tokens``: no past form, no auxiliary before
  it): "loss", "deal", "flight";
- ``other clause``: ``g`` is a verb, and a clause break (``that``, ``which``, ``;``, a comma
  before a participle ...) lies between ``w`` and ``g``;
- ``same clause``: ``g`` is another verb of the same clause.

Each case also says how often ``w`` is itself one of the sentence's events annotated by track B
(the gold's events of every entity): an event, but not the entity's.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from mention_tokens import _verb_like  # noqa: E402
from semeval_eval import CORPORA, CORPUS, CorpusRun, entity_events, run_corpus  # noqa: E402
from semeval_official import HALVES, _anchored, file_name, mention_spot, read_given_events  # noqa: E402

from processors.analysis.predicates import predicate_table  # noqa: E402

LIGHT = frozenset(
    "has have had having is are was were be been being am do does did make makes made making take "
    "takes took taken give gives gave given get gets got hold holds held expected expects plans "
    "planned decided began begun continued continues seemed appears appeared remains remained "
    "became become will would can could may might must should".split())
BREAKS = frozenset({"that", "which", "who", "when", "while", "after", "before", "because", "as",
                    "if", "although", ";", ":", "--", "``", "''", "(", ")", "and", "but"})
CASES = ("light verb", "reporting verb -> reported", "reported -> reporting verb", "noun event",
         "other clause", "same clause")


def report_forms() -> frozenset[str]:
    """The one-word forms of the predicate table's verbs of saying."""
    table, _, _ = predicate_table()
    return frozenset(w[0] for w, p in table.items() if p.kind == "report" and len(w) == 1)


def case_of(tokens: list[str], w: int, g: int, reports: frozenset[str]) -> str:
    """The first case (module docstring) for Newsline's word ``w`` and the gold word ``g``."""
    word, gold = tokens[w].lower(), tokens[g].lower()
    if word in LIGHT and g > w:
        return "light verb"
    if word in reports and g > w:
        return "reporting verb -> reported"
    if gold in reports:
        return "reported -> reporting verb"
    if not _verb_like(tokens, g):
        return "noun event"
    low, high = sorted((w, g))
    between = [t.lower() for t in tokens[low + 1:high]]
    if any(t in BREAKS for t in between) or ("," in between):
        return "other clause"
    return "same clause"


def diagnose(run: CorpusRun, half: str | None) -> tuple[Counter[str], Counter[str], Counter[str],
                                                        dict[str, list[str]]]:
    """(cases, the same cases where Newsline's word is a track B event, the same cases from an
    undated sentence (anchor not ``explicit``), examples) for a corpus."""
    docs = {d.doc_id: d for d in run.docs}
    given = read_given_events(CORPUS / run.corpus)
    reports = report_forms()
    spot_of: dict[str, tuple[str, int, int]] = {}
    undated_ids: set[tuple[str, int, int]] = set()
    for art in run.analysed:
        doc = docs[run.docs_by_url[art.canonical_url]]
        for m in art.mentions:
            spot = mention_spot(doc, m)
            if spot is not None:
                spot_of[m.mention_id] = (doc.doc_id, *spot)
                if m.anchor != "explicit":
                    undated_ids.add(spot_of[m.mention_id])
    cases: Counter[str] = Counter()
    events: Counter[str] = Counter()
    undated: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for entity in run.gold:
        gold_words: dict[tuple[str, int], set[str]] = defaultdict(set)
        path = CORPUS / run.corpus / "TimeLines_Gold_Standard" / file_name(entity)
        for field in _anchored(path):  # every mention of an anchored line, coreferent ones too
            doc_id, number, word = field.split("-", 2)
            if half is None or int(doc_id) % 2 == HALVES.index(half):
                gold_words[(doc_id, int(number))].add(word)
        written = {spot_of[m] for ev in entity_events(run.events, entity) if ev.granularity != "decade"
                   for m in ev.mention_ids if m in spot_of}
        for doc_id, number, w in sorted(written):
            wanted = gold_words.get((doc_id, number))
            if not wanted:
                continue
            tokens = docs[doc_id].sentences[number].split()
            if tokens[w] in wanted:
                cases["same word"] += 1
                continue
            spots = [i for i, t in enumerate(tokens) if t in wanted]
            if not spots:
                cases["gold word not found"] += 1
                continue
            g = min(spots, key=lambda i: (abs(i - w), i))
            case = case_of(tokens, w, g, reports)
            cases[case] += 1
            if w in given.get((doc_id, number), frozenset()):
                events[case] += 1
            if (doc_id, number, w) in undated_ids:
                undated[case] += 1
            marked = " ".join(f"[{t}]" if i == w else f"<{t}>" if i in spots else t
                              for i, t in enumerate(tokens))
            examples[case].append(f"{doc_id}-{number} {entity}: {marked}")
    return cases, events, undated, examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument("--half", choices=(*HALVES, "all"), default="even")
    parser.add_argument("--examples", type=int, default=0)
    args = parser.parse_args(argv)
    half = None if args.half == "all" else args.half
    total: Counter[str] = Counter()
    on_events: Counter[str] = Counter()
    from_undated: Counter[str] = Counter()
    shown: dict[str, list[str]] = defaultdict(list)
    for corpus in args.corpus:
        cases, events, undated, examples = diagnose(run_corpus(corpus), half)
        total.update(cases)
        on_events.update(events)
        from_undated.update(undated)
        for case, lines in examples.items():
            shown[case].extend(lines)
    differ = sum(total[c] for c in CASES)
    print(f"Newsline mentions in a sentence with a gold event of their entity ({args.half} half): "
          f"{differ + total['same word'] + total['gold word not found']}; the gold's word "
          f"{total['same word']}, another word {differ}")
    print(f"{'case':<30}{'mentions':>9}{'share':>8}{'word is a track B event':>25}"
          f"{'undated sentence':>18}")
    for case in CASES:
        print(f"{case:<30}{total[case]:>9}{total[case] / max(differ, 1):>8.0%}{on_events[case]:>25}"
              f"{from_undated[case]:>18}")
    for case in CASES:
        for line in shown[case][:args.examples]:
            print(f"  {case}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
