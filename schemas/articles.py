"""Messages about articles: what producers submit, and what the analysis stage makes of them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import JsonDict

from schemas.envelope import AwareDatetime, now_utc

ARTICLE_SUBMITTED = "org.newsline.article.submitted"
ARTICLE_ANALYSED = "org.newsline.article.analysed"
MAX_TEXT_CHARS = 8_000_000
FUTURE_TOLERANCE = timedelta(days=1)

# What JSON Schema can say of the rules below, for validators outside Python (the exported
# schemas/json files and the OpenAPI document). Each pattern accepts only what the Python
# validators accept; a test checks the two agree on generated and hand-written cases.
HTTP_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\x1c-\x1f\x85/?#\[\]]+([/?#][^\s\x1c-\x1f\x85]*)?$"
INSTANT_PATTERN = (
    r"^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"  # Python and ECMA-262 differ on `\s`
SERVER_SIDE_RULES = (
    "Checked by the server only (JSON Schema cannot say them): `published_at` and `updated_at` "
    "no more than one day in the future; `updated_at` not before `published_at`. "
    "URLs with a bracketed IPv6 host are refused by this schema though the server accepts them; "
    "leading and trailing white space of strings is stripped by the server before its checks."
)
_INSTANT: JsonDict = {"pattern": INSTANT_PATTERN, "format": "date-time"}


class Article(BaseModel):
    """One version of a news article, as a producer posts it (the raw topic's `data`)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True,
        json_schema_extra={
            "description": "One version of a news article, as a producer posts it (the raw "
                           "topic's `data`). " + SERVER_SIDE_RULES,
            "anyOf": [  # `text` or `html`, at least one, not blank
                {"required": ["text"], "properties": {"text": {"type": "string", "pattern": NOT_BLANK}}},
                {"required": ["html"], "properties": {"html": {"type": "string", "pattern": NOT_BLANK}}},
            ],
        },
    )

    url: str = Field(min_length=1, max_length=4096, description="http(s) URL of the article",
                     json_schema_extra={"pattern": HTTP_URL_PATTERN})
    published_at: AwareDatetime = Field(
        description="RFC 3339 instant with its UTC offset, at most one day in the future",
        json_schema_extra=_INSTANT)
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    html: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    title: str | None = Field(default=None, max_length=2000)
    language: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}$", description="ISO 639-1 code; detected when absent"
    )
    source: str | None = Field(default=None, max_length=500, description="Outlet name")
    authors: list[str] = Field(default_factory=list, max_length=100)
    updated_at: AwareDatetime | None = Field(
        default=None, description="Set on a newer version of the same URL; not before `published_at`",
        json_schema_extra={"anyOf": [{"type": "string", **_INSTANT}, {"type": "null"}]},
    )
    idempotency_key: str | None = Field(default=None, max_length=200)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https"):
            raise ValueError("must be an http or https URL")
        if not parts.netloc or any(c.isspace() for c in value):
            raise ValueError("must be an absolute URL with a host and no spaces")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Article:
        if not (self.text and self.text.strip()) and not (self.html and self.html.strip()):
            raise ValueError("an article needs `text` or `html` (at least one, not empty)")
        horizon = now_utc() + FUTURE_TOLERANCE
        if self.published_at > horizon:
            raise ValueError("`published_at` is in the future")
        if self.updated_at is not None:
            if self.updated_at < self.published_at:
                raise ValueError("`updated_at` is before `published_at`")
            if self.updated_at > horizon:
                raise ValueError("`updated_at` is in the future")
        return self

    @property
    def version_time(self) -> AwareDatetime:
        """The instant that orders versions of one URL: `updated_at`, else `published_at`."""
        return self.updated_at or self.published_at


Granularity = Literal[
    "day", "week", "part-of-month", "month", "season", "quarter", "year", "decade"
]
PredicateKind = Literal["report", "event"]
Anchor = Literal["explicit", "narrative", "publication", "none"]


