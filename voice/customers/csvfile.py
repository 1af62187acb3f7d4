"""Reading a customers CSV: ``account_number,first_name,last_name,phones,tier,pin,zip,dob``.

``phones`` are separated by ``;``; ``zip`` and ``dob`` (YYYY-MM-DD) may be left empty or
their columns left out; any other column is an error. Each row is checked whole: a bad row
is reported as ``FILE:line: reason`` and skipped entirely, never loaded in part. An account
number that appears twice is reported on its second line. Secrets are never echoed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from voice.customers.errors import CustomerFileError
from voice.customers.records import CustomerInput, validate

COLUMNS = ("account_number", "first_name", "last_name", "phones", "tier", "pin", "zip", "dob")
REQUIRED = COLUMNS[:6]


@dataclass
class CustomerRows:
    """The good rows of a file (with their line numbers) and one line per bad row."""

    rows: list[tuple[int, CustomerInput]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_customers(path: Path, shown_as: str | None = None) -> CustomerRows:
    """Read and check every row of ``path``; raises CustomerFileError if it is unusable."""
    name = shown_as or str(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CustomerFileError(f"{name}: cannot read the file ({exc.strerror})") from None
    result = CustomerRows()
    seen: dict[str, int] = {}
    with handle:
        reader = csv.reader(handle)
        try:
            header = [column.strip() for column in next(reader)]
        except StopIteration:
            raise CustomerFileError(f"{name}:1: the file is empty; the first line must be "
                                    f"the header {','.join(COLUMNS)}") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CustomerFileError(f"{name}:1: not a CSV file ({exc})") from None
        _check_header(name, header)
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                result.problems.append(f"{name}:{start}: not valid CSV ({exc})")
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(cells) != len(header):
                result.problems.append(f"{name}:{start}: {len(cells)} fields, the header has "
                                       f"{len(header)}")
                continue
            values = dict(zip(header, cells, strict=True))
            item, problems = validate(CustomerInput(
                account_number=values["account_number"], first_name=values["first_name"],
                last_name=values["last_name"], phones=tuple(values["phones"].split(";")),
                tier=values["tier"], pin=values["pin"], zip=values.get("zip"),
                dob=values.get("dob")))
            if item is None:
                result.problems.append(f"{name}:{start}: {'; '.join(problems)}")
                continue
            if item.account_number in seen:
                result.problems.append(
                    f"{name}:{start}: account_number {item.account_number} is already on "
                    f"line {seen[item.account_number]}; each customer once per file")
                continue
            seen[item.account_number] = start
            result.rows.append((start, item))
    return result


def _check_header(name: str, header: list[str]) -> None:
    unknown = [column for column in header if column not in COLUMNS]
    missing = [column for column in REQUIRED if column not in header]
    twice = sorted({column for column in header if header.count(column) > 1})
    problems = []
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if twice:
        problems.append(f"column(s) {', '.join(twice)} given twice")
    if problems:
        raise CustomerFileError(f"{name}:1: {'; '.join(problems)}; the header must be "
                                f"{','.join(COLUMNS)} (zip and dob may be left out)")
