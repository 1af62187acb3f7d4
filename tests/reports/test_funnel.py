"""The IVR funnel (:mod:`voice.reports.funnel`) over the crafted paths of
:mod:`crafted_calls`, on SQLite and PostgreSQL: reached / left / contained / queued per node,
the path order from the published flow and from the events alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from crafted_calls import DAY, add_funnel_calls

from voice.compose import Services
from voice.ivr import parse_flow
from voice.reports.funnel import Funnel, flow_choices, funnel, node_order
from voice.settings import PROJECT_ROOT

MAIN = PROJECT_ROOT / "ivr_flows" / "main.yaml"


def main_flow_order() -> list[tuple[str, str]]:
    flow, problems = parse_flow(MAIN.read_text(), str(MAIN))
    assert flow is not None and not problems
    return node_order(flow)


def figures(result: Funnel) -> dict[str, tuple[int, int, int, int]]:
    """node -> (reached, left, contained, queued), nodes somebody reached."""
    return {row.node: (row.reached, row.left, row.contained, row.queued)
            for row in result.rows if row.reached}


def day_funnel(services: Services, flow: str = "main",
               nodes: Sequence[tuple[str, str]] = ()) -> Funnel:
    with services.session_factory() as session:
        return funnel(session, flow, DAY, DAY + timedelta(days=1), nodes=nodes)


def test_counts_per_node(services: Services) -> None:
    add_funnel_calls(services)
    result = day_funnel(services, nodes=main_flow_order())
    assert result.calls == 8  # f1-f8; "old" started the day before, "pay" is another flow
    assert figures(result) == {
        "greeting": (8, 0, 0, 0),
        "hours": (1, 0, 0, 0),
        "main_menu": (6, 2, 0, 0),  # f5 came back to the menu: counted once; f1, f5 hung up
        "support": (2, 0, 0, 2),  # f7 abandoned in the queue: queued, not "hung up here"
        "agents": (1, 0, 0, 1),
        "claims": (1, 0, 0, 0),  # transferred out: neither left nor contained
        "spanish": (1, 0, 0, 0),
        "after_hours": (1, 0, 0, 0),
        "voicemail": (1, 0, 0, 0),
        "goodbye": (2, 0, 1, 0),  # f3 contained; f4 had queued before its goodbye
    }
    assert (result.total("left"), result.total("contained"), result.total("queued")) == (2, 1, 3)
    rows = {row.node: row for row in result.rows}
    assert rows["greeting"].went_on == 8 and rows["main_menu"].went_on == 4
    assert result.widest == 8


def test_path_order_follows_the_published_flow(services: Services) -> None:
    add_funnel_calls(services)
    order = main_flow_order()
    assert [node for node, _ in order[:3]] == ["greeting", "hours", "main_menu"]
    result = day_funnel(services, nodes=order)
    assert [row.node for row in result.rows] == [node for node, _ in order]
    unreached = {row.node: row.node_type for row in result.rows if not row.reached}
    assert unreached["payments"] == "subflow"  # in the flow, nobody went there: a zero row


def test_without_the_flow_nodes_follow_the_callers(services: Services) -> None:
    add_funnel_calls(services)
    result = day_funnel(services)
    nodes = [row.node for row in result.rows]
    assert nodes[0] == "greeting" and set(nodes) == set(figures(result))
    assert nodes.index("main_menu") < nodes.index("support") < nodes.index("goodbye")
    assert {row.node: row.node_type for row in result.rows}["claims"] == "transfer"


def test_other_flows_and_ranges(services: Services) -> None:
    add_funnel_calls(services)
    payments = day_funnel(services, "payments")
    assert payments.calls == 1
    assert figures(payments) == {"amount": (1, 1, 0, 0)}
    with services.session_factory() as session:
        before = funnel(session, "main", DAY - timedelta(days=1), DAY)
        assert figures(before) == {"greeting": (1, 0, 0, 0), "main_menu": (1, 1, 0, 0)}
        empty = funnel(session, "nothing", DAY, DAY + timedelta(days=1))
        assert (empty.calls, empty.rows, empty.widest) == (0, [], 0)
        assert flow_choices(session, DAY, DAY + timedelta(days=1), ["support-line"]) == [
            "main", "payments", "support-line"]
