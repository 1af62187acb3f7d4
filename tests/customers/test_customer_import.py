"""Loading customers from a CSV (service and ``voice customers import``) and looking after
them from the command line (``voice customers add|show|unlock``), on SQLite and PostgreSQL.

Good rows load, bad rows are reported as ``FILE:line: reason`` and skipped whole (never a
PIN in the message), a wrong header loads nothing, a re-import changes nothing, and no PIN,
ZIP or date of birth is ever stored in clear.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from customer_helpers import CSV_HEADER, Voice, contains_digits, dump_database
from sqlalchemy import text

from voice.compose import Services
from voice.customers.errors import CustomerFileError, CustomerNotFoundError
from voice.customers.service import CustomerService
from voice.ivr.actions import VerifyCaller

ADA = "10000001,Ada,Lovelace,+1 (555) 010-0001,gold,739164,94105,1985-12-10\n"
ALAN = "10000002,Alan,Turing,+15550100002;5551,,582047,,\n"
BAD_PIN = "7a7a7a"
BAD_ROWS = (
    "12ab,Bad,Account,+15550100003,standard,480213,,\n"          # line 4
    f"10000004,Bad,Pin,+15550100004,standard,{BAD_PIN},,\n"     # line 5
    "10000005,Bad,Phone,call-me,standard,480213,,\n"             # line 6
    "10000006,Bad,Dob,+15550100006,standard,480213,,1985-13-40\n"  # line 7
    "10000007,Too,Few,+15550100007\n"                            # line 8
    "10000001,Ada,Duplicate,+15550100008,standard,111111,,\n"    # line 9
)
#: (line, what the reason must mention) for each of BAD_ROWS
EXPECTED_PROBLEMS = [
    (4, "account_number: '12ab' must be 4 to 16 digits"),
    (5, "pin: must be 4 to 8 digits"),
    (6, "phones: 'call-me' is not a phone number"),
    (7, "dob: must be a date as YYYY-MM-DD"),
    (8, "4 fields, the header has 8"),
    (9, "account_number 10000001 is already on line 2"),
]
CLEAR_SECRETS = ("739164", "582047", "94105", "1985-12-10", "12101985")


def pin_verifies(services: Services, account: str, pin: str) -> bool:
    """Whether the caller-facing verifier accepts this account and PIN."""
    assert services.verifier is not None
    return services.verifier.verify(VerifyCaller(
        request="verify-1", method="account_pin", caller_id="+15550199", account=account,
        secret=pin)).verified


def stored_hashes(services: Services) -> dict[str, tuple[str | None, ...]]:
    """Account number -> (pin, zip, dob hash, updated_at) as stored."""
    with services.engine.connect() as db:
        rows = db.execute(text("SELECT account_number, pin_hash, zip_hash, dob_hash, "
                               "updated_at FROM customers")).all()
    return {row[0]: tuple(str(v) if v is not None else None for v in row[1:]) for row in rows}


@pytest.fixture
def customers(services: Services) -> CustomerService:
    assert services.customer_service is not None
    return services.customer_service


# -- the import service ------------------------------------------------------------------

def test_good_rows_load_with_normalised_phones_and_secrets_set(
        customers: CustomerService, services: Services, write_csv: Callable[..., Path]) -> None:
    report = customers.import_file(write_csv(ADA + ALAN), "customers.csv")

    assert report.as_json() == {"created": 2, "updated": 0, "unchanged": 0, "problems": []}
    ada, attempts = customers.show("10000001")
    assert (ada.first_name, ada.last_name, ada.tier, ada.phones) == (
        "Ada", "Lovelace", "gold", ("+15550100001",))
    assert (ada.has_pin, ada.has_zip, ada.has_dob, ada.locked) == (True, True, True, False)
    assert attempts == []
    alan, _ = customers.show("10000002")
    assert (alan.tier, alan.phones) == ("standard", ("+15550100002", "5551"))
    assert (alan.has_pin, alan.has_zip, alan.has_dob) == (True, False, False)
    assert pin_verifies(services, "10000001", "739164")
    assert pin_verifies(services, "10000002", "582047")


def test_bad_rows_are_reported_by_line_and_skipped_whole(
        customers: CustomerService, write_csv: Callable[..., Path]) -> None:
    report = customers.import_file(write_csv(ADA + ALAN + BAD_ROWS), "customers.csv")

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert len(report.problems) == len(EXPECTED_PROBLEMS)
    for problem, (line, reason) in zip(report.problems, EXPECTED_PROBLEMS, strict=True):
        assert problem.startswith(f"customers.csv:{line}: "), problem
        assert reason in problem, problem
    assert not any(BAD_PIN in problem for problem in report.problems)
    for account in ("10000004", "10000005", "10000006", "10000007"):
        with pytest.raises(CustomerNotFoundError):
            customers.show(account)
    views, total = customers.list()
    assert total == 2 and [v.account_number for v in views] == ["10000001", "10000002"]
    ada, _ = customers.show("10000001")
    assert ada.last_name == "Lovelace" and ada.phones == ("+15550100001",)  # not line 9


@pytest.mark.parametrize(("header", "row", "message"), [
    (CSV_HEADER.replace("dob", "dob,email"), ADA.replace("\n", ",ada@example.com\n"),
     "customers.csv:1: unknown column(s) email"),
    (CSV_HEADER.replace("pin,", ""), ADA.replace("739164,", ""),
     "customers.csv:1: missing column(s) pin"),
])
def test_a_wrong_header_loads_nothing(customers: CustomerService,
                                      write_csv: Callable[..., Path], header: str, row: str,
                                      message: str) -> None:
    with pytest.raises(CustomerFileError) as raised:
        customers.import_file(write_csv(row, header=header), "customers.csv")

    assert str(raised.value).startswith(message)
    assert "account_number,first_name,last_name,phones,tier,pin,zip,dob" in str(raised.value)
    assert customers.list()[1] == 0


def test_zip_and_dob_columns_may_be_left_out(customers: CustomerService,
                                             write_csv: Callable[..., Path]) -> None:
    path = write_csv("10000001,Ada,Lovelace,+15550100001,gold,739164\n",
                     header="account_number,first_name,last_name,phones,tier,pin\n")

    report = customers.import_file(path, "customers.csv")

    assert (report.created, report.problems) == (1, [])
    ada, _ = customers.show("10000001")
    assert (ada.has_pin, ada.has_zip, ada.has_dob) == (True, False, False)


def test_importing_the_same_file_again_changes_nothing(
        customers: CustomerService, services: Services, write_csv: Callable[..., Path]) -> None:
    path = write_csv(ADA + ALAN)
    customers.import_file(path)
    before = stored_hashes(services)

    again = customers.import_file(path)

    assert again.as_json() == {"created": 0, "updated": 0, "unchanged": 2, "problems": []}
    assert stored_hashes(services) == before


def test_a_changed_pin_in_the_file_replaces_the_old_one(
        customers: CustomerService, services: Services, write_csv: Callable[..., Path]) -> None:
    customers.import_file(write_csv(ADA + ALAN))
    before = stored_hashes(services)

    report = customers.import_file(write_csv(ADA.replace("739164", "305918") + ALAN))

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    after = stored_hashes(services)
    assert after["10000001"][0] != before["10000001"][0]
    assert after["10000001"][1:3] == before["10000001"][1:3]  # zip and dob hashes kept
    assert after["10000002"] == before["10000002"]
    assert not pin_verifies(services, "10000001", "739164")
    assert pin_verifies(services, "10000001", "305918")


def test_the_database_holds_no_pin_zip_or_dob_in_clear(
        customers: CustomerService, services: Services, write_csv: Callable[..., Path]) -> None:
    customers.import_file(write_csv(ADA + ALAN + BAD_ROWS))
    assert pin_verifies(services, "10000001", "739164")  # an audited attempt too

    dump = dump_database(services)

    assert "10000001" in dump and "Lovelace" in dump and "argon2id" in dump
    assert not contains_digits(dump, *CLEAR_SECRETS, "480213", "111111")
    assert BAD_PIN not in dump


# -- voice customers import ------------------------------------------------------------------

def test_cli_import_reports_counts_and_exits_0(
        voice: Voice, write_csv: Callable[..., Path]) -> None:
    path = write_csv(ADA + ALAN)

    first = voice("customers", "import", str(path))
    again = voice("customers", "import", str(path), "--json")

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "2 created, 0 updated, 0 unchanged, 0 bad rows skipped"
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {"created": 0, "updated": 0, "unchanged": 2,
                                        "problems": []}


def test_cli_import_lists_bad_rows_and_exits_1(
        voice: Voice, write_csv: Callable[..., Path]) -> None:
    path = write_csv(ADA + ALAN + BAD_ROWS)

    result = voice("customers", "import", str(path))

    assert result.exit_code == 1
    problems = result.stderr.splitlines()
    assert [p.split(": ", 1)[0] for p in problems] == [
        f"{path}:{line}" for line, _ in EXPECTED_PROBLEMS]
    assert "pin: must be 4 to 8 digits" in problems[1]
    assert BAD_PIN not in result.output
    assert result.stdout.strip() == "2 created, 0 updated, 0 unchanged, 6 bad rows skipped"
    shown = voice("customers", "show", "10000004")
    assert shown.exit_code == 1 and "no customer has account number '10000004'" in shown.stderr


def test_cli_import_with_an_unknown_column_says_so_and_loads_nothing(
        voice: Voice, services: Services, write_csv: Callable[..., Path]) -> None:
    path = write_csv(ADA, header=CSV_HEADER.replace("dob", "birthday"))

    result = voice("customers", "import", str(path))

    assert result.exit_code == 1
    assert f"error: {path}:1: unknown column(s) birthday; the header must be" in result.stderr
    assert services.customer_service is not None
    assert services.customer_service.list()[1] == 0


def test_cli_import_of_a_missing_file(voice: Voice, tmp_path: Path) -> None:
    result = voice("customers", "import", str(tmp_path / "nope.csv"))

    assert result.exit_code == 1
    assert f"error: {tmp_path / 'nope.csv'}: cannot read the file" in result.stderr


def test_cli_import_if_empty_seeds_only_an_empty_store(
        voice: Voice, write_csv: Callable[..., Path]) -> None:
    seeded = voice("customers", "import", "--if-empty", str(write_csv(ADA)))
    skipped = voice("customers", "import", "--if-empty", str(write_csv(ALAN, name="b.csv")))

    assert seeded.exit_code == 0 and "1 created" in seeded.stdout
    assert skipped.exit_code == 0
    assert "customers already loaded; nothing imported" in skipped.stdout
    assert voice("customers", "show", "10000002").exit_code == 1


# -- voice customers add / show / unlock --------------------------------------------------------

def test_cli_add_then_show_says_which_secrets_are_set_never_their_values(
        voice: Voice, services: Services) -> None:
    added = voice("customers", "add", "30000001", "--first-name", "Grace", "--last-name",
                  "Hopper", "--phone", "+1 555 010 0009", "--phone", "4009", "--tier", "gold",
                  "--pin", "927310", "--zip", "20001")

    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "customer 30000001 (Grace Hopper) created"
    again = voice("customers", "add", "30000001", "--first-name", "Grace", "--last-name",
                  "Hopper", "--phone", "+15550100009", "--phone", "4009", "--tier", "gold",
                  "--pin", "927310", "--zip", "20001")
    assert again.stdout.strip() == "customer 30000001 (Grace Hopper) unchanged"

    shown = voice("customers", "show", "30000001")

    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[:4] == ["30000001  Grace Hopper  tier gold",
                         "phones: +15550100009, 4009",
                         "secrets: PIN set, ZIP set, DOB not set",
                         "locked: no"]
    assert not contains_digits(shown.stdout, "927310", "20001")
    as_json = voice("customers", "show", "30000001", "--json")
    body = json.loads(as_json.stdout)
    assert {k: body[k] for k in ("account_number", "first_name", "has_pin", "has_zip",
                                 "has_dob", "locked", "attempts")} == {
        "account_number": "30000001", "first_name": "Grace", "has_pin": True,
        "has_zip": True, "has_dob": False, "locked": False, "attempts": []}
    assert not contains_digits(as_json.stdout, "927310", "20001")
    assert not contains_digits(dump_database(services), "927310", "20001")
    assert pin_verifies(services, "30000001", "927310")


def test_cli_add_asks_for_the_pin_without_echoing_it(voice: Voice, services: Services) -> None:
    result = voice("customers", "add", "30000002", "--first-name", "Katherine",
                   "--last-name", "Johnson", "--ask-pin", input="604418\n604418\n")

    assert result.exit_code == 0, result.output
    assert "604418" not in result.output
    assert pin_verifies(services, "30000002", "604418")


def test_cli_add_with_invalid_fields_lists_every_problem(voice: Voice) -> None:
    result = voice("customers", "add", "12", "--first-name", " ", "--last-name", "X",
                   "--pin", "12x4", "--dob", "15/01/1980")

    assert result.exit_code == 1
    assert "account_number: '12' must be 4 to 16 digits" in result.stderr
    assert "first_name: is empty" in result.stderr
    assert "pin: must be 4 to 8 digits" in result.stderr
    assert "dob: must be a date as YYYY-MM-DD" in result.stderr
    assert "12x4" not in result.output


def test_cli_show_and_unlock_of_an_unknown_customer(voice: Voice) -> None:
    for command in ("show", "unlock"):
        result = voice("customers", command, "99990000")

        assert result.exit_code == 1
        assert "error: no customer has account number '99990000'" in result.stderr


def test_cli_unlock_lifts_a_lockout_and_names_who_did_it(
        voice: Voice, services: Services, write_csv: Callable[..., Path]) -> None:
    assert voice("customers", "import", str(write_csv(ADA))).exit_code == 0
    for _ in range(3):
        assert not pin_verifies(services, "10000001", "000000")
    locked = voice("customers", "show", "10000001")
    assert "locked: yes ('voice customers unlock 10000001')" in locked.stdout
    assert not pin_verifies(services, "10000001", "739164")  # refused while locked

    result = voice("customers", "unlock", "10000001", "--by", "alice")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "customer 10000001 unlocked"
    shown = json.loads(voice("customers", "show", "10000001", "--json").stdout)
    assert shown["locked"] is False
    assert [(a["outcome"], a["actor"]) for a in shown["attempts"]] == [
        ("unlocked", "alice"), ("locked", None), ("failed", None), ("failed", None),
        ("failed", None)]
    assert pin_verifies(services, "10000001", "739164")
