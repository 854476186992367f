"""Measure copy detection (the production code) on generated syndicated copies and ECB+ look-alikes.

What is measured is ``processors.resolution.copies.Copies.record``, the call the resolver fold makes
for every new article version, with the threshold varied; an item is found to be a copy when its
status right after it is recorded is ``duplicate`` of some article.

Positives: for a seeded sample of ECB+ articles, a syndicated copy is generated — other HTML
wrapper and boilerplate (one line of it unknown to the cleaning rules), another title, one
sentence dropped, a few words changed — and cleaned by ``clean_article`` like a real submission.
Hard negatives: the other ECB+ articles of the same story cluster (same real-world event,
different article, often sharing a quote or a wire paragraph).
ECB+ itself holds real copies of one wire story crawled from several sites. A pair of ECB+ articles
whose true shingle containment (shared / smaller) is >= COPY_CONTAINMENT is a "natural copy"
(counted apart: how many the index finds); between AMBIGUOUS_CONTAINMENT and that it is a rewrite
of one dispatch and is not scored; below, it is a hard negative.

Run from the repository root: PYTHONPATH=. python bench/dedupe_eval.py [--docs 400] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import random
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

from scores import prf

from processors.analysis.clean import clean_article
from processors.resolution.copies import (
    DEFAULT_THRESHOLD,
    Copies,
    content_hash,
    estimate_jaccard,
    minhash_signature,
    shingles,
)
from schemas.articles import ArticleAnalysed

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ecbplus"
COPY_CONTAINMENT = 0.8
AMBIGUOUS_CONTAINMENT = 0.5
MIN_WORDS_TO_COPY = 80
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
START = datetime(2024, 1, 1, tzinfo=UTC)
FILLER_WORDS = ("officials", "Tuesday", "several", "reported", "local", "early", "former", "police")
SOURCE_BOILERPLATE = ("2 min read", "Share this article", "Sign up for our daily newsletter")
COPY_BOILERPLATE = ("Published on 3 March 2024 at 10:41", "Listen to this article", "Share")
# Page furniture that no cleaning rule knows: it stays in the cleaned copy, as on a real site.
UNKNOWN_FURNITURE = (
    "Get the Daily Herald app for breaking news alerts on your phone.",
    "Have a story tip? Contact the Daily Herald newsroom.",
)


@dataclass(frozen=True)
class Item:
    """One submission of the simulated stream, with what it should be matched to."""

    doc_id: str
    cleaned: str
    published_at: datetime
    copy_of: str | None  # gold: the source article of a generated copy


def load_corpus(root: Path = CORPUS) -> list[tuple[str, str, str]]:
    """ECB+ documents as (doc_id, story_cluster, text), in file order."""
    with (root / "clusters.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        (
            row["doc_id"],
            row["story_cluster"],
            (root / "text" / row["topic"] / f"{row['doc_id']}.txt").read_text(encoding="utf-8"),
        )
        for row in rows
    ]


def sample_clusters(docs, n_docs: int, rng: random.Random):
    """Whole story clusters, at random, until about ``n_docs`` documents are taken."""
    clusters: dict[str, list] = {}
    for doc in docs:
        clusters.setdefault(doc[1], []).append(doc)
    names = sorted(clusters)
    rng.shuffle(names)
    taken = []
    for name in names:
        if len(taken) >= n_docs:
            break
        taken.extend(clusters[name])
    return taken


def syndicated_copy_html(text: str, rng: random.Random) -> str:
    """Another outlet's HTML page of the same dispatch, lightly edited."""
    sentences = [line.strip() for line in text.splitlines() if line.strip()]
    if len(sentences) >= 5:
        del sentences[rng.randrange(1, len(sentences))]
    for _ in range(rng.randint(1, 3)):
        index = rng.randrange(len(sentences))
        words = sentences[index].split()
        candidates = [i for i, w in enumerate(words) if w.isalpha() and len(w) > 3]
        if candidates:
            words[rng.choice(candidates)] = rng.choice(FILLER_WORDS)
            sentences[index] = " ".join(words)
    paragraphs, current = [], []
    for sentence in sentences:
        current.append(sentence)
        if len(current) >= rng.randint(1, 3):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    chrome = "<br>".join(rng.sample(COPY_BOILERPLATE, 2))
    return (
        "<html><head><title>Copy</title><script>track()</script></head><body>"
        "<header>Daily Herald - World</header><nav><a href='/'>Home</a> | <a>World</a></nav>"
        f"<main><h1>Breaking: {escape(sentences[0][:60])}</h1><p>{chrome}</p>{body}"
        f"<p>{rng.choice(UNKNOWN_FURNITURE)}</p>"
        "<p>Read more: Ten things to know about the story</p></main>"
        "<aside>Most read</aside><footer>© 2024 Daily Herald. All rights reserved.</footer>"
        "</body></html>"
    )


