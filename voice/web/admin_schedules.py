"""``/admin/schedules``: business hours and holidays of the ``hours`` nodes, for admins.

Shows each schedule of ``VOICE_SCHEDULES_FILE`` with its time zone, its week, its holidays
and whether it is open now, and edits the file through
:class:`~voice.web.admin_schedule_file.ScheduleFileEditor` (comments kept, checked by the
flow check's own reader, written atomically, picked up by live flows). Every change is
audited as ``schedule.*``.
"""

from __future__ import annotations

from flask import Response, url_for

from voice.web.access import require_page_role
from voice.web.admin_common import ROLE, bp, built, done, form_values, page, text
from voice.web.admin_errors import AdminFormError
from voice.web.admin_schedule_file import ScheduleFileEditor
from voice.web.audit_trail import audit

PAGE = "/admin/schedules"


def editor() -> ScheduleFileEditor:
    """The editor of this process's schedules file."""
    services = built()
    return ScheduleFileEditor(services.flow_catalog, services.clock)


def _show(status: int = 200, problems: list[str] | None = None,
          failed: str | None = None) -> tuple[str, int]:
    return page("admin_schedules.html", status, file=editor().view(), problems=problems or [],
                form=form_values() if problems else {}, failed=failed)


def _refused(exc: AdminFormError, failed: str) -> tuple[str, int]:
    return _show(exc.status, exc.problems, failed)


@bp.get("/schedules")
@require_page_role(ROLE)
def schedules_page() -> tuple[str, int]:
    """Every schedule: week, holidays, open now, and the forms that change them."""
    return _show()


@bp.post("/schedules")
@require_page_role(ROLE)
def add_schedule() -> Response | tuple[str, int]:
    """Add a schedule (name, time zone, weekly hours)."""
    name = text("name")
    try:
        editor().set_schedule(text("version"), name, text("timezone"), text("hours"),
                              new=True)
    except AdminFormError as exc:
        return _refused(exc, "new")
    audit("schedule.add", "schedule", name, f"Added schedule {name} ({text('timezone')})",
          {"timezone": text("timezone"), "hours": text("hours").splitlines()})
    return done(f"Added schedule {name}.", PAGE)


@bp.post("/schedules/<name>")
@require_page_role(ROLE)
def update_schedule(name: str) -> Response | tuple[str, int]:
    """Change a schedule's time zone and weekly hours."""
    try:
        editor().set_schedule(text("version"), name, text("timezone"), text("hours"),
                              new=False)
    except AdminFormError as exc:
        return _refused(exc, name)
    audit("schedule.update", "schedule", name, f"Changed the hours of schedule {name}",
          {"timezone": text("timezone"), "hours": text("hours").splitlines()})
    return done(f"Saved schedule {name}; calls use the new hours now.", PAGE)


@bp.post("/schedules/<name>/delete")
@require_page_role(ROLE)
def remove_schedule(name: str) -> Response | tuple[str, int]:
    """Remove a schedule no flow uses."""
    try:
        editor().remove_schedule(text("version"), name)
    except AdminFormError as exc:
        return _refused(exc, name)
    audit("schedule.remove", "schedule", name, f"Removed schedule {name}")
    return done(f"Removed schedule {name}.", PAGE)


@bp.post("/schedules/<name>/holidays")
@require_page_role(ROLE)
def add_holiday(name: str) -> Response | tuple[str, int]:
    """Add a holiday to a schedule."""
    try:
        day = editor().add_holiday(text("version"), name, text("date"), text("label"))
    except AdminFormError as exc:
        return _refused(exc, name)
    label = " ".join(text("label").split()) or "holiday"
    audit("schedule.holiday_add", "schedule", name,
          f"Added holiday {day.isoformat()} ({label}) to schedule {name}",
          {"date": day.isoformat(), "name": label})
    return done(f"Added {label} on {day.isoformat()} to {name}.",
                url_for("admin_config.schedules_page"))


@bp.post("/schedules/<name>/holidays/<day>/delete")
@require_page_role(ROLE)
def remove_holiday(name: str, day: str) -> Response | tuple[str, int]:
    """Remove a holiday from a schedule."""
    try:
        editor().remove_holiday(text("version"), name, day)
    except AdminFormError as exc:
        return _refused(exc, name)
    audit("schedule.holiday_remove", "schedule", name,
          f"Removed holiday {day} from schedule {name}", {"date": day})
    return done(f"Removed the holiday on {day} from {name}.", PAGE)
