"""Fixtures for the flow services' tests: a writable copy of the demo flows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    """A writable copy of ``ivr_flows/`` (flows and their tests)."""
    target = tmp_path / "flows"
    shutil.copytree(REPO / "ivr_flows", target)
    return target
