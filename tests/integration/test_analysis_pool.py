"""Analysis in processes beside the worker (`NEWSLINE_ANALYSE_PROCESSES`), through a real stack.

The pool path (`processors/worker/analysis_pool.py`) is off by default and its unit tests run
it without a broker; here `newsline up` runs with one analysis process, and the seed and the
dev-set story must come out as they do with analysis in the worker (tests/integration/
test_pipeline.py), analysed in that process.
"""

import json
from pathlib import Path

import pytest

from schemas.identity import canonical_url
from tests.conftest import EXAMPLES, SHARED
from tests.integration.conftest import RunningStack
from tests.integration.test_pipeline import NIGER_RECALL_MIN, SEED, gold_recall


@pytest.fixture(scope="module")
def pool_stack(tmp_path_factory):
    s = RunningStack(tmp_path_factory.mktemp("pool-stack"),
                     env={"NEWSLINE_ANALYSE_PROCESSES": "1"}).start()
    yield s
    s.stop()


def descendants(pid: int) -> list[int]:
    """Every process under `pid`, from /proc (no psutil here)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_the_seed_and_the_dev_set_analysed_in_a_process_beside_the_worker(pool_stack):
    pool_stack.cli("post", str(SEED), str(EXAMPLES / "niger-2023.jsonl"), "--data-dir",
                   str(pool_stack.data_dir), "--wait", "--timeout", "300")
    spawned = [p for p in descendants(pool_stack.proc.pid) if "spawn_main" in command_line(p)]
    assert len(spawned) == 1, [command_line(p) for p in descendants(pool_stack.proc.pid)]

    seed_url = canonical_url(json.loads(SEED.read_text())["url"])
    events = [e for e in pool_stack.timeline() if seed_url in e["sources"]]
    days = [(e["start"], e["end"]) for e in events]
    aug30, sep4 = days.index(("2023-08-30", "2023-08-30")), days.index(("2023-09-04", "2023-09-04"))
    mid_aug = [i for i, (start, end) in enumerate(days)
               if start >= "2023-08-10" and end <= "2023-08-21" and start != end]
    assert len(mid_aug) == 1 and mid_aug[0] < aug30 < sep4, events
    assert events[sep4]["mentions"] == 3

    gold = json.loads((SHARED / "examples" / "niger-2023.gold.json").read_text())
    story = pool_stack.timeline("--until", "2023-08-31", "--since", "2023-07-01")
    assert gold_recall(story, gold) >= NIGER_RECALL_MIN, story
    copy_url = canonical_url(gold["articles"][3])
    assert not any(copy_url in e["sources"] for e in story), "the copy must collapse"
