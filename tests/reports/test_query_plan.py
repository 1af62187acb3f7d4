"""The wallboard's and the reports' KPI queries range-scan ``queue_entries`` on its
``enqueued_at`` index on SQLite (whose planner has no statistics and would otherwise walk the
whole queue or agent index), whatever the grouping or queue filter."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from voice.reports.aggregates import GROUPS, WINDOW_INDEX, kpi_sums
from voice.store.migrate import upgrade

START, END = datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)


@pytest.mark.parametrize("by", GROUPS)
@pytest.mark.parametrize("queue", [None, "support"])
def test_window_uses_the_enqueued_at_index(tmp_path: Path, by: str, queue: str | None) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = create_engine(url)
    statements: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, params, context, many: statements.append(
                     (sql, params)))
    try:
        with Session(engine) as session:
            kpi_sums(session, START, END, by=by, thresholds={"support": 20},
                     default_threshold=20, now=END, queue=queue)
            sql, params = statements[-1]
            plan = [row[3] for row in session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + sql, params) if "queue_entries" in row[3]]
    finally:
        engine.dispose()
    assert plan == [f"SEARCH queue_entries USING INDEX {WINDOW_INDEX} "
                    "(enqueued_at>? AND enqueued_at<?)"]
