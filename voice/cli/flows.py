"""``voice flows``: validate, simulate, test, graph, publish, version and roll back flows.

Files are the flows under ``VOICE_FLOWS_DIR`` (what authors edit); ``--published`` makes
simulate and graph use the live version from the database instead. Problems print one per
line as ``file:line: node 'x': field 'y': message`` and exit with status 1.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import httpx

from voice.audit.log import cli_actor
from voice.auth.verifier import load_directory
from voice.cli.audit import record_cli
from voice.cli.common import fail, load_settings_or_exit, reports_errors, services_or_exit
from voice.compose import Services
from voice.customers.errors import CustomerNotFoundError
from voice.flows.catalog import FlowCatalog, PinnedFlows
from voice.flows.editing import FlowEditor
from voice.flows.errors import FlowChangedError, FlowValidationError
from voice.flows.flowtests import CaseResult, run_suite
from voice.flows.graph import FORMATS, render
from voice.flows.replay import DEMO_CUSTOMERS
from voice.flows.simulator import (
    DEFAULT_FROM,
    CannedLookups,
    Line,
    SimulationResult,
    Simulator,
    canned_answer,
)
from voice.flows.sources import display_path
from voice.lookups import HttpLookupService
from voice.settings import Settings
from voice.store.migrate import upgrade


class _OrderedInputs(click.Command):
    """Keeps the command line so ``--input`` and ``--say`` interleave in typed order."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["raw_args"] = list(args)
        return super().parse_args(ctx, args)


@click.group()
def flows() -> None:
    """IVR flows: validate, simulate, test, graph, publish, versions, rollback."""


def _files_catalog(settings: Settings) -> FlowCatalog:
    return FlowCatalog(flows_dir=settings.flows_dir, schedules_file=settings.schedules_file,
                       repository=None)


def _problems_exit(exc: FlowValidationError) -> None:
    for problem in exc.problems:
        click.echo(problem, err=True)
    fail(f"{len(exc.problems)} problem(s); nothing was changed")


def _flow_paths(settings: Settings, names: tuple[str, ...]) -> list[Path]:
    """Flow ids or file paths given on the command line, as paths."""
    paths = []
    for name in names:
        path = Path(name)
        if path.suffix not in (".yaml", ".yml"):
            path = settings.flows_dir / f"{name}.yaml"
        if not path.exists():
            fail(f"error: no flow file {display_path(path)}")
        paths.append(path)
    return paths


@flows.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@reports_errors
def validate(paths: tuple[Path, ...]) -> None:
    """Check flow files (default: all in VOICE_FLOWS_DIR) and report every problem."""
    settings = load_settings_or_exit()
    try:
        checked = _files_catalog(settings).check_files(list(paths) or None)
    except FlowValidationError as exc:
        _problems_exit(exc)
        return
    for problem in checked.problems:
        click.echo(str(problem))
    bad = {p.file for p in checked.problems}
    for flow in checked.flows.values():
        if flow.file not in bad:
            click.echo(f"ok: {flow.file} ({flow.id}, {len(flow.nodes)} nodes)", err=True)
    if checked.problems:
        fail(f"{len(checked.problems)} problem(s) in {len(bad)} file(s)")


@flows.command(cls=_OrderedInputs)
@click.argument("flow_id", metavar="FLOW")
@click.option("--from", "from_number", help="Caller ID (default: the customer's phone).")
@click.option("--to", "to_number", help="Dialled number (default: the flow's first number).")
@click.option("--at", "at", help="When the call happens, ISO 8601 (default: now).")
@click.option("--input", "inputs", multiple=True,
              help="Caller input, used in order: keys (1, 1234#), timeout, hangup, "
                   "agent[:name] or timeout while queued, busy while transferring.")
@click.option("--say", "says", multiple=True, help="Caller speech, in order with --input.")
@click.option("--customer", help="Call from this customer's first phone (account number).")
@click.option("--lookup", "lookups", multiple=True, metavar="NODE=JSON|error",
              help="Canned answer for a lookup node.")
