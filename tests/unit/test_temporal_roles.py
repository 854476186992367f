"""The scopes that roles are judged on: lines and sentences, as the plain regular expressions cut them."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.analysis.temporal.engine import tagger_for
from processors.analysis.temporal.roles import Scopes

SENTENCE_END = re.compile(r"[.!?…](?=\s)")
PIECES = st.sampled_from(["a", "é", "15", ".", "!", "?", "…", " ", "\n", "\t", "\u00a0", "\x1c", "U.S."])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40), st.data())
def test_lines_are_cut_into_sentences_as_the_expression_cuts_them(
    pieces: list[str], data: st.DataObject
) -> None:
    text = "".join(pieces)
    offset = data.draw(st.integers(0, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = len(text) if text.find("\n", offset) < 0 else text.find("\n", offset)
    scopes = Scopes(text, tagger_for("fr").roles)  # type: ignore[union-attr]
    expected = [boundary.end() for boundary in SENTENCE_END.finditer(text, line_start, line_end)]
    assert scopes._cut_line(line_start, offset) == (line_end, expected)
