"""Bytes on the wire <-> validated envelopes. Decoding returns a `Rejection` instead of raising."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from schemas.articles import ARTICLE_ANALYSED, ARTICLE_SUBMITTED, Article, ArticleAnalysed
from schemas.dead_letters import DEAD_LETTER_RECORDED, DeadLetter
from schemas.envelope import Envelope
from schemas.timeline import CHANGE_TYPES, TYPE_OF_CHANGE, Change

# type string -> (schema version, data model). Upcasters for older versions go beside it.
MESSAGE_TYPES: dict[str, tuple[int, type[BaseModel]]] = {
    ARTICLE_SUBMITTED: (1, Article),
    ARTICLE_ANALYSED: (1, ArticleAnalysed),
    DEAD_LETTER_RECORDED: (1, DeadLetter),
    **{name: (1, model) for name, model in CHANGE_TYPES.items()},
}


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message was not accepted: a one-line reason and one entry per problem."""

    reason: str
    errors: list[dict[str, str]]


def describe_errors(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[dict[str, str]]:
    """Turn a pydantic error into `{"path": "data.url", "message": ...}` entries."""
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in (*prefix, *err["loc"])]
        out.append({"path": ".".join(loc) or "(root)", "message": err["msg"]})
    return out


def summarise(errors: list[dict[str, str]]) -> str:
    """One readable line for a list of errors."""
    return "; ".join(f"{e['path']}: {e['message']}" for e in errors)


def decode(raw: bytes | None, expected: str | None = None) -> Envelope[Any] | Rejection:
    """Validate one message value; `expected` restricts the accepted `type`."""
    if raw is None:
        return Rejection("empty message (null value)", [{"path": "(root)", "message": "null"}])
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Rejection(f"not UTF-8: {exc}", [{"path": "(root)", "message": "not UTF-8"}])
    except json.JSONDecodeError as exc:
        return Rejection(f"invalid JSON: {exc}", [{"path": "(root)", "message": str(exc)}])
    if not isinstance(doc, dict):
        msg = "an envelope must be a JSON object"
        return Rejection(msg, [{"path": "(root)", "message": msg}])
    kind = doc.get("type")
    if expected is not None and kind != expected:
        msg = f"expected type {expected!r}, got {kind!r}"
        return Rejection(msg, [{"path": "type", "message": msg}])
    if kind not in MESSAGE_TYPES:
        msg = f"unknown message type {kind!r}"
        return Rejection(msg, [{"path": "type", "message": msg}])
    version, model = MESSAGE_TYPES[kind]
    if doc.get("schemaversion") != version:
        msg = f"unsupported schemaversion {doc.get('schemaversion')!r} for {kind} (expected {version})"
        return Rejection(msg, [{"path": "schemaversion", "message": msg}])
    try:
        return Envelope[model].model_validate(doc)  # type: ignore[valid-type]
    except ValidationError as exc:
        errors = describe_errors(exc)
        return Rejection(summarise(errors), errors)


def envelope(data: BaseModel, *, source: str, subject: str | None = None, **attrs: Any) -> Envelope[Any]:
    """Wrap a message in its envelope with the right `type` and `schemaversion`."""
    kind = TYPE_OF_CHANGE.get(type(data)) if isinstance(data, Change) else None
    if kind is None:
        kind = next(name for name, (_, m) in MESSAGE_TYPES.items() if m is type(data))
    version = MESSAGE_TYPES[kind][0]
    model: Any = Envelope[type(data)]  # type: ignore[misc]
    return model(  # type: ignore[no-any-return]
        source=source, type=kind, schemaversion=version, subject=subject, data=data, **attrs
    )


def encode(env: Envelope[Any]) -> bytes:
    """Serialise an envelope to compact JSON bytes."""
    return env.model_dump_json(exclude_none=False).encode("utf-8")
