"""The one envelope every Newsline message travels in: CloudEvents 1.0 attribute names plus `data`.

`type` is a stable string per message family (see `MESSAGE_TYPES`), and `schemaversion` (a CloudEvents
extension attribute) is the version of that family's `data` model, so consumers can upcast old ones.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

SPECVERSION = "1.0"
Data = TypeVar("Data", bound=BaseModel)


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a UTC offset (e.g. 2023-09-04T19:40:00+02:00)")
    return value


def _refuse_numbers(value: object) -> object:
    # pydantic would read a number (or text like "1693850400") as a Unix time; the contract and
    # its JSON Schema say an ISO 8601 instant, which starts with a four-digit year and a dash.
    if isinstance(value, int | float) or (
        isinstance(value, str) and not (value.strip()[:4].isdigit() and value.strip()[4:5] == "-")
    ):
        raise ValueError("must be an ISO 8601 instant as text (YYYY-MM-DDThh:mm:ss+hh:mm)")
    return value


AwareDatetime = Annotated[datetime, BeforeValidator(_refuse_numbers), AfterValidator(_require_aware)]


def now_utc() -> datetime:
    """Return the current instant, aware, in UTC."""
    return datetime.now(UTC)


class Envelope(BaseModel, Generic[Data]):
    """A CloudEvents 1.0 structured-mode event carrying one Newsline message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=2000, description="URI-reference of the producer")
    type: str = Field(min_length=1, max_length=200, description="Stable message type string")
    schemaversion: int = Field(ge=1, description="Version of the data model for this type")
    time: AwareDatetime = Field(default_factory=now_utc)
    subject: str | None = Field(default=None, max_length=2000)
    datacontenttype: Literal["application/json"] = "application/json"
    data: Data
