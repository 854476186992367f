"""All of Newsline's settings in one frozen model, read from `NEWSLINE_*` environment variables."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings of every Newsline process. Flags on the CLI override the environment."""

    model_config = SettingsConfigDict(env_prefix="NEWSLINE_", frozen=True, extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="The broker's log, state and the DuckDB file")
    bootstrap_servers: str | None = Field(
        default=None, description="Kafka to use; unset = start the embedded broker"
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8765, ge=0, le=65535)
    tokens: str = Field(default="", description="Comma-separated bearer tokens accepted for writes")
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Kafka's smallest session by default (group.min.session.timeout.ms): a worker that dies for
    # good is replaced within seconds; one that restarts comes back at once (static membership).
    session_timeout_s: float = Field(default=6.0, gt=0)
    heartbeat_s: float = Field(default=1.5, gt=0)
    worker_instance: str | None = Field(
        default=None,
        description="static group member id of this worker; default: host + data dir; '' = none",
    )
    # faust's `processing_guarantee`. "exactly_once" (Kafka transactions) was measured and not
    # adopted (docs/resolver-state.md, `bench/eos_check.py`); selectable to measure it again.
    processing_guarantee: Literal["at_least_once", "exactly_once"] = "at_least_once"
    analyse_processes: int = Field(
        default=0, ge=0,
        description="processes that analyse raw articles beside each worker (0: in the worker)",
    )
    resolver_cache_scale: float = Field(
        default=1.0, gt=0, description="scales the worker's resolver caches (resident mentions, "
        "block heads, events, statuses...): memory against store reads, the same timeline")
    gc_thresholds: str = Field(
        default="10000,50,100", pattern=r"^(\d+,\d+,\d+)?$",
        description="the worker's garbage-collector thresholds (gc.set_threshold; '' = Python's "
        "700,10,10): at those its full passes took 0.5-0.7 s every ~340 articles")
    sink_batch_max: int = Field(default=5000, ge=1)
    sink_flush_s: float = Field(default=0.2, gt=0)
    sink_publish_s: float = Field(
        default=0.2, gt=0, description="the sink publishes the analysts' file at most this often")
    sink_publish_stretch: float = Field(
        default=1.5, ge=0, description="the sink waits at least this many times its last "
        "publish's duration between publishes (publishing takes at most 1/(1+this) of its time)")
    sink_threads: int = Field(default=1, ge=0, description="DuckDB threads of the sink (0: one per core)")
    sink_memory_limit: str = Field(
        default="1GB", description="DuckDB's memory_limit for the sink's writer ('' = DuckDB's "
        "default, 80% of RAM): its buffer pool, which otherwise grows with the files")
    sink_reopen_changes: int = Field(
        default=20_000, ge=0, description="the sink reopens its DuckDB writer after this many "
        "changes, to return memory DuckDB keeps until close (0: never)")
    log_level: str = "INFO"

    @property
    def embedded(self) -> bool:
        """True when Newsline must start its own broker."""
        return not self.bootstrap_servers

    @property
    def worker_instance_id(self) -> str | None:
        """This worker's `group.instance.id`: stable across its restarts, unique per machine and
        data folder (set NEWSLINE_WORKER_INSTANCE to run several workers on one folder, or to
        the empty string for a dynamic member)."""
        if self.worker_instance is not None:
            return self.worker_instance or None
        where = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:10]
        return f"newsline-worker-{socket.gethostname()}-{where}"

    @property
    def duckdb_path(self) -> Path:
        """The analysts' DuckDB file."""
        return self.data_dir / "newsline.duckdb"

    @property
    def runtime_file(self) -> Path:
        """Where `newsline up` writes how to reach the running stack."""
        return self.data_dir / "newsline.json"
