"""Domain events of the timeline changelog: facts in the past tense, folded into projections.

Every change says when it became known (`known_at`: when Newsline accepted the article that caused
it), so "the timeline as of T" is the fold of the changes known at T, and a replay gives the same
answer.

Event changes (schemaversion 2) carry what the article did to the event, not what the event is
made of: its resulting facts and counts (`EventFacts`, "latest wins"), and the deltas of its
lists: the mention attached or retracted, the mentions a merge took over, the sources that
entered or left. Only `EventCreated` (and a version-1 change, upcast) carries whole lists
(`members`, absolute: a projection replaces the event's rows with them). So a change's size is
bounded by what the article touched, not by the event's size (docs/event-resolution-at-scale.md,
*Changes bounded by what an article touches*).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.articles import Anchor, Granularity, Mention
from schemas.envelope import AwareDatetime

ArticleStatus = Literal["current", "superseded", "duplicate"]


class EventState(BaseModel):
    """One real-world event as the timeline currently knows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    start: date
    end: date
    granularity: Granularity
    summary: str
    entities: list[str]
    mention_ids: list[str]
    sources: list[str] = Field(description="Canonical URLs of the original articles reporting it")
    languages: list[str]
    first_reported_at: AwareDatetime
    last_reported_at: AwareDatetime
    anchor: Anchor = Field(
        default="explicit", description="How its date is known: from its best-anchored mentions "
        "(`explicit` if any mention has a date expression in its sentence)")


class EventFacts(BaseModel):
    """An event's facts and counts: its state without the lists of mentions and sources."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    start: date
    end: date
    granularity: Granularity
    summary: str
    entities: list[str]
    mention_count: int = Field(description="Mentions attached to it")
    source_count: int = Field(description="Canonical URLs of the original articles reporting it")
    languages: list[str]
    first_reported_at: AwareDatetime
    last_reported_at: AwareDatetime
    anchor: Anchor = "explicit"

    @classmethod
    def of(cls, state: EventState) -> EventFacts:
        """The facts of a whole state."""
        return cls(
            event_id=state.event_id, start=state.start, end=state.end,
            granularity=state.granularity, summary=state.summary, entities=state.entities,
            mention_count=len(state.mention_ids), source_count=len(state.sources),
            languages=state.languages, first_reported_at=state.first_reported_at,
            last_reported_at=state.last_reported_at, anchor=state.anchor)


class EventMembers(BaseModel):
    """An event's whole lists, absolute: they replace what a projection held for the event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mention_ids: list[str]
    sources: list[str]


class Change(BaseModel):
    """Fields every timeline change carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    known_at: AwareDatetime = Field(description="When the causing article was accepted")
    cause: str = Field(description="version_id of the article version that caused the change")


class ArticleVersionRecorded(Change):
    """A version of an article was analysed and recorded.

    The resolver emits it last among the changes an article causes, so once it is projected
    everything that article changed is projected too (what `newsline post --wait` waits for).
    """

    article_key: str
    version_id: str
    canonical_url: str
    url: str
    title: str | None
    source: str | None
    language: str
    published_at: AwareDatetime
    updated_at: AwareDatetime | None
    content_hash: str
    mention_count: int
    status: ArticleStatus = Field(description="Its status when recorded (changes follow)")
    superseded_by: str | None = None
    duplicate_of: str | None = Field(default=None, description="version_id of the original")


class ArticleStatusChanged(Change):
    """A version became current, was superseded by a newer one, or was found to be a copy."""

    version_id: str
    status: ArticleStatus
    superseded_by: str | None = None
    duplicate_of: str | None = Field(default=None, description="version_id of the original")


class MentionRecorded(Change):
    """A dated event mention was found in an article version."""

    version_id: str
    article_key: str
    mention: Mention


class EventChange(Change):
    """A change to one event: its resulting facts (None once it no longer exists) and what
    entered and left its lists.

    With `members` the lists are whole (an `EventCreated`, or a version-1 change upcast);
    without, the change is a delta: its mention (`MentionAttached`, `MentionRetracted`), the
    mentions a merge took over (`EventsMerged.mention_ids`) and `sources_added` /
    `sources_removed`. An article's changes to one event carry its source delta once, on the
    first of them. Folding an event's changes in log order gives its lists.
    """

    event_id: str
    event: EventFacts | None
    members: EventMembers | None = Field(
        default=None, description="Its whole lists (absolute), instead of deltas")
    sources_added: list[str] = Field(default_factory=list,
                                     description="Canonical URLs that entered its sources")
    sources_removed: list[str] = Field(default_factory=list,
                                       description="Canonical URLs that left its sources")


class EventCreated(EventChange):
    """A new event appeared on the timeline."""


class MentionAttached(EventChange):
    """A mention was attached to an existing event."""

    mention_id: str


class MentionRetracted(EventChange):
    """A mention left an event (its article was superseded, found a copy, or it moved)."""

    mention_id: str


class EventsMerged(EventChange):
    """Other events turned out to be this one; `merged_ids` no longer exist."""

    merged_ids: list[str]
    mention_ids: list[str] = Field(
        default_factory=list, description="The merged events' mentions it took over")


class EventRevised(EventChange):
    """An event's date, summary or sources changed without a change of mentions."""


class EventDissolved(EventChange):
    """An event lost all its mentions and left the timeline."""


CHANGE_TYPES: dict[str, type[Change]] = {
    "org.newsline.article.version-recorded": ArticleVersionRecorded,
    "org.newsline.article.status-changed": ArticleStatusChanged,
    "org.newsline.mention.recorded": MentionRecorded,
    "org.newsline.event.created": EventCreated,
    "org.newsline.event.mention-attached": MentionAttached,
    "org.newsline.event.mention-retracted": MentionRetracted,
    "org.newsline.event.merged": EventsMerged,
    "org.newsline.event.revised": EventRevised,
    "org.newsline.event.dissolved": EventDissolved,
}
TYPE_OF_CHANGE: dict[type[Change], str] = {model: name for name, model in CHANGE_TYPES.items()}
