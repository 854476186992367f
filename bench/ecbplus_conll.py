"""Score Newsline's event coreference on ECB+ at mention level: CoNLL F1 (MUC, B³, CEAF-e), end to end.

Runs the production pipeline on the raw ECB+ texts exactly as ``bench/ecbplus_eval.py`` does
(same texts, same publication dates, ``analyse_article`` then the resolver fold, all evaluated
articles one timeline), aligns Newsline's mentions with ECB+'s gold event mentions, and scores
the clusters with the PyPI package ``scorch`` (Pradhan et al. 2014 definitions):

    python bench/ecbplus_conll.py [--topics test|all|LIST] [--xml DIR] [--sentences CSV] [--json]

Gold (Cybulska & Vossen 2014, the usual evaluation setting of ECB+ event coreference):

- event mentions: the ``ACTION_*`` and ``NEG_ACTION_*`` markables of the ECB+ XML files, in the
  sentences of ``ECBplus_coreference_sentences.csv`` (the validated sentences) only;
- clusters: one per ``CROSS_DOC_COREF`` instance (its ``note``), one per ``INTRA_DOC_COREF``
  chain, every other mention a singleton;
- ``--topics test`` (default): topics 36 to 45, the usual test split; ``all``: the 43 topics; or
  a list of topic numbers and ranges (``1-35``, ``2,5,12``): tune on topics outside the test ones.

System mentions: every Newsline mention (a dated expression with the event role) in a validated
sentence. Alignment rule: the mention's event word is picked from its sentence's tokens by
``mention_tokens.mention_word`` (the nearest verb-like token in the clause; for a mention dated
from elsewhere, whose span is its predicate, the span's last token; no gold is looked at),
and the mention *is* a gold mention when that token is one of the gold mention's tokens, in the
same document and sentence. If several Newsline mentions pick the same gold mention, the first
(by document, then position) takes it; the others, and every mention that picks no gold token,
stay in the system's clusters as mentions the gold does not have (they lower precision).
Mentions whose sentence is not found in the tokens are left out and counted.

Within-document scores split every gold and system cluster by document; cross-document scores
take them whole. CoNLL F1 is the mean of the MUC, B³ and CEAF-e F1. The article-pair scores of
``ecbplus_eval.py`` on the same articles are printed beside them.

The XML files are those of ECB+ as tokenised XML (``<topic>/<topic>_<n>ecb[plus].xml``, the
files ``../shared/corpora/ecbplus/text/`` was made from); ``--xml`` and ``--sentences`` say where
they are, by default ``xml/`` and ``ECBplus_coreference_sentences.csv`` beside ``text/`` (or in
the folder ``$NEWSLINE_ECBPLUS_GOLD`` names).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from ecbplus_eval import (  # noqa: E402
    CORPUS,
    PairScore,
    analyse,
    doc_url,
    fold,
    gold_pairs,
    linked_pairs,
    read_corpus,
)
from mention_tokens import locate, mention_word  # noqa: E402
from scorch import scores  # noqa: E402

from processors.analysis.predicates import dated_predicate  # noqa: E402
from schemas.articles import Mention  # noqa: E402
from schemas.identity import canonical_url  # noqa: E402

TEST_TOPICS = frozenset(range(36, 46))
# Where the mention-level gold is: ``xml/<topic>/*.xml`` and ``ECBplus_coreference_sentences.csv``.
GOLD = Path(os.environ.get("NEWSLINE_ECBPLUS_GOLD", CORPUS))
_EVENT_TAG = re.compile(r"(NEG_)?ACTION_")
Key = tuple[str, int]  # (document, token id): a token of one document
Cluster = frozenset[str]


@dataclass
class GoldDocument:
    """One ECB+ document's tokens by sentence and its gold event mentions."""

    doc_id: str
    sentences: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # (t_id, text)
    mentions: dict[str, tuple[int, ...]] = field(default_factory=dict)  # mention key -> t_ids
    cluster_of: dict[str, str] = field(default_factory=dict)  # mention key -> gold cluster id


def read_validated(path: Path) -> set[tuple[str, int]]:
    """(document id, sentence number) of the validated sentences (``Topic,File,Sentence Number``)."""
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return {(f"{t}_{f}", int(n)) for t, f, n in (r.split(",") for r in rows if r.strip())}


def read_gold(path: Path, validated: set[tuple[str, int]]) -> GoldDocument:
    """The tokens and the gold event mentions (in validated sentences) of one ECB+ XML file."""
    root = ElementTree.parse(path).getroot()
    doc = GoldDocument(path.stem)
    sentence_of: dict[int, int] = {}
    for token in root.iter("token"):
        t_id, number = int(token.get("t_id", "0")), int(token.get("sentence", "0"))
        doc.sentences.setdefault(number, []).append((t_id, token.text or ""))
        sentence_of[t_id] = number
    markables = root.find("Markables")
    for markable in markables if markables is not None else []:
        anchors = tuple(int(a.get("t_id", "0")) for a in markable.iter("token_anchor"))
        if _EVENT_TAG.match(markable.tag) and anchors and \
                (doc.doc_id, sentence_of[anchors[0]]) in validated:
            doc.mentions[f"{doc.doc_id}/{markable.get('m_id')}"] = anchors
    relations = root.find("Relations")
    for relation in relations if relations is not None else []:
        target = relation.find("target")
        if relation.tag == "CROSS_DOC_COREF":
            cluster = relation.get("note", "")
        elif relation.tag == "INTRA_DOC_COREF" and target is not None:
            cluster = f"{doc.doc_id}/intra/{target.get('m_id')}"
        else:
            continue
        for source in relation.iter("source"):
            key = f"{doc.doc_id}/{source.get('m_id')}"
            if key in doc.mentions:
                doc.cluster_of[key] = cluster
    return doc


