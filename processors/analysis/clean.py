"""Article cleaning: from raw HTML or scraped plain text to story paragraphs.

HTML goes through trafilatura (main text, no comments, no tables, precision favoured) with a plain
lxml fallback; plain text is split into blocks at blank lines. Both then pass the same line-level
boilerplate rules, read from ``processors/analysis/data/boilerplate.tsv`` (per language), plus structural
rules that a table cannot express: numbered breadcrumb menus, the photo caption just above a credit
line, the title repeated as the first paragraph, and repeated lines.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import lxml.etree
import lxml.html
import regex
import trafilatura

NON_CONTENT_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "form", "button")
CHROME_TAGS = ("header", "footer", "nav", "aside")
BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "dd")
MAX_CAPTION_CHARS = 200
MAX_TITLE_CHARS = 180

_NUMBERED_LINE = regex.compile(r"\s*(\d{1,2})[.)]\s+(\S.{0,160})")
_SENTENCE_END = regex.compile(r"[.!?…:;»\"”)]\s*$")
_SPACES = regex.compile(r"[ \t\u00a0\u202f]+")


@dataclass(frozen=True)
class CleanedArticle:
    """Story text of one article: paragraphs separated by a blank line."""

    text: str
    removed_lines: int
    source: str  # "html" | "text"


@dataclass(frozen=True)
class BoilerplateRule:
    """One row of the boilerplate table: a whole-line pattern for one language."""

    language: str
    role: str  # "drop" | "credit"
    max_chars: int
    pattern: regex.Pattern[str]

    def matches(self, line: str) -> bool:
        """Whether ``line`` (stripped) is entirely this kind of boilerplate."""
        if self.max_chars and len(line) > self.max_chars:
            return False
        return self.pattern.fullmatch(line) is not None


@cache
def boilerplate_rules() -> tuple[BoilerplateRule, ...]:
    """Load the packaged boilerplate table (cached)."""
    table = files("processors.analysis.data").joinpath("boilerplate.tsv").read_text(encoding="utf-8")
    rules = []
    for row in table.splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        language, role, max_chars, pattern = row.split("\t", 3)
        compiled = regex.compile(pattern, regex.IGNORECASE | regex.V0)
        rules.append(BoilerplateRule(language, role, int(max_chars), compiled))
    return tuple(rules)


def _rules_for(language: str | None) -> list[BoilerplateRule]:
    wanted = {"*", "fr", "en"} if not language else {"*", language.lower()[:2]}
    return [rule for rule in boilerplate_rules() if rule.language in wanted]


def _title_key(line: str) -> str:
    folded = unicodedata.normalize("NFKC", line).casefold()
    return " ".join(regex.sub(r"[^\p{L}\p{N}]+", " ", folded).split())


# ---------------------------------------------------------------- blocks from the two inputs


def _text_blocks(text: str) -> list[list[str]]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _mark_line_breaks(root: lxml.html.HtmlElement) -> None:
    """Turn newlines inside text nodes into ``<br>`` so one-line boilerplate stays one line."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag in NON_CONTENT_TAGS + ("pre",):
            continue
        if element.text and "\n" in element.text.strip():
            first, *rest = element.text.split("\n")
            element.text = first
            for index, piece in enumerate(rest):
                element.insert(index, _br(piece))
        if element.tail and "\n" in element.tail.strip() and element.getparent() is not None:
            first, *rest = element.tail.split("\n")
            element.tail = first
            anchor = element
            for piece in rest:
                br = _br(piece)
                anchor.addnext(br)
                anchor = br


def _br(tail: str) -> lxml.html.HtmlElement:
    br = lxml.html.Element("br")
    br.tail = tail
    return br


def _parse_html(html: str) -> lxml.html.HtmlElement:
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    root = lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
    for element in list(root.iter(*NON_CONTENT_TAGS)):
        if element.getparent() is not None:
            element.drop_tree()
    _mark_line_breaks(root)
    return root


def _trafilatura_blocks(root: lxml.html.HtmlElement) -> tuple[list[list[str]], list[str]]:
    """Blocks of lines from trafilatura's XML output, and the ``h1`` titles it found."""
    xml = trafilatura.extract(
        root,
        output_format="xml",
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        deduplicate=False,
        with_metadata=False,
    )
    if not xml:
        return [], []
    doc = lxml.etree.fromstring(xml.encode("utf-8"))
    blocks, titles = [], []
    for element in doc.iter("head", "p", "item", "quote", "code"):
        if any(ancestor.tag in ("p", "item", "quote") for ancestor in element.iterancestors()):
            continue
        for lb in element.iter("lb"):
            lb.tail = "\n" + (lb.tail or "")
        text = "".join(element.itertext())
        if element.tag == "head" and element.get("rend") == "h1":
            titles.append(text.strip())
            continue
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        if lines:
            blocks.append(lines)
    return blocks, titles


