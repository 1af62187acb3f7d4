"""Searching everything the service wrote for secret digits (the PCI leak search).

A secret counts as found only as a whole digit run. Database columns and files are turned
into text; binary bytes are read as latin-1, so in audio only the digits written as ASCII
text (what a leak would look like) can match.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, inspect, text


def found(secret: str, data: str) -> list[str]:
    """Where ``secret`` occurs as a whole digit run, with some context."""
    return [data[max(0, m.start() - 60):m.end() + 60]
            for m in re.finditer(rf"(?<!\d){secret}(?!\d)", data)]


def database_text(engine: Engine) -> dict[str, str]:
    """Every column of every row of every table, as text, by table."""
    tables = {}
    with engine.connect() as db:
        for table in inspect(engine).get_table_names():
            rows = db.execute(text(f'SELECT * FROM "{table}"')).all()
            tables[f"table {table}"] = "\n".join(" | ".join(_as_text(v) for v in row)
                                                 for row in rows)
    return tables


def files_text(*folders: Path) -> dict[str, str]:
    """Every file under ``folders`` (names included) as text."""
    return {str(path): f"{path.name}\n" + path.read_bytes().decode("latin-1")
            for folder in folders for path in sorted(folder.rglob("*")) if path.is_file()}


def _as_text(value: object) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)
