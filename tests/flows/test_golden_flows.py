"""Golden flow fixtures: good flows load cleanly; each bad flow gives exactly its .expected lines.

``tests/fixtures/flows/bad/<name>.yaml`` (or a folder of flows checked together) sits next to
``<name>.expected``, the problems ``voice flows validate`` must print, one per line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from voice.cli import main
from voice.ivr import load_flows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "flows"
BAD = FIXTURES / "bad"
SCHEDULES = {"support"}
BAD_CASES = sorted(p for p in BAD.iterdir() if p.suffix != ".expected")


def _sources(case: Path) -> dict[str, str]:
    files = [case] if case.is_file() else sorted(case.glob("*.yaml"))
    return {str(f.relative_to(BAD)): f.read_text() for f in files}


def test_every_bad_fixture_has_expected_lines() -> None:
    assert len(BAD_CASES) >= 8
    for case in BAD_CASES:
        assert (BAD / f"{case.stem}.expected").read_text().strip(), case


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda p: p.stem)
def test_bad_flow_reports_exactly_the_expected_problems(case: Path) -> None:
    _, problems = load_flows(_sources(case), SCHEDULES)
    expected = (BAD / f"{case.stem}.expected").read_text().splitlines()
    assert [str(p) for p in problems] == expected


def test_good_flows_have_no_problems() -> None:
    files = sorted((FIXTURES / "good").glob("*.yaml"))
    flows, problems = load_flows({f.name: f.read_text() for f in files}, SCHEDULES)
    assert problems == []
    assert set(flows) == {"minimal", "every_node"}
    assert {n.type_name for n in flows["every_node"].nodes.values()} == {
        "say", "hours", "menu", "set", "authenticate", "lookup", "branch", "gather", "queue",
        "subflow", "transfer", "record", "return"}


def test_demo_flows_use_every_node_type_and_validate() -> None:
    flows_dir = Path(__file__).resolve().parents[2] / "ivr_flows"
    files = sorted(flows_dir.glob("*.yaml"))
    flows, problems = load_flows({f.name: f.read_text() for f in files}, {"support", "billing"})
    assert problems == []
    used = {n.type_name for f in flows.values() for n in f.nodes.values()}
    assert used == {"say", "hours", "menu", "gather", "branch", "set", "lookup",
                    "authenticate", "queue", "record", "transfer", "subflow", "return",
                    "hangup"}


def test_cli_validate_prints_file_line_node_field_and_exits_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICE_SCHEDULES_FILE", str(FIXTURES / "schedules.yaml"))
    monkeypatch.chdir(BAD)
    result = CliRunner().invoke(main, ["flows", "validate", "unknown_target.yaml",
                                       "graph_problems.yaml"])
    assert result.exit_code == 1
    expected = [*(BAD / "graph_problems.expected").read_text().splitlines(),
                *(BAD / "unknown_target.expected").read_text().splitlines()]
    assert result.stdout.splitlines() == expected
    assert "6 problem(s) in 2 file(s)" in result.stderr


def test_cli_validate_accepts_the_demo_flows(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["flows", "validate"])
    assert result.exit_code == 0, result.output
    assert "ok: " in result.stderr and "(main, 18 nodes)" in result.stderr
