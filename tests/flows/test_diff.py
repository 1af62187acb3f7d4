"""Per-node diff of two flow texts (:mod:`voice.flows.diff`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice.flows.diff import diff_texts
from voice.flows.errors import FlowDiffError

MAIN = (Path(__file__).resolve().parents[2] / "ivr_flows" / "main.yaml").read_text()


def test_identical_texts_and_comment_only_changes_have_no_differences() -> None:
    assert diff_texts(MAIN, MAIN).identical
    commented = MAIN.replace("  greeting:\n", "  # the first thing callers hear\n  greeting:\n")
    result = diff_texts(MAIN, commented)
    assert result.identical and "greeting" in result.unchanged


def test_nodes_added_removed_and_changed_with_their_fields() -> None:
    new = (MAIN.replace("next: hours", "next: main_menu")
           .replace('"1": auth', '"1": billing')
           .replace("  holiday:\n    type: say\n    text: \"Our office is closed for the "
                    "holiday.\"\n    next: voicemail\n",
                    "  closed_today:\n    type: hangup\n    text: Closed.\n")
           .replace("name: Acme support line", "name: Acme line"))
    result = diff_texts(MAIN, new, "v1", "v2")
    by_node = {n.node: n for n in result.nodes}
    assert result.counts() == {"added": 1, "removed": 1, "changed": 2}
    greeting = by_node["greeting"]
    assert greeting.change == "changed" and greeting.type == "say"
    assert [(f.field, f.change, f.old, f.new) for f in greeting.fields] == [
        ("next", "changed", "hours", "main_menu")]
    assert [(f.field, f.old, f.new) for f in by_node["main_menu"].fields] == [
        ("choices.1", "auth", "billing")]
    assert by_node["closed_today"].change == "added"
    assert by_node["closed_today"].new_line == MAIN.count("\n", 0, MAIN.index("\n  holiday:\n")) + 2
    assert by_node["holiday"].change == "removed" and by_node["holiday"].new_line is None
    assert [(f.field, f.old, f.new) for f in result.flow_fields] == [
        ("name", "Acme support line", "Acme line")]
    assert result.to_json()["old"] == "v1"


def test_fields_added_and_removed_inside_a_node() -> None:
    new = MAIN.replace("    retries: 2\n    failure: agents\n", "    failure: agents\n"
                       "    speech_hint: menu\n")
    [menu] = diff_texts(MAIN, new).nodes
    assert {(f.field, f.change) for f in menu.fields} == {("retries", "removed"),
                                                          ("speech_hint", "added")}


def test_text_that_is_not_yaml_names_the_line() -> None:
    with pytest.raises(FlowDiffError, match="draft cannot be compared: YAML syntax error at "
                                            "line 3"):
        diff_texts(MAIN, "id: main\nnodes: [\n", "v1", "draft")
    with pytest.raises(FlowDiffError, match="a flow is a mapping"):
        diff_texts("- a list\n", MAIN, "v1", "v2")