def source_text(text: str, rng: random.Random) -> str:
    """The original outlet's scraped text: its own boilerplate around the article."""
    lines = rng.sample(SOURCE_BOILERPLATE, 2)
    return "\n".join([lines[0], *text.splitlines(), lines[1]])


def build_stream(docs, rng: random.Random, copy_share: float = 0.4):
    """Originals first, then copies, each cleaned; also returns per-kind cleaning times."""
    items, timings = [], {"text": [], "html": []}
    for i, (doc_id, _, text) in enumerate(docs):
        started = time.perf_counter()
        cleaned = clean_article(text=source_text(text, rng), html=None, language="en").text
        timings["text"].append(time.perf_counter() - started)
        items.append(Item(doc_id, cleaned, START + timedelta(minutes=i), None))
    copyable = [d for d in docs if len(d[2].split()) >= MIN_WORDS_TO_COPY]
    for i, (doc_id, _, text) in enumerate(d for d in copyable if rng.random() < copy_share):
        html = syndicated_copy_html(text, rng)
        started = time.perf_counter()
        cleaned = clean_article(text=None, html=html, language="en").text
        timings["html"].append(time.perf_counter() - started)
        items.append(Item(f"{doc_id}-copy", cleaned, START + timedelta(days=1, minutes=i), doc_id))
    return items, timings


def natural_copies(docs) -> dict[frozenset[str], float]:
    """Containment of the pairs of ECB+ documents of one cluster that share text."""
    by_cluster: dict[str, list[tuple[str, set[str]]]] = {}
    for doc_id, cluster, text in docs:
        by_cluster.setdefault(cluster, []).append((doc_id, shingles(text)))
    pairs = {}
    for members in by_cluster.values():
        for i, (a, sa) in enumerate(members):
            for b, sb in members[i + 1 :]:
                if sa and sb and sa & sb:
                    pairs[frozenset((a, b))] = len(sa & sb) / min(len(sa), len(sb))
    return pairs


def analysed(item: Item, signature: tuple[int, ...]) -> ArticleAnalysed:
    """The item as the resolver receives it (one URL per item, no dated mentions)."""
    url = f"https://bench.example/{item.doc_id}"
    return ArticleAnalysed(
        article_key=item.doc_id, version_id=item.doc_id, canonical_url=url, url=url, title=None,
        source=None, language="en", language_detected=False, published_at=item.published_at,
        updated_at=None, submitted_at=item.published_at, content_hash=content_hash(item.cleaned),
        signature=list(signature), clean_chars=len(item.cleaned), mentions=[])