@click.option("--live-lookups", is_flag=True, help="Really perform other lookups over HTTP.")
@click.option("--published", is_flag=True, help="Run the live version instead of the file.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@click.option("--no-record", is_flag=True, help="Do not store the run in the call log.")
@click.pass_context
@reports_errors
def simulate(ctx: click.Context, flow_id: str, from_number: str | None, to_number: str | None,
             at: str | None, inputs: tuple[str, ...], says: tuple[str, ...],
             customer: str | None, lookups: tuple[str, ...], live_lookups: bool,
             published: bool, as_json: bool, no_record: bool) -> None:
    """Run FLOW without telephony and print the dialogue and the IVR path."""
    settings = load_settings_or_exit()
    when = _parse_at(at)
    script = _ordered_inputs(ctx.meta.get("raw_args", []), inputs, says)
    upgrade(settings.database_url)  # the customers store answers verifications
    with services_or_exit() as services:
        assert services.customer_service is not None and services.verifier is not None
        phones: tuple[str, ...] = ()
        if customer:
            try:
                phones = services.customer_service.show(customer)[0].phones
            except CustomerNotFoundError as exc:
                fail(f"error: {exc} ('voice customers import' loads customers)")
        verifier = services.verifier
        catalog = services.flow_catalog
        try:
            pinned = catalog.published(flow_id) if published else catalog.draft(flow_id)
            schedules = catalog.schedules()
        except FlowValidationError as exc:
            _problems_exit(exc)
            return
        from_number = from_number or (phones[0] if phones else DEFAULT_FROM)
        root = pinned.flows[flow_id]
        to_number = to_number or (root.numbers[0] if root.numbers else "sim")
        with httpx.Client() as client:
            sim = Simulator(pinned, schedules=schedules, verifier=verifier,
                            lookups=CannedLookups(_canned(lookups),
                                                  HttpLookupService(client) if live_lookups
                                                  else None),
                            on_line=None if as_json else _print_line)
            result = sim.run(_input_source(script), call_id=f"sim-{uuid.uuid4().hex[:12]}",
                             from_number=from_number, to_number=to_number, at=when)
        if not no_record:
            _record(services, result, pinned)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, default=str))
        return
    click.echo("\nPath: " + " > ".join(
        f"{s['node']}({s['outcome'] or 'waiting'})" for s in result.path))
    click.echo(f"Final: {json.dumps(result.final)}")


