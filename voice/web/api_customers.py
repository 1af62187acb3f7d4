"""REST API of the customers store, for admins: ``/api/customers``.

``GET /api/customers?q=&limit=&offset=`` lists; ``POST /api/customers`` creates or updates
one customer (JSON with ``account_number``, ``first_name``, ``last_name``, ``phones``,
``tier``, ``pin``, ``zip``, ``dob``; 201 when created); ``GET /api/customers/<account>``
shows one with its lock state and latest attempts; ``PATCH`` updates the fields given (a
secret left out is kept); ``POST /api/customers/<account>/unlock`` lifts a lockout;
``POST /api/customers/import`` takes a CSV body (the ``voice customers import`` format).
Every route needs the admin role (:func:`voice.web.access.require_role`). Responses never
carry a secret, only whether each is set. Changes are audited (``customer.add``,
``.update``, ``.unlock``, ``.import``) with the account masked and no secret.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request

from voice.customers.errors import CustomerFileError, CustomerNotFoundError, InvalidCustomerError
from voice.customers.records import CustomerInput, CustomerView
from voice.customers.service import CustomerService
from voice.web import services
from voice.web.access import current_user, require_role
from voice.web.audit_trail import audit
from voice.web.errors import ApiError

bp = Blueprint("api_customers", __name__, url_prefix="/api/customers")
FIELDS = ("account_number", "first_name", "last_name", "phones", "tier", "pin", "zip", "dob")
MAX_IMPORT_BYTES = 20 * 1024 * 1024


class CustomerApiError(ApiError):
    """A customer request that cannot be done (bad JSON, invalid fields)."""

    status = 422
    error_id = "invalid-customer"


class CustomerMissingError(ApiError):
    """No customer has the account number in the address."""

    status = 404
    error_id = "customer-not-found"


def customer_service() -> CustomerService:
    """The process's customer service."""
    service = services().customer_service
    assert service is not None
    return service


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise CustomerApiError("send a JSON object with the customer's fields")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise CustomerApiError(f"unknown field(s) {', '.join(unknown)}; use {', '.join(FIELDS)}",
                               unknown=unknown)
    return body


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str | None:
    value = body.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise CustomerApiError(f"{name} must be text", field=name)
    return str(value)


def _phones(body: dict[str, Any], default: tuple[str, ...]) -> tuple[str, ...]:
    value = body.get("phones")
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise CustomerApiError("phones must be a list of phone numbers", field="phones")
    return tuple(value)


def _save(item: CustomerInput, *, replace_secrets: bool) -> tuple[CustomerView, str]:
    try:
        return customer_service().save(item, replace_secrets=replace_secrets)
    except InvalidCustomerError as exc:
        raise CustomerApiError(str(exc), problems=exc.problems) from None


def _audit_save(view: CustomerView, status: str, item: CustomerInput) -> None:
    """Audit a created or updated customer: which fields, never a secret's value."""
    if status == "unchanged":
        return
    name = f"{view.first_name} {view.last_name} ({view.masked_account})"
    audit(f"customer.{'add' if status == 'created' else 'update'}", "customer", str(view.id),
          f"{status.capitalize()} customer {name}",
          {"account": view.masked_account, "tier": view.tier, "phones": len(view.phones),
           "pin_given": item.pin is not None, "zip_given": item.zip is not None,
           "dob_given": item.dob is not None})


def _show(account: str) -> dict[str, Any]:
    try:
        view, attempts = customer_service().show(account)
    except CustomerNotFoundError as exc:
        raise CustomerMissingError(str(exc), account=account) from None
    return {**view.as_json(), "attempts": [a.as_json() for a in attempts]}


@bp.get("")
@require_role("admin")
def list_customers() -> Response:
    """Customers by account number, filtered by ``q`` (name or account), paged."""
    limit = min(max(request.args.get("limit", 100, type=int), 1), 1000)
    offset = max(request.args.get("offset", 0, type=int), 0)
    views, total = customer_service().list(search=request.args.get("q") or None, limit=limit,
                                   offset=offset)
    return jsonify(customers=[v.as_json() for v in views], total=total, limit=limit,
                   offset=offset)


@bp.post("")
@require_role("admin")
def save_customer() -> tuple[Response, int]:
    """Create or update the customer named by ``account_number`` (all fields given)."""
    body = _body()
    item = CustomerInput(
        account_number=_text(body, "account_number", "") or "",
        first_name=_text(body, "first_name", "") or "",
        last_name=_text(body, "last_name", "") or "",
        phones=_phones(body, ()), tier=_text(body, "tier", "standard") or "standard",
        pin=_text(body, "pin"), zip=_text(body, "zip"), dob=_text(body, "dob"))
    view, status = _save(item, replace_secrets=True)
    _audit_save(view, status, item)
    return jsonify({**view.as_json(), "status": status}), 201 if status == "created" else 200


@bp.get("/<account>")
@require_role("admin")
def show_customer(account: str) -> Response:
    """One customer, its lock state and its latest audited attempts."""
    return jsonify(_show(account))


@bp.patch("/<account>")
@require_role("admin")
def update_customer(account: str) -> Response:
    """Change the fields given; secrets left out are kept."""
    body = _body()
    if "account_number" in body and str(body["account_number"]) != account:
        raise CustomerApiError("account_number cannot change; add a new customer instead",
                               field="account_number")
    try:
        current, _ = customer_service().show(account)
    except CustomerNotFoundError as exc:
        raise CustomerMissingError(str(exc), account=account) from None
    item = CustomerInput(
        account_number=account,
        first_name=_text(body, "first_name", current.first_name) or "",
        last_name=_text(body, "last_name", current.last_name) or "",
        phones=_phones(body, current.phones), tier=_text(body, "tier", current.tier) or "",
        pin=_text(body, "pin"), zip=_text(body, "zip"), dob=_text(body, "dob"))
    view, status = _save(item, replace_secrets=False)
    _audit_save(view, status, item)
    return jsonify({**view.as_json(), "status": status})


@bp.post("/<account>/unlock")
@require_role("admin")
def unlock_customer(account: str) -> Response:
    """Lift a lockout; the audit names the admin who did it."""
    try:
        view = customer_service().unlock(account, actor=current_user().username)
    except CustomerNotFoundError as exc:
        raise CustomerMissingError(str(exc), account=account) from None
    audit("customer.unlock", "customer", str(view.id),
          f"Unlocked customer {view.first_name} {view.last_name} ({view.masked_account})",
          {"account": view.masked_account})
    return jsonify(_show(account))


@bp.post("/import")
@require_role("admin")
def import_customers() -> tuple[Response, int]:
    """Load a customers CSV sent as the body; bad rows are reported as ``upload:line``."""
    data = request.get_data(cache=False)
    if len(data) > MAX_IMPORT_BYTES:
        raise CustomerApiError(f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB; "
                               "split it or use 'voice customers import'")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(data)
        try:
            report = customer_service().import_file(path, "upload.csv")
        except CustomerFileError as exc:
            raise CustomerApiError(str(exc)) from None
    if report.created or report.updated:
        audit("customer.import", "customer", "*",
              f"Imported customers: {report.created} created, {report.updated} updated, "
              f"{report.unchanged} unchanged, {len(report.problems)} bad rows",
              {"created": report.created, "updated": report.updated,
               "unchanged": report.unchanged, "bad_rows": len(report.problems)})
    return jsonify(report.as_json()), 422 if report.problems and not (
        report.created or report.updated or report.unchanged) else 200
