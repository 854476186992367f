"""The sink's metrics: how fresh the analysts' snapshot is, for `GET /metrics` and operators.

The interface, both sides: the sink calls `write_sink_metrics(data_dir, SinkMetrics(...))` after
every published snapshot; a reader calls `read_sink_metrics(data_dir)` (None until the sink has
published once). The record lives at `<data_dir>/.sink/metrics.json`, replaced atomically, as
one JSON object:

    {"published_snapshots": 12, "changelog_next_offset": 3456,
     "latency_seconds": {"count": 40, "p50": 0.81, "p95": 1.9, "max": 2.4},
     "last_publish": {...}, "full_copies": 1,
     "latency_stages": {"upstream": {...}, "transport": {...}, "sink": {...}}}

`latency_seconds` is accepted-to-visible latency (from the API's acceptance of an article to the
first snapshot that holds it) over the last 1,000 articles; its quantiles are null before any.
`latency_stages` splits it where it was spent, each stage summarised the same way: `upstream`
from acceptance until the resolver emitted the article's change (the Kafka record's CreateTime:
API, broker, analysis, resolution), `transport` until the sink's poll returned it, `sink` until
the snapshot holding it was published (the batch window, the batch write, the wait for the
publish and the publish itself). An article's three stages add up to its latency.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Latency:
    """Accepted-to-visible latency, in seconds, over the articles counted."""

    count: int = 0
    p50: float | None = None
    p95: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        """Summarise latencies (nearest-rank quantiles)."""
        ordered = sorted(seconds)
        if not ordered:
            return cls()
        return cls(len(ordered), ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.95)],
                   ordered[-1])


@dataclass(frozen=True)
class SinkMetrics:
    """What the sink reports after each published snapshot."""

    published_snapshots: int
    changelog_next_offset: int
    latency_seconds: Latency
    # What the last publication cost: {"seconds", "mode", ...} as the publisher reports it, and
    # how many replicas were rebuilt whole (at start, after an epoch change or a foreign write).
    last_publish: dict[str, Any] | None = None
    full_copies: int = 0
    # Where the latency was spent: "upstream", "transport", "sink" (module docstring).
    latency_stages: dict[str, Latency] = field(default_factory=dict)


def sink_metrics_path(data_dir: Path) -> Path:
    """Where the record is kept (the sink's private folder; read it through this module)."""
    return data_dir / ".sink" / "metrics.json"


def write_sink_metrics(data_dir: Path, metrics: SinkMetrics) -> None:
    """Replace the record atomically (readers never see half of it)."""
    path = sink_metrics_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(metrics)), encoding="utf-8")
    os.replace(tmp, path)


def read_sink_metrics(data_dir: Path) -> SinkMetrics | None:
    """The last record the sink wrote, or None if it has not published a snapshot yet."""
    try:
        doc = json.loads(sink_metrics_path(data_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return SinkMetrics(doc["published_snapshots"], doc["changelog_next_offset"],
                       Latency(**doc["latency_seconds"]), doc.get("last_publish"),
                       doc.get("full_copies", 0),
                       {k: Latency(**v) for k, v in doc.get("latency_stages", {}).items()})


def prometheus_lines(metrics: SinkMetrics) -> list[str]:
    """The record in Prometheus text format (the ingest API appends it to `GET /metrics`)."""
    latency = metrics.latency_seconds
    lines = ["# TYPE newsline_processing_latency_seconds summary"]
    for quantile, value in (("0.5", latency.p50), ("0.95", latency.p95)):
        if value is not None:
            lines.append(f'newsline_processing_latency_seconds{{quantile="{quantile}"}} {value:.3f}')
    lines.append(f"newsline_processing_latency_seconds_count {latency.count}")
    if metrics.latency_stages:
        lines.append("# TYPE newsline_processing_latency_stage_seconds summary")
    for stage, part in metrics.latency_stages.items():
        for quantile, value in (("0.5", part.p50), ("0.95", part.p95)):
            if value is not None:
                lines.append(f'newsline_processing_latency_stage_seconds{{stage="{stage}",'
                             f'quantile="{quantile}"}} {value:.3f}')
    lines.append(f"newsline_snapshots_published_total {metrics.published_snapshots}")
    return lines