def _lxml_blocks(root: lxml.html.HtmlElement) -> tuple[list[list[str]], list[str]]:
    """Fallback: block-level element texts outside page chrome, or the whole body text."""
    titles = [h1.text_content().strip() for h1 in root.iter("h1")]
    for element in list(root.iter(*CHROME_TAGS)):
        if element.getparent() is not None:
            element.drop_tree()
    blocks = []
    for element in root.iter(*BLOCK_TAGS):
        if element.tag == "h1" or any(a.tag in BLOCK_TAGS for a in element.iterancestors()):
            continue
        for br in element.iter("br"):
            br.tail = "\n" + (br.tail or "")
        lines = [line.strip() for line in element.text_content().split("\n") if line.strip()]
        if lines:
            blocks.append(lines)
    if not blocks:
        blocks = _text_blocks(root.text_content())
    return blocks, titles


# ---------------------------------------------------------------- line rules


def _breadcrumb_lines(blocks: list[list[str]]) -> tuple[set[tuple[int, int]], list[str]]:
    """Positions of numbered menu runs (1., 2., 3. ...) and their last items (often the title)."""
    flat = [(b, i, line) for b, block in enumerate(blocks) for i, line in enumerate(block)]
    found: set[tuple[int, int]] = set()
    last_items = []
    run: list[tuple[int, int, str]] = []
    for b, i, line in [*flat, (-1, -1, "")]:
        match = _NUMBERED_LINE.fullmatch(line)
        if match and int(match.group(1)) == len(run) + 1:
            run.append((b, i, match.group(2)))
            continue
        if len(run) >= 2:
            found.update((rb, ri) for rb, ri, _ in run)
            last_items.append(run[-1][2])
        run = []
        if match and int(match.group(1)) == 1:
            run = [(b, i, match.group(2))]
    return found, last_items


def _classify(blocks: list[list[str]], language: str | None, titles: list[str]) -> list[list[bool]]:
    """Return, for each line, whether it is kept."""
    rules = _rules_for(language)
    crumbs, crumb_titles = _breadcrumb_lines(blocks)
    title_keys = {_title_key(t) for t in [*titles, *crumb_titles] if t.strip()}
    keep = [[(b, i) not in crumbs for i in range(len(block))] for b, block in enumerate(blocks)]
    previous: tuple[int, int] | None = None
    for b, block in enumerate(blocks):
        for i, line in enumerate(block):
            rule = next((r for r in rules if r.matches(line)), None)
            if rule is not None:
                keep[b][i] = False
                if rule.role == "credit" and previous and _is_caption(blocks, previous, (b, i)):
                    keep[previous[0]][previous[1]] = False
            previous = (b, i)
    seen: set[str] = set()
    first_kept = True
    for b, block in enumerate(blocks):
        for i, line in enumerate(block):
            if not keep[b][i]:
                continue
            key = _title_key(line)
            if key in seen or key in title_keys or (first_kept and _is_headline(blocks, b, i)):
                keep[b][i] = False
            seen.add(key)
            first_kept = False
    return keep


def _is_caption(blocks: list[list[str]], caption: tuple[int, int], credit: tuple[int, int]) -> bool:
    line = blocks[caption[0]][caption[1]]
    if len(line) > MAX_CAPTION_CHARS:
        return False
    same_block = caption[0] == credit[0]
    return same_block or not _SENTENCE_END.search(line)


def _is_headline(blocks: list[list[str]], b: int, i: int) -> bool:
    """Tell whether a first line without final period, before a longer paragraph, is a title."""
    line = blocks[b][i]
    following = [*blocks[b][i + 1 :], *(blocks[b + 1] if b + 1 < len(blocks) else [])]
    if len(line) > MAX_TITLE_CHARS or regex.search(r"[.!:;,]\s*$", line) or not following:
        return False
    return len(following[0]) > 2 * len(line)


def _paragraphs(blocks: list[list[str]], keep: list[list[bool]], join_lines: bool) -> list[str]:
    paragraphs = []
    for block, kept in zip(blocks, keep, strict=True):
        current: list[str] = []
        for line, is_kept in zip(block, kept, strict=True):
            if not is_kept:
                paragraphs.append(" ".join(current))
                current = []
                continue
            wrapped = current and not _SENTENCE_END.search(current[-1]) and line[:1].islower()
            if current and not (join_lines or wrapped):
                paragraphs.append(" ".join(current))
                current = []
            current.append(line)
        if current:
            paragraphs.append(" ".join(current))
    return [_SPACES.sub(" ", p).strip() for p in paragraphs if p.strip()]


def clean_article(
    *, text: str | None, html: str | None, language: str | None, title: str | None = None
) -> CleanedArticle:
    """Return the story paragraphs of an article, without page boilerplate.

    ``html`` is preferred when both are given. ``title``, when known, is removed if the body
    repeats it. ``removed_lines`` counts the non-empty lines dropped by the boilerplate rules.
    """
    titles = [title] if title else []
    if html and html.strip():
        root = _parse_html(html)
        blocks, found_titles = _trafilatura_blocks(root)
        if not blocks:
            blocks, found_titles = _lxml_blocks(_parse_html(html))
        source, join_lines = "html", True
        titles += found_titles
    else:
        blocks, source, join_lines = _text_blocks(text or ""), "text", False
    keep = _classify(blocks, language, titles)
    removed = sum(not k for kept in keep for k in kept)
    paragraphs = _paragraphs(blocks, keep, join_lines)
    return CleanedArticle(text="\n\n".join(paragraphs), removed_lines=removed, source=source)
