"""Dead letters: raw messages that could not be decoded or validated, kept with their error."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schemas.envelope import AwareDatetime

DEAD_LETTER_RECORDED = "org.newsline.dead-letter.recorded"


class DeadLetter(BaseModel):
    """The original bytes of a rejected message, where it came from, and why it was rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    key_b64: str | None = Field(description="Original key, base64")
    value_b64: str = Field(description="Original value, base64")
    error: str = Field(description="Human-readable reason, with field paths")
    errors: list[dict[str, str]] = Field(default_factory=list, description="One entry per problem")
    received_at: AwareDatetime