def gold_clusters(docs: Iterable[GoldDocument]) -> list[Cluster]:
    """The gold clusters of event mentions (unlinked mentions are singletons)."""
    members: dict[str, set[str]] = {}
    for doc in docs:
        for key in doc.mentions:
            members.setdefault(doc.cluster_of.get(key, key), set()).add(key)
    return [frozenset(m) for m in members.values()]


@dataclass
class Alignment:
    """Newsline's mentions as scored elements, and how they were aligned."""

    element_of: dict[str, list[str]]  # Newsline mention id -> its words' gold keys or own ids
    aligned: int = 0
    twinless: int = 0
    unplaced: int = 0
    outside: int = 0  # in sentences that are not validated


def align(analysed: Sequence, gold: dict[str, GoldDocument], doc_of_url: dict[str, str],
          validated: set[tuple[str, int]]) -> Alignment:
    """Apply the alignment rule of the module docstring to every Newsline mention and to each
    of its ``references`` (the article's later words for the same event: their last token)."""
    result = Alignment({})
    taken: set[str] = set()
    for art in analysed:
        doc = gold[doc_of_url[art.canonical_url]]
        numbers = sorted(doc.sentences)
        token_lists = [[text for _, text in doc.sentences[n]] for n in numbers]
        owner = {(doc.doc_id, t_id): key for key, t_ids in doc.mentions.items() for t_id in t_ids}
        words = [(w, m) for m in art.mentions for w in (m, *m.references)]
        for word, mention in sorted(words, key=lambda wm: wm[0].start_char):
            place = locate(word, token_lists)
            if place is None:
                result.unplaced += 1
                continue
            index, first, last = place
            if (doc.doc_id, numbers[index]) not in validated:
                result.outside += 1
                continue
            at = event_token(mention, token_lists, index, first, last) if word is mention else last
            key = None if at is None else owner.get((doc.doc_id, doc.sentences[numbers[index]][at][0]))
            elements = result.element_of.setdefault(mention.mention_id, [])
            if key is not None and key not in taken:
                taken.add(key)
                elements.append(key)
                result.aligned += 1
            else:
                elements.append(f"{doc.doc_id}/newsline:{mention.mention_id}:{word.start_char}")
                result.twinless += 1
    return result


def event_token(mention: Mention, token_lists: list[list[str]], index: int, first: int,
                last: int) -> int | None:
    """The token of a mention's event word: for a date, the last token of the predicate the
    analysis ties it to (``predicates.dated_predicate``, as ``semeval_official.mention_spot``)
    when it is in the same sentence, else ``mention_word``'s."""
    if mention.anchor == "explicit":
        s = mention.sentence_start
        tied = dated_predicate(mention.sentence, mention.start_char - s, mention.end_char - s, "en")
        spot = None if tied is None else locate(mention, token_lists, (tied.start, tied.end))
        if spot is not None and spot[0] == index:
            return spot[2]
    return mention_word(mention, token_lists[index], first, last)


def system_clusters(events: Iterable, element_of: dict[str, list[str]]) -> list[Cluster]:
    """Newsline's events as clusters of the scored elements of their mentions."""
    found = [frozenset(e for m in ev.mention_ids for e in element_of.get(m, ())) for ev in events]
    return [c for c in found if c]


def by_document(clusters: Iterable[Cluster]) -> list[Cluster]:
    """Every cluster split by document (an element's prefix before ``/``)."""
    split: list[Cluster] = []
    for cluster in clusters:
        parts: dict[str, set[str]] = {}
        for element in cluster:
            parts.setdefault(element.split("/", 1)[0], set()).add(element)
        split.extend(frozenset(p) for p in parts.values())
    return split


def conll(key: Sequence[Cluster], response: Sequence[Cluster]) -> dict[str, dict[str, float]]:
    """MUC, B³ and CEAF-e (R, P, F1) and their mean F1, in percent."""
    out = {}
    for name, metric in (("MUC", scores.muc), ("B3", scores.b_cubed), ("CEAF-e", scores.ceaf_e)):
        r, p, f = metric([set(c) for c in key], [set(c) for c in response])
        out[name] = {"R": 100 * r, "P": 100 * p, "F1": 100 * f}
    out["CoNLL"] = {"F1": sum(out[m]["F1"] for m in ("MUC", "B3", "CEAF-e")) / 3}
    return out


