"""Which language an article is in, when the producer did not say: stopword counting, no model.

Only the languages the extraction supports need to be told apart reliably; anything else is
reported as "und" (undetermined) and stored without extraction.
"""

from __future__ import annotations

import re

STOPWORDS: dict[str, frozenset[str]] = {
    "fr": frozenset("le la les des du de un une et est que qui dans pour sur pas par avec au aux "
                    "ce cette ont été sont il elle ils nous vous leur mais ou où plus".split()),
    "en": frozenset("the of and to in is that for on with as was were by at from has have be it "
                    "this are an its which not but their said will would".split()),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_HITS = 3


def detect_language(text: str) -> str:
    """ISO 639-1 code of the best-scoring supported language, or "und"."""
    words = [w.lower() for w in _WORD.findall(text[:20_000])]
    if not words:
        return "und"
    scores = {lang: sum(w in stops for w in words) for lang, stops in STOPWORDS.items()}
    best = max(sorted(scores), key=lambda lang: scores[lang])
    if scores[best] < MIN_HITS or scores[best] < 0.05 * len(words):
        return "und"
    return best
