"""Editing flows for the web (:mod:`voice.flows.editing`, :mod:`voice.flows.replay`,
:mod:`voice.flows.layout`): the same problems as the CLI, publishing that writes the flow
file so that the start-up publish keeps the admin's version, conflicts refused, rollback,
stateless simulation with masked PINs, and the graph layout."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from voice.compose import Services
from voice.flows.catalog import publish_flows
from voice.flows.editing import FlowEditor
from voice.flows.errors import (
    FlowChangedError,
    FlowFileError,
    FlowValidationError,
    SimulationInputError,
)
from voice.flows.layout import layout_flow
from voice.flows.replay import ReplayRequest, parse_request, replay
from voice.settings import Settings

AT = datetime.fromisoformat("2026-11-24T10:00:00-05:00")  # a Tuesday morning: open


@pytest.fixture
def settings(db_url: str, tmp_path: Path, flows_dir: Path,
             make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(db_url, tmp_path / "data", VOICE_FLOWS_DIR=str(flows_dir))


@pytest.fixture
def editor(services: Services) -> FlowEditor:
    """An editor over a flows folder that `voice up` has published (main and payments v1)."""
    publish_flows(services, published_by="voice up")
    return FlowEditor(services.flow_catalog)


def main_text(editor: FlowEditor) -> str:
    return (editor.flows_dir / "main.yaml").read_text(encoding="utf-8")


def test_check_reports_the_cli_problems_at_their_lines(editor: FlowEditor) -> None:
    text = main_text(editor).replace("next: hours", "next: hourz")
    checked = editor.check("main", text)
    [problem] = checked.problems
    assert (problem.line, problem.node, problem.field) == (11, "greeting", "next")
    assert text.splitlines()[10].strip() == "next: hourz"
    # the very line `voice flows validate` prints for the same file
    (editor.flows_dir / "main.yaml").write_text(text, encoding="utf-8")
    [cli] = editor.catalog.check_files([editor.flows_dir / "main.yaml"]).problems
    assert str(problem) == str(cli)
    assert str(problem).endswith(":11: node 'greeting': field 'next': 'hourz' names no node "
                                 "(did you mean 'hours'?)")


def test_check_sees_the_other_flows_of_the_folder(editor: FlowEditor) -> None:
    text = main_text(editor).replace("flow: payments", "flow: paymentz")
    [problem] = editor.check("main", text).problems
    assert problem.field == "flow" and "paymentz" in problem.message
    assert editor.check("main", main_text(editor)).problems == []


def test_a_web_publish_writes_the_file_and_survives_the_start_up_publish(
        editor: FlowEditor, services: Services) -> None:
    text = main_text(editor).replace(
        "  greeting:\n", "  # said first; keep it short\n  greeting:\n").replace(
        "Thanks for calling Acme.", "Thanks for calling Acme, the web edit.")
    outcome = editor.publish("main", text, base_version=1, published_by="ada")
    assert outcome.published and outcome.info.version == 2
    assert (editor.flows_dir / "main.yaml").read_bytes() == text.encode("utf-8")
    assert not [p for p in os.listdir(editor.flows_dir) if p.endswith(".tmp")]

    report = publish_flows(services, published_by="voice up")  # what `voice up` runs
    assert report.published == [] and "main" in report.unchanged
    live = services.flow_repository.current("main")
    assert live is not None and live.version == 2 and live.content == text
    assert "# said first; keep it short" in live.content


def test_an_invalid_text_is_refused_and_nothing_changes(editor: FlowEditor,
                                                         services: Services) -> None:
    before = main_text(editor)
    with pytest.raises(FlowValidationError) as caught:
        editor.publish("main", before.replace("next: hours", "next: nowhere"),
                       base_version=1, published_by="ada")
    assert ":11: node 'greeting': field 'next': 'nowhere' names no node" in \
        caught.value.problems[0]
    assert main_text(editor) == before
    assert services.flow_repository.current("main").version == 1  # type: ignore[union-attr]


def test_a_version_published_since_the_draft_began_is_not_overwritten(
        editor: FlowEditor, services: Services) -> None:
    editor.publish("main", main_text(editor).replace("Acme.", "Acme!"), base_version=1,
                   published_by="bob")
    mine = main_text(editor).replace("Acme!", "Acme?")
    with pytest.raises(FlowChangedError, match="version 2 was published by bob") as caught:
        editor.publish("main", mine, base_version=1, published_by="ada")
    assert caught.value.live_version == 2
    assert "Acme!" in main_text(editor)
    forced = editor.publish("main", mine, base_version=1, published_by="ada", force=True)
    assert forced.info.version == 3 and main_text(editor) == mine


def test_changes_made_on_disk_and_never_published_are_not_overwritten(
        editor: FlowEditor) -> None:
    path = editor.flows_dir / "main.yaml"
    on_disk = path.read_text().replace("Acme.", "Acme (edited on disk).")
    path.write_text(on_disk)
    with pytest.raises(FlowChangedError, match="holds changes that were never published"):
        editor.publish("main", on_disk.replace("(edited on disk)", "(web)"), base_version=1,
                       published_by="ada")
    assert path.read_text() == on_disk


def test_a_file_that_cannot_be_written_publishes_nothing(
        editor: FlowEditor, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("voice.flows.editing.os.replace", refuse)
    before = main_text(editor)
    with pytest.raises(FlowFileError, match=r"cannot write the flow file .*main\.yaml: .*"
                                            r"Permission denied.*VOICE_FLOWS_DIR writable"):
        editor.publish("main", before.replace("Acme.", "Acme!"), base_version=1,
                       published_by="ada")
    assert main_text(editor) == before
    assert services.flow_repository.current("main").version == 1  # type: ignore[union-attr]
    assert not [p for p in os.listdir(editor.flows_dir) if p.endswith(".tmp")]


def test_the_file_is_put_back_when_the_version_cannot_be_stored(
        editor: FlowEditor, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(editor.catalog.repository, "publish", broken)
    before = main_text(editor)
    with pytest.raises(RuntimeError):
        editor.publish("main", before.replace("Acme.", "Acme!"), base_version=1,
                       published_by="ada")
    assert main_text(editor) == before


def test_rollback_writes_the_old_text_to_the_file_too(editor: FlowEditor,
                                                      services: Services) -> None:
    first = main_text(editor)
    editor.publish("main", first.replace("Acme.", "Acme!"), base_version=1, published_by="ada")
    outcome = editor.rollback("main", 1, published_by="ada")
    info = outcome.info
    assert (info.version, info.note) == (3, "rollback to version 1")
    assert outcome.previous is not None and outcome.previous.version == 2  # what it replaced
    assert main_text(editor) == first
    assert publish_flows(services, published_by="voice up").published == []
    assert services.flow_repository.current("main").version == 3  # type: ignore[union-attr]


def test_a_new_flow_is_published_to_a_new_file(editor: FlowEditor) -> None:
    text = ("id: promo\nname: Promo line\nstart: hi\nnumbers: [\"1099\"]\nnodes:\n"
            "  hi: {type: hangup, text: Bye.}\n")
    outcome = editor.publish("promo", text, base_version=None, published_by="ada")
    assert outcome.info.version == 1 and outcome.previous is None
    assert (editor.flows_dir / "promo.yaml").read_text() == text


def request(*inputs: str, **extra: object) -> ReplayRequest:
    return parse_request({"inputs": list(inputs), "at": AT.isoformat(), **extra})


def test_replay_runs_the_edited_text_and_waits_for_the_caller(editor: FlowEditor) -> None:
    text = main_text(editor).replace("Thanks for calling Acme.", "Hello from the draft.")
    result = replay(editor, "main", text, request())
    heard = [line["text"] for line in result["dialogue"] if line["speaker"] == "ivr"]
    assert heard[0].startswith("Hello from the draft.")
    assert result["waiting"] == {"for": "input", "node": "main_menu", "type": "menu",
                                 "sensitive": False}
    assert [s["node"] for s in result["path"]] == ["greeting", "hours", "main_menu"]
    assert replay(editor, "main", text, request()) == result  # stateless, deterministic


def test_replay_masks_the_pin_and_reaches_the_queue(editor: FlowEditor) -> None:
    result = replay(editor, "main", main_text(editor),
                    request("1", "10001234#", customer="20005678"))
    assert result["waiting"]["sensitive"] is True and result["waiting"]["type"] == \
        "authenticate"
    result = replay(editor, "main", main_text(editor),
                    request("1", "20005678#", "8642#", customer="20005678",
                            lookups='crm={"vip": false}'))
    said = " ".join(line["text"] for line in result["dialogue"])
    assert "8642" not in said and "presses ****" in said
    assert "8642" not in str(result["path"])
    assert result["waiting"]["for"] == "queue" and result["final"]["queue"] == "billing"
    ended = replay(editor, "main", main_text(editor),
                   request("1", "20005678#", "8642#", "hangup", customer="20005678"))
    assert ended["ended"] and ended["final"]["type"] == "caller-hangup"


def test_replay_runs_subflows_and_refuses_broken_text(editor: FlowEditor) -> None:
    result = replay(editor, "main", main_text(editor), request("3"))
    assert result["path"][-1]["flow"] == "payments" and result["waiting"]["sensitive"]
    with pytest.raises(FlowValidationError):
        replay(editor, "main", main_text(editor).replace("next: hours", "next: x"), request())
    with pytest.raises(SimulationInputError, match="'at' needs a time zone"):
        parse_request({"inputs": [], "at": "2026-11-24T10:00"})
    with pytest.raises(SimulationInputError, match="lookups line 1: 'nope' is not JSON"):
        parse_request({"inputs": [], "at": AT.isoformat(), "lookups": "crm=nope"})


def test_layout_marks_start_missing_and_unreached_nodes(editor: FlowEditor) -> None:
    text = main_text(editor).replace("next: hours", "next: nowhere")
    flow = editor.check("main", text).flow
    assert flow is not None
    graph = layout_flow(flow)
    nodes = {n.id: n for n in graph.nodes}
    assert nodes["greeting"].start and nodes["greeting"].line == 8
    assert nodes["nowhere"].missing and nodes["hours"].unreached
    assert nodes["goodbye"].terminal
    assert {(e.source, e.target) for e in graph.edges} >= {("greeting", "nowhere"),
                                                           ("hours", "main_menu")}
    menu_to_agents = [e for e in graph.edges if (e.source, e.target) == ("main_menu", "agents")]
    assert len(menu_to_agents) == 1 and "0" in menu_to_agents[0].label \
        and "failure" in menu_to_agents[0].label
    for node in graph.nodes:
        assert node.x >= 0 and node.x + node.w <= graph.width
        assert node.y + node.h <= graph.height
