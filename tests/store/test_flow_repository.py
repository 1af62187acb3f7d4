"""FlowRepository on SQLite and PostgreSQL: numbering, lookups and concurrent publishing."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC

import pytest

from voice.compose import Services
from voice.flows.repository import FlowRepository

MAIN_V1 = "id: main\nname: Acme support line\n"
MAIN_V2 = "id: main\nname: Acme support line (new menu)\n"


@pytest.fixture
def repo(services: Services) -> FlowRepository:
    return services.flow_repository


def test_versions_count_up_per_flow(repo: FlowRepository) -> None:
    first = repo.publish(
        flow_id="main", name="Acme", content=MAIN_V1, numbers=["+15550100", "1000"],
        published_by="alice",
    )
    second = repo.publish(
        flow_id="main", name="Acme v2", content=MAIN_V2, numbers=["+15550100"],
        published_by="bob", note="new menu",
    )
    other = repo.publish(
        flow_id="payments", name="Payments", content="id: payments\n", numbers=[],
        published_by="alice",
    )

    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.sha256 == hashlib.sha256(MAIN_V1.encode()).hexdigest()
    assert second.note == "new menu"
    assert second.published_at.tzinfo is not None
    assert second.published_at.utcoffset() == UTC.utcoffset(None)


def test_reading_back_versions(repo: FlowRepository) -> None:
    repo.publish(flow_id="main", name="Acme", content=MAIN_V1, numbers=["1000"],
                 published_by="alice")
    repo.publish(flow_id="main", name="Acme v2", content=MAIN_V2, numbers=["1000", "1001"],
                 published_by="bob")
    repo.publish(flow_id="after_hours", name="After hours", content="id: after_hours\n",
                 numbers=["2000"], published_by="alice")

    current = repo.current("main")
    assert current is not None
    assert (current.version, current.name, current.content) == (2, "Acme v2", MAIN_V2)
    assert current.numbers == ["1000", "1001"]

    old = repo.get("main", 1)
    assert old is not None
    assert (old.content, old.published_by, old.numbers) == (MAIN_V1, "alice", ["1000"])
    assert repo.get("main", 3) is None

    assert [info.version for info in repo.versions("main")] == [1, 2]
    assert [(info.flow_id, info.version) for info in repo.list_current()] == [
        ("after_hours", 1),
        ("main", 2),
    ]


def test_unknown_flow(repo: FlowRepository) -> None:
    assert repo.current("nope") is None
    assert repo.versions("nope") == []
    assert repo.list_current() == []


def test_concurrent_publishers_never_share_a_version(repo: FlowRepository) -> None:
    per_thread = 8
    start = threading.Barrier(2)
    results: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def publish_many(who: str) -> None:
        try:
            start.wait()
            for index in range(per_thread):
                info = repo.publish(
                    flow_id="main", name="Acme", content=f"id: main # {who}{index}\n",
                    numbers=["1000"], published_by=who,
                )
                results[who].append(info.version)
        except BaseException as exc:  # surfaced below with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=publish_many, args=(who,)) for who in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    everything = results["a"] + results["b"]
    assert sorted(everything) == list(range(1, 2 * per_thread + 1))
    stored = {info.version: info.published_by for info in repo.versions("main")}
    assert all(stored[version] == "a" for version in results["a"])
    assert all(stored[version] == "b" for version in results["b"])
