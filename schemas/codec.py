"""Bytes on the wire <-> validated envelopes. Decoding returns a `Rejection` instead of raising.

Schema evolution: a message type's model has one current version (`MESSAGE_TYPES`). When a model
changes, its version goes up by one and an upcaster from the previous version goes into
`UPCASTERS`: a function of the old `data` JSON object returning the next version's. `decode`
applies the chain vN -> vN+1 -> ... -> current before validating, so a log written by older code
(replayed by `newsline replay`, read by the sink or by the resolver) stays readable.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from schemas.articles import ARTICLE_ANALYSED, ARTICLE_SUBMITTED, Article, ArticleAnalysed
from schemas.dead_letters import DEAD_LETTER_RECORDED, DeadLetter
from schemas.envelope import Envelope
from schemas.timeline import CHANGE_TYPES, TYPE_OF_CHANGE, Change, EventChange

# Event changes went to version 2: facts, counts and deltas instead of whole states.
EVENT_CHANGE_VERSION = 2
EVENT_CHANGE_TYPES = {name for name, model in CHANGE_TYPES.items() if issubclass(model, EventChange)}

# type string -> (schema version, data model). Upcasters for older versions go beside it.
MESSAGE_TYPES: dict[str, tuple[int, type[BaseModel]]] = {
    ARTICLE_SUBMITTED: (1, Article),
    ARTICLE_ANALYSED: (1, ArticleAnalysed),
    DEAD_LETTER_RECORDED: (1, DeadLetter),
    **{name: (EVENT_CHANGE_VERSION if name in EVENT_CHANGE_TYPES else 1, model)
       for name, model in CHANGE_TYPES.items()},
}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_EVENT_LISTS = ("mention_ids", "sources")


def event_change_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 event change (the event's whole resulting state) at version 2: its facts and
    counts, and its lists kept whole (`members`, absolute: the projection replaces the event's
    rows with them, so a log of v1 changes then v2 deltas folds to the same lists)."""
    state = data.get("event")
    if state is None:
        return data
    facts = {k: v for k, v in state.items() if k not in _EVENT_LISTS}
    facts["mention_count"] = len(state["mention_ids"])
    facts["source_count"] = len(state["sources"])
    members = {k: state[k] for k in _EVENT_LISTS}
    return {**data, "event": facts, "members": members}


# (type string, version N) -> turns the data of version N into that of version N + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    (name, 1): event_change_v1_to_v2 for name in EVENT_CHANGE_TYPES}


def stored_version(kind: str, data: dict[str, Any]) -> int:
    """The schema version of a change's `data` stored without its envelope (DuckDB's
    `changelog.data`): an event change of version 2 always has `members` (null or not)."""
    if kind in EVENT_CHANGE_TYPES and "members" not in data:
        return 1
    return MESSAGE_TYPES[kind][0] if kind in MESSAGE_TYPES else 0


# `Envelope[model]` for each model, held here: pydantic keeps its parametrised classes only
# weakly, so a class whose last envelope was collected was built again on the next use
# (about 3 ms of CPU each, ten times a dense article in the resolver: bench/worker_costs.py).
_ENVELOPE_MODELS: dict[type[BaseModel], Any] = {}


def envelope_model(model: type[BaseModel]) -> Any:
    """The envelope class of a data model, built once per process."""
    cls = _ENVELOPE_MODELS.get(model)
    if cls is None:
        cls = _ENVELOPE_MODELS[model] = Envelope[model]  # type: ignore[valid-type]
    return cls


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
        upcast = _upcast(doc, kind, version)
        if isinstance(upcast, Rejection):
            return upcast
        doc = upcast
    try:
        return envelope_model(model).model_validate(doc)  # type: ignore[no-any-return]
    except ValidationError as exc:
        errors = describe_errors(exc)
        return Rejection(summarise(errors), errors)


def _upcast(doc: dict[str, Any], kind: str, version: int) -> dict[str, Any] | Rejection:
    """The envelope with its data brought from its schema version to `version`."""
    found = doc.get("schemaversion")
    if type(found) is not int or not 1 <= found < version:
        msg = f"unsupported schemaversion {found!r} for {kind} (expected {version})"
        return Rejection(msg, [{"path": "schemaversion", "message": msg}])
    data = doc.get("data")
    if not isinstance(data, dict):
        msg = "data must be a JSON object to be upcast"
        return Rejection(msg, [{"path": "data", "message": msg}])
    for step in range(found, version):
        upcaster = UPCASTERS.get((kind, step))
        if upcaster is None:
            msg = f"no upcaster for {kind} from schemaversion {step} to {step + 1}"
            return Rejection(msg, [{"path": "schemaversion", "message": msg}])
        try:
            data = upcaster(dict(data))
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"upcasting {kind} from schemaversion {step} failed: {exc!r}"
            return Rejection(msg, [{"path": "data", "message": msg}])
    return {**doc, "schemaversion": version, "data": data}


def envelope(data: BaseModel, *, source: str, subject: str | None = None, **attrs: Any) -> Envelope[Any]:
    """Wrap a message in its envelope with the right `type` and `schemaversion`."""
    kind = TYPE_OF_CHANGE.get(type(data)) if isinstance(data, Change) else None
    if kind is None:
        kind = next(name for name, (_, m) in MESSAGE_TYPES.items() if m is type(data))
    version = MESSAGE_TYPES[kind][0]
    model = envelope_model(type(data))
    return model(  # type: ignore[no-any-return]
        source=source, type=kind, schemaversion=version, subject=subject, data=data, **attrs
    )


def encode(env: Envelope[Any]) -> bytes:
    """Serialise an envelope to compact JSON bytes."""
    return env.model_dump_json(exclude_none=False).encode("utf-8")
