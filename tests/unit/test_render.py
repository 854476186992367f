"""The terminal timeline: summaries cut at a word, the cut marked, the dated expression shown."""

from hypothesis import given
from hypothesis import strategies as st

from newsline.render import CUT, clip, summary_cell

SEED = ("La Maison Blanche a indiqué lundi 4 septembre que le leader nord-coréen projetterait de se "
        "rendre en Russie ce mois-ci pour rencontrer Vladimir Poutine et discuter de la fourniture "
        "d'armes à la Russie pour sa guerre en Ukraine.")


def test_a_short_summary_is_whole():
    assert clip("Mi-août dernier, le président a parlé.", "Mi-août dernier") == (
        "Mi-août dernier, le président a parlé.", (0, 15))


def test_a_long_summary_is_cut_at_a_word_and_marked():
    text, span = clip(SEED, "lundi 4 septembre")
    assert text.endswith(" " + CUT) and len(text) <= 140
    assert SEED.startswith(text.removesuffix(" " + CUT))
    assert SEED[len(text) - 2] == " "  # the next character of the sentence starts a word
    assert span is not None and text[span[0]:span[1]] == "lundi 4 septembre"


def test_an_expression_past_the_cut_is_brought_into_view():
    text, span = clip(SEED, "Ukraine")
    assert text.startswith(CUT + " ") and len(text) <= 140
    assert span is not None and text[span[0]:span[1]] == "Ukraine"
    assert SEED.endswith(text.removeprefix(CUT + " "))


def test_the_highlight_is_on_the_expression():
    cell = summary_cell(SEED, "ce mois-ci")
    (style,) = cell.spans
    assert cell.plain[style.start:style.end] == "ce mois-ci" and "bold" in str(style.style)
    assert summary_cell(SEED, None).spans == []


words = st.text(alphabet="abcdeéfg", min_size=1, max_size=12)


@given(st.lists(words, min_size=1, max_size=60), st.data())
def test_cuts_fall_between_words_and_keep_the_expression(ws, data):
    summary = " ".join(ws)
    first = data.draw(st.integers(0, len(ws) - 1))
    last = data.draw(st.integers(first, min(len(ws) - 1, first + 3)))
    expression = " ".join(ws[first:last + 1])
    text, span = clip(summary, expression)
    assert span is not None and text[span[0]:span[1]] == expression
    body = text.removeprefix(CUT + " ").removesuffix(" " + CUT)
    between_words = [
        at for at in range(len(summary) - len(body) + 1)
        if summary.startswith(body, at) and (at == 0 or summary[at - 1] == " ")
        and (at + len(body) == len(summary) or summary[at + len(body)] == " ")]
    assert between_words, (summary, text)
    assert len(text) <= 140 or len(expression) > 100


def test_an_expression_is_found_as_whole_words():
    text, span = clip("La maison a fermé en mai.", "mai")
    assert span == (21, 24)
