"""The sink's metrics record: what the sink writes is what GET /metrics reads."""

import json

from readmodel.metrics import Latency, SinkMetrics, prometheus_lines, read_sink_metrics, write_sink_metrics


def test_none_until_the_sink_published(tmp_path):
    assert read_sink_metrics(tmp_path) is None


def test_round_trip_and_documented_shape(tmp_path):
    metrics = SinkMetrics(3, 120, Latency.of([0.4, 0.1, 0.2, 0.3]),
                          {"how": "catch-up", "seconds": 0.05}, 1,
                          {"upstream": Latency.of([0.1]), "sink": Latency.of([0.3, 0.2])})
    write_sink_metrics(tmp_path, metrics)
    assert read_sink_metrics(tmp_path) == metrics
    doc = json.loads((tmp_path / ".sink" / "metrics.json").read_text(encoding="utf-8"))
    assert doc == {"published_snapshots": 3, "changelog_next_offset": 120,
                   "latency_seconds": {"count": 4, "p50": 0.3, "p95": 0.4, "max": 0.4},
                   "last_publish": {"how": "catch-up", "seconds": 0.05}, "full_copies": 1,
                   "latency_stages": {
                       "upstream": {"count": 1, "p50": 0.1, "p95": 0.1, "max": 0.1},
                       "sink": {"count": 2, "p50": 0.3, "p95": 0.3, "max": 0.3}}}


def test_a_record_written_before_the_stages_reads_without_them(tmp_path):
    path = tmp_path / ".sink" / "metrics.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"published_snapshots": 1, "changelog_next_offset": 5,
                                "latency_seconds": {"count": 0, "p50": None, "p95": None,
                                                    "max": None}}), encoding="utf-8")
    assert read_sink_metrics(tmp_path).latency_stages == {}


def test_prometheus_lines():
    lines = prometheus_lines(SinkMetrics(2, 7, Latency.of([1.0, 2.0])))
    assert 'newsline_processing_latency_seconds{quantile="0.5"} 2.000' in lines
    assert "newsline_processing_latency_seconds_count 2" in lines
    assert "newsline_snapshots_published_total 2" in lines
    staged = prometheus_lines(SinkMetrics(2, 7, Latency.of([1.0]), None, 0,
                                          {"upstream": Latency.of([0.25]), "sink": Latency.of([])}))
    assert 'newsline_processing_latency_stage_seconds{stage="upstream",quantile="0.95"} 0.250' \
        in staged
    assert not any('stage="sink"' in line for line in staged)
    empty = prometheus_lines(SinkMetrics(1, 0, Latency.of([])))
    assert not any("quantile" in line for line in empty)
    assert "newsline_processing_latency_seconds_count 0" in empty