class Reference(BaseModel):
    """Another word of the article that names the same event as its mention ("killed" ... "the
    killing"): where it is, so a reader or a scorer can find it; it is no report of its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sentence: str
    sentence_start: int = Field(ge=0, description="Offset of the sentence in the clean text")
    expression: str
    start_char: int = Field(ge=0, description="Offset of the word in the clean text")
    end_char: int = Field(ge=0)


class Mention(BaseModel):
    """A dated expression with role `event` in a story sentence: one report of something."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mention_id: str
    sentence: str
    sentence_start: int = Field(ge=0, description="Offset of the sentence in the clean text")
    expression: str
    start_char: int = Field(ge=0, description="Offset of the expression in the clean text")
    end_char: int = Field(ge=0)
    start: date
    end: date
    granularity: Granularity
    value: str | None = None
    mod: str | None = None
    entities: list[str] = Field(default_factory=list, description="Canonical entity names")
    places: list[str] = Field(
        default_factory=list, description="Those of `entities` and `context_entities` that are places"
    )
    context_entities: list[str] = Field(
        default_factory=list, description="Entities of neighbouring sentences and the title"
    )
    keywords: list[str] = Field(default_factory=list, description="Cross-language keyword keys")
    summary: str
    # Added within schema version 1 with defaults, so every earlier message stays valid as is.
    predicate: str | None = Field(
        default=None, description="Cross-language key of the predicate the date dates (`say`, "
                                  "`travel`...), when one is known")
    predicate_kind: PredicateKind | None = Field(
        default=None, description="`report` (a verb of saying: the date is when it was said) or "
                                  "`event` (what happened)")
    anchor: Anchor = Field(
        default="explicit", description="How the mention was dated: `explicit` (a date "
        "expression in its sentence), `narrative` (the nearest dated sentence before it, else "
        "the story's day; or its own sentence's date, tied to another predicate), "
        "`publication` (its article's date), `none` (undated)")
    participants: list[str] | None = Field(
        default=None, description="Those of `entities` that take part in the event the mention "
        "reports (the names of its word's clause: \"SIA says that it will be compensated by "
        "Airbus\": `says` is SIA's); None: all of them. An event's entities are its mentions' "
        "participants; resolution's evidence stays `entities`")
    event_key: str | None = Field(
        default=None, description="Key of the event word the mention reports, the same in every "
        "article and language that names the event by the same verb or its nominalisation "
        "(`predicate` for a table form, else the word's stem: \"killed\", \"the killing\": "
        "`kill`); None for a verb of saying or when no word is known. Resolution lets a mention "
        "without a date of its own join another article's event only on the same key")
    references: list[Reference] = Field(
        default_factory=list, description="The article's later words for this same event (the "
        "same predicate or its nominalisation, the same participants), joined here so that the "
        "event holds each report once")

    @model_validator(mode="after")
    def _in_order(self) -> Mention:
        # The analysis never writes these; another producer of the analysed topic might, and an
        # interval that ends before it starts would reach the timeline as an event.
        if self.end < self.start:
            raise ValueError(f"mention {self.mention_id}: end {self.end} before start {self.start}")
        if self.end_char < self.start_char:
            raise ValueError(f"mention {self.mention_id}: end_char before start_char")
        return self


class ArticleAnalysed(BaseModel):
    """An article version after cleaning, identity and extraction (the analysed topic's `data`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    article_key: str = Field(description="Stable id of the canonical URL (the Kafka key)")
    version_id: str = Field(description="Stable id of this version")
    canonical_url: str
    url: str
    title: str | None
    source: str | None
    language: str
    language_detected: bool
    published_at: AwareDatetime
    updated_at: AwareDatetime | None
    submitted_at: AwareDatetime = Field(description="When Newsline accepted the article")
    content_hash: str
    signature: list[int] = Field(description="MinHash signature of the clean text")
    clean_chars: int = Field(ge=0)
    mentions: list[Mention]