def _parse_at(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        fail(f"error: --at '{at}' is not an ISO 8601 date-time (e.g. 2026-11-24T10:00-05:00)")
    return when if when.tzinfo is not None else when.astimezone()


def _ordered_inputs(raw: list[str], inputs: tuple[str, ...], says: tuple[str, ...]) -> list[str]:
    """Interleave --input and --say in the order they were typed."""
    keys, speech = list(inputs), list(says)
    ordered: list[str] = []
    for arg in raw:
        name = arg.split("=", 1)[0]
        if name == "--input" and keys:
            ordered.append(keys.pop(0))
        elif name == "--say" and speech:
            ordered.append("say:" + speech.pop(0))
    return ordered + keys + ["say:" + s for s in speech]


def _input_source(script: list[str]) -> Any:
    if script:
        return lambda _kind: script.pop(0) if script else None
    interactive = sys.stdin.isatty()

    def ask(kind: str) -> str | None:
        if interactive:
            click.echo(f"caller ({kind}; keys, timeout, say:<words>, hangup)> ", nl=False)
        line = sys.stdin.readline()
        return line.strip() if line else None

    return ask


def _canned(values: tuple[str, ...]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for value in values:
        try:
            node, answer = canned_answer(value)
        except ValueError as exc:
            fail(f"error: --lookup {exc}")
        answers[node] = answer
    return answers


def _print_line(line: Line) -> None:
    prefix = {"ivr": "IVR:    ", "caller": "CALLER: "}.get(line.speaker, "  ")
    click.echo(f"{prefix}{line.text}")


def _record(services: Services, result: SimulationResult, pinned: PinnedFlows) -> None:
    calls = services.call_repository
    state = result.state
    calls.start_call(call_id=result.call_id, channel="sim", flow_id=pinned.root,
                     flow_version=pinned.versions.get(pinned.root),
                     flow_sha256=pinned.sha256.get(pinned.root),
                     from_number=state.call.get("from", ""), to_number=state.call.get("to", ""),
                     started_at=result.started_at, simulated=True)
    calls.append_path(result.call_id, [
        {**step, "at": datetime.fromisoformat(step["at"]), "detail": step.get("detail")}
        for step in state.path])
    calls.end_call(result.call_id, ended_at=result.ended_at,
                   outcome=str(result.final.get("type", "unknown")))


@flows.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@reports_errors
def test_flows(paths: tuple[Path, ...]) -> None:
    """Run flow tests (default: VOICE_FLOWS_DIR/tests/*.yaml) and report node coverage."""
    settings = load_settings_or_exit()
    files = list(paths) or sorted((settings.flows_dir / "tests").glob("*.y*ml"))
    if not files:
        fail(f"error: no flow tests in {display_path(settings.flows_dir / 'tests')}")

    def show(outcome: CaseResult) -> None:
        mark = "PASS" if outcome.passed else "FAIL"
        click.echo(f"{mark} {outcome.case.flow}: {outcome.case.name}")
        for failure in outcome.failures:
            click.echo(f"    {failure}")

    try:
        report = run_suite(_files_catalog(settings), files, load_directory(DEMO_CUSTOMERS),
                           on_result=show)
    except FlowValidationError as exc:
        _problems_exit(exc)
        return
    for flow_id, missing in sorted(report.uncovered.items()):
        if missing:
            click.echo(f"not reached by any test: {flow_id}: {', '.join(missing)}")
        else:
            click.echo(f"every node reached: {flow_id}")
    failed = len(report.failed)
    click.echo(f"flow tests: {len(report.results) - failed} passed, {failed} failed")
    if failed:
        raise click.exceptions.Exit(1)


@flows.command()
@click.argument("flow_id", metavar="FLOW")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="mermaid",
              show_default=True)
@click.option("--published", is_flag=True, help="Draw the live version instead of the file.")
@reports_errors
def graph(flow_id: str, fmt: str, published: bool) -> None:
    """Print FLOW as a graph (edges labelled with keys and outcomes)."""
    settings = load_settings_or_exit()
    try:
        if published:
            with services_or_exit() as services:
                pinned = services.flow_catalog.published(flow_id)
        else:
            pinned = _files_catalog(settings).draft(flow_id)
    except FlowValidationError as exc:
        _problems_exit(exc)
        return
    click.echo(render(pinned.flows[flow_id], fmt), nl=False)


@flows.command()
@click.argument("names", nargs=-1, metavar="[FLOW|FILE]...")
@click.option("--by", "by", default=None,
              help="Who publishes (default: VOICE_ACTOR, else your user name).")
@click.option("--note", default=None, help="A note stored with the version.")
@reports_errors
def publish(names: tuple[str, ...], by: str | None, note: str | None) -> None:
    """Validate and publish flows as new versions (default: every flow file)."""
    settings = load_settings_or_exit()
    paths = _flow_paths(settings, names) or None
    upgrade(settings.database_url)
    with services_or_exit() as services:
        try:
            report = services.flow_catalog.publish(paths, published_by=by or cli_actor(),
                                                   note=note)
        except FlowValidationError as exc:
            _problems_exit(exc)
            return
        for info in report.published:
            record_cli(services, "flow.publish", "flow", info.flow_id,
                       f"published flow {info.flow_id} version {info.version}",
                       {"version": info.version, "sha256": info.sha256,
                        "published_by": info.published_by, "note": info.note})
    for info in report.published:
        click.echo(f"published {info.flow_id} version {info.version} ({info.sha256[:12]})")
    for flow_id in report.unchanged:
        click.echo(f"unchanged {flow_id} (the live version has the same content)")


@flows.command()
@click.argument("flow_id", metavar="FLOW")
@click.option("--json", "as_json", is_flag=True)
@reports_errors
def versions(flow_id: str, as_json: bool) -> None:
    """List the published versions of FLOW (newest last; the newest serves new calls)."""
    with services_or_exit() as services:
        found = services.flow_repository.versions(flow_id)
    if not found:
        fail(f"error: flow '{flow_id}' has never been published (voice flows publish)")
    if as_json:
        click.echo(json.dumps([{"version": v.version, "sha256": v.sha256, "name": v.name,
                                "numbers": v.numbers, "published_at": v.published_at.isoformat(),
                                "published_by": v.published_by, "note": v.note,
                                "live": v is found[-1]} for v in found], indent=2))
        return
    for v in found:
        live = "  <- live" if v is found[-1] else ""
        click.echo(f"{v.version:>4}  {v.published_at:%Y-%m-%d %H:%M:%S}  {v.published_by:<12} "
                   f"{v.sha256[:12]}  {v.note or ''}{live}")


@flows.command()
@click.argument("flow_id", metavar="FLOW")
@click.option("--to", "to_version", type=int, required=True, help="The version to restore.")
@click.option("--by", "by", default=None,
              help="Who rolls back (default: VOICE_ACTOR, else your user name).")
@click.option("--force", is_flag=True,
              help="Overwrite the flow file even when it holds changes never published.")
@reports_errors
def rollback(flow_id: str, to_version: int, by: str | None, force: bool) -> None:
    """Publish an older version of FLOW again as the newest version, and write its text to
    the flow file (so the next `voice up` keeps serving it)."""
    with services_or_exit() as services:
        editor = FlowEditor(services.flow_catalog)
        try:
            outcome = editor.rollback(flow_id, to_version, published_by=by or cli_actor(),
                                      force=force)
        except FlowValidationError as exc:
            _problems_exit(exc)
            return
        except FlowChangedError as exc:
            fail(f"error: {exc}; or pass --force to roll back over them")
        info, live = outcome.info, outcome.previous
        record_cli(services, "flow.rollback", "flow", flow_id,
                   f"rolled flow {flow_id} back to version {to_version} (now version "
                   f"{info.version})",
                   {"to_version": to_version, "version": info.version, "sha256": info.sha256,
                    "previous_version": live.version if live else None})
    click.echo(f"published {flow_id} version {info.version} (content of version {to_version})")