def topic_numbers(topics: str) -> frozenset[int] | None:
    """The topics ``--topics`` names: ``test`` (36-45), ``all`` (None: every topic), or a list of
    numbers and ranges (``1-35``, ``2,5,12-14``)."""
    if topics == "all":
        return None
    if topics == "test":
        return TEST_TOPICS
    numbers: set[int] = set()
    for part in topics.split(","):
        first, _, last = part.strip().partition("-")
        numbers.update(range(int(first), int(last or first) + 1))
    return frozenset(numbers)


def evaluate(topics: str, xml_dir: Path, sentences: Path) -> dict[str, object]:
    """Run Newsline on the topics' articles and score it at mention and article level."""
    validated = read_validated(sentences)
    wanted = topic_numbers(topics)
    docs = [d for d in read_corpus(CORPUS) if wanted is None or int(d.topic) in wanted]
    gold = {d.doc_id: read_gold(xml_dir / d.topic / f"{d.doc_id}.xml", validated) for d in docs}
    analysed = [analyse(d) for d in docs]
    state = fold(analysed)
    events = list(state.events.values())
    doc_of_url = {canonical_url(doc_url(d.doc_id)): d.doc_id for d in docs}
    alignment = align(analysed, gold, doc_of_url, validated)
    key = gold_clusters(gold.values())
    response = system_clusters(events, alignment.element_of)
    linked, wanted = linked_pairs(events, doc_of_url), gold_pairs({d.doc_id: d.cluster for d in docs})
    pairs = PairScore(len(linked), len(wanted), len(linked & wanted))
    gold_mentions = sum(len(c) for c in key)
    return {
        "topics": topics, "articles": len(docs), "events": len(events),
        "mentions": {"gold": gold_mentions, "newsline": alignment.aligned + alignment.twinless,
                     "aligned": alignment.aligned, "twinless": alignment.twinless,
                     "not validated": alignment.outside, "unplaced": alignment.unplaced},
        "within-document": conll(by_document(key), by_document(response)),
        "cross-document": conll(key, response),
        "article pairs": {"linked": pairs.linked, "gold": pairs.gold, "correct": pairs.correct,
                          "P": round(pairs.precision, 3), "R": round(pairs.recall, 3),
                          "F1": round(pairs.f1, 3)},
    }


def print_report(found: dict[str, object]) -> None:
    """The scores as a small table."""
    m = found["mentions"]
    assert isinstance(m, dict)
    print(f"topics {found['topics']}: {found['articles']} articles, {found['events']} Newsline events")
    print(f"event mentions: gold {m['gold']}, Newsline {m['newsline']} ({m['aligned']} aligned to a "
          f"gold mention, {m['twinless']} not); left out: {m['not validated']} outside the validated "
          f"sentences, {m['unplaced']} not found in the tokens")
    detection_p = m["aligned"] / m["newsline"] if m["newsline"] else 0.0
    print(f"mention detection: P {100 * detection_p:.1f} R {100 * m['aligned'] / m['gold']:.1f}")
    print(f"\n{'':<16}{'MUC R/P/F1':>20}{'B3 R/P/F1':>20}{'CEAF-e R/P/F1':>20}{'CoNLL F1':>10}")
    for scope in ("within-document", "cross-document"):
        s = found[scope]
        assert isinstance(s, dict)
        cells = "".join(f"{s[k]['R']:>6.1f}{s[k]['P']:>7.1f}{s[k]['F1']:>7.1f}"
                        for k in ("MUC", "B3", "CEAF-e"))
        print(f"{scope:<16}{cells}{s['CoNLL']['F1']:>10.1f}")
    p = found["article pairs"]
    assert isinstance(p, dict)
    print(f"\narticle pairs (ecbplus_eval.py's metric, same articles): linked {p['linked']}, "
          f"correct {p['correct']}, gold {p['gold']}: P {p['P']} R {p['R']} F1 {p['F1']}")
    print("published, cross-document CoNLL F1 on the test topics: 85.7 with gold mentions "
          "(Held et al., 2021); about 42 end to end (2025)")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; exit 2 when the XML files or the sentence list are missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", default="test", help="test (36-45), all, or a list: 1-35, 2,5,12")
    parser.add_argument("--xml", type=Path, default=GOLD / "xml", help="ECB+ XML folder (<topic>/*.xml)")
    parser.add_argument("--sentences", type=Path, default=GOLD / "ECBplus_coreference_sentences.csv")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--min-conll", type=float, default=None, help="cross-document CoNLL F1 floor")
    args = parser.parse_args(argv)
    for needed in (args.xml, args.sentences):
        if not needed.exists():
            print(f"{needed} not found: see docs/evaluation-ecbplus.md (mention level)", file=sys.stderr)
            return 2
    found = evaluate(args.topics, args.xml, args.sentences)
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print_report(found)
    cross = found["cross-document"]
    assert isinstance(cross, dict)
    if args.min_conll is not None and cross["CoNLL"]["F1"] < args.min_conll:
        print(f"cross-document CoNLL F1 {cross['CoNLL']['F1']:.1f} < {args.min_conll}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