def run_index(items, signatures, threshold: float, natural: dict[frozenset[str], float]) -> dict:
    """Stream every item through Copies.record; score its status against the gold."""
    copies = Copies(threshold=threshold)
    tp = fp = fn = skipped = natural_found = natural_expected = 0
    for item in items:
        natural_expected += item.copy_of is None and any(
            natural.get(frozenset((item.doc_id, other)), 0.0) >= COPY_CONTAINMENT for other in copies.versions
        )
        copies.record(analysed(item, signatures[item.doc_id]))
        found = copies.statuses[item.doc_id].duplicate_of
        source = item.copy_of or item.doc_id
        shared = natural.get(frozenset((source, found)), 0.0) if found else 0.0
        if found is not None and found != item.copy_of and shared >= AMBIGUOUS_CONTAINMENT:
            natural_found += item.copy_of is None and shared >= COPY_CONTAINMENT
            skipped += item.copy_of is not None or shared < COPY_CONTAINMENT
        elif item.copy_of is not None:
            tp += found == item.copy_of
            fn += found != item.copy_of
            fp += found is not None and found != item.copy_of
        elif found is not None:
            fp += 1
    precision, recall, f1 = prf(tp, tp + fp, tp + fn)
    return {
        "threshold": threshold,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "ambiguous": skipped,
        "natural": f"{natural_found}/{natural_expected}",
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def memory_per_article(items, signatures) -> float:
    """Bytes Copies allocates per recorded article (tracemalloc): its indexes and statuses, not the
    analysed articles themselves (built before the measure, as if decoded from the topic)."""
    arts = [analysed(item, signatures[item.doc_id]) for item in items]
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    copies = Copies()
    for art in arts:
        copies.record(art)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    total = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return total / len(items)


def evaluate(n_docs: int = 400, seed: int = 7, thresholds=THRESHOLDS, root: Path = CORPUS):
    """Return (rows per threshold, extra figures) for a generated evaluation set."""
    rng = random.Random(seed)
    docs = sample_clusters(load_corpus(root), n_docs, rng)
    items, timings = build_stream(docs, rng)
    started = time.perf_counter()
    signatures = {item.doc_id: minhash_signature(item.cleaned) for item in items}
    minhash_ms = (time.perf_counter() - started) * 1000 / len(items)
    natural = natural_copies(docs)
    rows = [run_index(items, signatures, t, natural) for t in thresholds]
    pairs = [(tuple(sorted(pair)), shared) for pair, shared in natural.items()]
    hard = [
        estimate_jaccard(signatures[a], signatures[b])
        for (a, b), shared in pairs
        if shared < AMBIGUOUS_CONTAINMENT
    ]
    rewrites = [
        estimate_jaccard(signatures[a], signatures[b])
        for (a, b), shared in pairs
        if AMBIGUOUS_CONTAINMENT <= shared < COPY_CONTAINMENT
    ]
    extra = {
        "articles": len(docs),
        "copies": sum(item.copy_of is not None for item in items),
        "natural_copy_pairs": sum(c >= COPY_CONTAINMENT for c in natural.values()),
        "hard_negative_pairs": sum(c < AMBIGUOUS_CONTAINMENT for c in natural.values()),
        "clean_text_ms": 1000 * sum(timings["text"]) / len(timings["text"]),
        "clean_html_ms": 1000 * sum(timings["html"]) / max(1, len(timings["html"])),
        "minhash_ms": minhash_ms,
        "bytes_per_article": memory_per_article(items, signatures),
        "hardest_negative": max(hard, default=0.0),
        "rewrites": [sum(j >= t for j in rewrites) for t in thresholds],
        "rewrite_pairs": len(rewrites),
    }
    return rows, extra


def main() -> None:
    """Print the threshold table and the cost figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows, extra = evaluate(args.docs, args.seed)
    print(
        f"{extra['articles']} ECB+ articles, {extra['copies']} generated copies, "
        f"{extra['hard_negative_pairs']} same-story pairs sharing text (hard negatives), "
        f"{extra['natural_copy_pairs']} natural copy pairs; seed {args.seed}"
    )
    print(
        f"{'threshold':>9} {'tp':>5} {'fp':>5} {'fn':>5} {'ambiguous':>9} {'natural':>8} "
        f"{'precision':>9} {'recall':>7} {'F1':>6}"
    )
    for row in rows:
        mark = "  <- default" if row["threshold"] == DEFAULT_THRESHOLD else ""
        print(
            f"{row['threshold']:>9.2f} {row['tp']:>5} {row['fp']:>5} {row['fn']:>5} "
            f"{row['ambiguous']:>9} {row['natural']:>8} {row['precision']:>9.3f} "
            f"{row['recall']:>7.3f} "
            f"{row['f1']:>6.3f}{mark}"
        )
    print(
        f"hardest negative (same story, containment < {AMBIGUOUS_CONTAINMENT}): "
        f"estimated Jaccard {extra['hardest_negative']:.2f}"
    )
    merged = ", ".join(f"{t:.1f}: {n}" for t, n in zip(THRESHOLDS, extra["rewrites"], strict=True))
    print(
        f"rewrites of one dispatch (containment {AMBIGUOUS_CONTAINMENT}-{COPY_CONTAINMENT}) at or "
        f"above each threshold, of {extra['rewrite_pairs']}: {merged}"
    )
    print(
        f"clean_article: {extra['clean_text_ms']:.2f} ms/article (text), "
        f"{extra['clean_html_ms']:.2f} ms/article (HTML, trafilatura)"
    )
    print(f"minhash_signature (128 perm): {extra['minhash_ms']:.2f} ms/article")
    print(f"Copies memory: {extra['bytes_per_article']:.0f} bytes/recorded article (indexes, statuses)")


if __name__ == "__main__":
    main()
