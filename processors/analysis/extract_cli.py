"""`newsline extract` for one input line: the temporal tagger on a JSON article, as JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from processors.analysis.clean import clean_article
from processors.analysis.language import detect_language
from processors.analysis.temporal import extract_dates


def extract_line(line: str) -> tuple[dict[str, Any], bool]:
    """({"expressions": [...]}, True) or ({"error": ..., "expressions": []}, False)."""
    try:
        doc = json.loads(line)
        if not isinstance(doc, dict):
            raise ValueError("each line must be a JSON object")
        published = datetime.fromisoformat(str(doc["published_at"]).replace("Z", "+00:00"))
        if published.tzinfo is None:
            raise ValueError("published_at must carry a UTC offset")
        updated = doc.get("updated_at")
        updated_at = datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None
    except (ValueError, KeyError, TypeError) as exc:
        return {"error": f"bad input: {exc!r}", "expressions": []}, False
    text = doc.get("text")
    if not text and doc.get("html"):
        text = clean_article(text=None, html=doc["html"], language=doc.get("language")).text
    if not text:
        return {"error": "no text or html", "expressions": []}, False
    language = doc.get("language") or detect_language(text)
    found = extract_dates(text, published_at=published, language=language, updated_at=updated_at)
    return {"language": language, "expressions": [e.to_json() for e in found]}, True
