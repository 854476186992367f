"""docker-compose.yml, Dockerfile and .env.example, checked without a Docker engine.

`docker-compose config` (Debian's docker-compose 1.29, installed by
scripts/install-compose-check.sh) validates the file against the Compose schema, interpolates it
and prints the result; the tests read that output, so they see what compose would run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from newsline import kafka_admin
from newsline.cli import _parser, main
from newsline.settings import Settings
from schemas.topics import TOPICS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INSTALL_HINT = "docker-compose is not on the PATH: run scripts/install-compose-check.sh"

# The services that run the Newsline image, with the `newsline` subcommand each one runs.
NEWSLINE_SERVICES = {"topics": "topics", "api": "api", "processors": "worker", "sink": "sink"}
ONE_SHOT = {"topics"}

# Environment variables of the apache/kafka image, as documented in apache/kafka:
# docker/examples/README.md ("Using Environment Variables": KAFKA_<PROPERTY> for a
# server.properties key, `.` -> `_`, `_` -> `__`, `-` -> `___`; CLUSTER_ID for the KRaft
# storage) and the single-node example it describes,
# docker/examples/docker-compose-files/single-node/plaintext/docker-compose.yml.
KAFKA_DOCUMENTED_ENV = {
    "CLUSTER_ID",
    "KAFKA_NODE_ID",
    "KAFKA_PROCESS_ROLES",
    "KAFKA_LISTENERS",
    "KAFKA_ADVERTISED_LISTENERS",
    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
    "KAFKA_CONTROLLER_LISTENER_NAMES",
    "KAFKA_CONTROLLER_QUORUM_VOTERS",
    "KAFKA_INTER_BROKER_LISTENER_NAME",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
    "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS",
    "KAFKA_LOG_DIRS",
    # message.max.bytes (a broker property) under the README's naming rule above.
    "KAFKA_MESSAGE_MAX_BYTES",
}
KAFKA_REQUIRED_ENV = {
    "KAFKA_NODE_ID", "KAFKA_PROCESS_ROLES", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS",
    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "KAFKA_CONTROLLER_LISTENER_NAMES",
    "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_INTER_BROKER_LISTENER_NAME", "KAFKA_LOG_DIRS",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "CLUSTER_ID",
}


def _compose() -> str:
    path = shutil.which("docker-compose")
    if path is None:
        pytest.fail(INSTALL_HINT)
    return path


def _run_compose(args: list[str], env_file: Path, token: str | None = "test-token"
                 ) -> subprocess.CompletedProcess[str]:
    """`docker-compose ... config` isolated from the caller's environment and any local .env."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEWSLINE_", "KAFKA_", "HOST_", "COMPOSE_"))}
    if token is not None:
        env["NEWSLINE_TOKENS"] = token
    return subprocess.run([_compose(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE),
                           *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _yaml_to_json(text: str) -> Any:
    """Parse YAML with the interpreter that runs docker-compose 1.29 (PyYAML is its dependency)."""
    first = Path(_compose()).read_text(encoding="utf-8", errors="replace").splitlines()[0]
    if not first.startswith("#!") or "python" not in first:
        pytest.fail(f"expected Debian's docker-compose 1.29 (a Python program); {INSTALL_HINT}")
    interpreter = first[2:].strip().split()
    out = subprocess.run([*interpreter, "-c", "import json, sys, yaml; "
                          "json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
                         input=text, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def empty_env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty --env-file, so that a developer's .env cannot change what is tested."""
    path = tmp_path_factory.mktemp("compose") / "empty.env"
    path.write_text("", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def config(empty_env_file: Path) -> dict[str, Any]:
    """The resolved compose file with the `ui` profile's services included."""
    result = _run_compose(["--profile", "ui", "config"], empty_env_file)
    assert result.returncode == 0, result.stderr
    return _yaml_to_json(result.stdout)


@pytest.fixture(scope="module")
def services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Service name -> resolved service."""
    return config["services"]


def test_compose_config_is_valid(empty_env_file: Path) -> None:
    result = _run_compose(["config", "-q"], empty_env_file)
    assert result.returncode == 0, result.stderr


def test_compose_config_with_ui_profile_is_valid(empty_env_file: Path,
                                                 services: dict[str, Any]) -> None:
    result = _run_compose(["--profile", "ui", "config", "-q"], empty_env_file)
    assert result.returncode == 0, result.stderr
    assert services["kafka-ui"]["profiles"] == ["ui"]
    assert all("profiles" not in s for name, s in services.items() if name != "kafka-ui")


def test_compose_refuses_to_start_without_a_token(empty_env_file: Path) -> None:
    result = _run_compose(["config", "-q"], empty_env_file, token=None)
    assert result.returncode != 0
    assert "NEWSLINE_TOKENS" in result.stderr


def test_newsline_services_are_the_ones_checked(services: dict[str, Any]) -> None:
    image = services["api"]["image"]
    assert {n for n, s in services.items() if s.get("image") == image} == set(NEWSLINE_SERVICES)
    assert all("build" in services[n] for n in NEWSLINE_SERVICES)


@pytest.mark.parametrize("name", sorted(NEWSLINE_SERVICES))
def test_service_command_is_a_newsline_subcommand(services: dict[str, Any], name: str) -> None:
    # `api` fails until `newsline api` is wired in newsline/cli.py (see newsline/serve.py).
    command = services[name]["command"]
    assert command[0] == NEWSLINE_SERVICES[name]
    try:
        args = _parser().parse_args(command)
    except SystemExit as exc:
        pytest.fail(f"`newsline {' '.join(command)}` does not parse (exit {exc.code})")
    assert args.command == command[0]
    assert args.bootstrap_servers == "kafka:19092"


def test_sink_and_api_share_the_data_bind_mount(services: dict[str, Any]) -> None:
    for name in ("api", "sink"):
        service = services[name]
        assert service["environment"]["NEWSLINE_DATA_DIR"] == "/data"
        assert [v for v in service["volumes"] if v.endswith(":/data:rw")] == \
            [f"{ROOT / 'data'}:/data:rw"]
    assert services["api"]["user"] == services["sink"]["user"]  # both write ./data
    assert services["sink"]["command"][-2:] == ["--epoch", "kafka"]


def test_processors_can_be_scaled(services: dict[str, Any]) -> None:
    processors = services["processors"]
    assert "container_name" not in processors
    assert "ports" not in processors
    assert "volumes" not in processors  # nothing shared between replicas


def test_kafka_is_a_pinned_4x_kraft_node(services: dict[str, Any]) -> None:
    kafka = services["kafka"]
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", kafka["image"])
    env = {k: str(v) for k, v in kafka["environment"].items()}
    assert set(env) <= KAFKA_DOCUMENTED_ENV, set(env) - KAFKA_DOCUMENTED_ENV
    assert KAFKA_REQUIRED_ENV <= set(env)
    assert not any("ZOOKEEPER" in key for key in env)
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@kafka:")
    for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):
        assert env[key] == "1"
    assert "PLAINTEXT://kafka:19092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert "PLAINTEXT_HOST://localhost:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    log_dir = env["KAFKA_LOG_DIRS"]
    assert [v for v in kafka["volumes"] if v.endswith(f":{log_dir}:rw")], "log dir not a volume"
    assert "kafka-data" in (name.split(":")[0] for name in kafka["volumes"])
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_topics_job_creates_exactly_the_declared_topics(
        services: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    created: list[Any] = []
    connected: list[str] = []

    class FakeAdmin:
        def __init__(self, bootstrap_servers: str, **_: Any) -> None:
            connected.append(bootstrap_servers)

        def list_topics(self) -> list[str]:
            return []

        def create_topics(self, new_topics: list[Any]) -> None:
            created.extend(new_topics)

        def close(self) -> None:
            pass

    initialised: list[tuple[str, str, list[str]]] = []
    monkeypatch.setattr(kafka_admin, "KafkaAdminClient", FakeAdmin)
    monkeypatch.setattr(kafka_admin, "wait_for_group_coordinator", lambda *_: None)
    monkeypatch.setattr(kafka_admin, "commit_unset_offsets",
                        lambda b, g, topics: initialised.append((b, g, list(topics))) or [])
    command = services["topics"]["command"]
    assert main(command) == 0
    assert connected == ["kafka:19092"]
    # The processors' group gets its first offsets before any processor starts.
    assert initialised == [("kafka:19092", "newsline",
                            [TOPICS["raw"].name, TOPICS["analysed"].name])]
    assert {(t.name, t.num_partitions, t.replication_factor, tuple(sorted(t.topic_configs.items())))
            for t in created} == \
        {(t.name, t.partitions, 1, tuple(sorted(t.configs.items()))) for t in TOPICS.values()}
    assert json.loads(capsys.readouterr().out)["created"] == [t.name for t in TOPICS.values()]


def test_long_running_services_have_healthchecks_and_restart_policies(
        services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service.get("restart", "no") == "no", name
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name}: no healthcheck"
        assert not service["healthcheck"].get("disable"), name
        assert service.get("restart") in ("always", "unless-stopped", "on-failure"), name
        assert service.get("stop_grace_period"), f"{name}: no stop_grace_period"


def test_depends_on_waits_for_health_or_completion(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            expected = ("service_completed_successfully" if dependency in ONE_SHOT
                        else "service_healthy")
            assert spec.get("condition") == expected, (name, dependency)
    for name in ("api", "processors", "sink"):
        assert set(services[name]["depends_on"]) == {"kafka", "topics"}


def test_healthchecks_probe_the_ports_the_commands_use(services: dict[str, Any]) -> None:
    api = services["api"]
    port = api["command"][api["command"].index("--api-port") + 1]
    assert f"127.0.0.1:{port}/healthz" in " ".join(api["healthcheck"]["test"])
    assert any(p.startswith(f"127.0.0.1:{port}:{port}") for p in api["ports"])
    bootstrap_port = "19092"
    for name in ("processors", "sink"):
        code = services[name]["healthcheck"]["test"][-1]
        assert f'":%04X" % {bootstrap_port}' in code, name


def test_compose_defaults_equal_the_settings_defaults(services: dict[str, Any]) -> None:
    # worker_instance: each processors replica must have its own (the default, from its host
    # name), so compose does not set it.
    deliberate = {"data_dir", "bootstrap_servers", "tokens", "api_host", "api_port",
                  "worker_instance"}
    seen = set()
    for service in services.values():
        for key, value in (service.get("environment") or {}).items():
            field = key.removeprefix("NEWSLINE_").lower()
            if not key.startswith("NEWSLINE_") or field in deliberate:
                continue
            assert field in Settings.model_fields, key
            parsed = getattr(Settings(**{field: value}), field)
            assert parsed == Settings.model_fields[field].default, (key, value)
            seen.add(field)
    assert seen == set(Settings.model_fields) - deliberate


def test_env_example_documents_every_variable() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    settings_vars = {f"NEWSLINE_{name.upper()}" for name in Settings.model_fields}
    compose_vars = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text("utf-8")))
    assert settings_vars <= documented, settings_vars - documented
    assert compose_vars <= documented, compose_vars - documented


def _final_stage(dockerfile: str) -> str:
    stages = re.split(r"^FROM\s", dockerfile, flags=re.MULTILINE)
    assert len(stages) >= 3, "expected a builder stage and a final stage"
    return stages[-1]


def test_dockerfile_final_stage_is_slim_and_not_root() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11[\w.-]*-slim", dockerfile, re.MULTILINE)
    final = _final_stage(dockerfile)
    users = re.findall(r"^USER\s+(\S+)", final, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    for tool in ("gcc", "build-essential", "apt-get install", "g++", "make "):
        assert tool not in final, tool
    assert "--no-index" in final and "/wheels" in final  # installs the builder's wheels only
    assert re.search(r'^ENTRYPOINT \["newsline"\]$', final, flags=re.MULTILINE)
    for line in (ROOT / "docker-compose.yml").read_text("utf-8").splitlines():
        assert not re.match(r"\s*user:\s*['\"]?(root|0)\b", line), line
